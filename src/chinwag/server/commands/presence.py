"""Presence: AWAY, SETNAME and MONITOR (what others learn about you as it changes).

MONITOR's watcher index lives in the core (it is told about every nick change and quit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chinwag.proto import numerics as N
from chinwag.proto.message import Message
from chinwag.proto.validate import is_valid_nick
from chinwag.server.commands.table import command
from chinwag.server.outgoing import Outgoing
from chinwag.server.state import User

if TYPE_CHECKING:
    from chinwag.server.core import Server


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
        out = Outgoing("AWAY", (text,) if text else (), user.source, account=user.account)
        server.deliver(peers, out)


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
    server.deliver(peers, Outgoing("SETNAME", (realname,), user.source, account=user.account))


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
