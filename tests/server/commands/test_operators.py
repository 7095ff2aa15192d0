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

    def test_wallops(self, oh: Harness) -> None:
        a = oh.connect("alice")
        b = oh.connect("bob")
        oh.send(a, "OPER admin hunter2")
        oh.clear(a, b)
        oh.send(a, "WALLOPS :maintenance at six")
        expected = [Message.of("NOTICE", "*", "[alice] maintenance at six", source=S)]
        assert oh.lines(b) == expected
        assert oh.lines(a) == expected
