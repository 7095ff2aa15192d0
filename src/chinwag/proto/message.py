"""The immutable IRC message, its one parser and its one serializer.

Follows the modern IRC client protocol and the IRCv3 message-tags specification:

    [@tags SPACE] [:source SPACE] command [params] [SPACE :trailing]

Parsing accepts several spaces between atoms (as RFC 1459 does) and strips a trailing
CR/LF. It raises :class:`chinwag.errors.ProtocolError` and nothing else. The serializer
never produces a line that would parse differently: a parameter that is empty, starts
with ':' or contains a space is written as the trailing parameter, and only the last
parameter may be so.

What this module does not do: enforce length limits (see :mod:`chinwag.proto.limits`)
or decode bytes with a fallback policy beyond UTF-8 with replacement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from chinwag.errors import ProtocolError

_EMPTY_TAGS: Mapping[str, str] = MappingProxyType({})

_TAG_UNESCAPE = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}
_TAG_ESCAPE = str.maketrans({";": "\\:", " ": "\\s", "\\": "\\\\", "\r": "\\r", "\n": "\\n"})


@dataclass(frozen=True, slots=True, eq=True)
class Message:
    """One IRC message. ``tags`` maps tag keys to values ('' for a tag with no value)."""

    command: str
    params: tuple[str, ...] = ()
    source: str | None = None
    # A mappingproxy is unhashable, so dataclasses wants a factory for it.
    tags: Mapping[str, str] = field(default_factory=lambda: _EMPTY_TAGS)

    def __post_init__(self) -> None:
        # Callers may hand in a list although the annotation says tuple.
        params: Iterable[str] = self.params
        if not isinstance(params, tuple):
            object.__setattr__(self, "params", tuple(params))
        if self.tags is not _EMPTY_TAGS and not isinstance(self.tags, MappingProxyType):
            object.__setattr__(self, "tags", MappingProxyType(dict(self.tags)))

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def of(
        cls,
        command: str,
        *params: str,
        source: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Message:
        """Build a message from positional params: ``Message.of("PRIVMSG", "#a", "hi")``."""
        return cls(command, params, source, tags if tags else _EMPTY_TAGS)

    def param(self, index: int, default: str = "") -> str:
        """The parameter at ``index``, or ``default`` when there are fewer."""
        return self.params[index] if index < len(self.params) else default

    @property
    def nick(self) -> str | None:
        """The nickname part of the source, if any."""
        if self.source is None:
            return None
        return self.source.split("!", 1)[0].split("@", 1)[0]

    def with_tags(self, tags: Mapping[str, str]) -> Message:
        return Message(self.command, self.params, self.source, tags)

    def to_line(self) -> str:
        return serialize(self)

    def __str__(self) -> str:
        return serialize(self)


def unescape_tag_value(value: str) -> str:
    """Undo IRCv3 tag-value escaping; an unknown escape drops the backslash."""
    if "\\" not in value:
        return value
    out: list[str] = []
    i = 0
    n = len(value)
    while i < n:
        ch = value[i]
        if ch == "\\":
            i += 1
            if i < n:
                nxt = value[i]
                out.append(_TAG_UNESCAPE.get(nxt, nxt))
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def escape_tag_value(value: str) -> str:
    return value.translate(_TAG_ESCAPE)


def parse_tags(raw: str) -> dict[str, str]:
    """Parse the tags part of a line (without the leading '@'). Later keys win."""
    tags: dict[str, str] = {}
    for item in raw.split(";"):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not key:
            raise ProtocolError("empty tag key")
        tags[key] = unescape_tag_value(value) if sep else ""
    return tags


def parse(line: str | bytes) -> Message:
    """Parse one IRC line (CR/LF optional) into a :class:`Message`.

    Bytes are decoded as UTF-8 with replacement characters, so invalid UTF-8 never
    raises; a NUL is dropped. Raises :class:`ProtocolError` for a line with no command
    or with a CR or LF left inside it after the line ending is removed.
    """
    if isinstance(line, bytes | bytearray | memoryview):
        text = bytes(line).decode("utf-8", "replace")
    elif isinstance(line, str):
        text = line
    else:
        raise ProtocolError("not a line")
    text = text.rstrip("\r\n")
    if "\r" in text or "\n" in text:
        # Many peers end a line at a lone CR; relaying one would let a sender smuggle
        # a second line into what others receive.
        raise ProtocolError("CR or LF inside a line")
    if "\0" in text:
        text = text.replace("\0", "")
    text = text.lstrip(" ")
    tags: Mapping[str, str] = _EMPTY_TAGS
    if text[:1] == "@":
        raw_tags, sep, text = text.partition(" ")
        if not sep:
            raise ProtocolError("tags with no command")
        tags = parse_tags(raw_tags[1:])
        text = text.lstrip(" ")
    source: str | None = None
    if text[:1] == ":":
        raw_source, sep, text = text.partition(" ")
        if not sep:
            raise ProtocolError("source with no command")
        # A bare ':' names no source; treat it as absent, as the serializer writes it.
        source = raw_source[1:] or None
        text = text.lstrip(" ")
    # Everything after the first " :" is the trailing parameter; the rest splits on
    # runs of spaces (only spaces: a tab belongs to its parameter).
    middle, sep, trailing = text.partition(" :")
    words = middle.split(" ")
    if "" in words:
        words = [w for w in words if w]
    command = words[0] if words else ""
    if not command:
        raise ProtocolError("no command")
    if command[0] in ":@":
        # Such a command would read back as a source or tags once written out.
        raise ProtocolError("command starts with ':' or '@'")
    params = words[1:]
    if sep:
        params.append(trailing)
    return Message(command, tuple(params), source, tags)


def serialize_tags(tags: Mapping[str, str]) -> str:
    parts: list[str] = []
    for key, value in tags.items():
        if value:
            parts.append(f"{key}={escape_tag_value(value)}")
        else:
            parts.append(key)
    return ";".join(parts)


def serialize(message: Message) -> str:
    """Serialize without the trailing CRLF."""
    out: list[str] = []
    if message.tags:
        out.append("@" + serialize_tags(message.tags))
    if message.source:
        out.append(":" + message.source)
    out.append(message.command)
    params = message.params
    if params:
        last = len(params) - 1
        for i, p in enumerate(params):
            if i == last and (not p or " " in p or p[0] == ":"):
                out.append(":" + p)
            else:
                out.append(p)
    return " ".join(out)


def serialize_params_trailing(command: str, params: Iterable[str], source: str | None) -> str:
    """Serialize with the last parameter always written as trailing (':...').

    Many clients expect text (PRIVMSG bodies, reasons) in trailing form even when it
    has no space; the server uses this for such replies.
    """
    ps = list(params)
    head = [":" + source] if source else []
    head.append(command)
    if ps:
        head.extend(ps[:-1])
        head.append(":" + ps[-1])
    return " ".join(head)
