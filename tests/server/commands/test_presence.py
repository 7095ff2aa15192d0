"""MONITOR (chinwag.server.commands.presence)."""

from __future__ import annotations

import pytest

from chinwag.proto.message import Message
from tests.server.harness import Harness, numerics
from tests.server.harness import user_pair as pair

S = "chinwag.local"


@pytest.fixture
def h() -> Harness:
    return Harness()


class TestMonitor:
    def test_add_reports_state(self, h: Harness) -> None:
        _a, b = pair(h)
        h.send(b, "MONITOR + alice,carol")
        assert h.lines(b) == [
            Message.of("730", "bob", "alice!~alice@127.0.0.1", source=S),
            Message.of("731", "bob", "carol", source=S),
        ]

    def test_connect_and_quit_are_reported(self, h: Harness) -> None:
        _a, b = pair(h)
        h.send(b, "MONITOR + carol")
        h.clear(b)
        c = h.connect("carol")
        got = h.lines(b)
        assert got[0] == Message.of("730", "bob", "carol!~carol@127.0.0.1", source=S)
        h.send(c, "QUIT")
        assert h.lines(b)[-1] == Message.of("731", "bob", "carol", source=S)

    def test_nick_change_is_reported(self, h: Harness) -> None:
        a, b = pair(h)
        h.send(b, "MONITOR + alice,alicia")
        h.clear(b)
        h.send(a, "NICK alicia")
        got = [m for m in h.lines(b) if m.command.isdigit()]
        assert got == [
            Message.of("731", "bob", "alice", source=S),
            Message.of("730", "bob", "alicia!~alice@127.0.0.1", source=S),
        ]

    def test_list_remove_clear_status(self, h: Harness) -> None:
        _a, b = pair(h)
        h.send(b, "MONITOR + alice,carol,dave")
        h.clear(b)
        h.send(b, "MONITOR L")
        assert h.lines(b) == [
            Message.of("732", "bob", "alice,carol,dave", source=S),
            Message.of("733", "bob", "End of MONITOR list", source=S),
        ]
        h.send(b, "MONITOR - carol", "MONITOR S")
        assert h.lines(b) == [
            Message.of("730", "bob", "alice!~alice@127.0.0.1", source=S),
            Message.of("731", "bob", "dave", source=S),
        ]
        h.send(b, "MONITOR C", "MONITOR L")
        assert h.lines(b) == [Message.of("733", "bob", "End of MONITOR list", source=S)]
        assert h.server.monitors == {}
        h.connect("dave")
        assert numerics(h.lines(b)) == []

    def test_list_full(self) -> None:
        h = Harness(limits={"monitor": 2})
        a = h.connect("alice")
        h.send(a, "MONITOR + x,y,z,w")
        got = h.lines(a)
        assert got[0] == Message.of("734", "alice", "2", "z,w", "Monitor list is full.", source=S)
        assert len(a.monitor) == 2

    def test_quitting_watcher_is_forgotten(self, h: Harness) -> None:
        _a, b = pair(h)
        h.send(b, "MONITOR + carol")
        h.send(b, "QUIT")
        assert h.server.monitors == {}
        h.connect("carol")  # must not try to tell bob
