"""Queries (chinwag.server.commands.queries): WHO, WHOX, WHOIS, WHOWAS, USERHOST, ISON,
LUSERS, MOTD, VERSION, TIME, PING, with no sockets."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from chinwag.proto.message import Message
from chinwag.server.config import OperBlock
from chinwag.server.state import User
from tests.server.harness import Harness, numerics, only
from tests.server.harness import user_pair as pair

S = "chinwag.local"


HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
ADMIN = OperBlock("admin", HASHER.hash("hunter2"))


@pytest.fixture
def h() -> Harness:
    return Harness(opers=(ADMIN,))


def make_oper(h: Harness, user: User) -> None:
    h.send(user, "OPER admin hunter2")
    assert user.oper
    h.clear(*h.links)


class TestWho:
    def test_channel(self, h: Harness) -> None:
        _a, b = pair(h)
        h.send(b, "WHO #lobby")
        assert h.lines(b) == [
            Message.of(
                "352",
                "bob",
                "#lobby",
                "~alice",
                "127.0.0.1",
                S,
                "alice",
                "H@",
                "0 Alice L",
                source=S,
            ),
            Message.of(
                "352", "bob", "#lobby", "~bob", "127.0.0.1", S, "bob", "H", "0 Bob B", source=S
            ),
            Message.of("315", "bob", "#lobby", "End of WHO list", source=S),
        ]

    def test_away_and_oper_flags(self, h: Harness) -> None:
        a, b = pair(h)
        h.send(a, "AWAY :brb")
        make_oper(h, a)
        h.send(b, "WHO alice")
        got = h.lines(b)
        assert got[0].params[6] == "G*@"

    def test_nick(self, h: Harness) -> None:
        _a, b = pair(h)
        h.send(b, "WHO ALICE")
        got = h.lines(b)
        assert [m.command for m in got] == ["352", "315"]
        assert got[0].params[5] == "alice"
        assert got[1].params[1] == "ALICE"

    def test_mask(self, h: Harness) -> None:
        _a, b = pair(h)
        h.connect("carol")
        h.clear(b)
        h.send(b, "WHO a*")
        assert [m.params[5] for m in only(h.lines(b), "352")] == ["alice"]

    def test_whox(self, h: Harness) -> None:
        _a, b = pair(h)
        h.send(b, "WHO #lobby %tnf,42")
        assert h.lines(b) == [
            Message.of("354", "bob", "42", "alice", "H@", source=S),
            Message.of("354", "bob", "42", "bob", "H", source=S),
            Message.of("315", "bob", "#lobby", "End of WHO list", source=S),
        ]

    def test_whox_field_order_is_fixed(self, h: Harness) -> None:
        _a, b = pair(h)
        h.send(b, "WHO alice %rnuhc")
        assert h.lines(b)[0].params == ("bob", "#lobby", "~alice", "127.0.0.1", "alice", "Alice L")

    def test_no_match(self, h: Harness) -> None:
        _a, b = pair(h)
        h.send(b, "WHO nobody")
        assert h.lines(b) == [Message.of("315", "bob", "nobody", "End of WHO list", source=S)]


class TestWhois:
    def test_whois(self, h: Harness) -> None:
        a, b = pair(h)
        h.send(b, "WHOIS alice")
        got = h.lines(b)
        assert [m.command for m in got] == ["311", "319", "312", "317", "318"]
        assert got[0] == Message.of(
            "311", "bob", "alice", "~alice", "127.0.0.1", "*", "Alice L", source=S
        )
        assert got[1] == Message.of("319", "bob", "alice", "@#lobby", source=S)
        assert got[2].params[:3] == ("bob", "alice", S)
        assert got[3].params[0:2] == ("bob", "alice")
        assert got[3].params[2].isdigit() and got[3].params[3] == str(int(a.connected_at))
        assert got[4] == Message.of("318", "bob", "alice", "End of /WHOIS list", source=S)

    def test_away_oper_and_self(self, h: Harness) -> None:
        a, _b = pair(h)
        h.send(a, "AWAY :out")
        make_oper(h, a)
        h.clear(a)
        h.send(a, "WHOIS alice")
        cmds = [m.command for m in h.lines(a)]
        assert cmds == ["311", "319", "312", "301", "313", "338", "317", "318"]

    def test_no_such_nick(self, h: Harness) -> None:
        _a, b = pair(h)
        h.send(b, "WHOIS nobody")
        assert h.lines(b) == [
            Message.of("401", "bob", "nobody", "No such nick/channel", source=S),
            Message.of("318", "bob", "nobody", "End of /WHOIS list", source=S),
        ]

    def test_server_param_form(self, h: Harness) -> None:
        _a, b = pair(h)
        h.send(b, "WHOIS alice alice")
        assert numerics(h.lines(b))[0] == "311"


class TestWhowas:
    def test_after_quit_and_nick_change(self, h: Harness) -> None:
        a, b = pair(h)
        h.send(a, "NICK alicia")
        h.send(a, "QUIT :bye")
        h.clear(b)
        h.send(b, "WHOWAS alicia")
        got = h.lines(b)
        assert [m.command for m in got] == ["314", "312", "369"]
        assert got[0] == Message.of(
            "314", "bob", "alicia", "~alice", "127.0.0.1", "*", "Alice L", source=S
        )
        assert got[2] == Message.of("369", "bob", "alicia", "End of WHOWAS", source=S)
        h.send(b, "WHOWAS ALICE")
        assert only(h.lines(b), "314")[0].params[1] == "alice"

    def test_unknown(self, h: Harness) -> None:
        _a, b = pair(h)
        h.send(b, "WHOWAS ghost")
        assert h.lines(b) == [
            Message.of("406", "bob", "ghost", "There was no such nickname", source=S),
            Message.of("369", "bob", "ghost", "End of WHOWAS", source=S),
        ]


class TestUserhostIson:
    def test_userhost(self, h: Harness) -> None:
        a, b = pair(h)
        h.send(a, "AWAY :x")
        make_oper(h, a)
        h.send(b, "USERHOST alice bob nobody")
        assert h.lines(b) == [
            Message.of("302", "bob", "alice*=-~alice@127.0.0.1 bob=+~bob@127.0.0.1", source=S)
        ]

    def test_ison(self, h: Harness) -> None:
        _a, b = pair(h)
        h.send(b, "ISON ALICE nobody bob")
        assert h.lines(b) == [Message.of("303", "bob", "alice bob", source=S)]
        h.send(b, "ISON :nobody")
        assert h.lines(b) == [Message.of("303", "bob", "", source=S)]


class TestServerQueries:
    def test_lusers(self, h: Harness) -> None:
        a, _b = pair(h)
        h.open()  # an unregistered connection
        h.send(a, "LUSERS")
        assert h.lines(a) == [
            Message.of("251", "alice", "There are 2 users and 0 invisible on 1 servers", source=S),
            Message.of("253", "alice", "1", "unknown connection(s)", source=S),
            Message.of("254", "alice", "1", "channels formed", source=S),
            Message.of("255", "alice", "I have 2 clients and 0 servers", source=S),
            Message.of("265", "alice", "2", "2", "Current local users 2, max 2", source=S),
            Message.of("266", "alice", "2", "2", "Current global users 2, max 2", source=S),
        ]

    def test_lusers_counts_opers_and_invisible(self, h: Harness) -> None:
        a, _b = pair(h)
        make_oper(h, a)
        h.send(a, "MODE alice +i")
        h.clear(a)
        h.send(a, "LUSERS")
        got = h.lines(a)
        assert got[0].params[1] == "There are 1 users and 1 invisible on 1 servers"
        assert got[1] == Message.of("252", "alice", "1", "operator(s) online", source=S)

    def test_lusers_counts_follow_mode_changes_and_quits(self, h: Harness) -> None:
        a, b = pair(h)
        make_oper(h, b)
        h.send(b, "MODE bob +i")
        h.send(a, "MODE alice +i", "MODE alice -i", "MODE alice +i")
        h.send(b, "QUIT :bye")
        h.clear(a)
        h.send(a, "LUSERS")
        got = h.lines(a)
        assert got[0].params[1] == "There are 0 users and 1 invisible on 1 servers"
        assert "252" not in numerics(got)  # the operator has gone

    def test_motd(self) -> None:
        h = Harness(motd="hello\nworld")
        a = h.connect("alice")
        h.send(a, "MOTD")
        assert h.lines(a) == [
            Message.of("375", "alice", "- chinwag.local Message of the day - ", source=S),
            Message.of("372", "alice", "- hello", source=S),
            Message.of("372", "alice", "- world", source=S),
            Message.of("376", "alice", "End of /MOTD command.", source=S),
        ]

    def test_no_motd(self) -> None:
        h = Harness(motd="  ")
        a = h.connect("alice")
        h.send(a, "MOTD")
        assert h.lines(a) == [Message.of("422", "alice", "MOTD File is missing", source=S)]

    def test_version(self, h: Harness) -> None:
        a, _b = pair(h)
        h.send(a, "VERSION")
        got = h.lines(a)
        assert got[0].command == "351"
        assert got[0].params[1].startswith("chinwag-") and got[0].params[2] == S
        assert [m.command for m in got[1:]] == ["005", "005"]

    def test_time(self, h: Harness) -> None:
        a, _b = pair(h)
        h.send(a, "TIME")
        (got,) = h.lines(a)
        assert got.command == "391"
        assert got.params[1] == S and got.params[2].isdigit() and got.params[3] == "0"

    def test_ping_pong(self, h: Harness) -> None:
        a, _b = pair(h)
        h.send(a, "PING :a b c", "PONG :whatever")
        assert h.lines(a) == [Message.of("PONG", S, "a b c", source=S)]

    def test_ping_needs_a_token(self, h: Harness) -> None:
        a, _b = pair(h)
        h.send(a, "PING")
        assert numerics(h.lines(a)) == ["461"]


class TestInfo:
    def test_info_lines_then_end(self, h: Harness) -> None:
        a, _b = pair(h)
        h.send(a, "INFO")
        got = h.lines(a)
        assert {m.command for m in got[:-1]} == {"371"}
        assert len(got) >= 2 and all(m.params[0] == "alice" and m.params[1] for m in got[:-1])
        assert got[-1] == Message.of("374", "alice", "End of INFO list", source=S)


class TestBotMode:
    def test_whois_and_who_show_a_bot(self, h: Harness) -> None:
        # IRCv3 bot-mode: BOT=B in ISUPPORT, RPL_WHOISBOT (335), and B in WHO flags.
        a, b = pair(h)
        h.send(a, "MODE alice +B")
        h.clear(a)
        h.send(b, "WHOIS alice")
        got = h.lines(b)
        assert Message.of("335", "bob", "alice", "is a bot on chinwag", source=S) in got
        h.send(b, "WHO alice")
        assert only(h.lines(b), "352")[0].params[6] == "H@B"  # lobby op, and a bot
        h.send(b, "WHO alice %nf")
        assert only(h.lines(b), "354")[0].params[1:] == ("alice", "H@B")
        h.send(b, "WHOIS bob")
        assert "335" not in numerics(h.lines(b))


class TestIdle:
    def test_join_does_not_reset_whois_idle_only_messages_do(self, h: Harness) -> None:
        a, b = pair(h)
        a.last_active -= 100  # alice has been quiet for 100 seconds
        h.send(a, "JOIN #elsewhere", "TOPIC #elsewhere :t", "MODE alice +i", "TAGMSG bob")
        h.send(b, "WHOIS alice")
        (idle,) = only(h.lines(b), "317")
        assert int(idle.params[2]) >= 100
        h.send(a, "PRIVMSG bob :hi")
        h.clear(b)
        h.send(b, "WHOIS alice")
        assert int(only(h.lines(b), "317")[0].params[2]) < 5
