"""Property tests for the parser and serializer (hypothesis).

1. Whatever a peer sends, parse() raises nothing but ProtocolError.
2. A valid message, serialized, parses back to an equal message; and for any line
   that parses, serializing and re-parsing is stable.

No per-example deadline: on a loaded machine a slow example is not a bug.
"""

from __future__ import annotations

import contextlib
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from chinwag.errors import ProtocolError
from chinwag.proto.masks import match_mask, normalize_mask, split_userhost
from chinwag.proto.message import Message, parse, serialize

# Characters that can never appear inside an IRC message part.
_NEVER = "\x00\r\n"


def _text(blacklist: str = "", min_size: int = 0, max_size: int = 30) -> st.SearchStrategy[str]:
    return st.text(
        st.characters(blacklist_characters=_NEVER + blacklist, blacklist_categories=["Cs"]),
        min_size=min_size,
        max_size=max_size,
    )


commands = st.one_of(
    st.text(string.ascii_letters, min_size=1, max_size=12),
    st.integers(0, 999).map(lambda n: f"{n:03d}"),
)
# A middle parameter: not empty, no space, not starting with ':'.
middles = _text(" ", min_size=1).filter(lambda s: not s.startswith(":"))
trailings = _text()
sources = st.none() | _text(" ", min_size=1)
tag_keys = st.text(string.ascii_letters + string.digits + "+-/.", min_size=1, max_size=15)
tag_values = _text()
tags = st.dictionaries(tag_keys, tag_values, max_size=4)


@st.composite
def messages(draw: st.DrawFn) -> Message:
    params = draw(st.lists(middles, max_size=6))
    if draw(st.booleans()):
        params.append(draw(trailings))
    return Message(draw(commands), tuple(params), draw(sources), draw(tags))


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=600))
def test_parse_bytes_raises_only_protocol_error(data: bytes) -> None:
    try:
        msg = parse(data)
    except ProtocolError:
        return
    assert msg.command


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300))
def test_parse_text_raises_only_protocol_error(text: str) -> None:
    with contextlib.suppress(ProtocolError):
        parse(text)


# Lines that look like IRC, so the fuzzer reaches the deeper branches more often.
_irc_alphabet = st.sampled_from([*"@:; =\\abcAB0#!*\t\r\n\x00 ", "\\s", "\\:", "é"])
irc_like = st.lists(_irc_alphabet, max_size=80).map("".join)


@settings(max_examples=1000, deadline=None)
@given(irc_like)
def test_parse_irc_like_text_raises_only_protocol_error_and_is_stable(text: str) -> None:
    try:
        msg = parse(text)
    except ProtocolError:
        return
    line = serialize(msg)
    # What we write is always a single line that reads back as the same message.
    assert "\r" not in line
    assert "\n" not in line
    assert parse(line) == msg


@settings(max_examples=500, deadline=None)
@given(messages())
def test_serialize_then_parse_is_identity(msg: Message) -> None:
    line = serialize(msg)
    assert parse(line) == msg
    assert parse(line.encode("utf-8") + b"\r\n") == msg


@settings(deadline=None)
@given(_text(max_size=40))
def test_split_userhost_reassembles(source: str) -> None:
    nick, user, host = split_userhost(source)
    rebuilt = (
        nick + (f"!{user}" if user is not None else "") + (f"@{host}" if host is not None else "")
    )
    assert rebuilt == source


@settings(deadline=None)
@given(_text(" ", max_size=40))
def test_normalized_mask_is_full_and_matches_itself_literally(mask: str) -> None:
    full = normalize_mask(mask)
    nick, user, host = split_userhost(full)
    assert nick and user is not None and user and host
    # A mask with no wildcards matches exactly its own text.
    if "*" not in full and "?" not in full:
        assert match_mask(full, full)


@settings(deadline=None)
@given(_text(max_size=20), _text(max_size=20), _text(max_size=20))
def test_star_around_text_matches(prefix: str, middle: str, suffix: str) -> None:
    core = middle.replace("*", "").replace("?", "")
    assert match_mask(f"*{core}*", prefix + core + suffix)
    assert match_mask("*", prefix + middle + suffix)
    assert match_mask("?" * len(middle), middle)
