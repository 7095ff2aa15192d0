"""The admin interface of the server core: what the server window (and tests) call.

:class:`AdminControl` is a mixin of :class:`chinwag.server.core.Server`; its methods run
on the server's thread (the window reaches them through
:meth:`chinwag.transport.runner.ServerRunner.call`). They use only what
:class:`CoreLike` names, so this module never imports the core.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from chinwag.proto.masks import match_mask, normalize_mask
from chinwag.server.config import ServerConfig
from chinwag.server.outgoing import Outgoing
from chinwag.server.state import BanInfo, Channel, User


@dataclass(frozen=True, slots=True)
class UserInfo:
    nick: str
    username: str
    host: str
    address: str
    connected_at: float
    idle: float
    channels: tuple[str, ...]
    away: str | None
    oper: bool


@dataclass(frozen=True, slots=True)
class Stats:
    users: int
    channels: int
    messages: int
    connections: int


class CoreLike(Protocol):
    """The part of the core the admin interface uses."""

    config: ServerConfig
    by_nick: dict[str, User]
    channels: dict[str, Channel]
    connections: set[User]
    server_bans: dict[str, BanInfo]
    messages: int
    fold: Callable[[str], str]
    lobby_key: str | None

    def find_user(self, nick: str) -> User | None: ...

    def emit(self, kind: str, text: str, *, level: int = ..., **fields: str | None) -> None: ...

    def quit(self, user: User, reason: str) -> None: ...

    def deliver_to(self, user: User, out: Outgoing) -> None: ...

    def deliver(self, users: Iterable[User], out: Outgoing, skip: User | None = None) -> None: ...


class AdminControl:
    """Listing people, kicking and banning, notices to everyone, lobby operators."""

    def users(self: CoreLike) -> list[UserInfo]:
        now = time.time()
        return [
            UserInfo(
                u.nick,
                u.username,
                u.host,
                u.address,
                u.connected_at,
                max(0.0, now - u.last_active),
                tuple(c.name for c in u.channels.values()),
                u.away,
                u.oper,
            )
            for u in sorted(self.by_nick.values(), key=lambda u: u.folded)
        ]

    def stats(self: CoreLike) -> Stats:
        return Stats(len(self.by_nick), len(self.channels), self.messages, len(self.connections))

    def kill(self: CoreLike, nick: str, reason: str, by: str = "admin") -> bool:
        user = self.find_user(nick)
        if user is None:
            return False
        self.emit(
            "kill", f"{nick} was removed by {by}: {reason}", nick=user.nick, address=user.address
        )
        self.quit(user, f"Killed ({by} ({reason}))")
        return True

    def add_ban(
        self: CoreLike, mask: str, reason: str, duration: float | None = None, by: str = "admin"
    ) -> list[str]:
        full = normalize_mask(mask)
        now = time.time()
        self.server_bans[self.fold(full)] = BanInfo(
            full, reason, now, None if duration is None else now + duration
        )
        when = "permanently" if duration is None else f"for {int(duration)}s"
        self.emit("ban", f"{by} banned {full} {when}: {reason}")
        removed = []
        for user in list(self.by_nick.values()):
            if match_mask(full, user.source, self.fold):
                removed.append(user.nick)
                self.quit(user, f"Banned: {reason}")
        return removed

    def remove_ban(self: CoreLike, mask: str) -> bool:
        key = self.fold(normalize_mask(mask))
        ban = self.server_bans.pop(key, None)
        if ban is None:
            return False
        self.emit("ban", f"ban on {ban.mask} lifted")
        return True

    def bans(self: CoreLike) -> list[BanInfo]:
        return sorted(self.server_bans.values(), key=lambda b: b.set_at)

    def notice_all(self: CoreLike, text: str) -> None:
        out = Outgoing("NOTICE", ("*", text), self.config.server_name)
        for user in list(self.by_nick.values()):
            self.deliver_to(user, out)
        self.emit("notice", f"server notice to everyone: {text}")

    def give_lobby_op(self: CoreLike, nick: str) -> bool:
        """Make ``nick`` an operator of the lobby (the server sets +o). False if there is
        no lobby, no such user, or they are not in it; True if they hold +o now."""
        user = self.find_user(nick)
        lobby = self.channels.get(self.lobby_key) if self.lobby_key else None
        if user is None or lobby is None or user not in lobby.members:
            return False
        held = lobby.members[user]
        if "o" in held:
            return True
        lobby.members[user] = "o" + held
        out = Outgoing("MODE", (lobby.name, "+o", user.nick), self.config.server_name)
        self.deliver(lobby.members, out)
        self.emit("mode", f"{user.nick} is now an operator of {lobby.name}", nick=user.nick)
        return True
