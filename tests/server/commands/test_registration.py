"""Registration: CAP negotiation, NICK/USER/PASS, the welcome burst, nick rules, the lobby.

Driven through Server.receive/flush with FakeLink; no sockets.
"""

from __future__ import annotations

import pytest

from chinwag.proto.message import Message
from chinwag.server.caps import CAPABILITIES
from tests.server.harness import Harness, numerics, only


def isupport(messages: list[Message]) -> dict[str, str]:
    tokens: dict[str, str] = {}
    for m in only(messages, "005"):
        assert m.params[-1] == "are supported by this server"
        for token in m.params[1:-1]:
            key, _, value = token.partition("=")
            tokens[key] = value
    return tokens


class TestWelcomeBurst:
    def test_order_of_the_burst(self) -> None:
        h = Harness()
        u = h.open()
        h.send(u, "NICK alice", "USER al 0 * :Alice Liddell")
        got = h.lines(u)
        assert numerics(got)[:4] == ["001", "002", "003", "004"]
        assert got[0] == Message.of(
            "001",
            "alice",
            "Welcome to the chinwag IRC network, alice!~al@127.0.0.1",
            source="chinwag.local",
        )
        assert got[3].params == (
            "alice",
            "chinwag.local",
            got[3].params[2],
            "Biow",
            "biklmnopstv",
            "bklov",
        )
        cmds = [m.command for m in got]
        # ISUPPORT, then LUSERS, then the MOTD, then the lobby.
        assert cmds.index("005") < cmds.index("251") < cmds.index("375") < cmds.index("376")
        assert cmds[-3:] == ["JOIN", "353", "366"]
        assert got[-3] == Message.of("JOIN", "#lobby", source="alice!~al@127.0.0.1")
        assert all(m.params[0] == "alice" for m in got if m.command.isdigit())

    def test_isupport_defaults(self) -> None:
        h = Harness()
        u = h.open()
        h.send(u, "NICK alice", "USER a 0 * :A")
        tokens = isupport(h.lines(u))
        lim = h.config.limits
        assert tokens["CASEMAPPING"] == "rfc1459"
        assert tokens["CHANTYPES"] == "#"
        assert tokens["PREFIX"] == "(ov)@+"
        assert tokens["CHANMODES"] == "b,k,l,imnpst"
        assert tokens["NICKLEN"] == str(lim.nicklen)
        assert tokens["CHANNELLEN"] == str(lim.channellen)
        assert tokens["TOPICLEN"] == str(lim.topiclen)
        assert tokens["MODES"] == str(lim.modes)
        assert tokens["NETWORK"] == "chinwag"
        assert "PRIVMSG:4" in tokens["TARGMAX"].split(",")
        assert tokens["STATUSMSG"] == "@+"
        assert tokens["MONITOR"] == str(lim.monitor)
        assert "WHOX" in tokens

    def test_isupport_follows_config_and_is_enforced(self) -> None:
        h = Harness(
            network="office",
            casemapping="ascii",
            lobby=None,
            limits={"nicklen": 8, "channellen": 10, "topiclen": 12, "max_targets": 2},
        )
        u = h.open()
        h.send(u, "NICK alice", "USER a 0 * :A")
        tokens = isupport(h.lines(u))
        assert tokens["NETWORK"] == "office"
        assert tokens["CASEMAPPING"] == "ascii"
        assert tokens["NICKLEN"] == "8"
        assert tokens["CHANNELLEN"] == "10"
        assert tokens["TOPICLEN"] == "12"
        assert "PRIVMSG:2" in tokens["TARGMAX"].split(",")
        # NICKLEN: 8 is fine, 9 is not.
        h.send(u, "NICK abcdefgh")
        assert h.lines(u)[0].command == "NICK"
        h.send(u, "NICK abcdefghi")
        assert numerics(h.lines(u)) == ["432"]
        # CHANNELLEN counts the '#'.
        h.send(u, "JOIN #234567890", "JOIN #2345678901")
        got = h.lines(u)
        assert got[0].command == "JOIN"
        assert numerics(got)[-1] == "476"
        # TOPICLEN truncates.
        h.send(u, "TOPIC #234567890 :0123456789abcdef")
        assert only(h.lines(u), "TOPIC")[0].params == ("#234567890", "0123456789ab")
        # TARGMAX: 3 targets is too many.
        h.send(u, "PRIVMSG a,b,c :hi")
        assert numerics(h.lines(u)) == ["407"]

    def test_motd_from_config_and_422_without_one(self) -> None:
        h = Harness(motd="line one\nline two")
        u = h.open()
        h.send(u, "NICK alice", "USER a 0 * :A")
        got = h.lines(u)
        assert [m.params[1] for m in only(got, "372")] == ["- line one", "- line two"]
        h2 = Harness(motd="")
        v = h2.open()
        h2.send(v, "NICK bob", "USER b 0 * :B")
        got = h2.lines(v)
        assert "422" in numerics(got) and "375" not in numerics(got)


