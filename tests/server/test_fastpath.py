"""The private-message fast path (chinwag.server.fastpath) says exactly what the full
relay says, and steps aside whenever the full relay has more to do."""

from __future__ import annotations

import pytest

from chinwag.proto.message import Message
from chinwag.server.core import Server
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
    taken: list[bool] = []
    original = Server.relay_direct

    def spy(self: Server, user: object, text: str) -> bool:
        done = original(self, user, text) if fast else False  # type: ignore[arg-type]
        taken.append(done)
        return done

    Server.relay_direct = spy  # type: ignore[method-assign]
    try:
        h.send(alice, line)
    finally:
        Server.relay_direct = original  # type: ignore[method-assign]
    return h.lines(bob), h.lines(alice), any(taken)


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
        ("PRIVMSG #lobby :to a room", {}),
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
