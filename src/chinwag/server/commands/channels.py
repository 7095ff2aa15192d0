"""Channels: JOIN, PART, TOPIC, NAMES, LIST, INVITE, KICK.

Joining replays the channel's recent history. Channel and user modes live in
:mod:`.modes`; channel messages in :mod:`.messaging`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from chinwag.proto import numerics as N
from chinwag.proto.masks import match_mask
from chinwag.proto.message import Message
from chinwag.proto.validate import is_valid_channel
from chinwag.server.commands.history import replay_on_join
from chinwag.server.commands.readmarker import send_marker
from chinwag.server.commands.table import command, number
from chinwag.server.history import mark_seen
from chinwag.server.outgoing import Outgoing
from chinwag.server.state import Channel, User, sees

if TYPE_CHECKING:
    from chinwag.server.core import Server


def join_channel(
    server: Server, user: User, name: str, key: str | None, auto: bool = False
) -> None:
    lim = server.limits
    if "\ufffd" in name:
        # Bytes that were not UTF-8 became U+FFFD; "repairing" them would make different
        # names one room, so a name with a replacement character is refused.
        server.numeric(user, N.ERR_BADCHANNAME, name, "Illegal channel name")
        return
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
        restored = server.rooms.formed(channel, user)
        if restored and not _admitted(server, user, channel, key, auto):
            return
        server.channels[folded] = channel
        prefix = server.rooms.prefix_for(channel, user, first=True)
    else:
        if not _admitted(server, user, channel, key, auto):
            return
        channel.invites.discard(user.folded)
        prefix = server.rooms.prefix_for(channel, user, first=False)
    if "o" not in prefix and folded == server.lobby_key and lobby_op_due(server, user):
        prefix = "o" + prefix
    channel.members[user] = prefix
    user.channels[folded] = channel
    plain = Outgoing("JOIN", (channel.name,), user.source, account=user.account)
    extended = Outgoing(
        "JOIN",
        (channel.name, user.account or "*", user.realname),
        user.source,
        account=user.account,
    )
    for member in channel.members:
        server.deliver_to(member, extended if "extended-join" in member.caps else plain)
    if user.away is not None:  # away-notify: an away user's JOIN is followed by AWAY
        away = Outgoing("AWAY", (user.away,), user.source, account=user.account)
        server.deliver([m for m in channel.members if "away-notify" in m.caps], away, skip=user)
    if channel.topic:
        send_topic(server, user, channel)
    send_marker(server, user, channel.name)  # read-marker: before the end of NAMES
    send_names(server, user, channel)
    replay_on_join(server, user, channel)
    server.emit("join", f"{user.nick} joined {channel.name}", nick=user.nick, channel=channel.name)


def _admitted(server: Server, user: User, channel: Channel, key: str | None, auto: bool) -> bool:
    """May ``user`` join ``channel`` (key, limit, invite-only, bans)? Says why not."""
    invited = user.folded in channel.invites
    # The server's own lobby auto-join counts as an invitation for +k, +l and +i, so
    # the lobby's op cannot lock newcomers out; a ban still keeps someone out.
    admitted = invited or (auto and channel.folded == server.lobby_key)
    if channel.key is not None and key != channel.key and not admitted:
        server.numeric(user, N.ERR_BADCHANNELKEY, channel.name, "Cannot join channel (+k)")
        return False
    if channel.limit is not None and len(channel.members) >= channel.limit and not admitted:
        server.numeric(user, N.ERR_CHANNELISFULL, channel.name, "Cannot join channel (+l)")
        return False
    if "i" in channel.modes and not admitted:
        server.numeric(user, N.ERR_INVITEONLYCHAN, channel.name, "Cannot join channel (+i)")
        return False
    if is_banned(server, channel, user) and not invited:
        server.numeric(user, N.ERR_BANNEDFROMCHAN, channel.name, "Cannot join channel (+b)")
        return False
    return True


def lobby_op_due(server: Server, user: User) -> bool:
    """Server operators, and accounts named in ``lobby_operators``, hold +o in the lobby."""
    if user.oper:
        return True
    account = user.account
    return account is not None and server.fold(account) in {
        server.fold(name) for name in server.config.lobby_operators
    }


def is_banned(server: Server, channel: Channel, user: User) -> bool:
    if not channel.bans:
        return False
    source = user.source
    return any(match_mask(mask, source, server.fold) for mask, _, _ in channel.bans)


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
    server.deliver(
        list(channel.members), Outgoing("PART", params, user.source, account=user.account)
    )
    if server.storage is not None:
        mark_seen(server, user, channel.folded)
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


def channel_or_error(server: Server, user: User, name: str) -> Channel | None:
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
        channel = channel_or_error(server, user, name)
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
    channel = channel_or_error(server, user, msg.params[0])
    if channel is None:
        return
    if "s" in channel.modes and user not in channel.members:
        # A secret channel does not exist for strangers (modern IRC docs).
        server.numeric(user, N.ERR_NOSUCHCHANNEL, msg.params[0], "No such channel")
        return
    if len(msg.params) < 2:
        send_topic(server, user, channel)
        return
    if not _may_act(server, user, channel, need_op="t" in channel.modes):
        return
    channel.topic = msg.params[1][: server.limits.topiclen]
    channel.topic_by = user.source
    channel.topic_at = int(time.time())
    server.rooms.save(channel)
    server.deliver(
        channel.members,
        Outgoing("TOPIC", (channel.name, channel.topic), user.source, account=user.account),
    )
    server.emit(
        "topic",
        f"{user.nick} set the topic of {channel.name}: {channel.topic}",
        nick=user.nick,
        channel=channel.name,
    )


def send_names(server: Server, user: User, channel: Channel) -> None:
    """NAMES for ``channel``: a stranger gets nothing of a secret channel, and sees no
    invisible (+i) member it shares no channel with (modern IRC docs, NAMES)."""
    joined = user in channel.members
    if joined or "s" not in channel.modes:
        multi = "multi-prefix" in user.caps
        full = "userhost-in-names" in user.caps
        entries = (
            channel.prefix_of(member, multi) + (member.source if full else member.nick)
            for member in channel.members
            if joined or sees(user, member)
        )
        params = (channel.names_symbol, channel.name)
        server.numeric_list(user, N.RPL_NAMREPLY, params, entries)
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
        if not channel.shown_to(user):  # +s and +p channels are for their members
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
    channel = channel_or_error(server, user, msg.params[1])
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
    out = Outgoing("INVITE", (target.nick, channel.name), user.source, account=user.account)
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
    channel = channel_or_error(server, user, msg.params[0])
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
            Outgoing(
                "KICK", (channel.name, target.nick, reason), user.source, account=user.account
            ),
        )
        if server.storage is not None:
            mark_seen(server, target, channel.folded)
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