class TestCap:
    def test_ls_302_lists_every_cap_and_enables_cap_notify(self) -> None:
        h = Harness()
        u = h.open()
        h.send(u, "CAP LS 302")
        (ls,) = h.lines(u)
        assert ls.command == "CAP" and ls.params[:2] == ("*", "LS")
        assert set(ls.params[2].split()) == {
            k + ("=" + v if v else "") for k, v in CAPABILITIES.items()
        }
        h.send(u, "CAP LIST")
        assert h.lines(u)[0].params == ("*", "LIST", "cap-notify")

    def test_ls_without_version(self) -> None:
        h = Harness()
        u = h.open()
        h.send(u, "CAP LS")
        (ls,) = h.lines(u)
        assert set(ls.params[2].split()) == set(CAPABILITIES)
        h.send(u, "CAP LIST")
        assert h.lines(u)[0].params == ("*", "LIST", "")

    @pytest.mark.parametrize(
        ("request_", "reply", "enabled"),
        [
            ("multi-prefix", "ACK", {"multi-prefix"}),
            ("multi-prefix server-time", "ACK", {"multi-prefix", "server-time"}),
            ("multi-prefix bogus", "NAK", set()),
            ("bogus", "NAK", set()),
            ("-multi-prefix", "ACK", set()),
        ],
    )
    def test_req(self, request_: str, reply: str, enabled: set[str]) -> None:
        h = Harness()
        u = h.open()
        h.send(u, "CAP REQ :" + request_)
        (got,) = h.lines(u)
        assert (got.source, got.command, got.params) == (
            "chinwag.local",
            "CAP",
            ("*", reply, request_),
        )
        assert u.caps == enabled

    def test_ack_is_sent_before_the_caps_change(self) -> None:
        # "a server MUST NOT change the capabilities of the client until the last ACK of
        # the set has been sent": the ACK enabling server-time carries no time tag.
        h = Harness()
        u = h.open()
        h.send(u, "CAP REQ :server-time", "CAP REQ :-server-time")
        first, second = h.lines(u)
        assert first.params == ("*", "ACK", "server-time") and "time" not in first.tags
        assert second.params == ("*", "ACK", "-server-time") and "time" in second.tags

    def test_req_then_remove(self) -> None:
        h = Harness()
        u = h.open()
        h.send(u, "CAP REQ :echo-message server-time", "CAP REQ :-echo-message")
        assert u.caps == {"server-time"}

    def test_req_suspends_registration_until_end(self) -> None:
        h = Harness()
        u = h.open()
        h.send(u, "CAP LS 302", "NICK alice", "USER a 0 * :A", "CAP REQ :multi-prefix")
        assert not u.registered
        assert "001" not in numerics(h.lines(u))
        h.send(u, "CAP END")
        assert u.registered
        assert numerics(h.lines(u))[0] == "001"

    def test_end_after_registration_is_ignored(self) -> None:
        h = Harness()
        u = h.connect("alice")
        h.send(u, "CAP END")
        assert h.lines(u) == []

    def test_req_after_registration_uses_nick(self) -> None:
        h = Harness()
        u = h.connect("alice")
        h.send(u, "CAP REQ :away-notify")
        assert h.lines(u)[0].params == ("alice", "ACK", "away-notify")

    def test_unknown_subcommand(self) -> None:
        h = Harness()
        u = h.open()
        h.send(u, "CAP FROB")
        assert h.lines(u)[0].params == ("*", "FROB", "Invalid CAP command")


