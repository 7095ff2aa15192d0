"""IRCv3 behaviour beyond plain delivery: labeled-response, away-notify, extended-join,
setname, standard-replies, and the tag masks in chinwag.server.caps."""

from __future__ import annotations

import pytest

from chinwag.proto.message import Message
from chinwag.server.caps import TAG_MESSAGE, TAG_TIME, tag_mask
from tests.server.harness import Harness, numerics

S = "chinwag.local"


@pytest.mark.parametrize(
    ("caps", "mask"),
    [
        (set(), 0),
        ({"server-time"}, TAG_TIME),
        ({"message-tags"}, TAG_MESSAGE),
        ({"server-time", "message-tags", "echo-message"}, TAG_TIME | TAG_MESSAGE),
        ({"multi-prefix", "batch"}, 0),
    ],
)
def test_tag_mask(caps: set[str], mask: int) -> None:
    assert tag_mask(caps) == mask


class TestLabeledResponse:
    CAPS = ("labeled-response", "batch")

    def test_ack_when_there_is_no_reply(self) -> None:
        h = Harness()
        a = h.connect("alice", self.CAPS)
        b = h.connect("bob")
        h.clear(a)
        h.send(a, "@label=l1 PRIVMSG bob :hi")
        assert h.lines(a) == [Message.of("ACK", source=S, tags={"label": "l1"})]
        assert h.lines(b)[0].tags == {}

    def test_single_reply_carries_the_label(self) -> None:
        h = Harness()
        a = h.connect("alice", self.CAPS)
        h.send(a, "@label=abc PING tok")
        assert h.lines(a) == [
            Message.of("PONG", S, "tok", source=S, tags={"label": "abc"}),
        ]

    def test_echo_is_the_labeled_reply(self) -> None:
        h = Harness()
        a = h.connect("alice", (*self.CAPS, "echo-message"))
        h.send(a, "@label=e1 PRIVMSG #lobby :hi")
        assert h.lines(a) == [
            Message.of("PRIVMSG", "#lobby", "hi", source=a.source, tags={"label": "e1"})
        ]

    def test_several_replies_come_in_a_batch(self) -> None:
        h = Harness()
        a = h.connect("alice", self.CAPS)
        h.connect("bob")
        h.clear(a)
        h.send(a, "@label=w WHOIS bob")
        got = h.lines(a)
        start, *inner, end = got
        assert start.command == "BATCH" and start.tags == {"label": "w"}
        assert start.params[0].startswith("+") and start.params[1] == "labeled-response"
        ref = start.params[0][1:]
        assert end == Message.of("BATCH", "-" + ref, source=S)
        assert inner[0].command == "311" and inner[-1].command == "318"
        assert all(m.tags == {"batch": ref} for m in inner)

    def test_a_reply_batch_nests_inside_the_labeled_batch(self) -> None:
        h = Harness()
        a = h.connect("alice", (*self.CAPS, "server-time", "draft/chathistory"))
        b = h.connect("bob")
        h.send(b, "PRIVMSG #lobby :one", "PRIVMSG #lobby :two")
        h.clear(a)
        h.send(a, "@label=h CHATHISTORY LATEST #lobby * 10")
        outer, inner_start, *rest = h.lines(a)
        assert outer.tags["label"] == "h" and outer.params[1] == "labeled-response"
        ref, inner_ref = outer.params[0][1:], inner_start.params[0][1:]
        assert inner_start.params[1] == "chathistory" and inner_start.tags["batch"] == ref
        texts = [m.params[1] for m in rest if m.command == "PRIVMSG"]
        assert texts == ["one", "two"]
        assert all(m.tags["batch"] == inner_ref for m in rest if m.command == "PRIVMSG")
        inner_end, outer_end = rest[-2:]
        assert (inner_end.command, inner_end.params, inner_end.tags["batch"]) == (
            "BATCH",
            ("-" + inner_ref,),
            ref,
        )
        assert (outer_end.command, outer_end.params) == ("BATCH", ("-" + ref,))
        assert "batch" not in outer_end.tags

    def test_batch_ids_differ(self) -> None:
        h = Harness()
        a = h.connect("alice", self.CAPS)
        h.send(a, "@label=1 LUSERS", "@label=2 LUSERS")
        starts = [m.params[0] for m in h.lines(a) if m.command == "BATCH" and m.params[0][0] == "+"]
        assert len(starts) == 2 and starts[0] != starts[1]

    def test_message_to_self_is_delivered_unlabeled(self) -> None:
        # "When a client sends a message to itself, the server MUST NOT include the label
        # tag, except for any acknowledgment sent with echo-message."
        h = Harness()
        a = h.connect("alice", self.CAPS)
        h.send(a, "@label=me PRIVMSG alice :note to self")
        got = h.lines(a)
        delivered = [m for m in got if m.command == "PRIVMSG"]
        assert len(delivered) == 1
        assert "label" not in delivered[0].tags and "batch" not in delivered[0].tags
        assert sum(1 for m in got if "label" in m.tags) == 1

    def test_label_ignored_without_the_cap(self) -> None:
        h = Harness()
        a = h.connect("alice")
        h.send(a, "@label=x PING tok")
        assert h.lines(a) == [Message.of("PONG", S, "tok", source=S)]

    def test_label_on_an_error(self) -> None:
        h = Harness()
        a = h.connect("alice", self.CAPS)
        h.send(a, "@label=e FROB")
        (got,) = h.lines(a)
        assert got.command == "421" and got.tags == {"label": "e"}

    def test_with_server_time(self) -> None:
        h = Harness()
        a = h.connect("alice", (*self.CAPS, "server-time"))
        h.send(a, "@label=t PING tok")
        (got,) = h.lines(a)
        assert set(got.tags) == {"label", "time"}


