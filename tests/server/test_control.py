"""The admin interface of the core (chinwag.server.control) that the window calls."""

from __future__ import annotations

from chinwag.proto.message import Message
from tests.server.harness import Harness

S = "chinwag.local"


class TestGiveLobbyOp:
    def test_gives_plus_o_and_tells_the_lobby(self) -> None:
        h = Harness()
        a = h.connect("alice")
        b = h.connect("bob")
        h.clear(a, b)
        assert h.server.give_lobby_op("BOB")
        expected = [Message.of("MODE", "#lobby", "+o", "bob", source=S)]
        assert h.lines(a) == expected and h.lines(b) == expected
        assert h.server.channels["#lobby"].members[b] == "o"
        assert h.server.give_lobby_op("bob")  # already: nothing more is said
        assert h.lines(b) == []

    def test_nobody_to_give_it_to(self) -> None:
        h = Harness()
        a = h.connect("alice")
        h.send(a, "JOIN #x", "PART #lobby")
        assert not h.server.give_lobby_op("alice")  # not in the lobby
        assert not h.server.give_lobby_op("nobody")
        assert not Harness(lobby=None).server.give_lobby_op("alice")

    def test_the_event_is_logged(self) -> None:
        h = Harness()
        h.connect("alice")
        h.connect("bob")
        seen = []
        h.server.subscribe(seen.append)
        h.server.give_lobby_op("bob")
        assert [(e.kind, e.nick) for e in seen] == [("mode", "bob")]