class TestBeforeRegistration:
    @pytest.mark.parametrize("line", ["JOIN #a", "PRIVMSG bob :hi", "WHO *", "FOO", "MODE x"])
    def test_451(self, line: str) -> None:
        h = Harness()
        u = h.open()
        h.send(u, line)
        assert h.lines(u) == [
            Message.of("451", "*", "You have not registered", source="chinwag.local")
        ]

    @pytest.mark.parametrize("line", ["PING tok", "CAP LS", "NICK alice"])
    def test_allowed_before_registration(self, line: str) -> None:
        h = Harness()
        u = h.open()
        h.send(u, line)
        assert "451" not in numerics(h.lines(u))

    def test_ping_before_registration(self) -> None:
        h = Harness()
        u = h.open()
        h.send(u, "PING :hello there")
        assert h.lines(u) == [
            Message.of("PONG", "chinwag.local", "hello there", source="chinwag.local")
        ]

    def test_user_with_too_few_params(self) -> None:
        h = Harness()
        u = h.open()
        h.send(u, "USER a 0 *")
        assert h.lines(u)[0].params == ("*", "USER", "Not enough parameters")
        assert h.lines(u) == []

    def test_nick_with_no_param(self) -> None:
        h = Harness()
        u = h.open()
        h.send(u, "NICK")
        assert numerics(h.lines(u)) == ["431"]

    def test_reregistration_refused(self) -> None:
        h = Harness()
        u = h.connect("alice")
        h.send(u, "USER b 0 * :B", "PASS x")
        assert numerics(h.lines(u)) == ["462", "462"]

    def test_username_is_sanitised_and_prefixed(self) -> None:
        h = Harness()
        u = h.connect("alice", username="a*l?i@c!e")
        assert u.username == "~alice"
        assert u.source == "alice!~alice@127.0.0.1"


class TestPassword:
    def test_right_password(self) -> None:
        h = Harness(password="sekrit")
        u = h.connect("alice", password="sekrit")
        assert u.registered

    @pytest.mark.parametrize("pass_line", [None, "PASS wrong"])
    def test_wrong_or_missing_password(self, pass_line: str | None) -> None:
        h = Harness(password="sekrit")
        u = h.open()
        lines = ([pass_line] if pass_line else []) + ["NICK alice", "USER a 0 * :A"]
        h.send(u, *lines)
        got = h.lines(u)
        assert [m.command for m in got] == ["464", "ERROR"]
        assert h.link(u).closed
        assert not u.registered
        assert h.server.find_user("alice") is None

    def test_no_password_configured_ignores_pass(self) -> None:
        h = Harness()
        u = h.connect("alice", password="anything")
        assert u.registered


