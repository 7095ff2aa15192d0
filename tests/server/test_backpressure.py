"""Backpressure in the core (chinwag.server.backpressure): a sender is held while a
recipient is backlogged, released when it drains, and a stuck recipient holds nobody."""

from __future__ import annotations

import time

from chinwag.proto.message import Message
from chinwag.server.state import User
from tests.server.harness import Harness

MARK = 64 * 1024  # Limits.backpressure_bytes by default


def backlogged(h: Harness, user: User) -> None:
    """Leave more than the mark unsent on ``user``'s link, and let a flush see it."""
    h.link(user).pending = MARK + 1
    h.server.send(user, "NOTICE", user.nick, "filler")
    h.server.flush()
    assert user in h.server.backlog


def texts(h: Harness, user: User) -> list[str]:
    return [m.params[-1] for m in h.lines(user) if m.command == "PRIVMSG"]


def test_a_sender_is_held_while_its_recipient_is_backlogged() -> None:
    h = Harness()
    alice, bob = h.connect("alice"), h.connect("bob")
    h.clear(alice, bob)
    backlogged(h, bob)
    h.send(alice, "PRIVMSG bob :one", "PRIVMSG bob :two", "PRIVMSG bob :three")
    assert alice.paused and not h.link(alice).reading
    assert texts(h, bob) == ["one"]  # the rest waits, unread, in alice's input
    h.link(bob).pending = 0
    h.server.drained(bob)  # the transport: bob's buffer fell to half the mark
    assert not alice.paused and h.link(alice).reading
    h.feed(alice, b"")  # the transport hands the core what was queued
    assert texts(h, bob) == ["two", "three"]
    assert not h.server.held and not h.server.holds and not h.server.backlog


def test_a_channel_message_holds_its_sender_and_everyone_still_gets_it() -> None:
    h = Harness()
    alice, bob, carol = h.connect("alice"), h.connect("bob"), h.connect("carol")
    h.clear(alice, bob, carol)
    backlogged(h, bob)
    h.send(alice, "PRIVMSG #lobby :hi all", "PRIVMSG #lobby :again")
    assert alice.paused
    assert texts(h, carol) == ["hi all"]
    h.link(bob).pending = 0
    h.server.tick(sweep=False)  # a link that cannot say it drained: the periodic check
    assert not alice.paused
    h.feed(alice, b"")
    assert texts(h, carol) == ["again"]
    assert texts(h, bob) == ["hi all", "again"]


def test_nobody_is_held_by_messages_to_others_or_to_themselves() -> None:
    h = Harness()
    alice, bob, carol = h.connect("alice"), h.connect("bob"), h.connect("carol")
    h.clear(alice, bob, carol)
    backlogged(h, carol)
    h.send(alice, "PRIVMSG bob :not for carol")
    h.send(carol, "PRIVMSG carol :to myself", "PING :x")
    assert not alice.paused and not carol.paused
    assert h.lines(carol)[-1] == Message.of("PONG", "chinwag.local", "x", source="chinwag.local")


def test_a_stuck_reader_stops_holding_and_is_cut_off_at_the_send_queue() -> None:
    h = Harness(limits={"sendq_bytes": 200_000, "backpressure_seconds": 2.0})
    alice, bob, carol = h.connect("alice"), h.connect("bob"), h.connect("carol")
    h.clear(alice, bob, carol)
    h.link(bob).stalled = True  # takes nothing, ever
    backlogged(h, bob)
    h.send(alice, "PRIVMSG #lobby :held")
    assert alice.paused
    h.server.tick(now=time.monotonic() + 1.0, sweep=False)
    assert alice.paused  # still within backpressure_seconds
    h.server.tick(now=time.monotonic() + 3.0, sweep=False)
    assert not alice.paused and bob in h.server.stuck
    text = "x" * 400
    for i in range(400):
        h.send(alice, f"PRIVMSG #lobby :{i} {text}")
        assert not alice.paused  # bob holds nobody any more
        if bob.closed:
            break
    assert bob.closed and h.lines(bob)[-1].params[0].endswith("(SendQ exceeded)")
    got = texts(h, carol)
    assert got[0] == "held" and len(got) == i + 2 and got[-1].startswith(f"{i} ")
    assert not h.server.backlog and not h.server.stuck and not h.server.held


def test_leaving_releases_and_forgets() -> None:
    h = Harness()
    alice, bob = h.connect("alice"), h.connect("bob")
    h.clear(alice, bob)
    backlogged(h, bob)
    h.send(alice, "PRIVMSG bob :one", "PRIVMSG bob :two")
    assert alice.paused
    h.send(bob, "QUIT :bye")
    assert not alice.paused and h.link(alice).reading
    h.feed(alice, b"")
    assert h.lines(alice)[-1].command == "401"  # "two": bob is gone
    carol = h.connect("carol")
    backlogged(h, carol)
    h.send(alice, "PRIVMSG carol :hi", "PRIVMSG carol :more")
    assert alice.paused
    h.send(carol, "PING :x")  # harmless while it is held
    h.server.quit(alice, "gone")
    assert not h.server.held and not h.server.holds
