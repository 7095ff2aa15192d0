"""What the admin window shows and does, without a screen.

:class:`AdminModel` wraps a :class:`~chinwag.transport.runner.ServerRunner`: it starts and
stops the server in this process (on the runner's own thread), turns the core's
``users()``/``bans()``/``stats()`` into table rows, and carries out the admin's actions
(kick, ban, lift a ban, server notice) through ``runner.call``, i.e. on the server's
loop thread.

Threading: server events arrive on the server thread. The subscription callback only
puts them on a :class:`queue.Queue`; the GUI thread calls :meth:`AdminModel.drain_events`
(from Tk's ``after()``) which moves them into the bounded log. Every other method is
meant for the GUI thread; the ones that ask the server wait at most ``call_timeout``.

What it deliberately does not do: draw anything or import tkinter (the window is
:mod:`chinwag.admin.window`), scrape log text, or keep anything across restarts.
"""

from __future__ import annotations

import ipaddress
import queue
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from chinwag.certs import fingerprint_display
from chinwag.discovery import WILDCARD_HOSTS, lan_ipv4_addresses
from chinwag.errors import LocalError
from chinwag.proto.casemap import folder
from chinwag.proto.masks import match_mask, normalize_mask
from chinwag.server.events import ServerEvent

if TYPE_CHECKING:
    from chinwag.server.config import ServerConfig
    from chinwag.server.control import Stats, UserInfo
    from chinwag.server.core import Server
    from chinwag.server.state import BanInfo

# Log lines kept in memory (and shown); older ones fall off the top.
LOG_SIZE = 5000
# Events waiting between the server thread and the GUI; beyond this they are dropped
# (and counted) rather than ever blocking the server.
EVENT_QUEUE_SIZE = 20000
# How far back "messages per minute" looks.
RATE_WINDOW = 60.0
# Longest the GUI waits for one answer from the server thread.
CALL_TIMEOUT = 2.0

# The ban durations offered in the window: label -> seconds (None = until lifted).
BAN_DURATIONS: dict[str, float | None] = {
    "10 minutes": 600.0,
    "1 hour": 3600.0,
    "1 day": 86400.0,
    "1 week": 7 * 86400.0,
    "permanent": None,
}

T = TypeVar("T")


class Runner(Protocol):
    """The part of ServerRunner the model uses (so tests could stand one in)."""

    def start(self) -> None: ...
    def stop(self, reason: str = ...) -> None: ...
    @property
    def running(self) -> bool: ...
    @property
    def bound(self) -> list[tuple[str, int]]: ...
    @property
    def web_bound(self) -> list[tuple[str, str, int]]: ...
    @property
    def tls_bound(self) -> list[tuple[str, int]]: ...
    @property
    def fingerprint(self) -> str | None: ...
    def call(self, fn: Callable[[Server], T], timeout: float = ...) -> T: ...
    def subscribe(self, callback: Callable[[ServerEvent], None]) -> Callable[[], None]: ...


def default_runner(config: ServerConfig) -> Runner:
    from chinwag.transport.runner import ServerRunner

    return ServerRunner(config)


@dataclass(frozen=True)
class PersonRow:
    """One row of the people table, formatted for display."""

    nick: str
    address: str
    since: str
    idle: str
    rooms: str
    host: str
    username: str

    @property
    def suggested_mask(self) -> str:
        """The ban mask offered for this person: everyone from their host."""
        return f"*!*@{self.host}"


@dataclass(frozen=True)
class BanRow:
    mask: str
    reason: str
    expires: str


@dataclass(frozen=True)
class Counters:
    users: int
    rooms: int
    messages_per_minute: float


