"""Channels (chinwag.server.commands.channels): JOIN, PART, TOPIC, NAMES, LIST, INVITE,
KICK, history replay, with no sockets."""

from __future__ import annotations

import re

import pytest

from chinwag.proto.message import Message
from chinwag.server.state import User
from tests.server.harness import Harness, numerics, only
from tests.server.harness import channel_pair as pair

S = "chinwag.local"


def src(user: User) -> str:
    return user.source


@pytest.fixture
def h() -> Harness:
    return Harness(lobby=None)


class TestJoin:
    def test_creator_gets_op_and_replies_in_order(self, h: Harness) -> None:
        a = h.connect("alice")
        h.send(a, "JOIN #x")
        assert h.lines(a) == [
            Message.of("JOIN", "#x", source=src(a)),
            Message.of("353", "alice", "=", "#x", "@alice", source=S),
            Message.of("366", "alice", "#x", "End of /NAMES list", source=S),
        ]

    def test_second_joiner_is_plain_and_members_are_told(self, h: Harness) -> None:
        a = h.connect("alice")
        b = h.connect("bob")
        h.send(a, "JOIN #x")
        h.clear(a)
        h.send(b, "JOIN #X")
        assert h.lines(a) == [Message.of("JOIN", "#x", source=src(b))]
        got = h.lines(b)
        assert got[0] == Message.of("JOIN", "#x", source=src(b))
        assert got[1].params == ("bob", "=", "#x", "@alice bob")

    def test_join_twice_is_silent(self, h: Harness) -> None:
        a = h.connect("alice")
        h.send(a, "JOIN #x")
        h.clear(a)
        h.send(a, "JOIN #x")
        assert h.lines(a) == []

    def test_several_with_keys(self, h: Harness) -> None:
        a = h.connect("alice")
        b = h.connect("bob")
        h.send(b, "JOIN #a,#b", "MODE #a +k ka", "MODE #b +k kb")
        h.send(a, "JOIN #a,#b,#c ka,kb")
        assert [m.params[0] for m in only(h.lines(a), "JOIN")] == ["#a", "#b", "#c"]

    def test_wrong_or_missing_key(self, h: Harness) -> None:
        a, _b = pair(h)
        h.send(a, "MODE #x +k secret")
        c = h.connect("carol")
        h.send(c, "JOIN #x", "JOIN #x nope")
        assert (
            h.lines(c)
            == [Message.of("475", "carol", "#x", "Cannot join channel (+k)", source=S)] * 2
        )
        h.send(c, "JOIN #x secret")
        assert only(h.lines(c), "JOIN")

    def test_limit(self, h: Harness) -> None:
        a, b = pair(h)
        h.send(a, "MODE #x +l 2")
        c = h.connect("carol")
        h.send(c, "JOIN #x")
        assert numerics(h.lines(c)) == ["471"]
        h.send(b, "PART #x")
        h.send(c, "JOIN #x")
        assert only(h.lines(c), "JOIN")

    def test_invite_only_and_invite_overrides(self, h: Harness) -> None:
        a, _b = pair(h)
        h.send(a, "MODE #x +i")
        c = h.connect("carol")
        h.send(c, "JOIN #x")
        assert numerics(h.lines(c)) == ["473"]
        h.send(a, "INVITE carol #x")
        h.send(c, "JOIN #x")
        assert only(h.lines(c), "JOIN")
        # The invitation is used up.
        h.send(c, "PART #x", "JOIN #x")
        assert numerics(h.lines(c)) == ["473"]

    def test_invite_overrides_key_limit_and_ban(self, h: Harness) -> None:
        a, _b = pair(h)
        h.send(a, "MODE #x +klb k 2 carol")
        c = h.connect("carol")
        h.send(c, "JOIN #x")
        assert numerics(h.lines(c)) == ["475"]
        h.send(a, "INVITE carol #x")
        h.send(c, "JOIN #x")
        assert only(h.lines(c), "JOIN")

    def test_ban(self, h: Harness) -> None:
        a, _b = pair(h)
        h.send(a, "MODE #x +b carol")
        c = h.connect("carol")
        h.send(c, "JOIN #x")
        assert h.lines(c) == [
            Message.of("474", "carol", "#x", "Cannot join channel (+b)", source=S)
        ]
        d = h.connect("dave", username="carol")
        h.send(d, "JOIN #x")
        assert only(h.lines(d), "JOIN")  # nick mask, so another nick gets in

    def test_host_ban(self, h: Harness) -> None:
        a, _b = pair(h)
        h.send(a, "MODE #x +b *!*@10.0.0.9")
        c = h.connect("carol", ip="10.0.0.9")
        h.send(c, "JOIN #x")
        assert numerics(h.lines(c)) == ["474"]

    @pytest.mark.parametrize("name", ["lobby", "#", "#a\x07b", "&x", "#" + "x" * 64, "x#"])
    def test_476_bad_name(self, h: Harness, name: str) -> None:
        a = h.connect("alice")
        h.send(a, "JOIN " + name)
        assert h.lines(a) == [Message.of("476", "alice", name, "Bad Channel Mask", source=S)]

    def test_join_0_parts_everything(self, h: Harness) -> None:
        a, b = pair(h)
        h.send(a, "JOIN #y")
        h.clear(a)
        h.send(a, "JOIN 0")
        got = h.lines(a)
        assert sorted(m.params[0] for m in only(got, "PART")) == ["#x", "#y"]
        assert a.channels == {}
        assert h.lines(b) == [Message.of("PART", "#x", "Left all channels", source=src(a))]
        assert h.server.find_channel("#y") is None

    def test_461(self, h: Harness) -> None:
        a = h.connect("alice")
        h.send(a, "JOIN")
        assert h.lines(a) == [Message.of("461", "alice", "JOIN", "Not enough parameters", source=S)]

    def test_chanlimit(self) -> None:
        h = Harness(lobby=None, limits={"chanlimit": 2})
        a = h.connect("alice")
        h.send(a, "JOIN #a,#b,#c")
        got = h.lines(a)
        assert len(only(got, "JOIN")) == 2
        assert numerics(got)[-1] == "405"