class TestAwayNotify:
    def test_away_and_back_reach_peers_with_the_cap(self) -> None:
        h = Harness()
        a = h.connect("alice", ["away-notify"])
        b = h.connect("bob")
        c = h.connect("carol")
        h.clear(a, b, c)
        h.send(b, "AWAY :lunch")
        assert h.lines(b) == [
            Message.of("306", "bob", "You have been marked as being away", source=S)
        ]
        assert h.lines(a) == [Message.of("AWAY", "lunch", source=b.source)]
        assert h.lines(c) == []
        h.send(b, "AWAY")
        assert h.lines(b) == [
            Message.of("305", "bob", "You are no longer marked as being away", source=S)
        ]
        assert h.lines(a) == [Message.of("AWAY", source=b.source)]

    def test_away_user_joining_is_followed_by_away(self) -> None:
        # away-notify: AWAY is sent "when a user joins and has an away message set".
        h = Harness(lobby=None)
        a = h.connect("alice", ["away-notify"])
        b = h.connect("bob")
        c = h.connect("carol")
        h.send(a, "JOIN #x")
        h.send(c, "JOIN #x")
        h.clear(a, c)
        h.send(b, "AWAY :gone fishing", "JOIN #x")
        assert h.lines(a) == [
            Message.of("JOIN", "#x", source=b.source),
            Message.of("AWAY", "gone fishing", source=b.source),
        ]
        assert h.lines(c) == [Message.of("JOIN", "#x", source=b.source)]
        assert "AWAY" not in [m.command for m in h.lines(b)]

    def test_present_user_joining_sends_no_away(self) -> None:
        h = Harness(lobby=None)
        a = h.connect("alice", ["away-notify"])
        b = h.connect("bob")
        h.send(a, "JOIN #x")
        h.clear(a)
        h.send(b, "JOIN #x")
        assert [m.command for m in h.lines(a)] == ["JOIN"]

    def test_no_shared_channel_no_notice(self) -> None:
        h = Harness(lobby=None)
        a = h.connect("alice", ["away-notify"])
        b = h.connect("bob")
        h.send(b, "AWAY :gone")
        assert h.lines(a) == []


class TestExtendedJoin:
    def test_extended_and_plain_joins(self) -> None:
        h = Harness()
        a = h.connect("alice", ["extended-join"])
        b = h.connect("bob")
        h.clear(a, b)
        c = h.connect("carol", realname="Carol Kaye")
        assert h.lines(a) == [Message.of("JOIN", "#lobby", "*", "Carol Kaye", source=c.source)]
        assert h.lines(b) == [Message.of("JOIN", "#lobby", source=c.source)]


class TestSetname:
    def test_setname_reaches_cap_holders(self) -> None:
        h = Harness()
        a = h.connect("alice", ["setname"])
        b = h.connect("bob", ["setname"])
        c = h.connect("carol")
        h.clear(a, b, c)
        h.send(a, "SETNAME :Alice Liddell")
        expected = [Message.of("SETNAME", "Alice Liddell", source=a.source)]
        assert h.lines(a) == expected
        assert h.lines(b) == expected
        assert h.lines(c) == []
        assert a.realname == "Alice Liddell"
        h.send(c, "WHOIS alice")
        assert h.lines(c)[0].params[-1] == "Alice Liddell"

    def test_invalid_realname_fail_or_notice(self) -> None:
        h = Harness(limits={"topiclen": 5})
        a = h.connect("alice", ["setname", "standard-replies"])
        b = h.connect("bob", ["setname"])
        h.clear(a)
        h.send(a, "SETNAME :far too long")
        assert h.lines(a) == [
            Message.of("FAIL", "SETNAME", "INVALID_REALNAME", "Realname is not valid", source=S)
        ]
        h.send(b, "SETNAME :far too long")
        assert h.lines(b) == [Message.of("NOTICE", "bob", "Realname is not valid", source=S)]

    def test_setname_needs_a_param(self) -> None:
        h = Harness()
        a = h.connect("alice", ["setname"])
        h.send(a, "SETNAME")
        assert numerics(h.lines(a)) == ["461"]


class TestCapNotify:
    def test_cap_notify_can_be_requested_explicitly(self) -> None:
        h = Harness()
        u = h.open()
        h.send(u, "CAP LS", "CAP REQ :cap-notify", "CAP LIST")
        got = h.lines(u)
        assert got[1].params == ("*", "ACK", "cap-notify")
        assert got[2].params == ("*", "LIST", "cap-notify")

    def test_302_client_cannot_turn_it_off(self) -> None:
        # "servers MUST NOT disable the cap-notify capability if the client requests
        # CAP LS with a version of 302 or newer".
        h = Harness()
        u = h.open()
        h.send(u, "CAP LS 302", "CAP REQ :-cap-notify", "CAP LIST")
        got = h.lines(u)
        assert got[1].params[1] == "NAK"
        assert "cap-notify" in got[2].params[2].split()

    def test_pre_302_client_may_turn_it_off(self) -> None:
        h = Harness()
        u = h.open()
        h.send(u, "CAP LS", "CAP REQ :cap-notify", "CAP REQ :-cap-notify", "CAP LIST")
        got = h.lines(u)
        assert got[2].params == ("*", "ACK", "-cap-notify")
        assert got[3].params == ("*", "LIST", "")

    def test_302_client_may_request_it_again(self) -> None:
        h = Harness()
        u = h.open()
        h.send(u, "CAP LS 302", "CAP REQ :cap-notify")
        assert h.lines(u)[1].params == ("*", "ACK", "cap-notify")
