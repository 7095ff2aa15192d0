"""The message model against the shared parser-test vectors, plus our own tables.

Every vector file in ``../shared/irc-parser-tests/`` is loaded (CHINWAG_PARSER_TESTS
overrides the directory). A missing directory or file fails the run: these vectors are
the conformance evidence for the protocol core and must never be skipped silently.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from chinwag.errors import ProtocolError
from chinwag.proto.masks import is_valid_hostname, match_mask, split_userhost
from chinwag.proto.message import (
    Message,
    escape_tag_value,
    parse,
    parse_tags,
    serialize,
    serialize_params_trailing,
    unescape_tag_value,
)

VECTOR_FILES = (
    "msg-split.yaml",
    "msg-join.yaml",
    "userhost-split.yaml",
    "mask-match.yaml",
    "validate-hostname.yaml",
)


def vectors_dir() -> Path:
    override = os.environ.get("CHINWAG_PARSER_TESTS")
    if override:
        return Path(override)
    # tests/proto/test_message.py -> repo root -> ../shared/irc-parser-tests
    return Path(__file__).resolve().parents[2].parent / "shared" / "irc-parser-tests"


def load(name: str) -> list[dict[str, Any]]:
    """The ``tests`` list of one vector file; an empty list if the file is missing.

    A missing file is reported by test_every_vector_file_is_present, which fails.
    """
    path = vectors_dir() / name
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as f:
        data = yaml.safe_load(f)
    tests: list[dict[str, Any]] = data["tests"]
    return tests


def cases(name: str, id_key: str) -> list[Any]:
    return [
        pytest.param(t, id=f"{i}-{str(t.get(id_key, ''))[:40]!r}") for i, t in enumerate(load(name))
    ]


def test_every_vector_file_is_present() -> None:
    directory = vectors_dir()
    assert directory.is_dir(), f"parser vectors not found at {directory}"
    present = {p.name for p in directory.glob("*.yaml")}
    assert set(VECTOR_FILES) <= present, f"missing vector files: {set(VECTOR_FILES) - present}"
    # Every vector file there is one we run: a new file must get a test here.
    assert present <= set(VECTOR_FILES), f"vector files with no test: {present - set(VECTOR_FILES)}"
    for name in VECTOR_FILES:
        assert load(name), f"{name} holds no tests"


def atoms_message(atoms: dict[str, Any]) -> Message:
    return Message(
        atoms["verb"],
        tuple(atoms.get("params") or ()),
        atoms.get("source"),
        atoms.get("tags") or {},
    )


class TestVectors:
    @pytest.mark.parametrize("case", cases("msg-split.yaml", "input"))
    def test_msg_split(self, case: dict[str, Any]) -> None:
        atoms = case["atoms"]
        msg = parse(case["input"])
        assert dict(msg.tags) == (atoms.get("tags") or {})
        assert msg.source == atoms.get("source")
        assert msg.command == atoms["verb"]
        assert list(msg.params) == (atoms.get("params") or [])

    @pytest.mark.parametrize("case", cases("msg-split.yaml", "input"))
    def test_msg_split_as_bytes(self, case: dict[str, Any]) -> None:
        line = case["input"].encode("utf-8") + b"\r\n"
        assert parse(line) == parse(case["input"])

    @pytest.mark.parametrize("case", cases("msg-join.yaml", "desc"))
    def test_msg_join(self, case: dict[str, Any]) -> None:
        msg = atoms_message(case["atoms"])
        assert serialize(msg) in case["matches"]
        # And what we write reads back as the same atoms.
        assert parse(serialize(msg)) == msg

    @pytest.mark.parametrize("case", cases("userhost-split.yaml", "source"))
    def test_userhost_split(self, case: dict[str, Any]) -> None:
        atoms = case["atoms"]
        nick, user, host = split_userhost(case["source"])
        assert nick == atoms.get("nick", "")
        assert (user or "") == atoms.get("user", "")
        assert (host or "") == atoms.get("host", "")

    @pytest.mark.parametrize("case", cases("mask-match.yaml", "mask"))
    def test_mask_match(self, case: dict[str, Any]) -> None:
        mask = case["mask"]
        for text in case["matches"]:
            assert match_mask(mask, text), f"{mask!r} should match {text!r}"
        for text in case["fails"]:
            assert not match_mask(mask, text), f"{mask!r} should not match {text!r}"

    @pytest.mark.parametrize("case", cases("validate-hostname.yaml", "host"))
    def test_validate_hostname(self, case: dict[str, Any]) -> None:
        assert is_valid_hostname(case["host"]) is case["valid"]


# bytes in -> Message out
PARSE_TABLE: list[tuple[bytes, Message]] = [
    (b"PING :irc.example\r\n", Message("PING", ("irc.example",))),
    (b"PING irc.example\n", Message("PING", ("irc.example",))),
    (b"NICK alice", Message("NICK", ("alice",))),
    (
        b":alice!a@host PRIVMSG #lobby :hello there\r\n",
        Message("PRIVMSG", ("#lobby", "hello there"), "alice!a@host"),
    ),
    (b"privmsg #a b", Message("privmsg", ("#a", "b"))),
    (b"CAP LS 302", Message("CAP", ("LS", "302"))),
    (b"CAP REQ :", Message("CAP", ("REQ", ""))),
    (
        b"@+draft/reply=abc;time=2024-01-01T00:00:00.000Z :s 001 me :Welcome",
        Message(
            "001",
            ("me", "Welcome"),
            "s",
            {"+draft/reply": "abc", "time": "2024-01-01T00:00:00.000Z"},
        ),
    ),
    (b"  NICK   bob  ", Message("NICK", ("bob",))),
    (b"TOPIC #a ::-)", Message("TOPIC", ("#a", ":-)"))),
    (b"USER u 0 * :Real Name", Message("USER", ("u", "0", "*", "Real Name"))),
    (b"PRIVMSG #a :caf\xc3\xa9", Message("PRIVMSG", ("#a", "café"))),
    # Invalid UTF-8 decodes with replacement characters instead of failing.
    (b"PRIVMSG #a :bad \xff\xfe end", Message("PRIVMSG", ("#a", "bad \ufffd\ufffd end"))),
    (b"PRIVMSG #a :\xc3", Message("PRIVMSG", ("#a", "\ufffd"))),
    (b"@a=\xff PING x", Message("PING", ("x",), tags={"a": "\ufffd"})),
    # A NUL can never be part of a message; it is dropped.
    (b"PRIVMSG #a :x\x00y", Message("PRIVMSG", ("#a", "xy"))),
    (b"@k=a\\sb\\:c\\\\d\\r\\n PING", Message("PING", tags={"k": "a b;c\\d\r\n"})),
    # A bare ':' before the command names no source.
    (b": PING x", Message("PING", ("x",))),
]


@pytest.mark.parametrize(("line", "expected"), PARSE_TABLE, ids=[repr(r[0]) for r in PARSE_TABLE])
def test_parse_table(line: bytes, expected: Message) -> None:
    assert parse(line) == expected


@pytest.mark.parametrize(
    "line", [b"", b"\r\n", b"   ", b"@a=b", b"@a=b  ", b":src", b":src  ", b":", b"@"]
)
def test_parse_rejects_lines_without_a_command(line: bytes) -> None:
    with pytest.raises(ProtocolError):
        parse(line)


@pytest.mark.parametrize(
    "line", [b"PRIVMSG #a :x\ry", b"PING a\nPING b\r\n", b"\r@", b"PRIVMSG #a :x\r\ry\r\n"]
)
def test_parse_rejects_a_cr_or_lf_inside_the_line(line: bytes) -> None:
    # A relayed lone CR would end the line early for many clients: a smuggled command.
    with pytest.raises(ProtocolError):
        parse(line)


def test_parse_strips_any_line_ending() -> None:
    for ending in (b"", b"\n", b"\r\n", b"\r", b"\n\r\n"):
        assert parse(b"PING x" + ending) == Message.of("PING", "x")


@pytest.mark.parametrize("line", [b":s :cmd", b"@t :s :x", b"@t @cmd", b"@ @", b":s @cmd"])
def test_parse_rejects_a_command_that_would_read_back_as_source_or_tags(line: bytes) -> None:
    with pytest.raises(ProtocolError):
        parse(line)


def test_parse_rejects_an_empty_tag_key() -> None:
    with pytest.raises(ProtocolError):
        parse("@=v PING")


def test_parse_rejects_what_is_not_a_line() -> None:
    with pytest.raises(ProtocolError):
        parse(42)  # type: ignore[arg-type]


# Message -> line out
SERIALIZE_TABLE: list[tuple[Message, str]] = [
    (Message.of("PING", "x"), "PING x"),
    (Message.of("PRIVMSG", "#a", "hi there"), "PRIVMSG #a :hi there"),
    (Message.of("PRIVMSG", "#a", ":)"), "PRIVMSG #a ::)"),
    (Message.of("TOPIC", "#a", ""), "TOPIC #a :"),
    (Message.of("QUIT"), "QUIT"),
    (Message.of("JOIN", "#a", source="n!u@h"), ":n!u@h JOIN #a"),
    (Message.of("TAGMSG", "#a", tags={"+typing": "active"}), "@+typing=active TAGMSG #a"),
    (Message.of("PING", "x", tags={"flag": ""}), "@flag PING x"),
    (Message.of("PING", "x", tags={"k": "a b;c\\d\r\n"}), "@k=a\\sb\\:c\\\\d\\r\\n PING x"),
    (Message.of("001", "me", "Welcome", source="srv"), ":srv 001 me Welcome"),
]


@pytest.mark.parametrize(("message", "line"), SERIALIZE_TABLE, ids=[r[1] for r in SERIALIZE_TABLE])
def test_serialize_table(message: Message, line: str) -> None:
    assert serialize(message) == line
    assert message.to_line() == line
    assert str(message) == line
    assert parse(line) == message


def test_serialize_params_trailing_always_uses_a_colon() -> None:
    assert serialize_params_trailing("PRIVMSG", ["#a", "hi"], "n!u@h") == ":n!u@h PRIVMSG #a :hi"
    assert serialize_params_trailing("PING", [], None) == "PING"
    line = serialize_params_trailing("NOTICE", ["*", "x y"], None)
    assert parse(line) == Message.of("NOTICE", "*", "x y")


ROUND_TRIP_LINES = [
    ":irc.example 005 me CASEMAPPING=rfc1459 CHANTYPES=# :are supported by this server",
    "@time=2024-01-01T00:00:00.000Z;msgid=a\\sb :n!u@h PRIVMSG #lobby :hello :) ",
    ":n!u@h KICK #a victim :",
    "MODE #a +ov alice bob",
    "@+example.com/x TAGMSG #a",
]


@pytest.mark.parametrize("line", ROUND_TRIP_LINES)
def test_round_trip(line: str) -> None:
    msg = parse(line)
    assert parse(serialize(msg)) == msg
    assert parse(serialize(msg).encode()) == msg


class TestTagEscaping:
    @pytest.mark.parametrize(
        ("raw", "value"),
        [
            ("plain", "plain"),
            ("a\\sb", "a b"),
            ("a\\:b", "a;b"),
            ("a\\\\b", "a\\b"),
            ("a\\rb\\nc", "a\rb\nc"),
            ("unknown\\x", "unknownx"),
            ("trailing\\", "trailing"),
            ("\\\\n", "\\n"),
            ("", ""),
        ],
    )
    def test_unescape(self, raw: str, value: str) -> None:
        assert unescape_tag_value(raw) == value

    @pytest.mark.parametrize("value", ["", "x", "a b;c\\d\r\ne", "\\s", ";;", "  ", "é"])
    def test_escape_round_trips(self, value: str) -> None:
        escaped = escape_tag_value(value)
        assert not set(escaped) & {" ", ";", "\r", "\n"}
        assert unescape_tag_value(escaped) == value

    def test_parse_tags_later_key_wins_and_empty_items_skip(self) -> None:
        assert parse_tags("a=1;;b;a=2") == {"a": "2", "b": ""}


class TestMessageModel:
    def test_is_immutable(self) -> None:
        msg = Message.of("PING", "x", tags={"a": "b"})
        with pytest.raises(AttributeError):
            msg.command = "PONG"  # type: ignore[misc]
        with pytest.raises(TypeError):
            msg.tags["a"] = "c"  # type: ignore[index]

    def test_tags_are_copied_from_the_caller(self) -> None:
        tags = {"a": "b"}
        msg = Message("PING", (), None, tags)
        tags["a"] = "changed"
        assert msg.tags == {"a": "b"}

    def test_params_become_a_tuple(self) -> None:
        msg = Message("PING", ["x", "y"])  # type: ignore[arg-type]
        assert msg.params == ("x", "y")

    def test_equality_ignores_how_it_was_built(self) -> None:
        assert Message.of("PING", "x") == Message("PING", ("x",))
        assert Message.of("PING", "x", tags={}) == Message("PING", ("x",))
        assert Message.of("PING", "x") != Message.of("PING", "y")
        assert Message.of("PING", "x", tags={"a": ""}) != Message.of("PING", "x")

    def test_param_and_nick(self) -> None:
        msg = parse(":alice!a@h PRIVMSG #a :hi")
        assert msg.param(0) == "#a"
        assert msg.param(5) == ""
        assert msg.param(5, "?") == "?"
        assert msg.nick == "alice"
        assert parse(":irc.example NOTICE * :x").nick == "irc.example"
        assert parse("PING x").nick is None

    def test_with_tags(self) -> None:
        msg = Message.of("PING", "x").with_tags({"t": "1"})
        assert msg == Message.of("PING", "x", tags={"t": "1"})