class TestPart:
    def test_part_with_reason_reaches_everyone(self, h: Harness) -> None:
        a, b = pair(h)
        h.send(b, "PART #x :see you")
        expected = [Message.of("PART", "#x", "see you", source=src(b))]
        assert h.lines(a) == expected
        assert h.lines(b) == expected
        assert b.channels == {}

    def test_last_one_out_closes_the_channel(self, h: Harness) -> None:
        a = h.connect("alice")
        h.send(a, "JOIN #x", "PART #x")
        assert h.server.find_channel("#x") is None

    def test_errors(self, h: Harness) -> None:
        _a, _b = pair(h)
        c = h.connect("carol")
        h.send(c, "PART #x", "PART #nope", "PART")
        assert numerics(h.lines(c)) == ["442", "403", "461"]


class TestTopic:
    def test_topic_needs_op_under_t(self, h: Harness) -> None:
        a, b = pair(h)
        h.send(b, "TOPIC #x :mine")
        assert h.lines(b) == [
            Message.of("482", "bob", "#x", "You're not channel operator", source=S)
        ]
        h.send(a, "TOPIC #x :Lunch at noon")
        expected = [Message.of("TOPIC", "#x", "Lunch at noon", source=src(a))]
        assert h.lines(a) == expected
        assert h.lines(b) == expected

    def test_minus_t_lets_anyone_set_it(self, h: Harness) -> None:
        a, b = pair(h)
        h.send(a, "MODE #x -t")
        h.clear(a, b)
        h.send(b, "TOPIC #x :mine")
        assert h.lines(a) == [Message.of("TOPIC", "#x", "mine", source=src(b))]

    def test_query(self, h: Harness) -> None:
        a, b = pair(h)
        h.send(b, "TOPIC #x")
        assert h.lines(b) == [Message.of("331", "bob", "#x", "No topic is set", source=S)]
        h.send(a, "TOPIC #x :hello")
        h.clear(a, b)
        h.send(b, "TOPIC #x")
        got = h.lines(b)
        assert got[0] == Message.of("332", "bob", "#x", "hello", source=S)
        assert got[1].command == "333"
        assert got[1].params[:3] == ("bob", "#x", src(a))
        assert got[1].params[3].isdigit()

    def test_joiner_sees_topic(self, h: Harness) -> None:
        a, _b = pair(h)
        h.send(a, "TOPIC #x :hello")
        c = h.connect("carol")
        h.send(c, "JOIN #x")
        assert [m.command for m in h.lines(c)] == ["JOIN", "332", "333", "353", "366"]

    def test_not_on_channel(self, h: Harness) -> None:
        _a, _b = pair(h)
        c = h.connect("carol")
        h.send(c, "TOPIC #x :hi", "TOPIC #nope")
        assert numerics(h.lines(c)) == ["442", "403"]


