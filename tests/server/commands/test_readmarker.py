"""MARKREAD (draft/read-marker): get, set, only forward, on JOIN, per account, private."""

from __future__ import annotations

from chinwag.server.outgoing import server_time
from tests.server.commands.test_history import login
from tests.server.harness import Harness

CAPS = ("draft/read-marker", "standard-replies", "server-time")
T1 = server_time(1000.0)
T2 = server_time(2000.0)


def markread(h: Harness, nick: str, *params: str) -> tuple[str, ...]:
    user = h.server.find_user(nick)
    assert user is not None
    h.send(user, " ".join(("MARKREAD", *params)))
    (reply,) = h.lines(user)
    return (reply.command, *reply.params)


def test_get_set_and_only_forward() -> None:
    h = Harness(lobby=None)
    a = h.connect("alice", CAPS)
    login(a, "alice")
    assert markread(h, "alice", "#r") == ("MARKREAD", "#r", "*")
    assert markread(h, "alice", "#r", "timestamp=" + T2) == ("MARKREAD", "#r", "timestamp=" + T2)
    assert markread(h, "alice", "#r", "timestamp=" + T1) == ("MARKREAD", "#r", "timestamp=" + T2)
    assert markread(h, "alice", "#R") == ("MARKREAD", "#R", "timestamp=" + T2)


def test_errors() -> None:
    h = Harness(lobby=None)
    h.connect("alice", CAPS)
    assert markread(h, "alice")[:3] == ("FAIL", "MARKREAD", "NEED_MORE_PARAMS")
    assert markread(h, "alice", "#r", "yesterday")[:3] == ("FAIL", "MARKREAD", "INVALID_PARAMS")


def test_sent_on_join_before_the_end_of_names_and_kept_per_account() -> None:
    h = Harness(lobby=None)
    a = h.connect("alice", CAPS)
    login(a, "alice")
    markread(h, "alice", "#r", "timestamp=" + T1)
    h.send(a, "QUIT")
    again = h.connect("alice", CAPS, ip="10.0.0.5")
    login(again, "alice")
    h.send(again, "JOIN #r")
    lines = h.lines(again)
    commands = [m.command for m in lines]
    marker = lines[commands.index("MARKREAD")]
    assert marker.params == ("#r", "timestamp=" + T1)
    assert commands.index("MARKREAD") < commands.index("366")


def test_other_clients_of_the_account_are_told_and_nobody_else() -> None:
    h = Harness(lobby=None)
    a = h.connect("alice", CAPS)
    a2 = h.connect("alice_", CAPS)
    bob = h.connect("bob", CAPS)
    login(a, "alice")
    login(a2, "alice")
    markread(h, "alice", "#r", "timestamp=" + T1)
    assert [(m.command, *m.params) for m in h.lines(a2)] == [("MARKREAD", "#r", "timestamp=" + T1)]
    assert h.lines(bob) == []
    assert markread(h, "bob", "#r") == ("MARKREAD", "#r", "*")


def test_guests_keep_markers_for_the_connection() -> None:
    h = Harness(lobby=None)
    h.connect("guest", CAPS)
    markread(h, "guest", "bob", "timestamp=" + T1)
    assert markread(h, "guest", "bob") == ("MARKREAD", "bob", "timestamp=" + T1)


def test_a_marker_never_passes_now() -> None:
    h = Harness(lobby=None)
    h.connect("alice", CAPS)
    reply = markread(h, "alice", "#r", "timestamp=2999-01-01T00:00:00.000Z")
    assert reply[2] < "timestamp=2999"
