"""The running server: listeners (plain and TLS), the periodic tick, storage,
advertisement, certificate reload, shutdown.

:class:`ServerApp` is the asyncio side of one server. ``chinwag server`` runs it in the
foreground (:func:`serve_forever`); the admin window and the tests run it on a thread of
its own through :class:`chinwag.transport.runner.ServerRunner`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
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
from chinwag.transport.tls import ServerTLS, TLSProtocol
from chinwag.transport.tlssock import TLSListener

if TYPE_CHECKING:
    from chinwag.web.app import WebService

log = logging.getLogger("chinwag.server")

TICK_SECONDS = 0.25  # throttled input is released at this granularity
SWEEP_EVERY = 8  # ticks between full sweeps of every connection's timers (2 s)
SHUTDOWN_GRACE = 2.0  # seconds to let ERROR lines drain before sockets are dropped
AUTH_WORKERS = 2  # threads checking passwords: one per core of a small machine
GC_GEN0_THRESHOLD = 20_000  # allocations between young-generation collections (default 700)


def open_storage(config: ServerConfig) -> SQLiteStorage:
    """The server's history: a file under the data dir, or memory without one."""
    fold = folder(config.casemapping)
    path = config.data_dir / DB_FILE if config.data_dir is not None else None
    return SQLiteStorage(path, fold, max_queue=config.limits.history_queue)