class TestNickRules:
    @pytest.mark.parametrize(
        "nick",
        ["1abc", "-abc", "a!b", "a@b", "#chan", "a.b", "a*", "a?", "a,b", "a~b", "x" * 31, "é"],
    )
    def test_432_invalid(self, nick: str) -> None:
        h = Harness()
        u = h.open()
        h.send(u, "NICK " + nick)
        assert h.lines(u) == [
            Message.of("432", "*", nick, "Erroneous nickname", source="chinwag.local")
        ]

    @pytest.mark.parametrize("nick", ["a", "a1", "[x]", "x\\y", "_a-b", "^^", "{|}", "x" * 30])
    def test_valid(self, nick: str) -> None:
        h = Harness()
        u = h.connect(nick)
        assert u.nick == nick

    @pytest.mark.parametrize(
        ("first", "second", "clash"),
        [
            ("alice", "ALICE", True),
            ("a[b]", "A{B}", True),
            ("x\\y", "X|Y", True),
            ("a{b}", "a[b]", True),
            ("alice", "alice_", False),
        ],
    )
    def test_433_rfc1459(self, first: str, second: str, clash: bool) -> None:
        h = Harness()
        h.connect(first)
        u = h.open()
        h.send(u, "NICK " + second, "USER u 0 * :U")
        got = h.lines(u)
        if clash:
            assert got == [
                Message.of("433", "*", second, "Nickname is already in use", source="chinwag.local")
            ]
            assert not u.registered
        else:
            assert u.registered

    @pytest.mark.parametrize(
        ("first", "second", "clash"),
        [("alice", "ALICE", True), ("a[b]", "a{b}", False), ("x\\y", "x|y", False)],
    )
    def test_433_ascii(self, first: str, second: str, clash: bool) -> None:
        h = Harness(casemapping="ascii")
        h.connect(first)
        u = h.open()
        h.send(u, "NICK " + second, "USER u 0 * :U")
        assert u.registered is not clash

    def test_433_on_nick_change(self) -> None:
        h = Harness()
        h.connect("alice")
        b = h.connect("bob")
        h.send(b, "NICK Alice")
        assert h.lines(b) == [
            Message.of("433", "bob", "Alice", "Nickname is already in use", source="chinwag.local")
        ]
        assert b.nick == "bob"

    def test_retry_after_433_registers(self) -> None:
        h = Harness()
        h.connect("alice")
        u = h.open()
        h.send(u, "NICK alice", "USER a 0 * :A", "NICK alice2")
        assert u.registered and u.nick == "alice2"


class TestNickChange:
    def test_broadcast_once_to_each_peer(self) -> None:
        h = Harness()
        a = h.connect("alice")
        b = h.connect("bob")
        c = h.connect("carol")
        h.send(a, "JOIN #x")
        h.send(b, "JOIN #x")
        h.send(c, "PART #lobby")
        h.clear(a, b, c)
        h.send(a, "NICK alicia")
        expected = [Message.of("NICK", "alicia", source="alice!~alice@127.0.0.1")]
        assert h.lines(a) == expected
        assert h.lines(b) == expected  # shares two channels, told once
        assert h.lines(c) == []
        assert h.server.find_user("alice") is None
        assert h.server.find_user("ALICIA") is a

    def test_user_in_no_channel_is_still_told(self) -> None:
        h = Harness(lobby=None)
        a = h.connect("alice")
        h.send(a, "NICK al")
        assert h.lines(a) == [Message.of("NICK", "al", source="alice!~alice@127.0.0.1")]

    def test_case_change_of_own_nick(self) -> None:
        h = Harness()
        a = h.connect("alice")
        h.send(a, "NICK Alice")
        assert h.lines(a) == [Message.of("NICK", "Alice", source="alice!~alice@127.0.0.1")]
        assert a.nick == "Alice"

    def test_same_nick_is_a_no_op(self) -> None:
        h = Harness()
        a = h.connect("alice")
        h.send(a, "NICK alice")
        assert h.lines(a) == []

    def test_old_nick_is_free_again(self) -> None:
        h = Harness()
        a = h.connect("alice")
        h.send(a, "NICK alicia")
        b = h.connect("alice")
        assert b.registered and h.server.find_user("alice") is b


class TestLobby:
    def test_everyone_lands_in_the_lobby(self) -> None:
        h = Harness()
        a = h.connect("alice")
        b = h.open()
        h.send(b, "NICK bob", "USER b 0 * :B")
        got = h.lines(b)
        assert only(got, "JOIN") == [Message.of("JOIN", "#lobby", source="bob!~b@127.0.0.1")]
        assert only(got, "353")[0].params == ("bob", "=", "#lobby", "@alice bob")
        assert h.lines(a) == [Message.of("JOIN", "#lobby", source="bob!~b@127.0.0.1")]

    def test_lobby_op_cannot_lock_newcomers_out(self) -> None:
        # The auto-join counts as an invitation for +i, +k and +l.
        h = Harness()
        a = h.connect("alice")
        h.send(a, "MODE #lobby +ikl secret 1")
        assert only(h.lines(a), "MODE")[0].params == ("#lobby", "+ikl", "secret", "1")
        b = h.connect("bob")
        assert list(b.channels) == ["#lobby"]
        # ... but joining the lobby by hand is an ordinary join.
        h.send(b, "PART #lobby", "JOIN #lobby")
        assert "475" in [m.command for m in h.lines(b)]  # +k is checked first
        assert list(b.channels) == []

    def test_a_lobby_ban_still_keeps_someone_out(self) -> None:
        h = Harness()
        a = h.connect("alice")
        h.send(a, "MODE #lobby +b mallory!*@*")
        m = h.connect("mallory")
        assert m.channels == {}
        assert m.registered

    def test_custom_lobby(self) -> None:
        h = Harness(lobby="#home")
        a = h.connect("alice")
        assert list(a.channels) == ["#home"]

    def test_no_lobby(self) -> None:
        h = Harness(lobby=None)
        u = h.open()
        h.send(u, "NICK alice", "USER a 0 * :A")
        assert "JOIN" not in [m.command for m in h.lines(u)]
        assert u.channels == {}
        assert h.server.channels == {}


