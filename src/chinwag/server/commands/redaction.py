"""Deleting messages: IRCv3 ``draft/message-redaction`` (REDACT).

People delete their own messages (the same account, or for guests the same
nick!user@host); channel operators delete any message in their room. The stored message
is marked deleted and its text erased, so history, search and the join replay skip it;
the REDACT goes to everyone concerned who has the capability. A message the asker could
not have seen gets ``UNKNOWN_MSGID``, like one that does not exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chinwag.proto.message import Message
from chinwag.server.commands.table import command
from chinwag.server.history import party, private_keys
from chinwag.server.outgoing import Outgoing
from chinwag.server.state import User
from chinwag.storage.base import StoredMessage

if TYPE_CHECKING:
    from chinwag.server.core import Server

CAP = "draft/message-redaction"


def _own(server: Server, user: User, m: StoredMessage) -> bool:
    if m.account is not None:
        return user.account is not None and server.fold(user.account) == server.fold(m.account)
    return m.sender == user.source


# REDACT <target> <msgid> [<reason>]
@command("REDACT", 2)
def handle_redact(server: Server, user: User, msg: Message) -> None:
    target, msgid = msg.params[0], msg.params[1]
    reason = msg.param(2)
    channel = server.find_channel(target) if target.startswith("#") else None
    if target.startswith("#"):
        if channel is None or user not in channel.members:
            server.fail(
                user, "REDACT", "INVALID_TARGET", target, "You cannot delete messages there"
            )
            return
        keys = [channel.folded]
    else:
        keys = private_keys(server, user, target)
        if not user.account:  # a guest's own conversations are keyed by their nick
            keys = [k for k in keys if party(server, user) in k.split(" ")]
    found = server.storage.find(msgid) if server.storage is not None else None
    if found is None or found[0] not in keys or found[1].deleted:
        server.fail(user, "REDACT", "UNKNOWN_MSGID", target, msgid, "This message does not exist")
        return
    is_op = channel is not None and "o" in channel.members.get(user, "")
    if not _own(server, user, found[1]) and not is_op:
        server.fail(
            user, "REDACT", "REDACT_FORBIDDEN", target, msgid,
            "You are not authorised to delete this message",
        )  # fmt: skip
        return
    assert server.storage is not None
    server.storage.redact(msgid)
    shown = channel.name if channel is not None else target
    params = (shown, msgid, reason) if reason else (shown, msgid)
    out = Outgoing("REDACT", params, user.source, {"msgid": server.new_msgid()})
    if channel is not None:
        told: list[User] = [m for m in channel.members if CAP in m.caps]
    else:
        other = server.find_user(target)
        told = [u for u in (user, other) if u is not None and CAP in u.caps]
    for member in dict.fromkeys(told):
        server.deliver_to(member, out)
    server.emit("redact", f"{user.nick} deleted message {msgid} in {shown}", nick=user.nick)