class TestNames:
    def setup_voiced(self, h: Harness) -> tuple[User, User]:
        a, b = pair(h)
        h.send(a, "MODE #x +v alice", "MODE #x +v bob")
        h.clear(a, b)
        return a, b

    def test_plain(self, h: Harness) -> None:
        _a, b = self.setup_voiced(h)
        h.send(b, "NAMES #x")
        assert h.lines(b) == [
            Message.of("353", "bob", "=", "#x", "@alice +bob", source=S),
            Message.of("366", "bob", "#x", "End of /NAMES list", source=S),
        ]

    def test_multi_prefix(self, h: Harness) -> None:
        _a, _b = self.setup_voiced(h)
        c = h.connect("carol", ["multi-prefix"])
        h.send(c, "NAMES #x")
        assert h.lines(c)[0].params[-1] == "@+alice +bob"

    def test_userhost_in_names(self, h: Harness) -> None:
        _a, _b = self.setup_voiced(h)
        c = h.connect("carol", ["userhost-in-names", "multi-prefix"])
        h.send(c, "NAMES #x")
        assert h.lines(c)[0].params[-1] == "@+alice!~alice@127.0.0.1 +bob!~bob@127.0.0.1"

    def test_unknown_channel_and_no_args(self, h: Harness) -> None:
        a = h.connect("alice")
        h.send(a, "NAMES #nope", "NAMES")
        assert h.lines(a) == [
            Message.of("366", "alice", "#nope", "End of /NAMES list", source=S),
            Message.of("366", "alice", "*", "End of /NAMES list", source=S),
        ]

    def test_long_names_split_over_lines(self, h: Harness) -> None:
        users = [h.connect(f"user{i:02d}" + "x" * 20) for i in range(40)]
        for u in users:
            h.send(u, "JOIN #big")
        h.clear(users[0])
        h.send(users[0], "NAMES #big")
        got = only(h.lines(users[0]), "353")
        assert len(got) > 1
        names = " ".join(m.params[-1] for m in got).split()
        assert len(names) == 40
        assert all(len(m.to_line()) <= 510 for m in got)


class TestList:
    def test_list(self, h: Harness) -> None:
        a, _b = pair(h)
        h.send(a, "TOPIC #x :chat", "JOIN #y")
        h.clear(a)
        h.send(a, "LIST")
        assert h.lines(a) == [
            Message.of("321", "alice", "Channel", "Users  Name", source=S),
            Message.of("322", "alice", "#x", "2", "[+nt] chat", source=S),
            Message.of("322", "alice", "#y", "1", "[+nt] ", source=S),
            Message.of("323", "alice", "End of /LIST", source=S),
        ]

    @pytest.mark.parametrize(
        ("arg", "shown"), [(">1", ["#x"]), ("<2", ["#y"]), ("#Y", ["#y"]), ("#x,#y", ["#x", "#y"])]
    )
    def test_filters(self, h: Harness, arg: str, shown: list[str]) -> None:
        a, _b = pair(h)
        h.send(a, "JOIN #y")
        h.clear(a)
        h.send(a, "LIST " + arg)
        assert [m.params[1] for m in only(h.lines(a), "322")] == shown


