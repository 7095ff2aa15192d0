"""The running server: listeners, the periodic tick, storage, advertisement, shutdown.

:class:`ServerApp` is the asyncio side of one server. ``chinwag server`` runs it in the
foreground (:func:`serve_forever`); the admin window and the tests run it on a thread of
its own through :class:`chinwag.transport.runner.ServerRunner`.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chinwag.errors import LocalError
from chinwag.proto.casemap import folder
from chinwag.server.build import build_server
from chinwag.server.config import ServerConfig
from chinwag.storage.sqlite import DB_FILE, SQLiteStorage
from chinwag.storage.writer import HistoryWriter
from chinwag.transport.tcp import IRCProtocol

if TYPE_CHECKING:
    from chinwag.web.app import WebService

log = logging.getLogger("chinwag.server")

TICK_SECONDS = 0.25  # throttled input is released at this granularity
SWEEP_EVERY = 8  # ticks between full sweeps of every connection's timers (2 s)
SHUTDOWN_GRACE = 2.0  # seconds to let ERROR lines drain before sockets are dropped
GC_GEN0_THRESHOLD = 20_000  # allocations between young-generation collections (default 700)


def open_storage(config: ServerConfig) -> SQLiteStorage:
    """The server's history: a file under the data dir, or memory without one."""
    fold = folder(config.casemapping)
    path = config.data_dir / DB_FILE if config.data_dir is not None else None
    return SQLiteStorage(path, fold, max_queue=config.limits.history_queue)


