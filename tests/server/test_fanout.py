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
