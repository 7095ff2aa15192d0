"""The fast path for the commonest lines: a PRIVMSG or NOTICE to one nick or one room.

:func:`relay_direct` takes the decoded line before it is parsed. When it is plainly
``PRIVMSG <nick> :<text>`` (or NOTICE) from a registered client, to someone else who is
connected, and nothing about it needs the full relay (no tags from the sender, no
echo-message, no bot mode, no away reply, no history to keep because neither side is
logged in), it writes the relayed line straight to the recipient's queue: no
:class:`~chinwag.proto.message.Message`, no trip through the command table, no target
list. ``PRIVMSG #<room> :<text>`` from a member whom nothing in the room can stop (not
moderated unless voiced, no bans to check) is fanned out and kept in history the same
way. Anything else returns False and takes the ordinary path
(:mod:`chinwag.server.commands.messaging`), which this must match byte for byte for
the recipients and in history; a test sends the same lines both ways.

In the ``dm`` benchmark it cut the server's CPU per round trip from about 40 to 25 µs
(docs/benchmarks.md, "Profile and tuning"). What it does not do: status messages
(``@#room``), several targets, or anything that needs a reply (errors come from the
full path).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from chinwag.proto.limits import LINE_BYTES
from chinwag.server.history import now_ms, replayable
from chinwag.server.outgoing import Outgoing
from chinwag.server.state import User

if TYPE_CHECKING:
    from chinwag.server.view import CoreView

# A target that is a status prefix, a mask or a channel other than "#..." takes the full
# path.
_NOT_A_NICK = frozenset("#&@+~!%$:*")


def relay_direct(server: CoreView, user: User, text: str) -> bool:
    """Relay ``text`` (a whole line, decoded, without CRLF) if it is a simple private or
    room message; True when it was handled here."""
    if text.startswith("PRIVMSG "):
        verb, rest = "PRIVMSG", text[8:]
    elif text.startswith("NOTICE "):
        verb, rest = "NOTICE", text[7:]
    else:
        return False
    target, sep, body = rest.partition(" :")
    if not sep or not body or not target or " " in target or "," in target:
        return False
    if "\r" in text or "\0" in text:
        return False  # the parser refuses a CR inside a line and drops NULs
    if not user.registered or "B" in user.modes or "echo-message" in user.caps:
        return False
    if target[0] == "#":
        return _to_room(server, user, verb, target, body)
    if target[0] in _NOT_A_NICK:
        return False
    other = server.by_nick.get(server.fold(target))
    if other is None or other is user or other.closed or other.capture is not None:
        return False
    if verb == "PRIVMSG" and other.away is not None:
        return False
    if (user.account or other.account) and server.storage and server.limits.private_history:
        return False  # kept in history: the full path does that
    if other.tagmask:
        out = Outgoing(
            verb,
            (other.nick, body),
            user.source,
            {"msgid": server.new_msgid()},
            now_ms(),
            account=user.account,
        )
        data = out.line_for(other.tagmask)
    else:
        data = f":{user.source} {verb} {other.nick} :{body}\r\n".encode()
        if len(data) > LINE_BYTES:
            return False  # to be trimmed to fit: the full path does that
    user.last_active = time.time()
    server.messages += 1
    # Server._push, inlined: a backlogged recipient holds the sender (backpressure).
    if server.backlog and other in server.backlog:
        server.hold(user, (other,))
    queue = other.out
    if not queue:
        if not server.dirty:
            server.on_dirty()
        server.dirty.append(other)
    queue.append(data)
    return True


def _to_room(server: CoreView, user: User, verb: str, target: str, body: str) -> bool:
    """A message from a member of an existing room whom nothing there can stop (no
    moderation without voice, no bans to check): relayed to the room and kept, as
    :mod:`chinwag.server.commands.messaging` would."""
    channel = server.channels.get(server.fold(target))
    if channel is None or server.config.log_messages:
        return False
    held = channel.members.get(user)
    if held is None or (not held and ("m" in channel.modes or channel.bans)):
        return False  # not a member, or moderated or with bans: the full path checks
    msgid = server.new_msgid()
    at = now_ms()  # the time tag and the stored time are the same millisecond
    out = Outgoing(
        verb, (channel.name, body), user.source, {"msgid": msgid}, at, account=user.account
    )
    user.last_active = time.time()
    server.reading = user  # backpressure: a backlogged member holds the sender
    try:
        server.fanout.channel_message(channel, channel.members, out, user)
    finally:
        server.reading = None
    # Plain text (no CTCP) is always kept: replayable() only for what starts with \x01.
    keep = body[:1] != "\x01" or replayable(body)
    server.record_message(
        channel, user, verb, out.params[-1], msgid, at, store=keep, source=out.source
    )
    if server.doomed:
        server._reap()
    return True
