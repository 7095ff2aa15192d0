"""The fast path for private and room messages (chinwag.server.fastpath) says exactly
what the full relay says, keeps what it keeps, and steps aside whenever the full relay
has more to do."""

from __future__ import annotations

import pytest

from chinwag.proto.message import Message
from chinwag.server.core import Server
from chinwag.server.state import User
from chinwag.storage.base import StoredMessage
from tests.server.harness import Harness


def relay(
    line: str | bytes, caps: tuple[str, ...] = (), fast: bool = True, **setup: object
) -> tuple[list[Message], list[Message], bool]:
    """What bob and alice see when alice sends ``line``; and whether the fast path took it."""
    h = Harness()
    alice = h.connect("alice", ("echo-message",) if setup.get("echo") else ())
    bob = h.connect("Bob", caps)
    if setup.get("away"):
        h.send(bob, "AWAY :out")
    if setup.get("bot"):
        h.send(alice, "MODE alice +B")
    h.clear(alice, bob)
    taken = send_spied(h, alice, line, fast)
    return h.lines(bob), h.lines(alice), taken


def send_spied(h: Harness, user: User, line: str | bytes, fast: bool) -> bool:
    """Send ``line`` from ``user``, with the fast path on or off; did the fast path take it?"""
    taken: list[bool] = []
    original = Server.relay_direct

    def spy(self: Server, user: object, text: str) -> bool:
        done = original(self, user, text) if fast else False  # type: ignore[arg-type]
        taken.append(done)
        return done

    Server.relay_direct = spy  # type: ignore[method-assign]
    try:
        h.send(user, line)
    finally:
        Server.relay_direct = original  # type: ignore[method-assign]
    return any(taken)


def same(a: list[Message], b: list[Message]) -> bool:
    """Equal but for the values of time and msgid tags (they differ from run to run)."""

    def norm(m: Message) -> tuple[object, ...]:
        return (m.command, m.params, m.source, sorted(m.tags or {}))

    return [norm(m) for m in a] == [norm(m) for m in b]


@pytest.mark.parametrize(
    "caps", [(), ("server-time",), ("message-tags",), ("server-time", "message-tags")]
)
@pytest.mark.parametrize(
    "line", ["PRIVMSG bob :hello there", "NOTICE BOB :psst", "PRIVMSG bob ::-) a: b :c"]
)
def test_the_fast_path_says_what_the_full_relay_says(line: str, caps: tuple[str, ...]) -> None:
    fast_bob, fast_alice, taken = relay(line, caps)
    slow_bob, slow_alice, _ = relay(line, caps, fast=False)
    assert taken
    assert same(fast_bob, slow_bob) and fast_bob
    assert fast_alice == slow_alice == []
    if not caps:
        assert fast_bob == slow_bob  # byte for byte, tags and all


@pytest.mark.parametrize(
    ("line", "setup"),
    [
        ("PRIVMSG bob,alice :two targets", {}),
        ("PRIVMSG nobody :not here", {}),
        ("PRIVMSG alice :to myself", {}),
        ("PRIVMSG bob word", {}),
        ("@+typing=active PRIVMSG bob :tagged", {}),
        ("PRIVMSG bob :echoed", {"echo": True}),
        ("PRIVMSG bob :you are away", {"away": True}),
        ("PRIVMSG bob :from a bot", {"bot": True}),
        ("PRIVMSG bob :" + "x" * 480, {}),
        (b"PRIVMSG bob :hi\rQUIT :smuggled", {}),
        (b"PRIVMSG bob :nul\x00here", {}),
        (b"PRIVMSG bob :two CRs\r", {}),
    ],
)
def test_anything_more_takes_the_full_path(line: str | bytes, setup: dict[str, object]) -> None:
    fast_bob, fast_alice, taken = relay(line, **setup)
    slow_bob, slow_alice, _ = relay(line, fast=False, **setup)
    assert not taken
    assert same(fast_bob, slow_bob) and same(fast_alice, slow_alice)


