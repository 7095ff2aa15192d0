"""Messages: PRIVMSG, NOTICE and TAGMSG to channels (also STATUSMSG) and to users.

The one relay path for all three verbs; channel delivery goes through the fan-out seam
and is recorded in history (see :mod:`chinwag.server.history` for what is kept). A
private message to an account nobody is logged in to is kept for its next login.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from chinwag.proto import numerics as N
from chinwag.proto.message import Message, serialize_tags
from chinwag.server.commands.channels import is_banned
from chinwag.server.commands.table import command
from chinwag.server.history import keeps_tagmsg, now_ms, party, record_private, replayable
from chinwag.server.outgoing import Outgoing
from chinwag.server.state import Channel, User
from chinwag.storage.base import StoredMessage, conversation_key

if TYPE_CHECKING:
    from chinwag.server.core import Server


def _client_tags(msg: Message) -> dict[str, str] | None:
    if not msg.tags:
        return None
    kept = {k: v for k, v in msg.tags.items() if k.startswith("+")}
    return kept or None


def can_send(server: Server, user: User, channel: Channel) -> bool:
    held = channel.members.get(user)
    if held is None:
        return (
            "n" not in channel.modes
            and "m" not in channel.modes
            and not is_banned(server, channel, user)
        )
    if held:
        return True
    if "m" in channel.modes:
        return False
    return not is_banned(server, channel, user)


def _logged_in_as(server: Server, name: str) -> User | None:
    """Someone logged in to the account ``name`` under another nick."""
    folded = server.fold(name)
    for other in server.by_nick.values():
        if other.account and server.fold(other.account) == folded:
            return other
    return None


def _keep_for_later(
    server: Server, user: User, name: str, stored: StoredMessage, echo: Outgoing | None
) -> bool:
    """A message to an account nobody is logged in to: keep it for its next login (and in
    private history), echo it, and tell the sender. False when ``name`` is no account."""
    if server.storage is None:
        return False
    account = server.storage.get_account(name)
    if account is None:
        return False
    key = server.fold(account.name)
    server.storage.add_offline(key, stored)
    if server.limits.private_history and server.limits.keep_history:
        parties = (party(server, user), key)
        server.storage.append(conversation_key(*parties), stored, parties)
    server.messages += 1
    if echo is not None:
        server.deliver_to(user, echo)
    if stored.kind == "PRIVMSG":
        server.send(
            user,
            "NOTICE",
            user.nick,
            f"{account.name} is not connected; your message will be delivered when they log in",
        )
    return True


def _relay(server: Server, user: User, msg: Message, verb: str) -> None:
    """PRIVMSG, NOTICE and TAGMSG share one path; NOTICE never earns an error reply."""
    quiet = verb == "NOTICE"
    if not msg.params or not msg.params[0]:
        if not quiet:
            server.numeric(user, N.ERR_NORECIPIENT, f"No recipient given ({verb})")
        return
    text = msg.param(1)
    if verb != "TAGMSG" and not text:
        if not quiet:
            server.numeric(user, N.ERR_NOTEXTTOSEND, "No text to send")
        return
    targets = msg.params[0].split(",")
    if len(targets) > server.limits.max_targets:
        if not quiet:
            server.numeric(user, N.ERR_TOOMANYTARGETS, msg.params[0], "Too many targets")
        return
    if verb != "TAGMSG":
        user.last_active = time.time()  # WHOIS idle time: only messages reset it
    client_tags = _client_tags(msg) if "message-tags" in user.caps else None
    if "B" in user.modes:  # IRCv3 bot-mode: messages from a bot carry the bot tag
        client_tags = {**(client_tags or {}), "bot": ""}
    kept_tags = serialize_tags(client_tags) if client_tags else ""
    params = (text,) if verb != "TAGMSG" else ()
    # A TAGMSG is kept in history when it reacts or replies; typing notifications are not.
    historic = verb != "TAGMSG" or keeps_tagmsg(client_tags)
    # TAGMSG exists only for message-tags clients; so does its echo.
    echo = "echo-message" in user.caps and (verb != "TAGMSG" or "message-tags" in user.caps)
    for target in targets:
        if not target:
            continue
        msgid = server.new_msgid()
        tags = {"msgid": msgid, **client_tags} if client_tags else {"msgid": msgid}
        at = now_ms()  # the time tag and the stored time are the same millisecond
        status = ""
        name = target
        while name and name[0] in "@+":
            status += name[0]
            name = name[1:]
        if name.startswith("#"):
            channel = server.find_channel(name)
            if channel is None:
                if not quiet:
                    server.numeric(user, N.ERR_NOSUCHCHANNEL, name, "No such channel")
                continue
            if not can_send(server, user, channel):
                if not quiet:
                    server.numeric(
                        user, N.ERR_CANNOTSENDTOCHAN, channel.name, "Cannot send to channel"
                    )
                continue
            out = Outgoing(
                verb, (status + channel.name, *params), user.source, tags, at, account=user.account
            )
            if status:
                need_voice = "+" in status and "@" not in status
                recipients = [
                    m
                    for m, held in channel.members.items()
                    if "o" in held or (need_voice and "v" in held)
                ]
            else:
                recipients = channel.members  # type: ignore[assignment]
            if verb == "TAGMSG":
                recipients = [m for m in recipients if "message-tags" in m.caps]
            server.fanout.channel_message(channel, recipients, out, user)
            if echo:
                server.deliver_to(user, out)
            if historic:
                # STATUSMSG went to some members only, and a CTCP request would be
                # answered again by every client that joins: neither is kept for replay.
                keep = not status and replayable(text)
                body = out.params[-1] if params else ""
                server.record_message(channel, user, verb, body, msgid, at, kept_tags, store=keep)
            if verb != "TAGMSG" and server.config.log_messages:
                server.emit(
                    "message",
                    f"<{user.nick}> {channel.name}: {text}",
                    nick=user.nick,
                    channel=channel.name,
                )
        else:
            other = server.find_user(name) or _logged_in_as(server, name)
            if other is None:
                stored = StoredMessage(
                    msgid, at, name, user.source, user.account, verb, kept_tags, text
                )
                copy = Outgoing(verb, (name, *params), user.source, tags, at) if echo else None
                kept = verb != "TAGMSG" and _keep_for_later(server, user, name, stored, copy)
                if not kept and not quiet:
                    server.numeric(user, N.ERR_NOSUCHNICK, name, "No such nick/channel")
                continue
            out = Outgoing(verb, (other.nick, *params), user.source, tags, at, account=user.account)
            if other is user:
                # A message to oneself is a delivery, not a labeled response.
                server.deliver_direct(other, out)
            elif verb != "TAGMSG" or "message-tags" in other.caps:
                server.deliver_to(other, out)
            if echo:
                server.deliver_to(user, out)
            if verb == "PRIVMSG" and other.away is not None:
                server.numeric(user, N.RPL_AWAY, other.nick, other.away)
            server.messages += 1
            if historic and replayable(text):
                body = out.params[-1] if params else ""
                record_private(
                    server,
                    user,
                    other,
                    StoredMessage(
                        msgid, at, other.nick, user.source, user.account, verb, kept_tags, body
                    ),
                )


# PRIVMSG <target>{,<target>} <text to be sent>
@command("PRIVMSG", 0)
def handle_privmsg(server: Server, user: User, msg: Message) -> None:
    _relay(server, user, msg, "PRIVMSG")


# NOTICE <target>{,<target>} <text to be sent>
@command("NOTICE", 0)
def handle_notice(server: Server, user: User, msg: Message) -> None:
    _relay(server, user, msg, "NOTICE")


# TAGMSG <target>{,<target>}
@command("TAGMSG", 0)
def handle_tagmsg(server: Server, user: User, msg: Message) -> None:
    _relay(server, user, msg, "TAGMSG")