class ServerApp:
    """``ssl_context`` is the server's certificate, for the HTTPS listeners."""

    def __init__(
        self,
        config: ServerConfig,
        storage: SQLiteStorage | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.config = config
        self.ssl_context = ssl_context
        self.web: WebService | None = None
        self.storage = storage if storage is not None else open_storage(config)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.core = build_server(config, self.storage, on_dirty=self._schedule_flush)
        self.writer: HistoryWriter | None = None
        self.servers: list[asyncio.base_events.Server] = []
        self.live: set[IRCProtocol] = set()
        self.bound: list[tuple[str, int]] = []
        self.stopped = asyncio.Event()
        self._tick_task: asyncio.Task[None] | None = None
        self._advertiser: Any = None
        self._stopping = False

    def _schedule_flush(self) -> None:
        assert self.loop is not None
        self.loop.call_soon(self.core.flush)

    def _history_problem(self, text: str, failing: bool) -> None:
        """From the writer thread: tell operators (server notice, admin window)."""
        if self.loop is not None and not self.loop.is_closed():
            kind = "error" if failing else "storage"
            self.loop.call_soon_threadsafe(self.core.emit, kind, text)

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        lim = self.config.limits
        self.writer = HistoryWriter(
            self.storage,
            self._history_problem,
            channel_days=lim.history_days,
            private_days=lim.private_history_days,
        )
        for host, port in self.config.listen:
            try:
                srv = await self.loop.create_server(
                    lambda: IRCProtocol(self.core, self.live),
                    host=host or None,
                    port=port,
                    reuse_address=True,
                    backlog=4096,
                )
            except OSError as exc:
                await self._close_servers()
                if exc.errno == errno.EADDRINUSE:
                    raise LocalError(
                        f"cannot listen on {host}:{port}: address already in use"
                    ) from None
                raise LocalError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
            self.servers.append(srv)
            for sock in srv.sockets:
                addr = sock.getsockname()
                self.bound.append((str(addr[0]), int(addr[1])))
        for host, port in self.bound:
            self.core.emit("listen", f"listening on {host}:{port}")
        if self.config.web.enabled:
            try:
                await self._start_web()
            except BaseException:
                await self._close_servers()
                raise
        self._tick_task = asyncio.create_task(self._ticker())
        if self.config.advertise:
            await self._advertise()

    async def _start_web(self) -> None:
        from chinwag.web.app import WebContext, WebService

        service = WebService(WebContext(self.core, self.config))
        await service.start(self.ssl_context)
        self.web = service
        for url in service.urls():
            self.core.emit("listen", f"web service on {url}")

    async def _advertise(self) -> None:
        from chinwag.discovery import Advertiser, advertised_addresses

        port = self.bound[0][1]
        web = self.web.context if self.web is not None else None
        try:
            adv = Advertiser(
                port,
                network=self.config.network,
                addresses=advertised_addresses(h for h, _ in self.bound),
                http_port=web.http_bound[0][1] if web and web.http_bound else None,
                https_port=web.https_bound[0][1] if web and web.https_bound else None,
            )
            await asyncio.get_running_loop().run_in_executor(None, adv.start)
        except Exception as exc:  # mDNS is a convenience: never fatal
            log.warning("could not advertise on the LAN (mDNS): %s", exc)
            return
        self._advertiser = adv
        self.core.emit("listen", f"announcing {', '.join(adv.names)} on the LAN (mDNS _irc._tcp)")

    async def _ticker(self) -> None:
        n = 0
        while True:
            await asyncio.sleep(TICK_SECONDS)
            n += 1
            try:
                self.core.tick(sweep=n % SWEEP_EVERY == 0)
            except Exception:
                log.exception("periodic tick failed")

    async def _close_servers(self) -> None:
        for srv in self.servers:
            srv.close()
        self.servers = []

    async def stop(self, reason: str = "Server shutting down") -> None:
        if self._stopping:
            await self.stopped.wait()
            return
        self._stopping = True
        try:
            if self._advertiser is not None:
                adv, self._advertiser = self._advertiser, None
                await asyncio.get_running_loop().run_in_executor(None, adv.close)
            for srv in self.servers:
                srv.close()
            self.core.shutdown(reason)
            self.core.flush()
            if self._tick_task is not None:
                self._tick_task.cancel()
            # Let the ERROR lines drain; transports close themselves once written.
            deadline = asyncio.get_running_loop().time() + SHUTDOWN_GRACE
            while self.live and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.02)
            for proto in list(self.live):  # still not drained: a client that stopped reading
                if proto.transport is not None:
                    proto.transport.abort()
            # After the core: WebSocket clients got their ERROR line like everyone else.
            if self.web is not None:
                web, self.web = self.web, None
                try:
                    await web.stop()
                except Exception:
                    log.exception("stopping the web service failed")
            self.servers = []
            try:
                if self.writer is not None:
                    self.writer.close()
                self.storage.close()
            except Exception:
                log.exception("closing storage failed")
        finally:
            self.stopped.set()


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop when it is installed (and not switched off with CHINWAG_NO_UVLOOP=1)."""
    import os

    if not os.environ.get("CHINWAG_NO_UVLOOP"):
        try:
            import uvloop

            loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
            return loop
        except ImportError:
            pass
    return asyncio.new_event_loop()


def raise_fd_limit() -> int:
    """Lift the soft limit on open files to the hard limit: one per connection."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            return target
        except (ValueError, OSError):
            pass
    return soft


def tune_gc() -> None:
    """Fewer, cheaper garbage collections: the server makes many short-lived objects
    per line but few reference cycles, and a full collection over every connection's
    objects is a latency spike. Objects alive at start-up are frozen out of it."""
    import gc

    gc.freeze()
    gc.set_threshold(GC_GEN0_THRESHOLD, 20, 50)


def serve_forever(
    config: ServerConfig, on_ready: Callable[[ServerApp], None] | None = None
) -> None:
    """Run a server in the foreground until SIGINT/SIGTERM. Raises LocalError."""
    import signal

    limit = raise_fd_limit()
    log.debug("open-file limit: %d", limit)
    tune_gc()

    async def main() -> None:
        app = ServerApp(config)
        await app.start()
        if on_ready is not None:
            on_ready(app)
        loop = asyncio.get_running_loop()
        done = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, done.set)
        await done.wait()
        log.info("shutting down")
        await app.stop("Server shutting down")

    loop = new_event_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
