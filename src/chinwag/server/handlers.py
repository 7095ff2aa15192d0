"""The one command table, and a handler for each verb.

Every handler has the same signature, ``(server, user, msg) -> None``, and a one-line
syntax comment above it. The checks every verb needs (may it be used before
registration? how many parameters at least? operators only?) live in :data:`COMMANDS`
and are applied once, in :func:`dispatch`, so ERR_NOTREGISTERED, ERR_NEEDMOREPARAMS and
ERR_NOPRIVILEGES come from one place.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from chinwag import __version__
from chinwag.proto import numerics as N
from chinwag.proto.masks import match_mask, normalize_mask
from chinwag.proto.message import Message
from chinwag.proto.validate import is_valid_channel, is_valid_nick
from chinwag.server.caps import CAPABILITIES, tag_mask
from chinwag.server.core import Outgoing, Server, WhowasEntry, server_time
from chinwag.server.state import Channel, User

VERSION = f"chinwag-{__version__}"
USERLEN = 16

HandlerFn = Callable[[Server, User, Message], None]


@dataclass(frozen=True, slots=True)
class Command:
    handler: HandlerFn
    min_params: int = 0
    registered: bool = True  # only after registration
    oper: bool = False  # only for IRC operators


COMMANDS: dict[str, Command] = {}


def command(
    name: str, min_params: int = 0, registered: bool = True, oper: bool = False
) -> Callable[[HandlerFn], HandlerFn]:
    def register(fn: HandlerFn) -> HandlerFn:
        COMMANDS[name] = Command(fn, min_params, registered, oper)
        return fn

    return register


def number(text: str) -> int | None:
    """A non-negative decimal written in ASCII digits, else None (``"¹".isdigit()`` is
    true, but ``int("¹")`` fails)."""
    return int(text) if text.isascii() and text.isdigit() else None


def dispatch(server: Server, user: User, msg: Message) -> None:
    verb = msg.command.upper()
    entry = COMMANDS.get(verb)
    if entry is None:
        if user.registered:
            server.numeric(user, N.ERR_UNKNOWNCOMMAND, verb, "Unknown command")
        else:
            server.numeric(user, N.ERR_NOTREGISTERED, "You have not registered")
        return
    if entry.registered and not user.registered:
        server.numeric(user, N.ERR_NOTREGISTERED, "You have not registered")
        return
    if len(msg.params) < entry.min_params:
        server.numeric(user, N.ERR_NEEDMOREPARAMS, verb, "Not enough parameters")
        return
    if entry.oper and not user.oper:
        server.numeric(user, N.ERR_NOPRIVILEGES, "Permission Denied- You're not an IRC operator")
        return
    entry.handler(server, user, msg)


# ---------------------------------------------------------------------------------------
# Registration


# CAP <subcommand> [:<capabilities>]
@command("CAP", 1, registered=False)
def handle_cap(server: Server, user: User, msg: Message) -> None:
    sub = msg.params[0].upper()
    target = user.nick
    if sub == "LS":
        if not user.registered:
            user.cap_negotiating = True
        version = msg.param(1)
        if (number(version) or 0) >= 302:
            user.cap_version = 302
            user.caps.add("cap-notify")
            listing = " ".join(k + ("=" + v if v else "") for k, v in sorted(CAPABILITIES.items()))
        else:
            listing = " ".join(sorted(CAPABILITIES))
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
    old_source = user.source
    old_nick = user.nick
    out = Outgoing("NICK", (nick,), old_source)
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
    raw = "".join(ch for ch in msg.params[0] if ch.isalnum() or ch in "-_.[]{}|^`")
    user.username = ("~" + (raw or "user"))[:USERLEN]
    user.realname = msg.params[3][: server.limits.topiclen]
    try_register(server, user)


def try_register(server: Server, user: User) -> None:
    if user.registered or user.cap_negotiating or not user.username or user.nick == "*":
        return
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
    holder = server.by_nick.get(user.folded)
    if holder is not None and holder is not user:
        server.numeric(user, N.ERR_NICKNAMEINUSE, user.nick, "Nickname is already in use")
        user.nick = "*"
        return
    server.by_nick[user.folded] = user
    user.registered = True
    user.last_active = time.time()
    server.max_users = max(server.max_users, len(server.by_nick))
    cfg = server.config
    server.numeric(user, N.RPL_WELCOME, f"Welcome to the {cfg.network} IRC network, {user.source}")
    server.numeric(
        user, N.RPL_YOURHOST, f"Your host is {cfg.server_name}, running version {VERSION}"
    )
    created = datetime.fromtimestamp(server.created, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    server.numeric(user, N.RPL_CREATED, f"This server was created {created}")
    server.send(user, N.RPL_MYINFO, user.nick, cfg.server_name, VERSION, "io", "biklmnotv", "bklov")
    send_isupport(server, user)
    send_lusers(server, user)
    send_motd(server, user)
    server.emit(
        "register",
        f"{user.nick} registered from {user.address} ({user.username}, {user.realname!r})",
        nick=user.nick,
        address=user.address,
    )
    server.notify_monitors(user.nick, online=True, source=user.source)
    if cfg.lobby:
        join_channel(server, user, cfg.lobby, None, auto=True)


def send_isupport(server: Server, user: User) -> None:
    tokens = server.isupport
    for i in range(0, len(tokens), 13):
        server.send(
            user, N.RPL_ISUPPORT, user.nick, *tokens[i : i + 13], "are supported by this server"
        )


def send_lusers(server: Server, user: User) -> None:
    users = len(server.by_nick)
    opers = len(server.opers)
    unknown = len(server.connections) - users
    invisible = server.invisible
    server.numeric(
        user,
        N.RPL_LUSERCLIENT,
        f"There are {users - invisible} users and {invisible} invisible on 1 servers",
    )
    if opers:
        server.numeric(user, N.RPL_LUSEROP, str(opers), "operator(s) online")
    if unknown > 0:
        server.numeric(user, N.RPL_LUSERUNKNOWN, str(unknown), "unknown connection(s)")
    server.numeric(user, N.RPL_LUSERCHANNELS, str(len(server.channels)), "channels formed")
    server.numeric(user, N.RPL_LUSERME, f"I have {users} clients and 0 servers")
    mx = str(server.max_users)
    server.numeric(user, N.RPL_LOCALUSERS, str(users), mx, f"Current local users {users}, max {mx}")
    server.numeric(
        user, N.RPL_GLOBALUSERS, str(users), mx, f"Current global users {users}, max {mx}"
    )


def send_motd(server: Server, user: User) -> None:
    motd = server.config.motd
    if not motd.strip():
        server.numeric(user, N.ERR_NOMOTD, "MOTD File is missing")
        return
    server.numeric(user, N.RPL_MOTDSTART, f"- {server.config.server_name} Message of the day - ")
    for line in motd.splitlines():
        server.numeric(user, N.RPL_MOTD, f"- {line}")
    server.numeric(user, N.RPL_ENDOFMOTD, "End of /MOTD command.")


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


# ---------------------------------------------------------------------------------------
# Channels


def join_channel(
    server: Server, user: User, name: str, key: str | None, auto: bool = False
) -> None:
    lim = server.limits
    if not is_valid_channel(name, "#", lim.channellen):
        server.numeric(user, N.ERR_BADCHANMASK, name, "Bad Channel Mask")
        return
    folded = server.fold(name)
    channel = server.channels.get(folded)
    if channel is not None and user in channel.members:
        return
    if len(user.channels) >= lim.chanlimit:
        server.numeric(user, N.ERR_TOOMANYCHANNELS, name, "You have joined too many channels")
        return
    if channel is None:
        channel = Channel(name, folded)
        server.channels[folded] = channel
        channel.members[user] = "o"
    else:
        invited = user.folded in channel.invites
        # The server's own lobby auto-join counts as an invitation for +k, +l and +i, so
        # the lobby's op cannot lock newcomers out; a ban still keeps someone out.
        admitted = invited or (auto and folded == server.lobby_key)
        if channel.key is not None and key != channel.key and not admitted:
            server.numeric(user, N.ERR_BADCHANNELKEY, channel.name, "Cannot join channel (+k)")
            return
        if channel.limit is not None and len(channel.members) >= channel.limit and not admitted:
            server.numeric(user, N.ERR_CHANNELISFULL, channel.name, "Cannot join channel (+l)")
            return
        if "i" in channel.modes and not admitted:
            server.numeric(user, N.ERR_INVITEONLYCHAN, channel.name, "Cannot join channel (+i)")
            return
        if is_banned(server, channel, user) and not invited:
            server.numeric(user, N.ERR_BANNEDFROMCHAN, channel.name, "Cannot join channel (+b)")
            return
        channel.invites.discard(user.folded)
        channel.members[user] = ""
    user.channels[folded] = channel
    user.last_active = time.time()
    plain = Outgoing("JOIN", (channel.name,), user.source)
    extended = Outgoing("JOIN", (channel.name, "*", user.realname), user.source)
    for member in channel.members:
        server.deliver_to(member, extended if "extended-join" in member.caps else plain)
    if user.away is not None:  # away-notify: an away user's JOIN is followed by AWAY
        away = Outgoing("AWAY", (user.away,), user.source)
        server.deliver([m for m in channel.members if "away-notify" in m.caps], away, skip=user)
    if channel.topic:
        send_topic(server, user, channel)
    send_names(server, user, channel)
    replay_history(server, user, channel)
    server.emit("join", f"{user.nick} joined {channel.name}", nick=user.nick, channel=channel.name)


def is_banned(server: Server, channel: Channel, user: User) -> bool:
    if not channel.bans:
        return False
    source = user.source
    return any(match_mask(mask, source, server.fold) for mask, _, _ in channel.bans)


def replay_history(server: Server, user: User, channel: Channel) -> None:
    count = server.limits.history_replay
    if server.storage is None or count <= 0:
        return
    lines = server.storage.recent(channel.name, count)
    if not lines:
        return
    batch = server.new_batch_id() if "batch" in user.caps else None
    if batch:
        server.send(user, "BATCH", "+" + batch, "chathistory", channel.name)
    has_time = "server-time" in user.caps

    for item in lines:
        tags: dict[str, str] = {"time": server_time(item.time)} if has_time else {}
        if batch:
            tags["batch"] = batch
        if "message-tags" in user.caps and item.msgid:
            tags["msgid"] = item.msgid
        text = item.text
        if not has_time:
            stamp = datetime.fromtimestamp(item.time).strftime("%H:%M")
            text = f"[{stamp}] {text}" if not text.startswith("\x01") else text
        server.send(user, item.command, channel.name, text, source=item.source, tags=tags)
    if batch:
        server.send(user, "BATCH", "-" + batch)


# JOIN <channel>{,<channel>} [<key>{,<key>}]  |  JOIN 0
@command("JOIN", 1)
def handle_join(server: Server, user: User, msg: Message) -> None:
    if msg.params[0] == "0":
        for channel in list(user.channels.values()):
            part_channel(server, user, channel, "Left all channels")
        return
    names = [n for n in msg.params[0].split(",") if n]
    keys = msg.param(1).split(",") if msg.param(1) else []
    for i, name in enumerate(names):
        join_channel(server, user, name, keys[i] if i < len(keys) else None)


def part_channel(server: Server, user: User, channel: Channel, reason: str) -> None:
    params = (channel.name, reason) if reason else (channel.name,)
    server.deliver(list(channel.members), Outgoing("PART", params, user.source))
    del channel.members[user]
    user.channels.pop(channel.folded, None)
    if not channel.members:
        server.channels.pop(channel.folded, None)
    server.emit(
        "part",
        f"{user.nick} left {channel.name}" + (f" ({reason})" if reason else ""),
        nick=user.nick,
        channel=channel.name,
    )


def _may_act(server: Server, user: User, channel: Channel, need_op: bool) -> bool:
    """Is ``user`` on ``channel`` (and an operator there, if ``need_op``)? Else say why."""
    if user not in channel.members:
        server.numeric(user, N.ERR_NOTONCHANNEL, channel.name, "You're not on that channel")
        return False
    if need_op and not channel.is_op(user):
        server.numeric(user, N.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator")
        return False
    return True


def _channel_or_error(server: Server, user: User, name: str) -> Channel | None:
    channel = server.find_channel(name)
    if channel is None:
        server.numeric(user, N.ERR_NOSUCHCHANNEL, name, "No such channel")
    return channel


# PART <channel>{,<channel>} [<reason>]
@command("PART", 1)
def handle_part(server: Server, user: User, msg: Message) -> None:
    reason = msg.param(1)[: server.limits.kicklen]
    for name in msg.params[0].split(","):
        if not name:
            continue
        channel = _channel_or_error(server, user, name)
        if channel is None:
            continue
        if user not in channel.members:
            server.numeric(user, N.ERR_NOTONCHANNEL, channel.name, "You're not on that channel")
            continue
        part_channel(server, user, channel, reason)


def send_topic(server: Server, user: User, channel: Channel) -> None:
    if not channel.topic:
        server.numeric(user, N.RPL_NOTOPIC, channel.name, "No topic is set")
        return
    server.numeric(user, N.RPL_TOPIC, channel.name, channel.topic)
    server.numeric(user, N.RPL_TOPICWHOTIME, channel.name, channel.topic_by, str(channel.topic_at))


# TOPIC <channel> [<topic>]
@command("TOPIC", 1)
def handle_topic(server: Server, user: User, msg: Message) -> None:
    channel = _channel_or_error(server, user, msg.params[0])
    if channel is None:
        return
    if len(msg.params) < 2:
        send_topic(server, user, channel)
        return
    if not _may_act(server, user, channel, need_op="t" in channel.modes):
        return
    channel.topic = msg.params[1][: server.limits.topiclen]
    channel.topic_by = user.source
    channel.topic_at = int(time.time())
    server.deliver(channel.members, Outgoing("TOPIC", (channel.name, channel.topic), user.source))
    server.emit(
        "topic",
        f"{user.nick} set the topic of {channel.name}: {channel.topic}",
        nick=user.nick,
        channel=channel.name,
    )


def send_names(server: Server, user: User, channel: Channel) -> None:
    multi = "multi-prefix" in user.caps
    full = "userhost-in-names" in user.caps
    entries = (
        channel.prefix_of(member, multi) + (member.source if full else member.nick)
        for member in channel.members
    )
    server.numeric_list(user, N.RPL_NAMREPLY, ("=", channel.name), entries)
    server.numeric(user, N.RPL_ENDOFNAMES, channel.name, "End of /NAMES list")


# NAMES [<channel>{,<channel>}]
@command("NAMES", 0)
def handle_names(server: Server, user: User, msg: Message) -> None:
    if not msg.params:
        server.numeric(user, N.RPL_ENDOFNAMES, "*", "End of /NAMES list")
        return
    for name in msg.params[0].split(",")[: server.limits.max_targets]:
        channel = server.find_channel(name)
        if channel is None:
            server.numeric(user, N.RPL_ENDOFNAMES, name, "End of /NAMES list")
        else:
            send_names(server, user, channel)


# LIST [<channel>{,<channel>} | >N | <N]
@command("LIST", 0)
def handle_list(server: Server, user: User, msg: Message) -> None:
    wanted: set[str] | None = None
    min_users, max_users = 0, 1 << 30
    for item in msg.param(0).split(",") if msg.params else []:
        bound = number(item[1:])
        if item.startswith(">") and bound is not None:
            min_users = bound + 1
        elif item.startswith("<") and bound is not None:
            max_users = bound - 1
        elif item:
            wanted = (wanted or set()) | {server.fold(item)}
    server.numeric(user, N.RPL_LISTSTART, "Channel", "Users  Name")
    for channel in sorted(server.channels.values(), key=lambda c: c.folded):
        if wanted is not None and channel.folded not in wanted:
            continue
        if not min_users <= len(channel.members) <= max_users:
            continue
        modes = " ".join(channel.mode_string(False))
        server.numeric(
            user, N.RPL_LIST, channel.name, str(len(channel.members)), f"[{modes}] {channel.topic}"
        )
    server.numeric(user, N.RPL_LISTEND, "End of /LIST")


# INVITE <nickname> <channel>
@command("INVITE", 2)
def handle_invite(server: Server, user: User, msg: Message) -> None:
    target = server.find_user(msg.params[0])
    if target is None:
        server.numeric(user, N.ERR_NOSUCHNICK, msg.params[0], "No such nick/channel")
        return
    channel = _channel_or_error(server, user, msg.params[1])
    if channel is None:
        return
    if not _may_act(server, user, channel, need_op="i" in channel.modes):
        return
    if target in channel.members:
        server.numeric(
            user, N.ERR_USERONCHANNEL, target.nick, channel.name, "is already on channel"
        )
        return
    channel.invites.add(target.folded)
    server.numeric(user, N.RPL_INVITING, target.nick, channel.name)
    if target.away is not None:
        server.numeric(user, N.RPL_AWAY, target.nick, target.away)
    out = Outgoing("INVITE", (target.nick, channel.name), user.source)
    server.deliver_to(target, out)
    notify = [
        m
        for m in channel.members
        if "invite-notify" in m.caps and m is not user and channel.is_op(m)
    ]
    server.deliver(notify, out)


# KICK <channel> <user>{,<user>} [<comment>]
@command("KICK", 2)
def handle_kick(server: Server, user: User, msg: Message) -> None:
    channel = _channel_or_error(server, user, msg.params[0])
    if channel is None:
        return
    if not _may_act(server, user, channel, need_op=True):
        return
    reason = (msg.param(2) or user.nick)[: server.limits.kicklen]
    for nick in msg.params[1].split(",")[: server.limits.max_targets]:
        target = server.find_user(nick)
        if target is None or target not in channel.members:
            server.numeric(
                user, N.ERR_USERNOTINCHANNEL, nick, channel.name, "They aren't on that channel"
            )
            continue
        server.deliver(
            list(channel.members),
            Outgoing("KICK", (channel.name, target.nick, reason), user.source),
        )
        del channel.members[target]
        target.channels.pop(channel.folded, None)
        server.emit(
            "kick",
            f"{user.nick} kicked {target.nick} from {channel.name} ({reason})",
            nick=target.nick,
            channel=channel.name,
        )
    if not channel.members:
        server.channels.pop(channel.folded, None)


# MODE <target> [<modestring> [<mode arguments>...]]
@command("MODE", 1)
def handle_mode(server: Server, user: User, msg: Message) -> None:
    target = msg.params[0]
    if target.startswith("#"):
        channel = _channel_or_error(server, user, target)
        if channel is not None:
            channel_mode(server, user, channel, msg.params[1:])
        return
    other = server.find_user(target)
    if other is None:
        server.numeric(user, N.ERR_NOSUCHNICK, target, "No such nick/channel")
        return
    if other is not user:
        server.numeric(user, N.ERR_USERSDONTMATCH, "Can't change mode for other users")
        return
    if len(msg.params) < 2:
        server.numeric(user, N.RPL_UMODEIS, "+" + "".join(sorted(user.modes)))
        return
    adding = True
    applied: list[str] = []
    unknown = False
    for ch in msg.params[1]:
        if ch in "+-":
            adding = ch == "+"
        elif ch == "i":
            if adding != ("i" in user.modes):
                (user.modes.add if adding else user.modes.discard)("i")
                server.invisible += 1 if adding else -1
                applied.append(("+" if adding else "-") + "i")
        elif ch == "o":
            if not adding and user.oper:  # +o only through OPER
                user.oper = False
                server.opers.discard(user)
                user.modes.discard("o")
                applied.append("-o")
        else:
            unknown = True
    if unknown:
        server.numeric(user, N.ERR_UMODEUNKNOWNFLAG, "Unknown MODE flag")
    if applied:
        server.send(user, "MODE", user.nick, _compress_modes(applied), source=user.source)


def _compress_modes(changes: list[str]) -> str:
    out = ""
    sign = ""
    for change in changes:
        if change[0] != sign:
            sign = change[0]
            out += sign
        out += change[1]
    return out


def send_banlist(server: Server, user: User, channel: Channel) -> None:
    for mask, by, at in channel.bans:
        server.numeric(user, N.RPL_BANLIST, channel.name, mask, by, str(at))
    server.numeric(user, N.RPL_ENDOFBANLIST, channel.name, "End of channel ban list")


def channel_mode(server: Server, user: User, channel: Channel, args: tuple[str, ...]) -> None:
    if not args:
        server.numeric(
            user, N.RPL_CHANNELMODEIS, channel.name, *channel.mode_string(user in channel.members)
        )
        server.numeric(user, N.RPL_CREATIONTIME, channel.name, str(channel.created))
        return
    modestring, params = args[0], list(args[1:])
    # A bare ban-list query needs no privileges.
    if modestring.lstrip("+") == "b" and not params:
        send_banlist(server, user, channel)
        return
    if not channel.is_op(user) and not user.oper:
        server.numeric(user, N.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator")
        return
    adding = True
    applied: list[str] = []
    applied_params: list[str] = []
    with_param = 0
    for ch in modestring:
        if ch in "+-":
            adding = ch == "+"
            continue
        sign = "+" if adding else "-"
        arg = ""
        if ch in "ovb" or (adding and ch in "kl"):  # modes that take a parameter
            if not params:
                if ch == "b":
                    send_banlist(server, user, channel)
                continue
            with_param += 1
            if with_param > server.limits.modes:
                break
            arg = params.pop(0)
        if ch in "imnt":
            if adding != (ch in channel.modes):
                (channel.modes.add if adding else channel.modes.discard)(ch)
                applied.append(sign + ch)
        elif ch in "ov":
            member = server.find_user(arg)
            if member is None:
                server.numeric(user, N.ERR_NOSUCHNICK, arg, "No such nick/channel")
                continue
            if member not in channel.members:
                server.numeric(
                    user,
                    N.ERR_USERNOTINCHANNEL,
                    member.nick,
                    channel.name,
                    "They aren't on that channel",
                )
                continue
            held = channel.members[member]
            if adding and ch not in held:
                channel.members[member] = "".join(sorted(held + ch, key="ov".index))
            elif not adding and ch in held:
                channel.members[member] = held.replace(ch, "")
            else:
                continue
            applied.append(sign + ch)
            applied_params.append(member.nick)
        elif ch == "b":
            mask = normalize_mask(arg)
            present = [b for b in channel.bans if server.fold(b[0]) == server.fold(mask)]
            if adding and not present:
                if len(channel.bans) >= server.limits.maxbans:
                    server.numeric(
                        user, N.ERR_BANLISTFULL, channel.name, "b", "Channel list is full"
                    )
                    continue
                channel.bans.append((mask, user.source, int(time.time())))
            elif not adding and present:
                channel.bans.remove(present[0])
            else:
                continue
            applied.append(sign + "b")
            applied_params.append(mask)
        elif ch == "k":
            if adding:
                if not arg or " " in arg or "," in arg:
                    server.numeric(user, N.ERR_INVALIDKEY, channel.name, "Key is not well-formed")
                    continue
                channel.key = arg
                applied.append("+k")
                applied_params.append(arg)
            elif channel.key is not None:
                if params:
                    params.pop(0)
                channel.key = None
                applied.append("-k")
                applied_params.append("*")
        elif ch == "l":
            if adding:
                limit = number(arg)
                if not limit:
                    server.numeric(
                        user, N.ERR_INVALIDMODEPARAM, channel.name, "l", arg, "Invalid limit"
                    )
                    continue
                channel.limit = limit
                applied.append("+l")
                applied_params.append(arg)
            elif channel.limit is not None:
                channel.limit = None
                applied.append("-l")
        else:
            server.numeric(user, N.ERR_UNKNOWNMODE, ch, "is an unknown mode char to me")
    if applied:
        out = Outgoing(
            "MODE", (channel.name, _compress_modes(applied), *applied_params), user.source
        )
        server.deliver(channel.members, out)


# ---------------------------------------------------------------------------------------
# Messages


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
    user.last_active = time.time()
    client_tags = _client_tags(msg) if "message-tags" in user.caps else None
    params = (text,) if verb != "TAGMSG" else ()
    # TAGMSG exists only for message-tags clients; so does its echo.
    echo = "echo-message" in user.caps and (verb != "TAGMSG" or "message-tags" in user.caps)
    for target in targets:
        if not target:
            continue
        msgid = server.new_msgid()
        tags = {"msgid": msgid, **client_tags} if client_tags else {"msgid": msgid}
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
            out = Outgoing(verb, (status + channel.name, *params), user.source, tags)
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
            if verb != "TAGMSG":
                server.record_message(channel, user, verb, text, msgid)
                if server.config.log_messages:
                    server.emit(
                        "message",
                        f"<{user.nick}> {channel.name}: {text}",
                        nick=user.nick,
                        channel=channel.name,
                    )
        else:
            other = server.find_user(name)
            if other is None:
                if not quiet:
                    server.numeric(user, N.ERR_NOSUCHNICK, name, "No such nick/channel")
                continue
            out = Outgoing(verb, (other.nick, *params), user.source, tags)
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


# ---------------------------------------------------------------------------------------
# Queries


def _who_flags(user: User, channel: Channel | None, multi: bool) -> str:
    flags = "G" if user.away is not None else "H"
    if user.oper:
        flags += "*"
    if channel is not None:
        flags += channel.prefix_of(user, multi)
    return flags


# WHO <mask> [%<fields>[,<token>]]
@command("WHO", 0)
def handle_who(server: Server, user: User, msg: Message) -> None:
    mask = msg.param(0, "*") or "*"
    whox = msg.param(1)
    fields, token = "", ""
    if whox.startswith("%"):
        fields, _, token = whox[1:].partition(",")
    multi = "multi-prefix" in user.caps
    rows: list[tuple[User, Channel | None]] = []
    channel = server.find_channel(mask) if mask.startswith("#") else None
    if channel is not None:
        rows = [(m, channel) for m in channel.members]
    elif not mask.startswith("#"):
        exact = server.find_user(mask)
        if exact is not None:
            rows = [(exact, next(iter(exact.channels.values()), None))]
        elif mask in ("*", "0"):
            shared = {m for c in user.channels.values() for m in c.members} | {user}
            rows = [(u, None) for u in shared]
        else:
            rows = [
                (u, None)
                for u in server.by_nick.values()
                if match_mask(mask, u.nick, server.fold) or match_mask(mask, u.host, server.fold)
            ]
    name = server.config.server_name
    for member, chan in rows:
        chan_name = chan.name if chan else "*"
        flags = _who_flags(member, chan, multi)
        if fields:
            values: list[str] = []
            for f in "tcuihsnfdlaor":
                if f not in fields:
                    continue
                values.append(
                    {
                        "t": token or "0",
                        "c": chan_name,
                        "u": member.username,
                        "i": member.ip,
                        "h": member.host,
                        "s": name,
                        "n": member.nick,
                        "f": flags,
                        "d": "0",
                        "l": str(int(time.time() - member.last_active)),
                        "a": "0",
                        "o": "n/a",
                        "r": member.realname,
                    }[f]
                )
            server.numeric(user, N.RPL_WHOSPCRPL, *values)
        else:
            server.numeric(
                user,
                N.RPL_WHOREPLY,
                chan_name,
                member.username,
                member.host,
                name,
                member.nick,
                flags,
                f"0 {member.realname}",
            )
    server.numeric(user, N.RPL_ENDOFWHO, mask, "End of WHO list")


# WHOIS [<target>] <nick>
@command("WHOIS", 1)
def handle_whois(server: Server, user: User, msg: Message) -> None:
    nick = msg.params[-1].split(",")[0]
    target = server.find_user(nick)
    if target is None:
        server.numeric(user, N.ERR_NOSUCHNICK, nick, "No such nick/channel")
        server.numeric(user, N.RPL_ENDOFWHOIS, nick, "End of /WHOIS list")
        return
    server.numeric(
        user, N.RPL_WHOISUSER, target.nick, target.username, target.host, "*", target.realname
    )
    chans = [c.prefix_of(target) + c.name for c in target.channels.values()]
    server.numeric_list(user, N.RPL_WHOISCHANNELS, (target.nick,), chans)
    server.numeric(
        user,
        N.RPL_WHOISSERVER,
        target.nick,
        server.config.server_name,
        f"chinwag on {server.config.network}",
    )
    if target.away is not None:
        server.numeric(user, N.RPL_AWAY, target.nick, target.away)
    if target.oper:
        server.numeric(user, N.RPL_WHOISOPERATOR, target.nick, "is an IRC operator")
    if user is target or user.oper:
        server.numeric(user, N.RPL_WHOISACTUALLY, target.nick, target.ip, "Actual IP address")
    idle = int(time.time() - target.last_active)
    server.numeric(
        user,
        N.RPL_WHOISIDLE,
        target.nick,
        str(idle),
        str(int(target.connected_at)),
        "seconds idle, signon time",
    )
    server.numeric(user, N.RPL_ENDOFWHOIS, target.nick, "End of /WHOIS list")


# WHOWAS <nick> [<count>]
@command("WHOWAS", 1)
def handle_whowas(server: Server, user: User, msg: Message) -> None:
    nick = msg.params[0]
    count = number(msg.param(1)) or 10
    folded = server.fold(nick)
    found = [e for e in reversed(server.whowas) if server.fold(e.nick) == folded][:count]
    if not found:
        server.numeric(user, N.ERR_WASNOSUCHNICK, nick, "There was no such nickname")
    for entry in found:
        server.numeric(
            user, N.RPL_WHOWASUSER, entry.nick, entry.username, entry.host, "*", entry.realname
        )
        when = datetime.fromtimestamp(entry.at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        server.numeric(user, N.RPL_WHOISSERVER, entry.nick, server.config.server_name, when)
    server.numeric(user, N.RPL_ENDOFWHOWAS, nick, "End of WHOWAS")


# USERHOST <nickname>{ <nickname>}
@command("USERHOST", 1)
def handle_userhost(server: Server, user: User, msg: Message) -> None:
    replies = []
    for nick in msg.params[:5]:
        target = server.find_user(nick)
        if target is not None:
            oper = "*" if target.oper else ""
            away = "-" if target.away is not None else "+"
            replies.append(f"{target.nick}{oper}={away}{target.username}@{target.host}")
    server.numeric(user, N.RPL_USERHOST, " ".join(replies))


# ISON <nickname>{ <nickname>}
@command("ISON", 1)
def handle_ison(server: Server, user: User, msg: Message) -> None:
    online = []
    for param in msg.params:
        for nick in param.split():
            target = server.find_user(nick)
            if target is not None:
                online.append(target.nick)
    if online:
        server.numeric_list(user, N.RPL_ISON, (), online)
    else:
        server.numeric(user, N.RPL_ISON, "")


# AWAY [<text>]
@command("AWAY", 0)
def handle_away(server: Server, user: User, msg: Message) -> None:
    text = msg.param(0)[: server.limits.awaylen]
    user.away = text or None
    if text:
        server.numeric(user, N.RPL_NOWAWAY, "You have been marked as being away")
    else:
        server.numeric(user, N.RPL_UNAWAY, "You are no longer marked as being away")
    peers = {m for c in user.channels.values() for m in c.members if "away-notify" in m.caps}
    peers.discard(user)
    if peers:
        out = Outgoing("AWAY", (text,) if text else (), user.source)
        server.deliver(peers, out)


# MONITOR <+|-|C|L|S> [<target>{,<target>}]
@command("MONITOR", 1)
def handle_monitor(server: Server, user: User, msg: Message) -> None:
    sub = msg.params[0]
    targets = [t for t in msg.param(1).split(",") if t]
    if sub == "+":
        online, offline = [], []
        for i, nick in enumerate(targets):
            if len(user.monitor) >= server.limits.monitor:
                server.numeric(
                    user,
                    N.ERR_MONLISTFULL,
                    str(server.limits.monitor),
                    ",".join(targets[i:]),
                    "Monitor list is full.",
                )
                break
            if not is_valid_nick(nick, server.limits.nicklen):
                continue
            folded = server.fold(nick)
            user.monitor.add(folded)
            server.monitors.setdefault(folded, set()).add(user)
            other = server.by_nick.get(folded)
            if other is not None:
                online.append(other.source)
            else:
                offline.append(nick)
        server.numeric_list(user, N.RPL_MONONLINE, (), online, ",")
        server.numeric_list(user, N.RPL_MONOFFLINE, (), offline, ",")
    elif sub == "-":
        server.unmonitor(user, [server.fold(nick) for nick in targets])
    elif sub.upper() == "C":
        server.unmonitor(user, list(user.monitor))
    elif sub.upper() == "L":
        server.numeric_list(user, N.RPL_MONLIST, (), sorted(user.monitor), ",")
        server.numeric(user, N.RPL_ENDOFMONLIST, "End of MONITOR list")
    elif sub.upper() == "S":
        online = [server.by_nick[f].source for f in sorted(user.monitor) if f in server.by_nick]
        offline = [f for f in sorted(user.monitor) if f not in server.by_nick]
        server.numeric_list(user, N.RPL_MONONLINE, (), online, ",")
        server.numeric_list(user, N.RPL_MONOFFLINE, (), offline, ",")


# LUSERS
@command("LUSERS", 0)
def handle_lusers(server: Server, user: User, msg: Message) -> None:
    send_lusers(server, user)


# MOTD [<target>]
@command("MOTD", 0)
def handle_motd(server: Server, user: User, msg: Message) -> None:
    send_motd(server, user)


# VERSION [<target>]
@command("VERSION", 0)
def handle_version(server: Server, user: User, msg: Message) -> None:
    server.numeric(
        user, N.RPL_VERSION, VERSION, server.config.server_name, "chat for your local network"
    )
    send_isupport(server, user)


# TIME [<server>]
@command("TIME", 0)
def handle_time(server: Server, user: User, msg: Message) -> None:
    now = datetime.now(UTC)
    server.numeric(
        user,
        N.RPL_TIME,
        server.config.server_name,
        str(int(now.timestamp())),
        "0",
        now.strftime("%A %B %d %Y -- %H:%M:%S +00:00"),
    )


# SETNAME <realname>
@command("SETNAME", 1)
def handle_setname(server: Server, user: User, msg: Message) -> None:
    realname = msg.params[0]
    if not realname or len(realname) > server.limits.topiclen:
        server.fail(user, "SETNAME", "INVALID_REALNAME", "Realname is not valid")
        return
    user.realname = realname
    peers = {m for c in user.channels.values() for m in c.members if "setname" in m.caps}
    if "setname" in user.caps:
        peers.add(user)
    server.deliver(peers, Outgoing("SETNAME", (realname,), user.source))


# ---------------------------------------------------------------------------------------
# Operators


# OPER <name> <password>
@command("OPER", 2)
def handle_oper(server: Server, user: User, msg: Message) -> None:
    from argon2 import PasswordHasher
    from argon2.exceptions import Argon2Error, InvalidHashError

    blocks = [b for b in server.config.opers if b.name == msg.params[0]]
    if not blocks:
        server.numeric(user, N.ERR_NOOPERHOST, "No O-lines for your host")
        return
    block = blocks[0]
    if not match_mask(block.hostmask, user.source, server.fold):
        server.numeric(user, N.ERR_NOOPERHOST, "No O-lines for your host")
        return
    ok: bool
    try:
        ok = PasswordHasher().verify(block.password_hash, msg.params[1])
    except (Argon2Error, InvalidHashError):
        ok = False
    if not ok:
        server.numeric(user, N.ERR_PASSWDMISMATCH, "Password incorrect")
        server.emit("error", f"failed OPER attempt as {block.name} by {user.nick} ({user.address})")
        return
    user.oper = True
    server.opers.add(user)
    user.modes.add("o")
    server.numeric(user, N.RPL_YOUREOPER, "You are now an IRC operator")
    server.send(user, "MODE", user.nick, "+o", source=user.source)
    server.emit(
        "oper", f"{user.nick} ({user.address}) is now an operator as {block.name}", nick=user.nick
    )


# KILL <nickname> <comment>
@command("KILL", 2, oper=True)
def handle_kill(server: Server, user: User, msg: Message) -> None:
    target = server.find_user(msg.params[0])
    if target is None:
        server.numeric(user, N.ERR_NOSUCHNICK, msg.params[0], "No such nick/channel")
        return
    server.kill(target.nick, msg.params[1], by=user.nick)


# WALLOPS <text>  (a server notice from an operator to every user)
@command("WALLOPS", 1, oper=True)
def handle_wallops(server: Server, user: User, msg: Message) -> None:
    out = Outgoing("NOTICE", ("*", f"[{user.nick}] {msg.params[0]}"), server.config.server_name)
    server.deliver(list(server.by_nick.values()), out)