class ServerApp:
    """``ssl_context`` is a certificate for the HTTPS listeners; None: the server's own
    (see :class:`chinwag.transport.tls.ServerTLS`), which the TLS listeners use."""

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
        # Password checks (argon2, tens of ms each) run here, never on the event loop.
        self.auth_pool = concurrent.futures.ThreadPoolExecutor(
            AUTH_WORKERS, thread_name_prefix="chinwag-auth"
        )
        self.core = build_server(
            config, self.storage, on_dirty=self._schedule_flush, worker=self._in_worker
        )
        self.writer: HistoryWriter | None = None
        self.servers: list[asyncio.base_events.Server | TLSListener] = []
        self.live: set[IRCProtocol] = set()
        self.bound: list[tuple[str, int]] = []  # plain-text listeners
        self.tls_bound: list[tuple[str, int]] = []
        self.tls: ServerTLS | None = None
        self.stopped = asyncio.Event()
        self._tick_task: asyncio.Task[None] | None = None
        self._advertiser: Any = None
        self._stopping = False

    def _in_worker(self, job: Callable[[], Any], done: Callable[[Any], None]) -> None:
        """The core's Worker: ``job`` on the auth pool, ``done(result)`` back on the loop."""
        assert self.loop is not None
        future = self.loop.run_in_executor(self.auth_pool, job)

        def finished(f: asyncio.Future[Any]) -> None:
            if f.cancelled():
                return
            exc = f.exception()
            if exc is not None:
                log.error("background job failed: %r", exc)
                return
            done(f.result())

        future.add_done_callback(finished)

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
        cfg = self.config
        web_https = cfg.web.enabled and bool(cfg.web.https)
        if cfg.tls_listen or (web_https and self.ssl_context is None):
            self.tls = await self.loop.run_in_executor(None, self._make_tls)
            if self.ssl_context is None:  # HTTPS is served with the same certificate
                self.ssl_context = self.tls.context
        try:
            if cfg.plaintext:
                for host, port in cfg.listen:
                    self.bound += await self._listen(host, port, None)
            for host, port in cfg.tls_listen:
                assert self.tls is not None
                self.tls_bound += await self._listen(host, port, self.tls.irc_context)
        except LocalError:
            await self._close_servers()
            raise
        for host, port in self.bound:
            self.core.emit("listen", f"listening on {host}:{port}")
        for host, port in self.tls_bound:
            self.core.emit("listen", f"listening with TLS on {host}:{port}")
        if self.tls is not None:
            self._announce_certificate()
        if self.config.web.enabled:
            try:
                await self._start_web()
            except BaseException:
                await self._close_servers()
                raise
        self._tick_task = asyncio.create_task(self._ticker())
        if self.config.advertise:
            await self._advertise()

    def _make_tls(self) -> ServerTLS:
        from chinwag.discovery import advertised_addresses

        hosts = (h for h, _ in self.config.tls_listen + self.config.web.https)
        return ServerTLS(self.config, tuple(advertised_addresses(hosts)))

    async def _listen(
        self, host: str, port: int, tls: ssl.SSLContext | None
    ) -> list[tuple[str, int]]:
        """Listen on host:port, with TLS (done by :class:`TLSListener`) when given a context."""
        assert self.loop is not None
        core, live = self.core, self.live
        srv: asyncio.base_events.Server | TLSListener
        try:
            if tls is None:
                srv = await self.loop.create_server(
                    lambda: IRCProtocol(core, live),
                    host=host or None,
                    port=port,
                    reuse_address=True,
                    backlog=4096,
                )
            else:
                timeout = self.config.limits.registration_timeout
                srv = await TLSListener.bind(
                    host or None, port, tls, lambda: TLSProtocol(core, live), timeout
                )
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise LocalError(
                    f"cannot listen on {host}:{port}: address already in use"
                ) from None
            raise LocalError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        self.servers.append(srv)
        return [(str(a[0]), int(a[1])) for a in (sock.getsockname() for sock in srv.sockets)]

    def _announce_certificate(self) -> None:
        """Log the certificate in use and apply its sts policy to the core."""
        assert self.tls is not None
        info = self.tls.info
        kind = "self-signed TLS certificate" if info.generated else "TLS certificate"
        made = "made a new " if self.tls.made else ""
        self.core.emit(
            "listen",
            f"{made}{kind} {info.cert_path}, SHA-256 fingerprint {info.fingerprint_display}",
        )
        sts = None
        if info.public and self.tls_bound and self.config.sts_duration:
            sts = (self.tls_bound[0][1], self.config.sts_duration)
        self.core.sts = sts

    @property
    def fingerprint(self) -> str | None:
        """The served certificate's SHA-256 (64 lowercase hex digits); None without TLS."""
        return self.tls.info.fingerprint if self.tls is not None else None

    def reload_tls(self) -> bool:
        """Read the certificate files again (SIGHUP): new handshakes use them, nobody is
        dropped. False (and the reason logged) when they cannot be loaded; the old
        certificate stays in use."""
        if self.tls is None:
            self.core.emit("listen", "no TLS listener: nothing to reload")
            return False
        try:
            self.tls.reload()
        except LocalError as exc:
            self.core.emit(
                "error",
                f"TLS reload failed, keeping the old certificate: {exc}",
                level=logging.ERROR,
            )
            return False
        self._announce_certificate()
        if self._advertiser is not None and self.loop is not None:
            self.loop.run_in_executor(
                None, self._advertiser.update_fingerprint, self.tls.info.fingerprint
            )
        return True

    async def _start_web(self) -> None:
        from chinwag.web.app import WebContext, WebService

        context = WebContext(self.core, self.config)
        service = WebService(context)
        await service.start(self.ssl_context)
        self.web = service
        for url in service.urls():
            self.core.emit("listen", f"web service on {url}")

    async def _advertise(self) -> None:
        from chinwag.discovery import Advertiser, advertised_addresses, reachable_from_lan

        hosts = (h for h, _ in self.bound + self.tls_bound)
        addresses = reachable_from_lan(advertised_addresses(hosts))
        if not addresses:
            self.core.emit("listen", "not announced on the LAN: only this machine can connect")
            return
        web = self.web.context if self.web is not None else None
        port = self.bound[0][1] if self.bound else None
        tls_port = self.tls_bound[0][1] if self.tls_bound else None
        try:
            adv = Advertiser(
                port,
                network=self.config.network,
                http_port=web.http_bound[0][1] if web and web.http_bound else None,
                https_port=web.https_bound[0][1] if web and web.https_bound else None,
                addresses=addresses,
                tls_port=tls_port,
                fingerprint=self.fingerprint,
            )
            await asyncio.get_running_loop().run_in_executor(None, adv.start)
        except Exception as exc:  # mDNS is a convenience: never fatal
            log.warning("could not advertise on the LAN (mDNS): %s", exc)
            return
        self._advertiser = adv
        # One name for both services (_irc and _ircs), unless probing renamed one.
        names = ", ".join(f"'{n}'" for n in dict.fromkeys(adv.names))
        kinds = " and ".join(t for t, p in (("_irc._tcp", port), ("_ircs._tcp", tls_port)) if p)
        self.core.emit("listen", f"announcing {names} on the LAN (mDNS {kinds})")

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
            self.auth_pool.shutdown(wait=False, cancel_futures=True)
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
        loop.add_signal_handler(signal.SIGHUP, app.reload_tls)
        await done.wait()
        log.info("shutting down")
        await app.stop("Server shutting down")

    loop = new_event_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
