"""Server state: users (one per connection) and channels.

A :class:`User` is the sans-I/O session of one connection: the transport feeds its bytes
to :meth:`chinwag.server.core.Server.receive` and writes out whatever the core queued for
it when the core asks (see :meth:`chinwag.server.core.Server.flush`). Nothing here
touches a socket.

Names are folded once, at the edge, with the server's casemapping; dicts are keyed by the
folded name and the name is displayed as the user typed it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from chinwag.server.config import ServerConfig


class Link(Protocol):
    """What the core needs from a transport connection."""

    def write(self, data: bytes) -> int:
        """Send ``data``; returns what :meth:`buffered` would say now (0 once closed)."""
        ...

    def close(self) -> None: ...

    def buffered(self) -> int:
        """Bytes written but not yet sent to the peer."""
        ...

    def pause_reading(self) -> None:
        """Stop reading from the peer (backpressure); bytes already read stay queued."""
        ...

    def resume_reading(self) -> None:
        """Read again, and hand the core what was queued (``Server.receive(user, b"")``)."""
        ...


class User:
    __slots__ = (
        "__weakref__",
        "account",
        "address",
        "away",
        "cap_negotiating",
        "cap_version",
        "caps",
        "capture",
        "channels",
        "closed",
        "connected_at",
        "folded",
        "host",
        "id",
        "inbuf",
        "ip",
        "label",
        "last_active",
        "last_recv",
        "link",
        "local_host",
        "modes",
        "monitor",
        "nick",
        "oper",
        "out",
        "pass_ok",
        "paused",
        "pending",
        "pending_bytes",
        "ping_sent",
        "port",
        "realname",
        "register_by",
        "registered",
        "sasl",
        "secure",
        "skip_to_newline",
        "tagmask",
        "tls_fingerprint",
        "tokens",
        "tokens_at",
        "username",
    )

    def __init__(self, config: ServerConfig, link: Link, ip: str, port: int, uid: int) -> None:
        now = time.time()
        self.link = link
        self.id = uid
        self.ip = ip
        self.port = port
        # The address this connection reached us on (for the URLs we hand out); set by
        # the transport through Server.connect.
        self.local_host = ""
        self.address = f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
        self.host = ip
        self.nick = "*"
        self.folded = ""
        self.username = ""
        self.realname = ""
        self.registered = False
        self.pass_ok = config.password is None
        self.caps: set[str] = set()
        self.cap_negotiating = False
        self.cap_version = 0
        self.tagmask = 0
        self.channels: dict[str, Channel] = {}
        self.away: str | None = None
        self.modes: set[str] = set()
        self.oper = False
        self.monitor: set[str] = set()
        self.connected_at = now
        self.last_active = now
        self.last_recv = time.monotonic()
        # Monotonic deadline for finishing registration.
        self.register_by = self.last_recv + config.limits.registration_timeout
        self.ping_sent = 0.0
        self.out: list[bytes] = []
        self.inbuf = b""
        self.skip_to_newline = False
        self.pending: deque[bytes] | None = None
        self.pending_bytes = 0
        self.tokens = float(config.limits.flood_burst)
        self.tokens_at = time.monotonic()
        self.closed = False
        self.paused = False  # not read from: a recipient of its messages is backlogged
        self.capture: list[tuple[str, tuple[str, ...], str | None, dict[str, str]]] | None = None
        self.label: str | None = None
        self.secure = False  # connected over TLS
        self.tls_fingerprint: str | None = None  # SHA-256 hex of the client's certificate
        self.account: str | None = None  # the account logged in to (SASL or REGISTER)
        self.sasl: Any = None  # the SASL exchange in progress (commands.accounts.SaslSession)

    @property
    def source(self) -> str:
        return f"{self.nick}!{self.username}@{self.host}"

    def __repr__(self) -> str:
        return f"<User {self.nick} {self.address}>"


def shares_channel(a: User, b: User) -> bool:
    small, other = (a, b) if len(a.channels) <= len(b.channels) else (b, a)
    return any(other in channel.members for channel in small.channels.values())


class Recipients:
    """A room's members as its fan-out wants them (see
    :meth:`chinwag.server.delivery.Delivery.deliver_room`): each member's queue, grouped
    by tag mask, in join order within a group; and the turn whose flush already knows
    them all (they were added to the core's dirty list)."""

    __slots__ = ("by_mask", "turn", "users")

    def __init__(self, members: dict[User, str]) -> None:
        self.users = list(members)
        self.by_mask: dict[int, list[Callable[[bytes], object]]] = {}
        for u in self.users:
            self.by_mask.setdefault(u.tagmask, []).append(u.out.append)
        self.turn = -1


class Members(dict["User", str]):
    """A room's members (user -> prefix modes held, e.g. "o", "ov") that forgets its
    :class:`Recipients` whenever it changes. Reads are a plain dict's."""

    __slots__ = ("recipients",)

    def __init__(self) -> None:
        super().__init__()
        self.recipients: Recipients | None = None

    def __setitem__(self, user: User, held: str) -> None:
        self.recipients = None
        super().__setitem__(user, held)

    def __delitem__(self, user: User) -> None:
        self.recipients = None
        super().__delitem__(user)

    def pop(self, *args: Any) -> Any:
        self.recipients = None
        return super().pop(*args)

    def popitem(self) -> tuple[User, str]:
        self.recipients = None
        return super().popitem()

    def clear(self) -> None:
        self.recipients = None
        super().clear()

    def setdefault(self, user: User, held: str = "") -> str:
        self.recipients = None
        return super().setdefault(user, held)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.recipients = None
        super().update(*args, **kwargs)

    def __ior__(self, other: Any) -> Members:  # type: ignore[override,misc]
        self.recipients = None
        return super().__ior__(other)

    def regroup(self) -> None:
        """A member's capabilities (so its tag mask) changed: group the members again."""
        self.recipients = None

    def get_recipients(self) -> Recipients:
        found = self.recipients
        if found is None:
            found = self.recipients = Recipients(self)
        return found


def sees(viewer: User, target: User) -> bool:
    """Does ``target`` show up in ``viewer``'s listings (WHO masks, NAMES of a channel
    ``viewer`` is not in)? Invisible (+i) users only show to people they share a channel
    with (modern IRC docs, invisible user mode)."""
    return viewer is target or "i" not in target.modes or shares_channel(viewer, target)


class Channel:
    __slots__ = (
        "bans",
        "created",
        "folded",
        "invites",
        "key",
        "limit",
        "members",
        "modes",
        "name",
        "topic",
        "topic_at",
        "topic_by",
    )

    def __init__(self, name: str, folded: str) -> None:
        self.name = name
        self.folded = folded
        self.members = Members()  # user -> prefix modes held, e.g. "o", "ov"
        self.modes: set[str] = {"n", "t"}
        self.key: str | None = None
        self.limit: int | None = None
        self.bans: list[tuple[str, str, int]] = []  # (mask, set by, set at)
        self.invites: set[str] = set()  # folded nicks invited (for +i)
        self.topic = ""
        self.topic_by = ""
        self.topic_at = 0
        self.created = int(time.time())

    def __repr__(self) -> str:
        return f"<Channel {self.name} {len(self.members)} members>"

    def prefix_of(self, user: User, multi: bool = False) -> str:
        held = self.members.get(user, "")
        if not held:
            return ""
        out = ("@" if "o" in held else "") + ("+" if "v" in held else "")
        return out if multi else out[:1]

    def is_op(self, user: User) -> bool:
        return "o" in self.members.get(user, "")

    @property
    def hidden(self) -> bool:
        """Secret (+s) or private (+p): strangers do not learn that it exists."""
        return "s" in self.modes or "p" in self.modes

    @property
    def names_symbol(self) -> str:
        """RPL_NAMREPLY's channel status: ``@`` secret, ``*`` private, ``=`` public."""
        return "@" if "s" in self.modes else "*" if "p" in self.modes else "="

    def shown_to(self, viewer: User) -> bool:
        """May ``viewer`` learn that this channel exists (LIST, WHOIS, WHO's channel)?"""
        return not self.hidden or viewer in self.members

    def mode_string(self, show_key: bool) -> tuple[str, ...]:
        flags = "".join(sorted(self.modes))
        params: list[str] = []
        if self.key is not None:
            flags += "k"
            params.append(self.key if show_key else "*")
        if self.limit is not None:
            flags += "l"
            params.append(str(self.limit))
        return ("+" + flags, *params)


@dataclass(frozen=True, slots=True)
class WhowasEntry:
    nick: str
    username: str
    host: str
    realname: str
    at: float


@dataclass(frozen=True, slots=True)
class BanInfo:
    mask: str
    reason: str
    set_at: float
    expires_at: float | None
