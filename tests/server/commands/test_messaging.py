"""PRIVMSG, NOTICE and TAGMSG: who gets what, and which error replies, with no sockets."""

from __future__ import annotations

import pytest

from chinwag.proto.message import Message
from chinwag.server.state import User
from chinwag.storage.base import StoredMessage, Window
from tests.server.harness import Harness, numerics

S = "chinwag.local"


@pytest.fixture
def h() -> Harness:
    return Harness()


def trio(h: Harness) -> tuple[User, User, User]:
    users = (h.connect("alice"), h.connect("bob"), h.connect("carol"))
    h.clear(*users)
    return users


class TestChannelMessages:
    @pytest.mark.parametrize("verb", ["PRIVMSG", "NOTICE"])
    def test_all_members_but_the_sender_once(self, h: Harness, verb: str) -> None:
        a, b, c = trio(h)
        h.send(a, f"{verb} #lobby :hello all")
        expected = [Message.of(verb, "#lobby", "hello all", source=a.source)]
        assert h.lines(b) == expected
        assert h.lines(c) == expected
        assert h.lines(a) == []

    def test_outsider_does_not_hear(self, h: Harness) -> None:
        a, b, c = trio(h)
        h.send(c, "PART #lobby")
        h.clear(a, b, c)
        h.send(a, "PRIVMSG #lobby :members only")
        assert h.lines(c) == []
        assert len(h.lines(b)) == 1

    def test_channel_name_is_shown_as_created(self, h: Harness) -> None:
        a, b, _c = trio(h)
        h.send(a, "PRIVMSG #LOBBY :hi")
        assert h.lines(b)[0].params[0] == "#lobby"

    def test_statusmsg_reaches_ops_only(self, h: Harness) -> None:
        a, b, c = trio(h)  # alice created #lobby, so alice is op
        h.send(a, "MODE #lobby +o bob")
        h.clear(a, b, c)
        h.send(c, "PRIVMSG @#lobby :ops, help")
        assert h.lines(a) == [Message.of("PRIVMSG", "@#lobby", "ops, help", source=c.source)]
        assert h.lines(b) == [Message.of("PRIVMSG", "@#lobby", "ops, help", source=c.source)]
        assert h.lines(c) == []

    def test_statusmsg_voice_reaches_voiced_and_ops(self, h: Harness) -> None:
        a, b, c = trio(h)
        h.send(a, "MODE #lobby +v bob")
        h.clear(a, b, c)
        h.send(c, "NOTICE +#lobby :voices")
        assert len(h.lines(a)) == 1
        assert len(h.lines(b)) == 1
        assert h.lines(c) == []

    def test_history_is_recorded(self, h: Harness) -> None:
        a, _b, _c = trio(h)
        h.send(a, "PRIVMSG #lobby :remember me", "NOTICE #lobby :and me")
        rows = h.storage.history(["#lobby"], Window(limit=10))
        assert [(r.kind, r.text, r.sender) for r in rows] == [
            ("PRIVMSG", "remember me", a.source),
            ("NOTICE", "and me", a.source),
        ]
        assert h.server.stats().messages == 2


class TestPrivateMessages:
    @pytest.mark.parametrize("verb", ["PRIVMSG", "NOTICE"])
    def test_only_the_target(self, h: Harness, verb: str) -> None:
        a, b, c = trio(h)
        h.send(a, f"{verb} BOB :psst")
        assert h.lines(b) == [Message.of(verb, "bob", "psst", source=a.source)]
        assert h.lines(c) == []
        assert h.lines(a) == []

    def test_several_targets(self, h: Harness) -> None:
        a, b, c = trio(h)
        h.send(a, "PRIVMSG bob,carol,#lobby :x")
        assert len(h.lines(b)) == 2  # once to the nick, once in the channel
        assert [m.params[0] for m in h.lines(c)] == ["carol", "#lobby"]

    def test_301_when_away_for_privmsg_only(self, h: Harness) -> None:
        a, b, _c = trio(h)
        h.send(b, "AWAY :at lunch")
        h.send(a, "PRIVMSG bob :there?")
        assert h.lines(a) == [Message.of("301", "alice", "bob", "at lunch", source=S)]
        h.send(a, "NOTICE bob :fyi")
        assert h.lines(a) == []


