"""The server core: connections in, lines out, with no I/O of its own.

Theory of operation
-------------------
A transport accepts a connection and calls :meth:`Server.connect` with a :class:`Link`
(write/close/buffered). Bytes from the peer go to :meth:`Server.receive` (the input side,
in :mod:`chinwag.server.intake`), which splits lines, enforces the input limits and
flood control, parses, and dispatches through the one command table, which the core is
handed (``dispatch=``; :func:`chinwag.server.build.build_server` wires in
:func:`chinwag.server.commands.dispatch`). The core never imports the commands.

Handlers never write to sockets: they queue bytes on users (``User.out``). The first
queued line of a turn marks the user dirty and calls ``on_dirty`` once, and the transport
answers by calling :meth:`flush` soon after (once per event-loop turn), so every write to
a client is coalesced into one ``write`` per turn. A channel message is serialized once
per distinct tag mask (see :mod:`chinwag.server.caps`), not once per recipient. This
output side is in :mod:`chinwag.server.delivery`, a mixin like the input side.

Time-based duties (ping and registration time-outs, throttled input, ban expiry) happen
in :meth:`tick`, which the transport calls periodically.

What this module does not do: sockets, timers, threads, files. Storage is reached through
the :class:`chinwag.storage.base.Storage` interface handed in by the caller.
"""

from __future__ import annotations

import logging
import secrets
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from chinwag.proto import numerics as N
from chinwag.proto.casemap import folder
from chinwag.proto.masks import match_mask
from chinwag.proto.message import Message
from chinwag.server.accounts import AccountService, Worker
from chinwag.server.backpressure import Backpressure
from chinwag.server.config import ServerConfig
from chinwag.server.control import AdminControl
from chinwag.server.delivery import Delivery
from chinwag.server.events import ServerEvent
from chinwag.server.fanout import Fanout, LocalFanout
from chinwag.server.fastpath import relay_direct as _relay_direct
from chinwag.server.history import mark_seen
from chinwag.server.intake import Intake
from chinwag.server.isupport import isupport_tokens
from chinwag.server.outgoing import Outgoing
from chinwag.server.rooms import RoomBook
from chinwag.server.state import BanInfo, Channel, Link, User, WhowasEntry
from chinwag.server.tokens import UploadTokens
from chinwag.storage.base import StoredMessage

if TYPE_CHECKING:
    from chinwag.storage.base import Storage

log = logging.getLogger("chinwag.server")

# How the core hands a parsed line to the command table: (server, user, message).
Dispatcher = Callable[["Server", User, Message], None]

# Events that IRC operators also see as server notices.
SNOTICE_KINDS = frozenset(
    {"connect", "register", "quit", "kill", "ban", "oper", "error", "storage", "login"}
)


