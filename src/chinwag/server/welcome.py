"""The welcome burst that ends registration: 001-005, LUSERS and the MOTD.

Most of those lines are the same for everyone but the nick they are addressed to, so
they are serialized once per server (:class:`Numerics`, ``head + nick + tail``) and a
registration copies them instead of formatting some twenty lines afresh. A client that
takes server-time tags, or whose registration is a labeled command (its replies are
captured), gets the same lines the ordinary way, through ``Server.numeric``.

What this module does not do: decide when someone is registered (the registration
commands do), or count users (LUSERS reads the server's running totals).
"""

from __future__ import annotations

import weakref
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chinwag import __version__
from chinwag.proto import numerics as N
from chinwag.proto.limits import LINE_BYTES
from chinwag.server.caps import TAG_TIME
from chinwag.server.outgoing import fit_line, format_line
from chinwag.server.state import User

if TYPE_CHECKING:
    from chinwag.server.core import Server

VERSION = f"chinwag-{__version__}"
# RPL_MYINFO: user modes, channel modes, channel modes that take a parameter.
USER_MODES = "Biow"
CHANNEL_MODES = "biklmnopstv"
CHANNEL_PARAM_MODES = "bklov"
ISUPPORT_PER_LINE = 13  # tokens in one RPL_ISUPPORT line
_NICK = "\0"  # stands for the nick while a line is cut into head and tail

# Numeric replies to send: (numeric, parameters after the recipient's nick).
Lines = list[tuple[str, tuple[str, ...]]]


class Numerics:
    """Numeric replies from the server whose only varying part is the recipient's nick
    (always their first parameter), serialized once."""

    __slots__ = ("lines", "nick_room", "pieces")

    def __init__(self, server: Server, lines: Lines) -> None:
        self.lines = lines
        name = server.config.server_name
        self.nick_room = nick_room = server.limits.nicklen  # nicks are ASCII: a byte each
        pieces: list[tuple[str, str]] = []
        for code, params in lines:
            head, _, tail = format_line(code, (_NICK, *params), name).partition(_NICK)
            pieces.append((head, tail + "\r\n"))
        # A line that a long nick would push over the limit must be trimmed for each
        # nick: then every line is formatted each time.
        fits = all(len((h + t).encode()) + nick_room <= LINE_BYTES for h, t in pieces)
        self.pieces = pieces if fits else None

    def send(self, server: Server, user: User) -> None:
        pieces = self.pieces
        nick = user.nick
        if pieces is not None and len(nick) <= self.nick_room and plain(user):
            server._push(user, "".join([h + nick + t for h, t in pieces]).encode())
        else:
            send_numerics(server, user, self.lines)


def plain(user: User) -> bool:
    """Do ``user``'s replies go out as bare lines (no server-time, nothing captured)?"""
    return user.capture is None and not user.tagmask & TAG_TIME


def send_numerics(server: Server, user: User, lines: Lines) -> None:
    """``Server.numeric`` for each line; as one piece of output when ``user`` is plain."""
    if not plain(user):
        for code, params in lines:
            server.numeric(user, code, *params)
        return
    name, nick = server.config.server_name, user.nick
    text = "\r\n".join([fit_line(code, (nick, *params), name)[0] for code, params in lines])
    server._push(user, (text + "\r\n").encode())


class Burst:
    """The per-server parts of the welcome burst."""

    __slots__ = ("intro", "isupport", "isupport_rest", "motd")

    def __init__(self, server: Server) -> None:
        cfg = server.config
        created = datetime.fromtimestamp(server.created, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        myinfo = (cfg.server_name, VERSION, USER_MODES, CHANNEL_MODES, CHANNEL_PARAM_MODES)
        self.intro = Numerics(
            server,
            [
                (N.RPL_YOURHOST, (f"Your host is {cfg.server_name}, running version {VERSION}",)),
                (N.RPL_CREATED, (f"This server was created {created}",)),
                (N.RPL_MYINFO, myinfo),
            ],
        )
        # Whole lines of the server's own tokens; the rest goes out with the tokens of
        # the connection (upload URLs), in the same order as one list cut every 13.
        tokens = server.isupport
        whole = len(tokens) - len(tokens) % ISUPPORT_PER_LINE
        self.isupport = Numerics(server, isupport_lines(tokens[:whole]))
        self.isupport_rest = tokens[whole:]
        motd: Lines
        if not cfg.motd.strip():
            motd = [(N.ERR_NOMOTD, ("MOTD File is missing",))]
        else:
            motd = [(N.RPL_MOTDSTART, (f"- {cfg.server_name} Message of the day - ",))]
            motd += [(N.RPL_MOTD, (f"- {line}",)) for line in cfg.motd.splitlines()]
            motd.append((N.RPL_ENDOFMOTD, ("End of /MOTD command.",)))
        self.motd = Numerics(server, motd)


_bursts: weakref.WeakKeyDictionary[Server, Burst] = weakref.WeakKeyDictionary()


def burst_of(server: Server) -> Burst:
    burst = _bursts.get(server)
    if burst is None:
        burst = _bursts[server] = Burst(server)
    return burst


def send_welcome(server: Server, user: User) -> None:
    """001-005, LUSERS and the MOTD: what a client gets when it has registered."""
    cfg = server.config
    burst = burst_of(server)
    welcome = f"Welcome to the {cfg.network} IRC network, {user.source}"
    send_numerics(server, user, [(N.RPL_WELCOME, (welcome,))])
    burst.intro.send(server, user)
    send_isupport(server, user)
    send_lusers(server, user)
    burst.motd.send(server, user)


def send_isupport(server: Server, user: User) -> None:
    burst = burst_of(server)
    burst.isupport.send(server, user)
    tokens = burst.isupport_rest
    if server.isupport_for is not None:
        tokens = tokens + server.isupport_for(user)
    if tokens:
        send_numerics(server, user, isupport_lines(tokens))


def isupport_lines(tokens: list[str]) -> Lines:
    return [
        (N.RPL_ISUPPORT, (*tokens[i : i + ISUPPORT_PER_LINE], "are supported by this server"))
        for i in range(0, len(tokens), ISUPPORT_PER_LINE)
    ]


def send_lusers(server: Server, user: User) -> None:
    users = len(server.by_nick)
    opers = len(server.opers)
    unknown = len(server.connections) - users
    invisible = server.invisible
    lines: Lines = [
        (
            N.RPL_LUSERCLIENT,
            (f"There are {users - invisible} users and {invisible} invisible on 1 servers",),
        )
    ]
    if opers:
        lines.append((N.RPL_LUSEROP, (str(opers), "operator(s) online")))
    if unknown > 0:
        lines.append((N.RPL_LUSERUNKNOWN, (str(unknown), "unknown connection(s)")))
    mx = str(server.max_users)
    lines += [
        (N.RPL_LUSERCHANNELS, (str(len(server.channels)), "channels formed")),
        (N.RPL_LUSERME, (f"I have {users} clients and 0 servers",)),
        (N.RPL_LOCALUSERS, (str(users), mx, f"Current local users {users}, max {mx}")),
        (N.RPL_GLOBALUSERS, (str(users), mx, f"Current global users {users}, max {mx}")),
    ]
    send_numerics(server, user, lines)


def send_motd(server: Server, user: User) -> None:
    burst_of(server).motd.send(server, user)