class TestErrors:
    @pytest.mark.parametrize(
        ("line", "reply"),
        [
            ("PRIVMSG nobody :hi", ("401", "alice", "nobody", "No such nick/channel")),
            ("PRIVMSG #nope :hi", ("403", "alice", "#nope", "No such channel")),
            ("PRIVMSG", ("411", "alice", "No recipient given (PRIVMSG)")),
            ("PRIVMSG bob", ("412", "alice", "No text to send")),
            ("PRIVMSG bob :", ("412", "alice", "No text to send")),
            ("PRIVMSG a,b,c,d,e :hi", ("407", "alice", "a,b,c,d,e", "Too many targets")),
        ],
    )
    def test_privmsg_errors(self, h: Harness, line: str, reply: tuple[str, ...]) -> None:
        a, b, _c = trio(h)
        h.send(a, line)
        assert h.lines(a) == [Message.of(*reply, source=S)]
        assert h.lines(b) == []

    @pytest.mark.parametrize(
        "line",
        ["NOTICE nobody :hi", "NOTICE #nope :hi", "NOTICE", "NOTICE bob", "NOTICE a,b,c,d,e :x"],
    )
    def test_notice_never_gets_errors(self, h: Harness, line: str) -> None:
        a, _b, _c = trio(h)
        h.send(a, line)
        assert h.lines(a) == []

    def test_too_many_targets_delivers_nothing(self, h: Harness) -> None:
        a, b, c = trio(h)
        h.send(a, "PRIVMSG bob,carol,x,y,z :hi")
        assert numerics(h.lines(a)) == ["407"]
        assert h.lines(b) == [] and h.lines(c) == []


class TestTags:
    def test_client_tags_relayed_only_to_message_tags_clients(self, h: Harness) -> None:
        a = h.connect("alice", ["message-tags"])
        b = h.connect("bob", ["message-tags"])
        c = h.connect("carol")
        h.clear(a, b, c)
        h.send(a, "@+draft/react=x;+example.com/k=v\\sw;label-not=kept PRIVMSG #lobby :hi")
        (got,) = h.lines(b)
        assert got.params == ("#lobby", "hi")
        assert got.tags["+draft/react"] == "x"
        assert got.tags["+example.com/k"] == "v w"
        assert "label-not" not in got.tags
        assert set(got.tags) == {"+draft/react", "+example.com/k", "msgid"}
        assert h.lines(c) == [Message.of("PRIVMSG", "#lobby", "hi", source=a.source)]

    def test_client_tags_from_a_plain_client_are_dropped(self, h: Harness) -> None:
        a = h.connect("alice")
        b = h.connect("bob", ["message-tags"])
        h.clear(a, b)
        h.send(a, "@+typing=active PRIVMSG bob :hi")
        (got,) = h.lines(b)
        assert set(got.tags) == {"msgid"}

    def test_msgid_differs_per_message(self, h: Harness) -> None:
        a = h.connect("alice")
        b = h.connect("bob", ["message-tags"])
        h.clear(b)
        h.send(a, "PRIVMSG #lobby :one", "PRIVMSG #lobby :two")
        ids = [m.tags["msgid"] for m in h.lines(b)]
        assert len(ids) == 2 and ids[0] != ids[1]

    def test_tagmsg_goes_only_to_message_tags_clients(self, h: Harness) -> None:
        a = h.connect("alice", ["message-tags"])
        b = h.connect("bob", ["message-tags"])
        c = h.connect("carol")
        h.clear(a, b, c)
        h.send(a, "@+typing=active TAGMSG #lobby")
        (got,) = h.lines(b)
        assert (got.command, got.params, got.source) == ("TAGMSG", ("#lobby",), a.source)
        assert got.tags["+typing"] == "active"
        assert h.lines(c) == []
        assert h.lines(a) == []
        h.send(a, "@+typing=paused TAGMSG carol")
        assert h.lines(c) == []
        h.send(a, "@+typing=paused TAGMSG bob")
        assert h.lines(b)[0].params == ("bob",)

    def test_tagmsg_is_not_echoed_to_a_sender_without_message_tags(self, h: Harness) -> None:
        # "Servers MUST NOT deliver TAGMSG to clients that haven't negotiated the message
        # tags capability", echo-message included.
        c = h.connect("carol", ["echo-message"])
        h.connect("bob", ["message-tags"])
        h.clear(c)
        h.send(c, "TAGMSG bob", "TAGMSG #lobby")
        assert h.lines(c) == []

    def test_tagmsg_echo_with_message_tags(self, h: Harness) -> None:
        a = h.connect("alice", ["echo-message", "message-tags"])
        h.clear(a)
        h.send(a, "@+typing=active TAGMSG #lobby")
        (got,) = h.lines(a)
        assert got.command == "TAGMSG" and got.tags["+typing"] == "active"

    def test_server_time(self, h: Harness) -> None:
        a = h.connect("alice")
        b = h.connect("bob", ["server-time"])
        h.clear(b)
        h.send(a, "PRIVMSG #lobby :now")
        (got,) = h.lines(b)
        assert set(got.tags) == {"time"}
        assert got.tags["time"][:4].isdigit()
        assert got.tags["time"][10] == "T" and got.tags["time"].endswith("Z")
        assert len(got.tags["time"]) == len("2026-01-01T00:00:00.000Z")
        # Numerics and other replies carry it too.
        h.send(b, "PING x")
        assert "time" in h.lines(b)[0].tags

    def test_no_tags_for_plain_clients(self, h: Harness) -> None:
        a = h.connect("alice", ["server-time", "message-tags"])
        b = h.connect("bob")
        h.clear(b)
        h.send(a, "@+x=y PRIVMSG #lobby :plain")
        raw = h.raw(b)
        assert raw == f":{a.source} PRIVMSG #lobby :plain\r\n".encode()


