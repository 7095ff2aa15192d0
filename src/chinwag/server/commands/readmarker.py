"""Read markers: IRCv3 ``draft/read-marker`` (MARKREAD).

A marker is kept per account and target in storage, so it follows the person to their
next login and to every client of the account; a guest's live only as long as the
connection. It only moves forward, and never past now. Markers are never shown to
anyone else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chinwag.proto.message import Message
from chinwag.server.commands.table import command
from chinwag.server.history import now_ms, parse_timestamp, party
from chinwag.server.outgoing import server_time
from chinwag.server.state import User
from chinwag.storage.base import READ_MARK, conversation_key

if TYPE_CHECKING:
    from chinwag.server.core import Server


def marker_key(server: Server, user: User, target: str) -> str:
    """Where ``user``'s marker for ``target`` is kept: the room, or the conversation."""
    if target.startswith("#"):
        return server.fold(target)
    other = server.find_user(target)
    theirs = party(server, other) if other is not None else server.fold(target)
    return conversation_key(party(server, user), theirs)


def get_marker(server: Server, user: User, key: str) -> float | None:
    if user.account and server.storage is not None:
        return server.storage.get_mark(READ_MARK, server.fold(user.account), key)
    return server.guest_read.get(user, {}).get(key)


def _set_marker(server: Server, user: User, key: str, at: float) -> None:
    if user.account and server.storage is not None:
        server.storage.set_mark(READ_MARK, server.fold(user.account), key, at)
    else:
        server.guest_read.setdefault(user, {})[key] = at


def send_marker(server: Server, user: User, target: str) -> None:
    """MARKREAD <target> <timestamp|*> to ``user`` (read-marker clients only)."""
    if "draft/read-marker" not in user.caps:
        return
    at = get_marker(server, user, marker_key(server, user, target))
    server.send(user, "MARKREAD", target, "*" if at is None else "timestamp=" + server_time(at))


# MARKREAD <target> [timestamp=YYYY-MM-DDThh:mm:ss.sssZ]
@command("MARKREAD", 0)
def handle_markread(server: Server, user: User, msg: Message) -> None:
    if not msg.params or not msg.params[0]:
        server.fail(user, "MARKREAD", "NEED_MORE_PARAMS", "Missing parameters")
        return
    target = msg.params[0]
    if len(msg.params) < 2:
        send_marker(server, user, target)
        return
    value = msg.params[1]
    at = (
        parse_timestamp(value.removeprefix("timestamp="))
        if value.startswith("timestamp=")
        else None
    )
    if at is None:
        server.fail(user, "MARKREAD", "INVALID_PARAMS", value, "Invalid parameters")
        return
    key = marker_key(server, user, target)
    stored = get_marker(server, user, key)
    at = min(at, now_ms())
    if stored is None or at > stored:
        _set_marker(server, user, key, at)
        if user.account:  # tell the account's other clients too
            mine = server.fold(user.account)
            for other in list(server.by_nick.values()):
                if other is not user and other.account and server.fold(other.account) == mine:
                    send_marker(server, other, target)
    server.send(user, "MARKREAD", target, "timestamp=" + server_time(max(at, stored or at)))