class TestInvite:
    def test_invite(self, h: Harness) -> None:
        a, b = pair(h)
        c = h.connect("carol")
        h.send(b, "INVITE carol #x")
        assert h.lines(b) == [Message.of("341", "bob", "carol", "#x", source=S)]
        assert h.lines(c) == [Message.of("INVITE", "carol", "#x", source=src(b))]
        assert h.lines(a) == []

    def test_invite_notify_goes_to_ops_with_the_cap(self) -> None:
        h = Harness(lobby=None)
        a = h.connect("alice", ["invite-notify"])
        b = h.connect("bob", ["invite-notify"])
        h.send(a, "JOIN #x")
        h.send(b, "JOIN #x")
        h.connect("carol")
        h.clear(a, b)
        h.send(b, "INVITE carol #x")
        assert h.lines(a) == [Message.of("INVITE", "carol", "#x", source=src(b))]
        assert numerics(h.lines(b)) == ["341"]  # not told twice

    def test_away_target(self, h: Harness) -> None:
        a, _b = pair(h)
        c = h.connect("carol")
        h.send(c, "AWAY :lunch")
        h.send(a, "INVITE carol #x")
        assert h.lines(a)[1] == Message.of("301", "alice", "carol", "lunch", source=S)

    def test_errors(self, h: Harness) -> None:
        a, b = pair(h)
        c = h.connect("carol")
        h.send(a, "MODE #x +i")
        h.send(a, "INVITE nobody #x", "INVITE carol #nope", "INVITE bob #x", "INVITE carol")
        assert numerics(h.lines(a)) == ["401", "403", "443", "461"]
        h.send(b, "INVITE carol #x")
        assert numerics(h.lines(b)) == ["482"]
        h.send(c, "INVITE bob #x")
        assert numerics(h.lines(c)) == ["442"]


class TestKick:
    def test_kick_reaches_everyone_and_removes(self, h: Harness) -> None:
        a, b = pair(h)
        c = h.connect("carol")
        h.send(c, "JOIN #x")
        h.clear(a, b, c)
        h.send(a, "KICK #x bob :behave")
        expected = [Message.of("KICK", "#x", "bob", "behave", source=src(a))]
        for u in (a, b, c):
            assert h.lines(u) == expected
        assert b.channels == {}
        h.send(b, "PRIVMSG #x :hi")
        assert numerics(h.lines(b)) == ["404"]

    def test_default_reason_is_kicker_nick(self, h: Harness) -> None:
        a, b = pair(h)
        h.send(a, "KICK #x bob")
        assert h.lines(b)[0].params == ("#x", "bob", "alice")

    def test_482_for_non_op(self, h: Harness) -> None:
        a, b = pair(h)
        h.send(b, "KICK #x alice")
        assert h.lines(b) == [
            Message.of("482", "bob", "#x", "You're not channel operator", source=S)
        ]
        assert a in h.server.channels["#x"].members

    def test_441(self, h: Harness) -> None:
        a, _b = pair(h)
        h.connect("carol")
        h.send(a, "KICK #x carol", "KICK #x nobody")
        assert h.lines(a) == [
            Message.of("441", "alice", "carol", "#x", "They aren't on that channel", source=S),
            Message.of("441", "alice", "nobody", "#x", "They aren't on that channel", source=S),
        ]

    def test_other_errors(self, h: Harness) -> None:
        _a, _b = pair(h)
        c = h.connect("carol")
        h.send(c, "KICK #x bob", "KICK #nope bob", "KICK #x")
        assert numerics(h.lines(c)) == ["442", "403", "461"]


class TestSendRestrictions:
    def test_moderated(self, h: Harness) -> None:
        a, b = pair(h)
        h.send(a, "MODE #x +m")
        h.clear(b)
        h.send(b, "PRIVMSG #x :hi")
        assert h.lines(b) == [Message.of("404", "bob", "#x", "Cannot send to channel", source=S)]
        h.send(a, "MODE #x +v bob")
        h.clear(a, b)
        h.send(b, "PRIVMSG #x :hi")
        assert h.lines(a) == [Message.of("PRIVMSG", "#x", "hi", source=src(b))]

    def test_no_external(self, h: Harness) -> None:
        a, b = pair(h)
        c = h.connect("carol")
        h.send(c, "PRIVMSG #x :from outside")
        assert numerics(h.lines(c)) == ["404"]
        assert h.lines(a) == []
        h.send(a, "MODE #x -n")
        h.clear(a, b)
        h.send(c, "PRIVMSG #x :from outside")
        assert h.lines(a) == [Message.of("PRIVMSG", "#x", "from outside", source=src(c))]

    def test_banned_member_cannot_speak_unless_voiced(self, h: Harness) -> None:
        a, b = pair(h)
        h.send(a, "MODE #x +b bob")
        h.clear(a)
        h.send(b, "PRIVMSG #x :hi", "NOTICE #x :hi")
        assert numerics(h.lines(b)) == ["404"]  # NOTICE earns no error
        assert h.lines(a) == []
        h.send(a, "MODE #x +v bob")
        h.clear(a)
        h.send(b, "PRIVMSG #x :hi")
        assert h.lines(a) == [Message.of("PRIVMSG", "#x", "hi", source=src(b))]


