"""MODE: user modes and channel modes (lists, keys, limits, prefixes).

Channel lookup and the "are you on it" checks come from :mod:`.channels`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from chinwag.proto import numerics as N
from chinwag.proto.masks import normalize_mask
from chinwag.proto.message import Message
from chinwag.server.commands.channels import channel_or_error
from chinwag.server.commands.table import command, number
from chinwag.server.outgoing import Outgoing
from chinwag.server.state import Channel, User

if TYPE_CHECKING:
    from chinwag.server.core import Server


# MODE <target> [<modestring> [<mode arguments>...]]
@command("MODE", 1)
def handle_mode(server: Server, user: User, msg: Message) -> None:
    target = msg.params[0]
    if target.startswith("#"):
        channel = channel_or_error(server, user, target)
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
        elif ch in "wB":  # w: receive WALLOPS; B: a bot (IRCv3 bot-mode)
            if adding != (ch in user.modes):
                (user.modes.add if adding else user.modes.discard)(ch)
                applied.append(("+" if adding else "-") + ch)
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


def _invalid_param(
    server: Server, user: User, channel: Channel, mode: str, arg: str, why: str
) -> None:
    """ERR_INVALIDMODEPARAM: <client> <target> <mode char> <parameter> :<description>
    (an empty or missing parameter is shown as ``*`` so no field goes missing)."""
    shown = arg or "*"
    server.numeric(
        user, N.ERR_INVALIDMODEPARAM, channel.name, mode, shown, f"Mode {mode} {why}: {shown}"
    )


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
                else:
                    _invalid_param(server, user, channel, ch, "", "needs a parameter")
                continue
            with_param += 1
            if with_param > server.limits.modes:
                break
            arg = params.pop(0)
        if ch in "imnpst":
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
            if ch == "o":
                server.rooms.operator_changed(channel, user, member, adding)
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
                    _invalid_param(server, user, channel, "l", arg, "is not a positive number")
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
        server.rooms.save(channel)
        out = Outgoing(
            "MODE",
            (channel.name, _compress_modes(applied), *applied_params),
            user.source,
            account=user.account,
        )
        server.deliver(channel.members, out)