class TestIsupportLengthsAreEnforced:
    def test_userlen(self) -> None:
        h = Harness()
        u = h.connect("alice", username="u" * 40)
        assert u.username == "~" + "u" * 15
        h.send(u, "WHOIS alice")
        assert h.lines(u)[0].params[2] == "~" + "u" * 15

    def test_awaylen(self) -> None:
        h = Harness(limits={"awaylen": 5})
        a = h.connect("alice")
        b = h.connect("bob")
        h.send(a, "AWAY :gone for lunch")
        h.send(b, "PRIVMSG alice :hi")
        assert [m.params for m in h.lines(b) if m.command == "301"] == [("bob", "alice", "gone ")]

    def test_kicklen(self) -> None:
        h = Harness(limits={"kicklen": 4})
        a = h.connect("alice")
        b = h.connect("bob")
        h.clear(b)
        h.send(a, "KICK #lobby bob :because reasons")
        assert h.lines(b)[0].params == ("#lobby", "bob", "beca")

    def test_maxlist(self) -> None:
        h = Harness(limits={"maxbans": 2})
        a = h.connect("alice")
        h.send(a, "MODE #lobby +b a", "MODE #lobby +b b", "MODE #lobby +b c")
        assert "478" in numerics(h.lines(a))
        assert len(h.server.channels["#lobby"].bans) == 2

    def test_channellen_counts_utf8_bytes(self) -> None:
        h = Harness(lobby=None)
        a = h.connect("alice")
        h.send(a, "JOIN #" + "é" * 31, "JOIN #" + "é" * 32)  # 63 and 65 bytes
        got = h.lines(a)
        assert got[0].command == "JOIN"
        assert numerics(got)[-1] == "476"


class TestUserCommand:
    @pytest.mark.parametrize("line", ["USER alice 0 * :", "USER : 0 * :Alice"])
    def test_an_empty_realname_or_username_is_461(self, line: str) -> None:
        # Modern IRC docs: USER needs a non-empty username and realname.
        h = Harness()
        u = h.open()
        h.send(u, "NICK alice", line)
        assert h.lines(u) == [
            Message.of("461", "alice", "USER", "Not enough parameters", source="chinwag.local")
        ]
        assert not u.registered
        h.send(u, "USER alice 0 * :Alice")
        assert u.registered

    @pytest.mark.parametrize("userlen", [16, 8])
    def test_usernames_are_cut_to_the_advertised_userlen(self, userlen: int) -> None:
        h = Harness(limits={"userlen": userlen})
        u = h.open()
        h.send(u, "NICK alice", "USER averyveryverylongusername 0 * :Alice")
        assert isupport(h.lines(u))["USERLEN"] == str(userlen)
        assert u.username == "~averyveryverylongusername"[:userlen]

    def test_hostlen_is_truthful(self) -> None:
        h = Harness()
        u = h.open(ip="2001:db8:ffff:ffff:ffff:ffff:255.255.255.255")
        h.send(u, "NICK alice", "USER alice 0 * :Alice")
        assert len(u.host) <= int(isupport(h.lines(u))["HOSTLEN"])
