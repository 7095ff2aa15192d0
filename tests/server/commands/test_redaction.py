"""REDACT (draft/message-redaction): own messages, channel operators in their room, the
errors, relaying to capable clients, and history, search and replay skipping them."""

from __future__ import annotations

from chinwag.proto.message import Message
from chinwag.server.state import User
from chinwag.storage.base import Window
from tests.server.commands.test_history import FULL, login, texts
from tests.server.harness import Harness

CAPS = (*FULL, "draft/message-redaction", "echo-message")


def setup() -> tuple[Harness, User, User, User, list[Message]]:
    """#r with alice (op, first in), bob, and carol; bob said two things."""
    h = Harness(lobby=None, limits={"history_replay": 10})
    a = h.connect("alice", CAPS)
    b = h.connect("bob", CAPS)
    c = h.connect("carol")  # without the capability
    for u in (a, b, c):
        h.send(u, "JOIN #r")
    h.send(b, "PRIVMSG #r :oops", "PRIVMSG #r :fine")
    sent = [m for m in h.lines(b) if m.command == "PRIVMSG"]
    h.clear(a, b, c)
    return h, a, b, c, sent


def test_own_message_is_deleted_everywhere() -> None:
    h, a, b, c, sent = setup()
    oops = sent[0].tags["msgid"]
    h.send(b, f"REDACT #r {oops} :typo")
    for user in (a, b):
        (redact,) = h.lines(user)
        assert redact.command == "REDACT" and redact.params == ("#r", oops, "typo")
        assert redact.source == b.source and "msgid" in redact.tags
    assert h.lines(c) == []  # no capability: no REDACT
    h.send(a, "CHATHISTORY LATEST #r * 10")
    assert texts(h.lines(a)) == ["fine"]
    assert h.storage.search(["#r"], "oops", None, Window()) == []
    newcomer = h.connect("dave")
    h.send(newcomer, "JOIN #r")
    assert [t.split("] ", 1)[-1] for t in texts(h.lines(newcomer))] == ["fine"]


def test_operators_may_delete_any_message_in_their_room() -> None:
    h, a, b, _, sent = setup()
    h.send(a, f"REDACT #r {sent[1].tags['msgid']}")
    assert [m.command for m in h.lines(b)] == ["REDACT"]


def test_others_may_not() -> None:
    h, _, _, c, sent = setup()
    h.send(c, f"REDACT #r {sent[0].tags['msgid']}")
    (fail,) = h.lines(c)
    assert fail.command == "NOTICE"  # no standard-replies: the FAIL becomes a NOTICE
    d = h.connect("dave", CAPS)
    h.send(d, "JOIN #r")
    h.clear(d)
    h.send(d, f"REDACT #r {sent[0].tags['msgid']}")
    (fail,) = h.lines(d)
    assert fail.params[:2] == ("REDACT", "REDACT_FORBIDDEN")


def test_unknown_and_foreign_msgids_and_rooms() -> None:
    h, a, _, _, sent = setup()
    h.send(a, "REDACT #r nope")
    assert h.lines(a)[0].params[:2] == ("REDACT", "UNKNOWN_MSGID")
    h.send(a, "JOIN #other")
    h.clear(a)
    h.send(a, f"REDACT #other {sent[0].tags['msgid']}")  # from #r: not found in #other
    assert h.lines(a)[0].params[:2] == ("REDACT", "UNKNOWN_MSGID")
    h.send(a, f"REDACT #elsewhere {sent[0].tags['msgid']}")
    assert h.lines(a)[0].params[:2] == ("REDACT", "INVALID_TARGET")
    msgid = sent[0].tags["msgid"]
    h.send(a, f"REDACT #r {msgid}")
    h.clear(a)
    h.send(a, f"REDACT #r {msgid}")  # already deleted
    assert h.lines(a)[0].params[:2] == ("REDACT", "UNKNOWN_MSGID")


def test_private_messages() -> None:
    h = Harness(lobby=None)
    a = h.connect("alice", CAPS)
    b = h.connect("bob", CAPS)
    login(a, "alice")
    h.send(a, "PRIVMSG bob :regret")
    (echo,) = [m for m in h.lines(a) if m.command == "PRIVMSG"]
    msgid = echo.tags["msgid"]
    h.clear(b)
    h.send(b, f"REDACT alice {msgid}")  # not bob's message
    assert h.lines(b)[0].params[:2] == ("REDACT", "REDACT_FORBIDDEN")
    h.send(a, f"REDACT bob {msgid}")
    assert [m.command for m in h.lines(b)] == ["REDACT"]
    h.send(a, "CHATHISTORY LATEST bob * 10")
    assert texts(h.lines(a)) == []
