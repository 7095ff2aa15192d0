"""IRC operators: OPER, KILL, WALLOPS.

Only OPER is open to everyone; the table keeps the rest to operators.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chinwag.proto import numerics as N
from chinwag.proto.masks import match_mask
from chinwag.proto.message import Message
from chinwag.server.commands.table import command
from chinwag.server.outgoing import Outgoing
from chinwag.server.state import User

if TYPE_CHECKING:
    from chinwag.server.core import Server


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
    server.give_lobby_op(user.nick)  # server operators hold +o in the lobby


# KILL <nickname> <comment>
@command("KILL", 2, oper=True)
def handle_kill(server: Server, user: User, msg: Message) -> None:
    target = server.find_user(msg.params[0])
    if target is None:
        server.numeric(user, N.ERR_NOSUCHNICK, msg.params[0], "No such nick/channel")
        return
    server.kill(target.nick, msg.params[1], by=user.nick)


# WALLOPS <text>  (from an operator to every user with user mode +w)
@command("WALLOPS", 1, oper=True)
def handle_wallops(server: Server, user: User, msg: Message) -> None:
    out = Outgoing("WALLOPS", (msg.params[0],), user.source)
    server.deliver([u for u in server.by_nick.values() if "w" in u.modes], out)
