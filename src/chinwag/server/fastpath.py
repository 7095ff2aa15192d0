"""The fast path for the commonest line: a private PRIVMSG or NOTICE to one nick.

:func:`relay_direct` takes the decoded line before it is parsed. When it is plainly
``PRIVMSG <nick> :<text>`` (or NOTICE) from a registered client, to someone else who is
connected, and nothing about it needs the full relay (no tags from the sender, no
echo-message, no bot mode, no away reply, no history to keep because neither side is
logged in), it writes the relayed line straight to the recipient's queue: no
:class:`~chinwag.proto.message.Message`, no trip through the command table, no target
list. Anything else returns False and takes the ordinary path
(:mod:`chinwag.server.commands.messaging`), which this must match byte for byte for
the recipient; a test sends the same lines both ways.

In the ``dm`` benchmark it cut the server's CPU per round trip from about 40 to 25 µs
(docs/benchmarks.md, "Profile and tuning"). What it does not do: channels, several
targets, or anything that needs a reply (errors come from the full path).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from chinwag.proto.limits import LINE_BYTES
from chinwag.server.history import now_ms
from chinwag.server.outgoing import Outgoing
from chinwag.server.state import User

if TYPE_CHECKING:
    from chinwag.server.core import Server

# A target that is a channel, a status prefix or a mask takes the full path.
_NOT_A_NICK = frozenset("#&@+~!%$:*")


def relay_direct(server: Server, user: User, text: str) -> bool:
    """Relay ``text`` (a whole line, decoded, without CRLF) if it is a simple private
    message; True when it was handled here."""
    if text.startswith("PRIVMSG "):
        verb, rest = "PRIVMSG", text[8:]
    elif text.startswith("NOTICE "):
        verb, rest = "NOTICE", text[7:]
    else:
        return False
    target, sep, body = rest.partition(" :")
    if not sep or not body or not target or target[0] in _NOT_A_NICK or " " in target:
        return False
    if "\r" in text or "\0" in text:
        return False  # the parser refuses a CR inside a line and drops NULs
    if "," in target or not user.registered or "B" in user.modes or "echo-message" in user.caps:
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
