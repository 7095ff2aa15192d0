"""A tiny harness that drives :class:`chinwag.server.core.Server` with no sockets.

``FakeLink`` stands in for a transport connection and records the bytes the core writes;
``Harness`` makes a server over :class:`MemoryStorage`, connects and registers users by
feeding bytes to :meth:`Server.receive`, flushes, and hands back the parsed lines each
user got since the last look. It deliberately does no timing and no I/O.
"""

from __future__ import annotations

from typing import Any

from chinwag.proto.casemap import folder
from chinwag.proto.limits import Limits
from chinwag.proto.message import Message, parse
from chinwag.server.build import build_server
from chinwag.server.config import ServerConfig
from chinwag.server.state import User
from chinwag.storage.sqlite import MemoryStorage


class FakeLink:
    """Records every write. ``buffered()`` reports ``pending``, plus every byte written
    when ``stalled`` (a peer that never reads)."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.writes = 0
        self.closed = False
        self.pending = 0
        self.stalled = False
        self.read_to = 0
        self.reading = True  # False while the core holds this peer (backpressure)

    def write(self, data: bytes) -> int:
        assert not self.closed, "write after close"
        self.data += data
        self.writes += 1
        return self.buffered()

    def close(self) -> None:
        self.closed = True

    def buffered(self) -> int:
        return self.pending + (len(self.data) if self.stalled else 0)

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True


def make_config(**changes: Any) -> ServerConfig:
    """Defaults for handler tests: no flood limit unless asked, no mDNS.

    ``limits`` may be a dict of Limits fields to change.
    """
    limit_changes = changes.pop("limits", {})
    limits = Limits(**{"flood_limit": False, **limit_changes})
    return ServerConfig(advertise=False, limits=limits).replace(**changes)


class Harness:
    def __init__(self, config: ServerConfig | None = None, **changes: Any) -> None:
        self.config = config if config is not None else make_config(**changes)
        self.storage = MemoryStorage(fold=folder(self.config.casemapping))
        self.server = build_server(self.config, self.storage)
        self.links: dict[User, FakeLink] = {}
        self.next_port = 40000

    # -- connections -----------------------------------------------------------------

    def open(self, ip: str = "127.0.0.1") -> User:
        """A new, unregistered connection."""
        link = FakeLink()
        self.next_port += 1
        user = self.server.connect(link, ip, self.next_port)
        assert user is not None
        self.links[user] = link
        return user

    def connect(
        self,
        nick: str,
        caps: tuple[str, ...] | list[str] = (),
        *,
        username: str | None = None,
        realname: str | None = None,
        ip: str = "127.0.0.1",
        password: str | None = None,
    ) -> User:
        """Open a connection and register it; its lines so far are read and dropped."""
        user = self.open(ip)
        lines: list[str] = []
        if caps:
            lines += ["CAP LS 302", "CAP REQ :" + " ".join(caps)]
        if password is not None:
            lines.append("PASS " + password)
        lines += [f"NICK {nick}", f"USER {username or nick.lower()} 0 * :{realname or nick}"]
        if caps:
            lines.append("CAP END")
        self.send(user, *lines)
        assert user.registered, f"{nick} did not register: {self.lines(user)}"
        self.lines(user)
        return user

    def link(self, user: User) -> FakeLink:
        return self.links[user]

    # -- traffic -----------------------------------------------------------------------

    def send(self, user: User, *lines: str | bytes) -> None:
        """Feed whole lines (CRLF added) from ``user`` and flush."""
        data = b"".join(
            (line if isinstance(line, bytes) else line.encode()) + b"\r\n" for line in lines
        )
        self.server.receive(user, data)
        self.server.flush()

    def feed(self, user: User, data: bytes) -> None:
        """Feed raw bytes and flush."""
        self.server.receive(user, data)
        self.server.flush()

    def raw(self, user: User) -> bytes:
        """Bytes written to ``user`` since the last look."""
        self.server.flush()
        link = self.links[user]
        out = bytes(link.data[link.read_to :])
        link.read_to = len(link.data)
        return out

    def lines(self, user: User) -> list[Message]:
        """Parsed lines written to ``user`` since the last look."""
        return [parse(line) for line in self.raw(user).split(b"\r\n") if line]

    def clear(self, *users: User) -> None:
        for user in users:
            self.raw(user)

    def commands(self, user: User) -> list[str]:
        return [m.command for m in self.lines(user)]


def numerics(messages: list[Message]) -> list[str]:
    return [m.command for m in messages if m.command.isdigit()]


def only(messages: list[Message], command: str) -> list[Message]:
    return [m for m in messages if m.command == command]


def channel_pair(h: Harness, channel: str = "#x") -> tuple[User, User]:
    """alice creates ``channel`` (and is op), bob joins it; lines are cleared."""
    a = h.connect("alice")
    b = h.connect("bob")
    h.send(a, "JOIN " + channel)
    h.send(b, "JOIN " + channel)
    h.clear(a, b)
    return a, b


def user_pair(h: Harness) -> tuple[User, User]:
    """alice and bob, registered, with their lines cleared."""
    a = h.connect("alice", realname="Alice L")
    b = h.connect("bob", realname="Bob B")
    h.clear(a, b)
    return a, b


ALICE_PASSWORD = "alice-password"


def account_harness(creds: Any, **accounts: Any) -> Harness:
    """A harness with ``[accounts]`` set from ``accounts`` and an account ``alice``
    whose credentials are ``creds`` (made once per session: hashing is slow)."""
    from chinwag.server.config import AccountsConfig

    h = Harness(make_config(accounts=AccountsConfig(**accounts)))
    h.storage.add_account("alice", creds, 1.0)
    return h
