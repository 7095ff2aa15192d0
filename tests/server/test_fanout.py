"""The channel fan-out seam (chinwag.server.fanout): every channel message goes through
``Server.fanout``, and LocalFanout delivers to the members but not the sender."""

from __future__ import annotations

from collections.abc import Iterable

from chinwag.proto.message import Message
from chinwag.server.fanout import LocalFanout
from chinwag.server.outgoing import Outgoing
from chinwag.server.state import Channel, User
from tests.server.harness import Harness


class Recording:
    """A Fanout that records what it is asked to deliver, and delivers nothing."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str], bytes, str]] = []

    def channel_message(
        self, channel: Channel, recipients: Iterable[User], out: Outgoing, sender: User
    ) -> None:
        nicks = sorted(u.nick for u in recipients)
        self.calls.append((channel.name, nicks, out.line_for(0), sender.nick))


def test_channel_messages_go_through_the_seam() -> None:
    h = Harness()
    a = h.connect("alice")
    b = h.connect("bob")
    h.clear(a, b)
    rec = Recording()
    h.server.fanout = rec
    h.send(a, "PRIVMSG #lobby :hello", "NOTICE #lobby :note", "PRIVMSG bob :direct")
    assert [(c[0], c[1], c[3]) for c in rec.calls] == [
        ("#lobby", ["alice", "bob"], "alice"),
        ("#lobby", ["alice", "bob"], "alice"),
    ]
    assert rec.calls[0][2] == f":{a.source} PRIVMSG #lobby :hello\r\n".encode()
    # Only the private message was delivered directly; the channel ones were the seam's.
    assert h.lines(b) == [Message.of("PRIVMSG", "bob", "direct", source=a.source)]


def test_statusmsg_recipients_are_filtered_before_the_seam() -> None:
    h = Harness()
    h.connect("alice")  # creator of #lobby: op
    b = h.connect("bob")
    rec = Recording()
    h.server.fanout = rec
    h.send(b, "PRIVMSG @#lobby :ops only")
    assert rec.calls[0][1] == ["alice"]


def test_local_fanout_skips_the_sender() -> None:
    h = Harness()
    a = h.connect("alice")
    b = h.connect("bob")
    h.clear(a, b)
    assert isinstance(h.server.fanout, LocalFanout)
    channel = h.server.channels["#lobby"]
    out = Outgoing("PRIVMSG", ("#lobby", "x"), a.source)
    h.server.fanout.channel_message(channel, channel.members, out, a)
    assert h.lines(a) == []
    assert h.lines(b) == [Message.of("PRIVMSG", "#lobby", "x", source=a.source)]


def test_members_get_the_line_for_their_own_capabilities_in_any_order() -> None:
    # Members join in an order that makes the tag mask change from one to the next.
    h = Harness()
    a = h.connect("alice")
    capsets = [(), ("server-time",), (), ("message-tags",), ("server-time",), (), ()]
    members = [h.connect(f"m{i}", caps) for i, caps in enumerate(capsets)]
    h.clear(a, *members)
    h.send(a, "PRIVMSG #lobby :hi")
    for member, caps in zip(members, capsets, strict=True):
        [line] = h.lines(member)
        assert line.params == ("#lobby", "hi") and line.source == a.source
        assert ("time" in line.tags) == ("server-time" in caps)
        assert ("msgid" in line.tags) == ("message-tags" in caps)


def texts(h: Harness, user: User) -> list[str]:
    """The room messages ``user`` was sent live (not the join replay's "[hh:mm] ...")."""
    found = [m.params[-1] for m in h.lines(user) if m.command == "PRIVMSG"]
    return [t for t in found if not t.startswith("[")]


def test_room_fanout_follows_joins_parts_kicks_and_quits_within_one_turn() -> None:
    h = Harness()
    a = h.connect("alice")  # op of #lobby
    b, c, d, e = (h.connect(n) for n in ("bob", "carol", "dave", "erin"))
    h.send(c, "PART #lobby")
    h.clear(a, b, c, d, e)
    receive = h.server.receive
    # One turn: nothing is flushed until the end, the room changes between messages.
    receive(a, b"PRIVMSG #lobby :one\r\n")
    receive(c, b"JOIN #lobby\r\n")
    receive(a, b"PRIVMSG #lobby :two\r\n")
    receive(b, b"PART #lobby\r\n")
    receive(a, b"KICK #lobby dave\r\n")
    receive(a, b"PRIVMSG #lobby :three\r\n")
    receive(e, b"QUIT :bye\r\n")
    receive(a, b"PRIVMSG #lobby :four\r\n")
    h.server.flush()
    assert texts(h, a) == []
    assert texts(h, b) == ["one", "two"]
    assert texts(h, c) == ["two", "three", "four"]
    assert texts(h, d) == ["one", "two"]
    link = h.link(e)  # written at once as erin quit, then closed
    assert e.closed and link.data[link.read_to :].count(b"PRIVMSG") == 3  # one to three


def test_room_fanout_follows_a_members_capabilities() -> None:
    h = Harness()
    a = h.connect("alice")
    b = h.connect("bob", ("server-time",))
    h.clear(a, b)

    def sent_to_bob(text: str) -> Message:
        h.send(a, f"PRIVMSG #lobby :{text}")
        [got] = [m for m in h.lines(b) if m.command == "PRIVMSG"]
        assert got.params[-1] == text
        return got

    assert "time" in sent_to_bob("with time").tags
    h.send(b, "CAP REQ :-server-time")
    h.clear(b)
    got = sent_to_bob("without")
    assert "time" not in got.tags and "msgid" not in got.tags
    h.send(b, "CAP REQ :message-tags")
    h.clear(b)
    assert "msgid" in sent_to_bob("with msgid").tags


def test_a_captured_labeled_message_takes_the_member_by_member_path() -> None:
    h = Harness()
    caps = ("labeled-response", "echo-message", "batch")
    a = h.connect("alice", caps)
    b = h.connect("bob")
    h.clear(a, b)
    h.send(a, "@label=l1 PRIVMSG #lobby :labeled")
    assert h.lines(b) == [Message.of("PRIVMSG", "#lobby", "labeled", source=a.source)]
    [echo] = h.lines(a)  # the sender's echo, labeled, and nothing else
    assert echo.params == ("#lobby", "labeled") and echo.tags.get("label") == "l1"
    h.send(a, "PRIVMSG #lobby :after")  # and the room's own path again, once each
    assert texts(h, b) == ["after"] and [m.params[-1] for m in h.lines(a)] == ["after"]