class TestEchoMessage:
    def test_echo_to_channel_and_nick(self, h: Harness) -> None:
        a = h.connect("alice", ["echo-message"])
        b = h.connect("bob")
        h.clear(a, b)
        h.send(a, "PRIVMSG #lobby :hi", "NOTICE bob :yo")
        assert h.lines(a) == [
            Message.of("PRIVMSG", "#lobby", "hi", source=a.source),
            Message.of("NOTICE", "bob", "yo", source=a.source),
        ]
        assert len(h.lines(b)) == 2

    def test_no_echo_without_the_cap(self, h: Harness) -> None:
        a = h.connect("alice")
        h.connect("bob")
        h.clear(a)
        h.send(a, "PRIVMSG #lobby :hi", "PRIVMSG bob :yo")
        assert h.lines(a) == []

    def test_echo_keeps_msgid(self, h: Harness) -> None:
        a = h.connect("alice", ["echo-message", "message-tags"])
        b = h.connect("bob", ["message-tags"])
        h.clear(a, b)
        h.send(a, "PRIVMSG #lobby :hi")
        assert h.lines(a)[0].tags["msgid"] == h.lines(b)[0].tags["msgid"]


class TestWhatHistoryKeeps:
    """Only what every later member may see is stored and replayed: plain text and
    ACTION; never STATUSMSG (it reached some members only) nor CTCP requests or replies
    (every client that joins would answer them again)."""

    @pytest.mark.parametrize(
        ("line", "kept"),
        [
            ("PRIVMSG #x :plain words", True),
            ("NOTICE #x :a notice", True),
            ("PRIVMSG #x :\x01ACTION waves\x01", True),
            ("PRIVMSG #x :\x01ACTION\x01", True),
            ("PRIVMSG @#x :ops only", False),
            ("PRIVMSG +#x :voiced and up", False),
            ("NOTICE @+#x :status notice", False),
            ("PRIVMSG #x :\x01VERSION\x01", False),
            ("PRIVMSG #x :\x01PING 12345\x01", False),
            ("PRIVMSG #x :\x01DCC SEND file 1 2 3\x01", False),
            ("NOTICE #x :\x01VERSION irssi\x01", False),
            ("PRIVMSG #x :\x01ACTIONS are not actions\x01", False),
        ],
    )
    def test_stored_and_replayed_or_not(self, line: str, kept: bool) -> None:
        h = Harness(lobby=None)
        a = h.connect("alice")
        h.send(a, "JOIN #x", line)
        text = line.split(" :", 1)[1]
        stored = h.storage.history(["#x"], Window(limit=10))
        assert [r.text for r in stored] == ([text] if kept else [])
        b = h.connect("bob", ["server-time"])
        h.send(b, "JOIN #x")
        replayed = [m.params[1] for m in h.lines(b) if m.command in ("PRIVMSG", "NOTICE")]
        assert replayed == ([text] if kept else [])

    def test_statusmsg_still_reaches_the_ops_live(self) -> None:
        h = Harness(lobby=None)
        a = h.connect("alice")
        b = h.connect("bob")
        h.send(a, "JOIN #x")
        h.send(b, "JOIN #x")
        h.send(a, "MODE #x +o bob")
        h.clear(a, b)
        h.send(a, "PRIVMSG @#x :ops only")
        assert h.lines(b) == [Message.of("PRIVMSG", "@#x", "ops only", source=a.source)]
        assert h.server.messages == 1

    def test_old_ctcp_rows_are_not_replayed(self) -> None:
        # Rows stored before this rule existed are skipped on replay too.
        h = Harness(lobby=None)
        a = h.connect("alice")
        h.send(a, "JOIN #x")
        for msgid, at, text in (("m1", 1.0, "\x01VERSION\x01"), ("m2", 2.0, "kept")):
            row = StoredMessage(msgid, at, "#x", a.source, None, "PRIVMSG", "", text)
            h.storage.append("#x", row)
        b = h.connect("bob", ["server-time"])
        h.send(b, "JOIN #x")
        assert [m.params[1] for m in h.lines(b) if m.command == "PRIVMSG"] == ["kept"]


class TestBotTag:
    def test_messages_from_a_bot_carry_the_bot_tag(self) -> None:
        # IRCv3 bot-mode: the bot tag (no value) for clients with message-tags.
        h = Harness()
        bot = h.connect("helper")
        tagged = h.connect("alice", ["message-tags"])
        plain = h.connect("bob")
        h.send(bot, "MODE helper +B")
        h.clear(bot, tagged, plain)
        h.send(bot, "PRIVMSG #lobby :beep", "NOTICE alice :boop")
        got = h.lines(tagged)
        assert [m.command for m in got] == ["PRIVMSG", "NOTICE"]
        assert all(m.tags.get("bot") == "" for m in got)
        assert all("bot" not in m.tags for m in h.lines(plain))
        h.send(bot, "MODE helper -B", "PRIVMSG #lobby :human now")
        assert "bot" not in h.lines(tagged)[-1].tags
