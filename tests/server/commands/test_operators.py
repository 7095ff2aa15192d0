"""OPER, KILL, WALLOPS (chinwag.server.commands.operators)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from chinwag.proto.message import Message
from chinwag.server.config import OperBlock
from tests.server.harness import Harness, numerics

S = "chinwag.local"


HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def oh() -> Harness:
    blocks = (
        OperBlock("admin", HASHER.hash("hunter2")),
        OperBlock("local", HASHER.hash("pw"), hostmask="*!*@10.*"),
    )
    return Harness(opers=blocks)


class TestOper:
    def test_oper_success(self, oh: Harness) -> None:
        a = oh.connect("alice")
        oh.send(a, "OPER admin hunter2")
        assert oh.lines(a)[:2] == [
            Message.of("381", "alice", "You are now an IRC operator", source=S),
            Message.of("MODE", "alice", "+o", source=a.source),
        ]
        assert a.oper and "o" in a.modes
        oh.send(a, "MODE alice -o")
        assert oh.lines(a) == [Message.of("MODE", "alice", "-o", source=a.source)]
        assert not a.oper

    @pytest.mark.parametrize(
        ("line", "code"),
        [
            ("OPER admin wrong", "464"),
            ("OPER nobody hunter2", "491"),
            ("OPER local pw", "491"),  # host does not match
            ("OPER admin", "461"),
        ],
    )
    def test_oper_failure(self, oh: Harness, line: str, code: str) -> None:
        a = oh.connect("alice")
        oh.send(a, line)
        assert numerics(oh.lines(a)) == [code]
        assert not a.oper

    def test_oper_by_hostmask(self, oh: Harness) -> None:
        a = oh.connect("alice", ip="10.1.2.3")
        oh.send(a, "OPER local pw")
        assert numerics(oh.lines(a)) == ["381"]

    def test_kill_needs_oper(self, oh: Harness) -> None:
        a = oh.connect("alice")
        b = oh.connect("bob")
        oh.clear(a)
        oh.send(a, "KILL bob :go")
        assert oh.lines(a) == [
            Message.of("481", "alice", "Permission Denied- You're not an IRC operator", source=S)
        ]
        assert b.registered and not b.closed

    def test_kill(self, oh: Harness) -> None:
        a = oh.connect("alice")
        b = oh.connect("bob")
        c = oh.connect("carol")
        oh.send(a, "OPER admin hunter2")
        oh.clear(a, b, c)
        oh.send(a, "KILL bob :spamming")
        reason = "Killed (alice (spamming))"
        assert oh.lines(b) == [Message.of("ERROR", f"Closing Link: 127.0.0.1 ({reason})")]
        assert oh.link(b).closed
        assert oh.lines(c) == [Message.of("QUIT", reason, source=b.source)]
        assert oh.server.find_user("bob") is None
        oh.send(a, "KILL nobody :x")
        assert numerics(oh.lines(a)) == ["401"]

    def test_operators_get_server_notices(self, oh: Harness) -> None:
        a = oh.connect("alice")
        b = oh.connect("bob")
        oh.send(a, "OPER admin hunter2")
        oh.clear(a, b)
        c = oh.connect("carol")
        oh.send(c, "QUIT :bye")
        notices = [m.params[1] for m in oh.lines(a) if m.command == "NOTICE"]
        assert any("connection from" in n for n in notices)
        assert any(n.startswith("*** Notice -- carol") and "registered" in n for n in notices)
        assert any(n.startswith("*** Notice -- carol") and "quit" in n for n in notices)
        assert [m for m in oh.lines(b) if m.command == "NOTICE"] == []
        # A failed OPER attempt is reported too.
        oh.send(b, "OPER admin wrong")
        assert any("failed OPER" in m.params[1] for m in oh.lines(a) if m.command == "NOTICE")
        # -o ends them.
        oh.send(a, "MODE alice -o")
        oh.clear(a)
        oh.connect("dave")
        assert [m for m in oh.lines(a) if m.command == "NOTICE"] == []

    def test_wallops_reach_plus_w_users_as_wallops(self, oh: Harness) -> None:
        # Modern IRC docs: WALLOPS goes to users with user mode +w, as a WALLOPS message.
        a = oh.connect("alice")
        b = oh.connect("bob")
        c = oh.connect("carol")
        oh.clear(b)
        oh.send(b, "MODE bob +w")
        assert oh.lines(b) == [Message.of("MODE", "bob", "+w", source=b.source)]
        oh.send(a, "OPER admin hunter2")
        oh.clear(a, b, c)
        oh.send(a, "WALLOPS :maintenance at six")
        assert oh.lines(b) == [Message.of("WALLOPS", "maintenance at six", source=a.source)]
        assert oh.lines(c) == []  # not +w
        assert oh.lines(a) == []  # nor is the sender
        oh.send(b, "MODE bob -w")
        oh.clear(b)
        oh.send(a, "WALLOPS :again")
        assert oh.lines(b) == []


class TestLobbyOperators:
    """The lobby never lacks someone who can run it: server operators hold +o there, as
    will accounts named in ``lobby_operators``; the admin window can give it too."""

    def test_oper_gets_plus_o_in_the_lobby(self, oh: Harness) -> None:
        a = oh.connect("alice")  # the lobby's first member, so its op
        b = oh.connect("bob")
        oh.send(a, "PART #lobby")
        assert oh.server.channels["#lobby"].members[b] == ""  # nobody can moderate now
        oh.clear(a, b)
        oh.send(b, "OPER admin hunter2")
        assert Message.of("MODE", "#lobby", "+o", "bob", source=S) in oh.lines(b)
        assert oh.server.channels["#lobby"].is_op(b)

    def test_oper_rejoining_the_lobby_gets_plus_o(self, oh: Harness) -> None:
        oh.connect("alice")
        b = oh.connect("bob")
        oh.send(b, "OPER admin hunter2", "PART #lobby", "JOIN #lobby")
        assert oh.server.channels["#lobby"].is_op(b)
        c = oh.connect("carol")
        oh.send(c, "JOIN #third")
        oh.send(b, "JOIN #third")  # only the lobby: elsewhere an oper joins as anyone
        assert not oh.server.channels["#third"].is_op(b)

    def test_configured_accounts_get_plus_o_in_the_lobby(self) -> None:
        h = Harness(lobby_operators=("Alice",))
        h.connect("first")
        a = h.connect("alice")
        a.account = "alice"  # what logging in (SASL) sets
        c = h.connect("carol")
        c.account = "carol"
        h.send(a, "PART #lobby", "JOIN #lobby")
        h.send(c, "PART #lobby", "JOIN #lobby")
        lobby = h.server.channels["#lobby"]
        assert lobby.is_op(a) and not lobby.is_op(c)