def speak(
    line: str, sender: str = "bob", caps: tuple[str, ...] = (), fast: bool = True, **setup: object
) -> tuple[list[Message], list[Message], bool, list[tuple[object, ...]]]:
    """What carol (a member with ``caps``) and ``sender`` see when ``sender`` says ``line``
    in #room (alice made it, bob joined it); whether the fast path took it; and the
    history rows it made (without their msgid and time)."""
    h = Harness(log_messages=bool(setup.get("log")))
    people = {
        "alice": h.connect("alice"),
        "bob": h.connect("bob", ("echo-message",) if setup.get("echo") else ()),
        "carol": h.connect("carol", caps),
        "dave": h.connect("dave"),
    }
    for nick in ("alice", "bob", "carol"):
        h.send(people[nick], "JOIN #room")
    for mode in setup.get("modes", ()):  # type: ignore[attr-defined]
        h.send(people["alice"], f"MODE #room {mode}")
    h.clear(*people.values())
    rows: list[tuple[object, ...]] = []
    append = h.storage.append

    def keep(key: str, stored: StoredMessage, *rest: object) -> None:
        rows.append((key, stored.target, stored.sender, stored.kind, stored.text, stored.tags))
        append(key, stored, *rest)  # type: ignore[arg-type]

    h.storage.append = keep  # type: ignore[method-assign]
    taken = send_spied(h, people[sender], line, fast)
    return h.lines(people["carol"]), h.lines(people[sender]), taken, rows


@pytest.mark.parametrize(
    "caps", [(), ("server-time",), ("message-tags", "account-tag"), ("server-time", "message-tags")]
)
@pytest.mark.parametrize(
    ("line", "sender"),
    [
        ("PRIVMSG #room :hello all", "bob"),
        ("NOTICE #ROOM :from the op", "alice"),
        ("PRIVMSG #room :\x01VERSION\x01", "bob"),  # relayed, not kept for replay
        ("PRIVMSG #room :" + "x" * 490, "bob"),  # trimmed to fit, the same both ways
    ],
)
def test_a_room_message_is_relayed_and_kept_the_same_both_ways(
    line: str, sender: str, caps: tuple[str, ...]
) -> None:
    fast_carol, fast_sender, taken, fast_rows = speak(line, sender, caps)
    slow_carol, slow_sender, _, slow_rows = speak(line, sender, caps, fast=False)
    assert taken
    assert same(fast_carol, slow_carol) and fast_carol
    assert fast_sender == slow_sender == []
    assert fast_rows == slow_rows
    if not caps:
        assert fast_carol == slow_carol


@pytest.mark.parametrize(
    ("line", "sender", "setup"),
    [
        ("PRIVMSG #room :moderated", "bob", {"modes": ["+m"]}),
        ("PRIVMSG #room :bans to check", "bob", {"modes": ["+b nobody!*@*"]}),
        ("PRIVMSG #room :banned", "bob", {"modes": ["+b bob!*@*"]}),
        ("PRIVMSG #room :from outside", "dave", {"modes": ["-n"]}),
        ("PRIVMSG #room :from outside", "dave", {}),
        ("PRIVMSG @#room :ops only", "bob", {}),
        ("PRIVMSG #nowhere :no such room", "bob", {}),
        ("PRIVMSG #room,carol :two targets", "bob", {}),
        ("PRIVMSG #room :echoed", "bob", {"echo": True}),
        ("PRIVMSG #room :logged", "bob", {"log": True}),
    ],
)
def test_a_room_message_that_needs_more_takes_the_full_path(
    line: str, sender: str, setup: dict[str, object]
) -> None:
    fast = speak(line, sender, **setup)  # type: ignore[arg-type]
    slow = speak(line, sender, fast=False, **setup)  # type: ignore[arg-type]
    assert not fast[2]
    assert same(fast[0], slow[0]) and same(fast[1], slow[1]) and fast[3] == slow[3]


def test_a_voiced_member_of_a_moderated_room_is_relayed_fast() -> None:
    fast = speak("PRIVMSG #room :voiced", modes=["+m", "+v bob"])
    slow = speak("PRIVMSG #room :voiced", modes=["+m", "+v bob"], fast=False)
    assert fast[2] and fast[0] and fast[0] == slow[0] and fast[3] == slow[3]