class Server(Intake, Delivery, Backpressure, AdminControl):
    """All users and channels of one server, and the command dispatch."""

    def __init__(
        self,
        config: ServerConfig,
        storage: Storage | None = None,
        on_dirty: Callable[[], None] | None = None,
        *,
        dispatch: Dispatcher,
        worker: Worker | None = None,
    ) -> None:
        self.config = config
        self.limits = config.limits
        self.fold = folder(config.casemapping)
        self.storage = storage
        self.on_dirty = on_dirty or (lambda: None)
        self.created = time.time()
        self.by_nick: dict[str, User] = {}  # folded nick -> registered user
        self.connections: set[User] = set()
        self.channels: dict[str, Channel] = {}
        self.whowas: deque[WhowasEntry] = deque(maxlen=max(1, self.limits.whowas))
        self.monitors: dict[str, set[User]] = {}  # folded nick -> users monitoring it
        self.server_bans: dict[str, BanInfo] = {}  # server-wide bans by mask
        self.per_ip: dict[str, int] = {}
        self.dirty: list[User] = []
        self.turn = 0  # flushes so far (Delivery.deliver_room)
        self.doomed: list[tuple[User, str]] = []
        self.throttled: set[User] = set()
        # Backpressure (see chinwag.server.backpressure): whose line is being handled,
        # who is backlogged since when, and who holds whom.
        self.reading: User | None = None
        self.backlog: dict[User, tuple[float, int]] = {}
        self.held: dict[User, set[User]] = {}
        self.holds: dict[User, set[User]] = {}
        self.stuck: set[User] = set()
        self.listeners: list[Callable[[ServerEvent], None]] = []
        self.messages = 0
        self.next_id = 1
        self.next_batch = 1
        self.next_msgid = 1
        # Unique across restarts, even two in the same second: history is keyed by msgid.
        self.msgid_prefix = f"{int(self.created):x}{secrets.token_hex(3)}"
        self.max_users = 0
        self.closing = False  # set by shutdown(): no new connections from then on
        self.capturing: User | None = None  # the user whose labeled command is running
        self.opers: set[User] = set()  # IRC operators: they get server notices
        self.invisible = 0  # registered users with user mode +i (kept for LUSERS)
        self.fanout: Fanout = LocalFanout(self)
        # History: what the join replay has shown guests ((nick@ip, room) -> time), and
        # guests' read markers, kept for the connection only.
        self.guest_seen: dict[tuple[str, str], float] = {}
        self.guest_read: weakref.WeakKeyDictionary[User, dict[str, float]] = (
            weakref.WeakKeyDictionary()
        )
        self.lobby_key = self.fold(config.lobby) if config.lobby else None
        self.isupport = isupport_tokens(config)
        # IRCv3 sts policy, (TLS port, duration), set by the transport when the served
        # certificate is publicly trusted; None: not advertised.
        self.sts: tuple[int, int] | None = None
        # Per-connection ISUPPORT tokens (the upload URLs, which depend on the address
        # the client reached us on); set by the web service when it offers uploads.
        self.isupport_for: Callable[[User], list[str]] | None = None
        self.upload_tokens = UploadTokens(config.web.files.token_seconds)
        # The command table is handed in (see chinwag.server.build): the core never
        # imports the commands, so the arrows point one way.
        self._dispatch = dispatch
        # Accounts: logins, the slow password check (on ``worker``), names they own.
        self.accounts = AccountService(self, worker)
        # Registered rooms, loaded from storage once: restored when they form again.
        self.rooms = RoomBook(self)

    # -- events ---------------------------------------------------------------------

    def subscribe(self, callback: Callable[[ServerEvent], None]) -> Callable[[], None]:
        self.listeners.append(callback)

        def unsubscribe() -> None:
            if callback in self.listeners:
                self.listeners.remove(callback)

        return unsubscribe

    def emit(
        self, kind: str, text: str, *, level: int = logging.INFO, **fields: str | None
    ) -> None:
        log.log(level, text)
        if self.opers and kind in SNOTICE_KINDS:
            notice = Outgoing("NOTICE", ("*", f"*** Notice -- {text}"), self.config.server_name)
            self.deliver(list(self.opers), notice)
        if self.listeners:
            event = ServerEvent(kind, text, time.time(), **fields)
            for cb in list(self.listeners):
                try:
                    cb(event)
                except Exception:
                    log.exception("event listener failed")

    # -- connections -----------------------------------------------------------------

    def connect(
        self,
        link: Link,
        ip: str,
        port: int,
        *,
        local_host: str = "",
        secure: bool = False,
        certfp: str | None = None,
    ) -> User | None:
        """A new connection. Returns its User, or None if it was refused (and closed).

        ``local_host``: the address it reached us at (for URLs we hand out); ``secure``:
        it came over TLS; ``certfp``: the SHA-256 of the client's certificate.
        """
        if self.closing:
            link.write(b"ERROR :Closing Link: server shutting down\r\n")
            link.close()
            return None
        limit = self.limits.connections_per_ip
        count = self.per_ip.get(ip, 0)
        if limit and count >= limit:
            link.write(b"ERROR :Closing Link: too many connections from your address\r\n")
            link.close()
            self.emit(
                "error",
                f"refused {ip}:{port}: too many connections from that address",
                level=logging.WARNING,
                address=f"{ip}:{port}",
            )
            return None
        self.per_ip[ip] = count + 1
        user = User(self.config, link, ip, port, self.next_id)
        user.secure = secure
        user.tls_fingerprint = certfp
        user.local_host = local_host
        self.next_id += 1
        self.connections.add(user)
        how = " (TLS)" if secure else ""
        self.emit("connect", f"connection from {user.address}{how}", address=user.address)
        return user

    def connection_lost(self, user: User, reason: str = "Connection closed") -> None:
        """The transport saw the peer go away."""
        self.quit(user, reason, notify_peer=False)

    def dispatch(self, user: User, msg: Message, raw: bytes = b"") -> None:
        label = msg.tags.get("label") if msg.tags and "labeled-response" in user.caps else None
        if label is not None:
            user.capture = []
            user.label = label
            self.capturing = user
        self.reading = user
        try:
            self._dispatch(self, user, msg)
        except Exception:
            log.exception(
                "handler for %s failed on line %r from %s", msg.command, raw[:600], user.address
            )
            self.numeric(
                user,
                N.ERR_UNKNOWNERROR,
                msg.command or "*",
                "Internal error processing that command",
            )
        finally:
            self.reading = None
            if label is not None:
                self._finish_label(user, label)
        if self.doomed:
            self._reap()

    def _finish_label(self, user: User, label: str) -> None:
        captured = user.capture or []
        user.capture = None
        self.capturing = None
        user.label = None
        if user.closed:
            return
        if not captured:
            self._write(user, "ACK", (), self.config.server_name, {"label": label})
        elif len(captured) == 1:
            command, params, source, tags = captured[0]
            tags = {"label": label, **tags}
            self._write(user, command, params, source, tags)
        else:
            batch = self.new_batch_id()
            self._write(
                user,
                "BATCH",
                ("+" + batch, "labeled-response"),
                self.config.server_name,
                {"label": label},
            )
            for command, params, source, tags in captured:
                # A reply that is itself a batch (CHATHISTORY, SEARCH) nests: its opening
                # and closing lines join the outer batch, its lines stay in their own.
                inner = tags if "batch" in tags else {**tags, "batch": batch}
                self._write(user, command, params, source, inner)
            self._write(user, "BATCH", ("-" + batch,), self.config.server_name, {})

    # A plain private message relayed without parsing (see chinwag.server.fastpath); the
    # function itself, not a method that calls it: one call less on the hottest path.
    relay_direct = _relay_direct

    def new_batch_id(self) -> str:
        self.next_batch += 1
        return f"b{self.next_batch}"

    def new_msgid(self) -> str:
        self.next_msgid += 1
        return f"{self.msgid_prefix}-{self.next_msgid}"

    # -- leaving -----------------------------------------------------------------------

    def quit(
        self,
        user: User,
        reason: str,
        *,
        notify_peer: bool = True,
        quit_message: str | None = None,
        broadcast: bool = True,
    ) -> None:
        """Remove ``user``: tell the channels, close the link. Idempotent."""
        if user.closed:
            return
        self.opers.discard(user)
        if user.registered:
            shown = quit_message if quit_message is not None else reason
            out = Outgoing("QUIT", (shown,), user.source, account=user.account)
            peers: set[User] = set()
            for channel in user.channels.values():
                peers.update(channel.members)
                if self.storage is not None:
                    mark_seen(self, user, channel.folded)
                del channel.members[user]
                if not channel.members:
                    self.channels.pop(channel.folded, None)
            peers.discard(user)
            if broadcast:
                self.deliver(peers, out)
            user.channels.clear()
            self.whowas.append(
                WhowasEntry(user.nick, user.username, user.host, user.realname, time.time())
            )
            if self.by_nick.get(user.folded) is user:
                del self.by_nick[user.folded]
            if "i" in user.modes:
                self.invisible -= 1
            self.notify_monitors(user.nick, online=False)
            self.emit(
                "quit",
                f"{user.nick} ({user.address}) quit: {reason}",
                nick=user.nick,
                address=user.address,
            )
        else:
            self.emit(
                "quit",
                f"unregistered connection {user.address} closed: {reason}",
                address=user.address,
            )
        self.unmonitor(user, list(user.monitor))
        if notify_peer:
            user.out.append(f"ERROR :Closing Link: {user.host} ({reason})\r\n".encode())
            data = b"".join(user.out)
            user.out.clear()
            try:
                user.link.write(data)
            finally:
                user.link.close()
        user.closed = True
        user.out.clear()
        self.forget(user)
        self.opers.discard(user)
        self.connections.discard(user)
        self.throttled.discard(user)
        count = self.per_ip.get(user.ip, 1) - 1
        if count <= 0:
            self.per_ip.pop(user.ip, None)
        else:
            self.per_ip[user.ip] = count

    def shutdown(self, reason: str = "Server shutting down") -> None:
        """Say goodbye to everyone: each client gets an ERROR with ``reason``."""
        self.closing = True
        for user in list(self.connections):
            self.quit(user, reason, broadcast=False)
        self.emit("stop", f"server stopped: {reason}")

    # -- periodic duties -----------------------------------------------------------------

    def tick(self, now: float | None = None, sweep: bool = True) -> None:
        """Periodic duties. ``sweep`` also checks every connection's timers (slower)."""
        mono = time.monotonic() if now is None else now
        for user in list(self.throttled):
            self._drain_pending(user, mono)
        if self.accounts.deferred or self.accounts.grace:
            self.accounts.tick(mono)
        if self.backlog:
            self.check_backlog(mono)
        if self.doomed:
            self._reap()
        if not sweep:
            return
        self.accounts.throttle.forget_old(mono)  # failures older than the window
        lim = self.limits
        for user in list(self.connections):
            idle = mono - user.last_recv
            if not user.registered:
                if mono > user.register_by:
                    self.quit(user, "Registration timeout")
                continue
            if user.ping_sent:
                if mono - user.ping_sent > lim.ping_timeout:
                    self.quit(user, f"Ping timeout: {int(mono - user.ping_sent)} seconds")
            elif idle > lim.ping_interval:
                user.ping_sent = mono
                self.send(user, "PING", self.config.server_name, source="")
        if self.server_bans:
            wall = time.time()
            for key, ban in list(self.server_bans.items()):
                if ban.expires_at is not None and ban.expires_at <= wall:
                    del self.server_bans[key]
                    self.emit("ban", f"ban on {ban.mask} expired")
        if self.doomed:
            self._reap()

    # -- helpers for handlers -------------------------------------------------------------

    def find_user(self, nick: str) -> User | None:
        return self.by_nick.get(self.fold(nick))

    def find_channel(self, name: str) -> Channel | None:
        return self.channels.get(self.fold(name))

    def banned_from_server(self, user: User) -> BanInfo | None:
        if not self.server_bans:
            return None
        source = user.source
        for ban in self.server_bans.values():
            if match_mask(ban.mask, source, self.fold):
                return ban
        return None

    def unmonitor(self, user: User, folded_nicks: list[str]) -> None:
        """Stop ``user`` watching these (folded) nicks with MONITOR."""
        for folded in folded_nicks:
            user.monitor.discard(folded)
            watchers = self.monitors.get(folded)
            if watchers is not None:
                watchers.discard(user)
                if not watchers:
                    del self.monitors[folded]

    def notify_monitors(self, nick: str, online: bool, source: str = "") -> None:
        watchers = self.monitors.get(self.fold(nick))
        if not watchers:
            return
        for w in watchers:
            if online:
                self.numeric(w, N.RPL_MONONLINE, source or nick)
            else:
                self.numeric(w, N.RPL_MONOFFLINE, nick)

    def record_message(
        self,
        channel: Channel,
        user: User,
        command: str,
        text: str,
        msgid: str,
        at: float | None = None,
        tags: str = "",
        *,
        store: bool = True,
        source: str | None = None,
    ) -> None:
        """Count a channel message and, if ``store``, keep it for history replay.
        ``source``: the sender's ``nick!user@host`` when the caller has it already."""
        self.messages += 1
        if store and self.storage is not None and self.limits.keep_history:
            stored = StoredMessage(
                msgid,
                time.time() if at is None else at,
                channel.name,
                user.source if source is None else source,
                user.account,
                command,
                tags,
                text,
            )
            self.storage.append(channel.folded, stored)