def format_duration(seconds: float) -> str:
    """Short human duration: 42s, 3m 05s, 2h 10m, 3d 4h."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def format_clock(epoch: float, now: float | None = None) -> str:
    """HH:MM:SS for today, otherwise the date and time."""
    when = datetime.fromtimestamp(epoch)
    today = datetime.fromtimestamp(time.time() if now is None else now).date()
    return when.strftime("%H:%M:%S" if when.date() == today else "%Y-%m-%d %H:%M")


def format_event(event: ServerEvent) -> str:
    """One log line: time, kind, text."""
    stamp = datetime.fromtimestamp(event.time).strftime("%H:%M:%S")
    return f"{stamp} {event.kind:<8} {event.text}"


def event_matches(event: ServerEvent, needle: str) -> bool:
    """The log filter: every word must appear (case-insensitively) in the line."""
    if not needle.strip():
        return True
    line = format_event(event).casefold()
    if event.nick:
        line += " " + event.nick.casefold()
    if event.channel:
        line += " " + event.channel.casefold()
    return all(word in line for word in needle.casefold().split())


def client_addresses(bound: Iterable[tuple[str, int]]) -> list[str]:
    """The ``host:port`` addresses clients can use, from what the server is bound to.

    A wildcard bind (0.0.0.0) stands for every LAN IPv4 address of the machine; when the
    machine has none, 127.0.0.1 (only this machine can connect). IPv6 binds are shown in
    brackets.
    """
    out: list[str] = []
    for host, port in bound:
        wildcard = host in WILDCARD_HOSTS
        hosts = (lan_ipv4_addresses() or ["127.0.0.1"]) if wildcard else [host]
        for h in hosts:
            shown = f"[{h}]" if ":" in h else h
            entry = f"{shown}:{port}"
            if entry not in out:
                out.append(entry)
    return out


def only_this_machine(addresses: Iterable[str]) -> bool:
    """True when every address is a loopback one (nobody else on the LAN can connect)."""
    hosts = [a.rsplit(":", 1)[0].strip("[]") for a in addresses]
    try:
        return bool(hosts) and all(ipaddress.ip_address(h).is_loopback for h in hosts)
    except ValueError:
        return False


class AdminModel:
    """The admin window's state and actions; see the module docstring for threading."""

    def __init__(
        self,
        runner_factory: Callable[[ServerConfig], Runner] = default_runner,
        *,
        log_size: int = LOG_SIZE,
        call_timeout: float = CALL_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.runner_factory = runner_factory
        self.call_timeout = call_timeout
        self.clock = clock
        self.runner: Runner | None = None
        self.config: ServerConfig | None = None
        self.log: deque[ServerEvent] = deque(maxlen=log_size)
        self.dropped_events = 0
        self._events: queue.Queue[ServerEvent] = queue.Queue(EVENT_QUEUE_SIZE)
        self._unsubscribe: Callable[[], None] | None = None
        self._samples: deque[tuple[float, int]] = deque()
        self._started_at: float | None = None

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.runner is not None and self.runner.running

    def start(self, config: ServerConfig) -> None:
        """Start a server with ``config``; returns once it listens. Raises LocalError."""
        if self.running:
            raise LocalError("the server is already running")
        runner = self.runner_factory(config)
        unsubscribe = runner.subscribe(self._on_event)
        try:
            runner.start()
        except LocalError as exc:
            unsubscribe()
            self.note("error", f"could not start the server: {exc}")
            raise
        except OSError as exc:
            unsubscribe()
            self.note("error", f"could not start the server: {exc.strerror or exc}")
            raise LocalError(f"could not start the server: {exc.strerror or exc}") from exc
        self.runner, self.config, self._unsubscribe = runner, config, unsubscribe
        self._samples.clear()
        self._started_at = self.clock()
        self.note("start", f"server running; clients can connect to {', '.join(self.addresses())}")
        if self.web_addresses():
            self.note("start", f"web service at {', '.join(self.web_addresses())}")

    def stop(self, reason: str = "Server shutting down") -> None:
        """Stop the server: every client gets an ERROR line with ``reason``. Idempotent."""
        runner, self.runner = self.runner, None
        if runner is None:
            return
        try:
            runner.stop(reason)
        finally:
            if self._unsubscribe is not None:
                self._unsubscribe()
                self._unsubscribe = None
            self._samples.clear()
            self._started_at = None
            self.note("stop", "server stopped")

    def addresses(self) -> list[str]:
        """Where clients can connect, e.g. ``["192.168.1.20:6667"]``; empty when stopped."""
        if self.runner is None:
            return []
        return client_addresses(self.runner.bound)

    def tls_addresses(self) -> list[str]:
        """Where clients can connect with TLS, e.g. ``["192.168.1.20:6697"]``."""
        if self.runner is None:
            return []
        return client_addresses(self.runner.tls_bound)

    def certificate(self) -> str:
        """The TLS certificate's SHA-256 fingerprint line, for people to compare; "" without."""
        fp = self.runner.fingerprint if self.runner is not None and self.running else None
        return f"TLS certificate SHA-256: {fingerprint_display(fp)}" if fp else ""

    def web_addresses(self) -> list[str]:
        """The web service's addresses, e.g. ``["http://192.168.1.20:8080/"]``."""
        if self.runner is None:
            return []
        return [
            f"{scheme}://{addr}/"
            for scheme, host, port in self.runner.web_bound
            for addr in client_addresses([(host, port)])
        ]

    def status(self) -> str:
        """The status line."""
        if not self.running:
            return "Stopped."
        addrs, secure = self.addresses(), self.tls_addresses()
        text = "Running. Clients can connect to " + ", ".join(addrs or secure)
        if addrs and secure:
            text += "; with TLS to " + ", ".join(secure)
        elif secure:
            text += " (TLS only)"
        if only_this_machine(addrs + secure):
            text += " (this machine only)"
        web = self.web_addresses()
        if web:
            text += "; web: " + ", ".join(web)
        return text

    # -- events and the log ---------------------------------------------------------------

    def _on_event(self, event: ServerEvent) -> None:
        # Runs on the server thread: hand over, never block.
        try:
            self._events.put_nowait(event)
        except queue.Full:
            self.dropped_events += 1

    def note(self, kind: str, text: str) -> None:
        """Add a line of the admin's own to the log (start failures and the like)."""
        self._on_event(ServerEvent(kind, text, time.time()))

    def drain_events(self, limit: int = 2000) -> list[ServerEvent]:
        """Move waiting events into the log and return them (oldest first). GUI thread."""
        new: list[ServerEvent] = []
        for _ in range(limit):
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                break
            self.log.append(event)
            new.append(event)
        return new

    def filtered_log(self, needle: str = "") -> list[ServerEvent]:
        return [e for e in self.log if event_matches(e, needle)]

    def save_log(self, path: str | Path, needle: str = "") -> int:
        """Write the (filtered) log to ``path`` as text; returns the number of lines."""
        lines = [format_event(e) for e in self.filtered_log(needle)]
        Path(path).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return len(lines)

    # -- reading the server -----------------------------------------------------------

    def _call(self, fn: Callable[[Server], T]) -> T:
        runner = self.runner
        if runner is None or not runner.running:
            raise LocalError("the server is not running")
        return runner.call(fn, timeout=self.call_timeout)

    def people(self) -> list[PersonRow]:
        """The people table, sorted by nick; empty when stopped."""
        if not self.running:
            return []
        users: list[UserInfo] = self._call(lambda s: s.users())
        now = time.time()
        rows = [
            PersonRow(
                nick=u.nick,
                address=u.address,
                since=format_clock(u.connected_at, now),
                idle=format_duration(u.idle),
                rooms=" ".join(u.channels),
                host=u.host,
                username=u.username,
            )
            for u in users
        ]
        return sorted(rows, key=lambda r: r.nick.casefold())

    def bans(self) -> list[BanRow]:
        if not self.running:
            return []
        infos: list[BanInfo] = self._call(lambda s: s.bans())
        now = time.time()
        return [
            BanRow(
                b.mask,
                b.reason,
                "never" if b.expires_at is None else "in " + format_duration(b.expires_at - now),
            )
            for b in infos
        ]

    def counters(self) -> Counters:
        """Users, rooms and messages per minute; call about once a second while running.

        The rate is the growth of the server's message count over the last
        ``RATE_WINDOW`` seconds of samples. Sooner after the start it is what has been
        said so far: never a few seconds scaled up to a minute.
        """
        if not self.running:
            return Counters(0, 0, 0.0)
        stats: Stats = self._call(lambda s: s.stats())
        now = self.clock()
        self._samples.append((now, stats.messages))
        while len(self._samples) > 2 and now - self._samples[1][0] >= RATE_WINDOW:
            self._samples.popleft()
        first_t, first_m = self._samples[0]
        elapsed = now - first_t
        rate = (stats.messages - first_m) * 60.0 / max(elapsed, RATE_WINDOW)
        return Counters(stats.users, stats.channels, rate)

    # -- actions --------------------------------------------------------------------

    def kick(self, nick: str, reason: str) -> bool:
        """Disconnect ``nick`` with ``reason``; False if nobody has that nick."""
        reason = reason.strip() or "Kicked by the admin"
        return self._call(lambda s: s.kill(nick, reason, by="admin"))

    def ban(self, mask: str, duration_seconds: float | None, reason: str) -> list[str]:
        """Ban ``mask`` server-wide (None = until lifted); returns the nicks it removed."""
        mask = mask.strip()
        if not mask:
            raise LocalError("a ban needs a mask, e.g. *!*@192.168.1.23")
        reason = reason.strip() or "Banned by the admin"
        return self._call(lambda s: s.add_ban(mask, reason, duration_seconds))

    def give_lobby_op(self, nick: str) -> bool:
        """Make ``nick`` an operator of the lobby; False if they are not in it."""
        return self._call(lambda s: s.give_lobby_op(nick))

    def matching(self, mask: str) -> list[str]:
        """The nicks of the people connected now whom ban ``mask`` would catch."""
        if not mask.strip() or not self.running:
            return []
        full = normalize_mask(mask)
        fold = folder(self.config.casemapping if self.config else "rfc1459")
        return [p.nick for p in self.people()
                if match_mask(full, f"{p.nick}!{p.username}@{p.host}", fold)]  # fmt: skip

    def unban(self, mask: str) -> bool:
        return self._call(lambda s: s.remove_ban(mask))

    def notice(self, text: str) -> None:
        """Send a server notice to everyone connected."""
        text = text.strip()
        if not text:
            return
        self._call(lambda s: s.notice_all(text))