class TestHistoryReplay:
    def test_joiner_gets_recent_lines_in_a_batch_with_time(self) -> None:
        h = Harness(lobby=None, limits={"history_replay": 2})
        a = h.connect("alice")
        h.send(a, "JOIN #x", "PRIVMSG #x :one", "PRIVMSG #x :two", "NOTICE #x :three")
        b = h.connect("bob", ["batch", "server-time", "message-tags"])
        h.send(b, "JOIN #x")
        got = h.lines(b)
        cmds = [m.command for m in got]
        assert cmds == ["JOIN", "353", "366", "BATCH", "PRIVMSG", "NOTICE", "BATCH"]
        start, one, two, end = got[3:]
        ref = start.params[0][1:]
        assert start.params == ("+" + ref, "chathistory", "#x")
        assert end.params == ("-" + ref,)
        assert (one.source, one.params) == (a.source, ("#x", "two"))
        assert (two.source, two.params) == (a.source, ("#x", "three"))
        assert one.tags["batch"] == ref and "time" in one.tags and "msgid" in one.tags

    def test_plain_client_gets_stamped_text(self) -> None:
        h = Harness(lobby=None)
        a = h.connect("alice")
        h.send(a, "JOIN #x", "PRIVMSG #x :hello", "PRIVMSG #x :\x01ACTION waves\x01")
        b = h.connect("bob")
        h.send(b, "JOIN #x")
        replay = [m for m in h.lines(b) if m.command == "PRIVMSG"]
        assert len(replay) == 2
        assert re.fullmatch(r"\[\d\d:\d\d\] hello", replay[0].params[1])
        assert replay[1].params[1] == "\x01ACTION waves\x01"  # CTCP is not stamped
        assert all(not m.tags for m in replay)

    def test_replay_off(self) -> None:
        h = Harness(lobby=None, limits={"history_replay": 0})
        a = h.connect("alice")
        h.send(a, "JOIN #x", "PRIVMSG #x :hello")
        b = h.connect("bob")
        h.send(b, "JOIN #x")
        assert "PRIVMSG" not in [m.command for m in h.lines(b)]


def test_who_with_multi_prefix() -> None:
    h = Harness(lobby=None)
    a = h.connect("alice")
    b = h.connect("bob", ["multi-prefix"])
    h.send(a, "JOIN #x")
    h.send(b, "JOIN #x")
    h.send(a, "MODE #x +v alice")
    h.clear(b)
    h.send(b, "WHO #x")
    assert [m.params[6] for m in h.lines(b) if m.command == "352"] == ["H@+", "H"]


@pytest.mark.parametrize(
    ("casemapping", "second", "same"),
    [
        ("rfc1459", "#CHAT{1}", True),
        ("rfc1459", "#chat|", False),
        ("ascii", "#CHAT[1]", True),
        ("ascii", "#chat{1}", False),
    ],
)
def test_channel_names_fold_with_the_casemapping(casemapping: str, second: str, same: bool) -> None:
    h = Harness(lobby=None, casemapping=casemapping)
    a = h.connect("alice")
    b = h.connect("bob")
    h.send(a, "JOIN #chat[1]")
    h.clear(a)
    h.send(b, "JOIN " + second)
    joined = h.lines(b)[0]
    if same:
        assert joined.params == ("#chat[1]",)  # shown as its creator typed it
        assert h.lines(a) == [joined]
    else:
        assert joined.params == (second,)
        assert h.lines(a) == []
