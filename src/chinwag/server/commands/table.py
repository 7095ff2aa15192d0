"""The one command table: verb -> handler, and the checks every verb shares.

Each entry says whether the verb may be used before registration, how many parameters
it needs at least and whether it is for IRC operators only. :func:`dispatch` applies
those checks once, so ERR_NOTREGISTERED, ERR_NEEDMOREPARAMS, ERR_NOPRIVILEGES and
ERR_UNKNOWNCOMMAND come from one place, then calls the handler.

How a family of commands joins the table
-----------------------------------------
A family is one module in this package (``channels``, ``messaging``, ...). It decorates
each handler with :func:`command`; every handler has the signature
``(server, user, msg) -> None`` and a one-line syntax comment right above the decorator::

    # KNOCK <channel> [<message>]
    @command("KNOCK", 1)
    def handle_knock(server: Server, user: User, msg: Message) -> None: ...

Then the family's module is named in ``FAMILIES`` in ``commands/__init__.py``, which
imports them all. A verb can be registered once only. This module imports no family and
not the core (``Server`` is a type here, nothing more), so any family may import it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chinwag.errors import LocalError
from chinwag.proto import numerics as N
from chinwag.proto.message import Message
from chinwag.server.state import User

if TYPE_CHECKING:
    from chinwag.server.core import Server

HandlerFn = Callable[["Server", User, Message], None]


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
    """Register the decorated handler for ``name`` (upper case) in :data:`COMMANDS`."""
    if name != name.upper():
        raise LocalError(f"command verbs are upper case: {name!r}")

    def register(fn: HandlerFn) -> HandlerFn:
        if name in COMMANDS:
            raise LocalError(f"{name} is registered twice ({COMMANDS[name].handler.__module__})")
        COMMANDS[name] = Command(fn, min_params, registered, oper)
        return fn

    return register


def number(text: str) -> int | None:
    """A non-negative decimal written in ASCII digits, else None (``"¹".isdigit()`` is
    true, but ``int("¹")`` fails)."""
    return int(text) if text.isascii() and text.isdigit() else None


def dispatch(server: Server, user: User, msg: Message) -> None:
    """Check ``msg`` against the table and run its handler (the core's dispatcher)."""
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
