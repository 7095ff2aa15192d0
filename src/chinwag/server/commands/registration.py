"""Registration and the connection: CAP, PASS, NICK, USER, PING, PONG, QUIT.

Also the end of registration: the welcome burst (001-005, LUSERS, MOTD, formatted in
:mod:`chinwag.server.welcome`) and the lobby auto-join. It does not handle anything
after registration except NICK changes.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from chinwag.proto import numerics as N
from chinwag.proto.message import Message
from chinwag.proto.validate import is_valid_nick
from chinwag.server.accounts import SaslSession
from chinwag.server.caps import CAPABILITIES, offered, tag_mask
from chinwag.server.commands.channels import join_channel
from chinwag.server.commands.table import command, number
from chinwag.server.history import deliver_offline
from chinwag.server.outgoing import Outgoing
from chinwag.server.state import User, WhowasEntry
from chinwag.server.welcome import send_welcome

if TYPE_CHECKING:
    from chinwag.server.core import Server


# CAP <subcommand> [:<capabilities>]
@command("CAP", 1, registered=False)
def handle_cap(server: Server, user: User, msg: Message) -> None:
    sub = msg.params[0].upper()
    target = user.nick
    if sub == "LS":
        if not user.registered:
            user.cap_negotiating = True
        version = msg.param(1)
        caps = offered(server.sts, user.secure)
        if server.config.accounts.registration == "closed":  # REGISTER would only fail
            caps = {k: v for k, v in caps.items() if k != "draft/account-registration"}
        if (number(version) or 0) >= 302:
            user.cap_version = 302
            user.caps.add("cap-notify")
            listing = " ".join(k + ("=" + v if v else "") for k, v in sorted(caps.items()))
        else:
            listing = " ".join(sorted(caps))
        server.send(user, "CAP", target, "LS", listing)
    elif sub == "LIST":
        server.send(user, "CAP", target, "LIST", " ".join(sorted(user.caps)))
    elif sub == "REQ":
        if not user.registered:
            user.cap_negotiating = True
        wanted = msg.param(1).split()
        changes: list[tuple[str, bool]] = []
        for item in wanted:
            enable = not item.startswith("-")
            name = item.lstrip("-")
            # cap-notify is on for good after CAP LS 302 (IRCv3 cap-notify).
            if name not in CAPABILITIES or (
                name == "cap-notify" and not enable and user.cap_version >= 302
            ):
                changes = []
                break
            changes.append((name, enable))
        if not changes:
            server.send(user, "CAP", target, "NAK", msg.param(1))
            return
        server.send(user, "CAP", target, "ACK", msg.param(1))
        # The ACK goes out before the change takes effect (it carries no new tags).
        for name, enable in changes:
            if enable:
                user.caps.add(name)
            else:
                user.caps.discard(name)
        user.tagmask = tag_mask(user.caps)
        for channel in user.channels.values():  # their fan-out groups members by mask
            channel.members.regroup()
    elif sub == "END":
        if not user.registered:
            user.cap_negotiating = False
            try_register(server, user)
    else:
        server.numeric(user, N.ERR_INVALIDCAPCMD, sub, "Invalid CAP command")


# PASS <password>
@command("PASS", 1, registered=False)
def handle_pass(server: Server, user: User, msg: Message) -> None:
    if user.registered:
        server.numeric(user, N.ERR_ALREADYREGISTERED, "You may not reregister")
        return
    expected = server.config.password
    user.pass_ok = expected is None or msg.params[0] == expected


# NICK <nickname>
@command("NICK", 0, registered=False)
def handle_nick(server: Server, user: User, msg: Message) -> None:
    nick = msg.param(0)
    if not nick:
        server.numeric(user, N.ERR_NONICKNAMEGIVEN, "No nickname given")
        return
    if not is_valid_nick(nick, server.limits.nicklen):
        server.numeric(user, N.ERR_ERRONEUSNICKNAME, nick, "Erroneous nickname")
        return
    folded = server.fold(nick)
    holder = server.by_nick.get(folded)
    if holder is not None and holder is not user:
        server.numeric(user, N.ERR_NICKNAMEINUSE, nick, "Nickname is already in use")
        return
    if not user.registered:
        user.nick = nick
        user.folded = folded
        try_register(server, user)
        return
    if nick == user.nick:
        return
    if server.accounts.nick_refused(user, nick):
        server.numeric(
            user, N.ERR_NICKNAMEINUSE, nick, "Nickname is reserved by a different account"
        )
        return
    change_nick(server, user, nick)
    server.accounts.nick_taken(user)


def change_nick(server: Server, user: User, nick: str) -> None:
    """Rename a registered ``user`` to the free, valid ``nick`` and tell everyone."""
    folded = server.fold(nick)
    old_source = user.source
    old_nick = user.nick
    out = Outgoing("NICK", (nick,), old_source, account=user.account)
    peers: set[User] = {user}
    for channel in user.channels.values():
        peers.update(channel.members)
    server.deliver(peers, out)
    if server.by_nick.get(user.folded) is user:
        del server.by_nick[user.folded]
    server.whowas.append(_whowas(user))
    user.nick = nick
    user.folded = folded
    server.by_nick[folded] = user
    if folded != server.fold(old_nick):
        server.notify_monitors(old_nick, online=False)
        server.notify_monitors(nick, online=True, source=user.source)
    server.emit("nick", f"{old_nick} is now known as {nick}", nick=nick, address=user.address)


def _whowas(user: User) -> WhowasEntry:
    return WhowasEntry(user.nick, user.username, user.host, user.realname, time.time())


# USER <username> <mode> <unused> <realname>
@command("USER", 4, registered=False)
def handle_user(server: Server, user: User, msg: Message) -> None:
    if user.registered:
        server.numeric(user, N.ERR_ALREADYREGISTERED, "You may not reregister")
        return
    if not msg.params[0] or not msg.params[3]:  # an empty username or realname
        server.numeric(user, N.ERR_NEEDMOREPARAMS, "USER", "Not enough parameters")
        return
    raw = "".join(
        ch for ch in msg.params[0] if ch.isascii() and (ch.isalnum() or ch in "-_.[]{}|^`")
    )
    user.username = ("~" + (raw or "user"))[: server.limits.userlen]
    user.realname = msg.params[3][: server.limits.topiclen]
    try_register(server, user)


def try_register(server: Server, user: User) -> None:
    if user.registered or user.cap_negotiating or not user.username or user.nick == "*":
        return
    sasl: SaslSession | None = user.sasl
    if sasl is not None:
        if sasl.checking:  # a password check is running: finish registering after it
            sasl.register_after = True
            return
        user.sasl = None  # registration ends an unfinished exchange (IRCv3 sasl 3.1)
        server.numeric(user, N.ERR_SASLABORTED, "SASL authentication aborted")
    if not user.pass_ok:
        server.numeric(user, N.ERR_PASSWDMISMATCH, "Password incorrect")
        server.quit(user, "Bad password")
        return
    ban = server.banned_from_server(user)
    if ban is not None:
        server.numeric(
            user, N.ERR_YOUREBANNEDCREEP, f"You are banned from this server: {ban.reason}"
        )
        server.quit(user, f"Banned: {ban.reason}")
        return
    if server.config.accounts.required and user.account is None:
        server.send(
            user, "FAIL", "*", "ACCOUNT_REQUIRED", "Log in to an account to use this server"
        )
        server.quit(user, "An account is required")
        return
    holder = server.by_nick.get(user.folded)
    if holder is not None and holder is not user:
        server.numeric(user, N.ERR_NICKNAMEINUSE, user.nick, "Nickname is already in use")
        user.nick = "*"
        return
    if server.accounts.nick_refused(user, user.nick):
        server.numeric(
            user, N.ERR_NICKNAMEINUSE, user.nick, "Nickname is reserved by a different account"
        )
        user.nick = "*"
        return
    server.by_nick[user.folded] = user
    user.registered = True
    user.last_active = time.time()
    server.max_users = max(server.max_users, len(server.by_nick))
    cfg = server.config
    send_welcome(server, user)
    server.emit(
        "register",
        f"{user.nick} registered from {user.address} ({user.username}, {user.realname!r})",
        nick=user.nick,
        address=user.address,
    )
    server.notify_monitors(user.nick, online=True, source=user.source)
    server.accounts.nick_taken(user)
    if cfg.lobby:
        join_channel(server, user, cfg.lobby, None, auto=True)
    deliver_offline(server, user)  # logged in during registration (SASL)


# PING <token>
@command("PING", 1, registered=False)
def handle_ping(server: Server, user: User, msg: Message) -> None:
    server.send(user, "PONG", server.config.server_name, msg.params[0])


# PONG <token>
@command("PONG", 0, registered=False)
def handle_pong(server: Server, user: User, msg: Message) -> None:
    user.ping_sent = 0.0  # any line resets the timer; PONG needs nothing more


# QUIT [<reason>]
@command("QUIT", 0, registered=False)
def handle_quit(server: Server, user: User, msg: Message) -> None:
    reason = msg.param(0)
    shown = f"Quit: {reason}" if reason else "Quit"
    server.quit(user, shown, quit_message=shown)
