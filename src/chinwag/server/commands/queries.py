"""Queries about users and the server: WHO (and WHOX), WHOIS, WHOWAS, USERHOST, ISON,
LUSERS, MOTD, VERSION, INFO, TIME.

They answer; they change nothing.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chinwag.proto import numerics as N
from chinwag.proto.masks import match_mask
from chinwag.proto.message import Message
from chinwag.server.commands.table import command, number
from chinwag.server.state import Channel, User, sees
from chinwag.server.welcome import VERSION, send_isupport, send_lusers, send_motd

if TYPE_CHECKING:
    from chinwag.server.core import Server


def _who_flags(user: User, channel: Channel | None, multi: bool) -> str:
    flags = "G" if user.away is not None else "H"
    if user.oper:
        flags += "*"
    if channel is not None:
        flags += channel.prefix_of(user, multi)
    if "B" in user.modes:  # IRCv3 bot-mode: the BOT mode character
        flags += "B"
    return flags


def _shown_channel(viewer: User, target: User) -> Channel | None:
    """A channel of ``target``'s that ``viewer`` may be told about (WHO's channel field)."""
    for channel in target.channels.values():
        if viewer in channel.members or (not channel.hidden and "i" not in target.modes):
            return channel
    return None


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
    # Strangers see no member of a secret or private channel and, elsewhere, no
    # invisible (+i) user they share no channel with (modern IRC docs, WHO).
    if channel is not None:
        if user in channel.members or user.oper:
            rows = [(m, channel) for m in channel.members]
        elif channel.shown_to(user):
            rows = [(m, channel) for m in channel.members if sees(user, m)]
    elif not mask.startswith("#"):
        exact = server.find_user(mask)
        if exact is not None:  # an exact nickname: that user, as WHOIS would show them
            rows = [(exact, _shown_channel(user, exact))]
        elif mask in ("*", "0"):
            shared = {m for c in user.channels.values() for m in c.members} | {user}
            rows = [(u, None) for u in shared]
        else:
            rows = [
                (u, None)
                for u in server.by_nick.values()
                if (match_mask(mask, u.nick, server.fold) or match_mask(mask, u.host, server.fold))
                and (user.oper or sees(user, u))
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
                        "a": member.account or "0",
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
    # Secret and private channels only to their members; an invisible user's channels
    # only where the asker is too (operators and the user themselves see them all).
    everything = user is target or user.oper
    hide_all = "i" in target.modes
    chans = [
        c.prefix_of(target) + c.name
        for c in target.channels.values()
        if everything or user in c.members or not (hide_all or c.hidden)
    ]
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
    if target.account is not None:
        server.numeric(user, N.RPL_WHOISACCOUNT, target.nick, target.account, "is logged in as")
    if target.oper:
        server.numeric(user, N.RPL_WHOISOPERATOR, target.nick, "is an IRC operator")
    if "B" in target.modes:
        server.numeric(user, N.RPL_WHOISBOT, target.nick, f"is a bot on {server.config.network}")
    if target.secure:
        server.numeric(user, N.RPL_WHOISSECURE, target.nick, "is using a secure connection")
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


INFO_LINES = (
    f"{VERSION}: chat for your local network.",
    "An IRC server with the IRCv3 extensions most clients use, its history kept in an",
    "embedded SQLite database, announced on the LAN with mDNS.",
)


# INFO [<target>]
@command("INFO", 0)
def handle_info(server: Server, user: User, msg: Message) -> None:
    for line in INFO_LINES:
        server.numeric(user, N.RPL_INFO, line)
    created = datetime.fromtimestamp(server.created, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    server.numeric(user, N.RPL_INFO, f"Running since {created}.")
    server.numeric(user, N.RPL_ENDOFINFO, "End of INFO list")


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
