"""Outgoing messages: one message for many recipients, serialized once per tag mask.

The core, the fan-out and the command handlers all build :class:`Outgoing` values; this
module sits below all of them (it knows nothing of users, channels or the server), so
none of them needs to import another to say "send this".
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from chinwag.proto.limits import LINE_BYTES
from chinwag.proto.message import serialize_params_trailing as format_line
from chinwag.proto.message import serialize_tags
from chinwag.server.caps import TAG_ACCOUNT, TAG_MESSAGE, TAG_TIME

__all__ = ["Outgoing", "fit_line", "format_line", "server_time", "tag_prefix"]

_time_cache: tuple[int, str] = (-1, "")  # (whole second, "YYYY-MM-DDTHH:MM:SS.")


def server_time(now: float | None = None) -> str:
    """IRCv3 server-time value, e.g. 2026-11-21T15:50:53.123Z (date part cached per second)."""
    global _time_cache
    t = time.time() if now is None else now
    ms = int(t * 1000)
    sec, frac = divmod(ms, 1000)
    if _time_cache[0] != sec:
        stamp = datetime.fromtimestamp(sec, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        _time_cache = (sec, stamp)
    return f"{_time_cache[1]}{frac:03d}Z"


BODY_BYTES = LINE_BYTES - 2  # a line without tags and without its CRLF


def fit_line(
    command: str, params: tuple[str, ...], source: str | None
) -> tuple[str, tuple[str, ...]]:
    """Serialize, trimming the last parameter (on a UTF-8 boundary) so the line fits in
    512 bytes with its CRLF, tags apart. The prefix the server adds to a relayed message
    (``:nick!user@host``) can push a line the client sent at full length over the limit;
    the modern IRC docs say to trim it rather than send more than 512 bytes."""
    body = format_line(command, params, source)
    if len(body) * 4 <= BODY_BYTES:  # surely short enough (4 bytes per character at most)
        return body, params
    excess = len(body.encode()) - BODY_BYTES
    if excess <= 0 or not params:
        return body, params
    last = params[-1].encode()
    cut = last[: max(0, len(last) - excess)].decode("utf-8", "ignore")
    params = (*params[:-1], cut)
    return format_line(command, params, source), params


class Outgoing:
    """One message for many recipients, serialized once per tag mask."""

    __slots__ = (
        "_time_tag",
        "account",
        "at",
        "body",
        "cache",
        "command",
        "msg_tags",
        "params",
        "source",
    )

    def __init__(
        self,
        command: str,
        params: tuple[str, ...],
        source: str | None,
        msg_tags: dict[str, str] | None = None,
        at: float | None = None,
        account: str | None = None,
    ) -> None:
        self.command = command
        self.body, self.params = fit_line(command, params, source)
        self.source = source
        # The server-time tag is formatted when a recipient first needs it (often none do).
        self.at = time.time() if at is None else at
        self._time_tag = ""
        # Tags only message-tags recipients see: msgid and relayed client-only tags.
        self.msg_tags = msg_tags
        self.account = account  # the sender's account (account-tag recipients see it)
        self.cache: dict[int, bytes] = {}

    @property
    def time_tag(self) -> str:
        """IRCv3 server-time value of the message's time."""
        if not self._time_tag:
            self._time_tag = server_time(self.at)
        return self._time_tag

    def tags_for(self, mask: int) -> dict[str, str]:
        tags: dict[str, str] = {}
        if mask & TAG_TIME:
            tags["time"] = self.time_tag
        if mask & TAG_MESSAGE and self.msg_tags:
            tags.update(self.msg_tags)
        if mask & TAG_ACCOUNT and self.account:
            tags["account"] = self.account
        return tags

    def line_for(self, mask: int) -> bytes:
        data = self.cache.get(mask)
        if data is None:
            tags = self.tags_for(mask)
            if tags:
                data = (tag_prefix(tags) + self.body + "\r\n").encode()
            else:
                data = (self.body + "\r\n").encode()
            self.cache[mask] = data
        return data


def tag_prefix(tags: dict[str, str]) -> str:
    return "@" + serialize_tags(tags) + " "
