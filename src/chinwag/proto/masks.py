"""IRC masks: glob matching, ``nick!user@host`` splitting and normalising, host names.

A mask is a glob over a ``nick!user@host`` string: ``*`` matches any run of characters
(including none) and ``?`` matches exactly one. Every other character is literal, the
backslash included (nicknames may contain ``\\``), and so are ``[`` and ``]``: masks are
not fnmatch patterns. Matching is case-sensitive unless a ``fold`` function (see
:func:`chinwag.proto.casemap.folder`) is given, which is then applied to both sides.

Matching runs in time proportional to ``len(mask) * len(text)`` whatever the mask, so an
operator's ban with many stars cannot make the server backtrack exponentially. Compiled
masks are cached, because the server checks every ban on every connection and join.

What this module does not do: decide what is banned (the server keeps the ban lists),
resolve or look up host names, or validate nicknames (see :mod:`chinwag.proto.validate`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

Fold = Callable[[str], str]

# Compiled masks kept around; a server has at most a few thousand distinct bans.
MASK_CACHE_SIZE = 4096
# RFC 1035: a label is at most 63 octets, a full name at most 253 characters.
_MAX_LABEL = 63
_MAX_HOSTNAME = 253
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\Z")


class CompiledMask:
    """A mask turned into a matcher once; call :meth:`matches` as often as needed."""

    __slots__ = ("_fold", "_regex", "mask")

    def __init__(self, mask: str, fold: Fold | None = None) -> None:
        self.mask = mask
        self._fold = fold
        self._regex = _compile(fold(mask) if fold is not None else mask)

    def matches(self, text: str) -> bool:
        """True when the whole of ``text`` matches the mask."""
        if self._fold is not None:
            text = self._fold(text)
        return self._regex.fullmatch(text) is not None

    __call__ = matches

    def __repr__(self) -> str:
        return f"CompiledMask({self.mask!r})"


@lru_cache(maxsize=MASK_CACHE_SIZE)
def _compile(mask: str) -> re.Pattern[str]:
    """Translate a glob into a regex that cannot backtrack badly.

    The mask splits at ``*`` into fixed-length segments. The first must match at the
    start, the last at the end, and each one between may match at its leftmost place:
    with fixed-length segments, an earlier match never leaves less room for the rest.
    Atomic groups make the regex engine commit to that leftmost place, so the match is
    a single left-to-right scan.
    """
    segments = [_segment(part) for part in mask.split("*")]
    if len(segments) == 1:
        return re.compile(segments[0], re.DOTALL)
    first, *middle, last = segments
    body = first + "".join(f"(?>.*?{seg})" for seg in middle if seg) + ".*" + last
    return re.compile(body, re.DOTALL)


def _segment(part: str) -> str:
    return "".join("." if ch == "?" else re.escape(ch) for ch in part)


@lru_cache(maxsize=MASK_CACHE_SIZE)
def _compiled(mask: str, fold: Fold | None) -> CompiledMask:
    return CompiledMask(mask, fold)


def compile_mask(mask: str, fold: Fold | None = None) -> CompiledMask:
    """A cached :class:`CompiledMask` for ``mask`` (and ``fold``, compared by identity).

    Pass the same fold function every time (the server keeps one) to hit the cache.
    """
    return _compiled(mask, fold)


def match_mask(mask: str, text: str, fold: Fold | None = None) -> bool:
    """True when ``text`` (usually ``nick!user@host``) matches the glob ``mask``."""
    return compile_mask(mask, fold).matches(text)


def split_userhost(source: str) -> tuple[str, str | None, str | None]:
    """Split ``nick!user@host`` into its parts; a part that is absent is None.

    ``coolguy@127.0.0.1`` has a host and no user; ``coolguy!ag`` a user and no host.
    The host starts after the first ``@``, the user after the first ``!`` before it.
    """
    head, at, host = source.partition("@")
    nick, bang, user = head.partition("!")
    return nick, (user if bang else None), (host if at else None)


def normalize_mask(mask: str) -> str:
    """Expand a short ban mask to a full ``nick!user@host`` mask, as servers do for +b.

    ``nick`` -> ``nick!*@*``; ``nick!user`` -> ``nick!user@*``; ``user@host`` ->
    ``*!user@host``; a bare word with a dot or a colon is a host: ``*!*@host``. Empty
    parts become ``*``. Spaces are removed (a mask is one IRC parameter).
    """
    mask = mask.replace(" ", "")
    head, at, host = mask.partition("@")
    nick, bang, user = head.partition("!")
    if not at and not bang:
        if "." in mask or ":" in mask:
            return f"*!*@{mask}"
        return f"{mask or '*'}!*@*"
    if not bang:
        # user@host
        user, nick = nick, "*"
    return f"{nick or '*'}!{user or '*'}@{host or '*'}"


def is_valid_hostname(host: str) -> bool:
    """True for a DNS host name that may name an IRC server or client host.

    Letters, digits and inner hyphens in dot-separated labels; at least one dot (a
    single trailing dot counts, as in ``services.``), so a bare ``irc`` is refused.
    Underscores, spaces and empty labels are refused.
    """
    if not host or len(host) > _MAX_HOSTNAME or "." not in host:
        return False
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    return all(len(label) <= _MAX_LABEL and _LABEL.match(label) for label in labels)
