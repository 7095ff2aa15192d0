"""The command table (chinwag.server.commands.table): the checks every verb shares (451,
461, 481, 421), case-insensitive verbs, what happens when a handler raises, and how the
families fill the one registry."""

from __future__ import annotations

import logging

import pytest

from chinwag.errors import LocalError
from chinwag.proto.message import Message
from chinwag.server import commands
from chinwag.server.commands import COMMANDS, FAMILIES, Command, command
from chinwag.server.core import Server
from chinwag.server.state import User
from tests.server.harness import Harness, numerics

S = "chinwag.local"

NEEDS_PARAMS = sorted(v for v, c in COMMANDS.items() if c.min_params > 0 and v != "CAP")
OPER_ONLY = sorted(v for v, c in COMMANDS.items() if c.oper)
REGISTERED_ONLY = sorted(v for v, c in COMMANDS.items() if c.registered)


def test_every_verb_has_a_handler_with_a_syntax_comment() -> None:
    import inspect

    for verb, entry in COMMANDS.items():
        source = inspect.getsource(inspect.getmodule(entry.handler))  # type: ignore[arg-type]
        at = source.index(f'@command("{verb}"')
        comment_line = source[:at].rstrip("\n").rsplit("\n", 1)[-1]
        assert comment_line.startswith("# " + verb), verb
        assert callable(entry.handler)


def test_every_family_module_is_listed_and_registers_verbs() -> None:
    import pkgutil

    modules = {m.name for m in pkgutil.iter_modules(commands.__path__)} - {"table"}
    assert modules == {f.__name__.rsplit(".", 1)[-1] for f in FAMILIES}
    homes = {entry.handler.__module__ for entry in COMMANDS.values()}
    assert {f.__name__ for f in FAMILIES} <= homes


def test_a_verb_is_registered_once() -> None:
    with pytest.raises(LocalError, match="PRIVMSG is registered twice"):
        command("PRIVMSG")(lambda server, user, msg: None)
    with pytest.raises(LocalError, match="upper case"):
        command("privmsg")
    assert COMMANDS["PRIVMSG"].handler.__module__.endswith(".messaging")


def test_the_table_has_the_verbs_a_client_expects() -> None:
    expected = {
        "CAP", "PASS", "NICK", "USER", "PING", "PONG", "QUIT", "JOIN", "PART", "TOPIC",
        "NAMES", "LIST", "INVITE", "KICK", "MODE", "PRIVMSG", "NOTICE", "TAGMSG", "WHO",
        "WHOIS", "WHOWAS", "USERHOST", "ISON", "AWAY", "MONITOR", "LUSERS", "MOTD",
        "VERSION", "TIME", "SETNAME", "OPER", "KILL",
    }  # fmt: skip
    assert expected <= set(COMMANDS)


@pytest.mark.parametrize("verb", NEEDS_PARAMS)
def test_461_for_every_verb_with_required_params(verb: str) -> None:
    h = Harness()
    a = h.connect("alice")
    h.send(a, verb)
    assert h.lines(a) == [Message.of("461", "alice", verb, "Not enough parameters", source=S)]


@pytest.mark.parametrize("verb", REGISTERED_ONLY)
def test_451_for_every_verb_that_needs_registration(verb: str) -> None:
    h = Harness()
    u = h.open()
    h.send(u, verb + " a b c d")
    assert h.lines(u) == [Message.of("451", "*", "You have not registered", source=S)]


@pytest.mark.parametrize("verb", OPER_ONLY)
def test_481_for_operator_verbs(verb: str) -> None:
    h = Harness()
    a = h.connect("alice")
    h.connect("bob")
    h.clear(a)
    h.send(a, verb + " bob :reason")
    assert h.lines(a) == [
        Message.of("481", "alice", "Permission Denied- You're not an IRC operator", source=S)
    ]


def test_421_unknown_command() -> None:
    h = Harness()
    a = h.connect("alice")
    h.send(a, "FROBNICATE x y")
    assert h.lines(a) == [Message.of("421", "alice", "FROBNICATE", "Unknown command", source=S)]


def test_verbs_are_case_insensitive() -> None:
    h = Harness()
    a = h.connect("alice")
    b = h.connect("bob")
    h.clear(b)
    h.send(a, "privmsg bob :lower", "Privmsg bob :mixed")
    assert [m.params[1] for m in h.lines(b)] == ["lower", "mixed"]


def test_numeric_verbs_from_a_client_are_unknown() -> None:
    h = Harness()
    a = h.connect("alice")
    h.send(a, "001 x")
    assert numerics(h.lines(a)) == ["421"]


class TestHandlerThatRaises:
    @pytest.fixture
    def broken(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def boom(server: Server, user: User, msg: Message) -> None:
            server.send(user, "NOTICE", user.nick, "partial reply before the failure")
            raise RuntimeError("secret detail /etc/passwd")

        monkeypatch.setitem(COMMANDS, "VERSION", Command(boom, 0))

    @pytest.mark.usefixtures("broken")
    def test_client_gets_400_and_everyone_carries_on(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        h = Harness()
        a = h.connect("alice")
        b = h.connect("bob")
        h.clear(a, b)
        with caplog.at_level(logging.ERROR, logger="chinwag.server"):
            h.send(a, "VERSION")
        got = h.lines(a)
        assert got[-1] == Message.of(
            "400", "alice", "VERSION", "Internal error processing that command", source=S
        )
        assert all("secret" not in m.to_line() for m in got)
        # Logged, with the line that caused it and the traceback.
        records = [r for r in caplog.records if "handler for VERSION failed" in r.getMessage()]
        assert len(records) == 1
        assert b"VERSION" in records[0].args[1]  # type: ignore[index]
        assert records[0].exc_info is not None
        # Everyone, including alice, carries on.
        h.send(b, "PRIVMSG #lobby :still here")
        assert h.lines(a) == [Message.of("PRIVMSG", "#lobby", "still here", source=b.source)]
        h.send(a, "PING ok")
        assert h.lines(a) == [Message.of("PONG", S, "ok", source=S)]
        assert not h.link(a).closed

    @pytest.mark.usefixtures("broken")
    def test_with_labeled_response(self) -> None:
        h = Harness()
        a = h.connect("alice", ["labeled-response", "batch"])
        h.send(a, "@label=z VERSION")
        got = h.lines(a)
        assert got[0].command == "BATCH" and got[0].tags["label"] == "z"
        assert [m.command for m in got[1:-1]] == ["NOTICE", "400"]
        assert got[-1].command == "BATCH"


@pytest.mark.parametrize(
    "line",
    ["WHOWAS alice ¹", "LIST >²", "LIST <³", "MODE #lobby +l ⁴", "CAP LS ³⁰²", "WHOWAS alice ٣"],
)
def test_numbers_in_other_scripts_are_not_numbers(
    line: str, caplog: pytest.LogCaptureFixture
) -> None:
    # str.isdigit() accepts superscripts that int() rejects: found by the fuzzer.
    h = Harness()
    a = h.connect("alice")
    h.send(a, line)
    assert "400" not in numerics(h.lines(a))
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
