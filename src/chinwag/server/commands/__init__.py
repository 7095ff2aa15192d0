"""The server's commands: one registry, one module per family of verbs.

:mod:`.table` holds the registry (:data:`COMMANDS`, the :func:`command` decorator) and
:func:`dispatch`, the dispatcher the core is handed. Each family module registers its
verbs when it is imported; this package imports every family listed in ``FAMILIES``, so
``from chinwag.server.commands import dispatch`` gives a full table. A new family (say
``accounts``) is a new module here plus one line below; a test checks that every module
in the package is listed and registers at least one verb.

Families: ``registration`` (CAP, PASS, NICK, USER, PING, PONG, QUIT), ``channels``
(JOIN, PART, TOPIC, NAMES, LIST, INVITE, KICK), ``modes`` (MODE), ``messaging``
(PRIVMSG, NOTICE, TAGMSG), ``queries`` (WHO, WHOIS, WHOWAS, USERHOST, ISON, LUSERS,
MOTD, VERSION, INFO, TIME), ``presence`` (AWAY, SETNAME, MONITOR), ``operators`` (OPER,
KILL, WALLOPS), ``accounts`` (AUTHENTICATE, REGISTER, CERTADD, CERTDEL), ``files``
(FILETOKEN), ``history`` (CHATHISTORY), ``search`` (SEARCH), ``readmarker``
(MARKREAD), ``redaction`` (REDACT).
"""

from __future__ import annotations

from chinwag.server.commands import (
    accounts,
    channels,
    files,
    history,
    messaging,
    modes,
    operators,
    presence,
    queries,
    readmarker,
    redaction,
    registration,
    search,
)
from chinwag.server.commands.table import COMMANDS, Command, command, dispatch

FAMILIES = (
    registration,
    channels,
    modes,
    messaging,
    queries,
    presence,
    operators,
    accounts,
    files,
    history,
    search,
    readmarker,
    redaction,
)

__all__ = ["COMMANDS", "FAMILIES", "Command", "command", "dispatch"]
