"""Run a server on its own thread with its own event loop, and talk to it from another.

Used by the admin window (Tk on the main thread) and by the tests. Everything that
touches the core goes through :meth:`ServerRunner.call`, which runs on the loop thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ssl
import threading
from collections.abc import Callable
from typing import TypeVar

from chinwag.errors import LocalError
from chinwag.server.config import ServerConfig
from chinwag.server.core import Server
from chinwag.server.events import ServerEvent
from chinwag.storage.sqlite import SQLiteStorage
from chinwag.transport.app import ServerApp, new_event_loop

T = TypeVar("T")

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


class ServerRunner:
    def __init__(
        self,
        config: ServerConfig,
        storage: SQLiteStorage | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.config = config
        self._storage = storage
        self._ssl_context = ssl_context
        self._app: ServerApp | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._done: asyncio.Event | None = None
        self._listeners: list[Callable[[ServerEvent], None]] = []
        self.bound: list[tuple[str, int]] = []  # plain-text listeners
        self.tls_bound: list[tuple[str, int]] = []
        self.fingerprint: str | None = None  # the TLS certificate's SHA-256, 64 hex digits
        # The web service's listeners as bound: (scheme, host, port).
        self.web_bound: list[tuple[str, str, int]] = []

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._app is not None

    @property
    def port(self) -> int:
        """The first plain-text port."""
        return self.bound[0][1]

    @property
    def tls_port(self) -> int:
        """The first TLS port."""
        return self.tls_bound[0][1]

    @property
    def web_urls(self) -> list[str]:
        """``http://HOST:PORT/`` for each web listener, as bound."""
        from chinwag.web.app import url_host

        return [f"{scheme}://{url_host(h)}:{port}/" for scheme, h, port in self.web_bound]

    def start(self) -> None:
        if self.running:
            return
        self._ready.clear()
        self._error = None
        self._thread = threading.Thread(target=self._main, name="chinwag-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise LocalError("the server did not start in time")
        err = self._failure()
        if err is not None:
            self._thread.join(STOP_TIMEOUT)
            self._thread = None
            if isinstance(err, LocalError):
                raise LocalError(str(err))
            raise LocalError(f"the server failed to start: {err}")

    def _failure(self) -> BaseException | None:
        return self._error

    def _main(self) -> None:
        loop = new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        finally:
            loop.close()
            self._loop = None

    async def _serve(self) -> None:
        try:
            app = ServerApp(self.config, self._storage, self._ssl_context)
            for cb in self._listeners:
                app.core.subscribe(cb)
            await app.start()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._app = app
        self.bound = list(app.bound)
        self.tls_bound = list(app.tls_bound)
        self.fingerprint = app.fingerprint
        self.web_bound = app.web.bound() if app.web is not None else []
        self._done = asyncio.Event()
        self._ready.set()
        await self._done.wait()
        await app.stop(self._stop_reason)
        self._app = None

    _stop_reason = "Server shutting down"

    def stop(self, reason: str = "Server shutting down") -> None:
        """Stop the server: every client gets ERROR with ``reason``. Idempotent."""
        thread, loop, done = self._thread, self._loop, self._done
        if thread is None:
            return
        if loop is not None and done is not None and thread.is_alive():
            self._stop_reason = reason
            with contextlib.suppress(RuntimeError):  # the loop may have just closed
                loop.call_soon_threadsafe(done.set)
        thread.join(STOP_TIMEOUT)
        self._thread = None
        self._done = None

    def call(self, fn: Callable[[Server], T], timeout: float = 5.0) -> T:
        """Run ``fn(core)`` on the server's thread and return its result."""
        return self._on_loop(lambda app: fn(app.core), timeout)

    def reload_tls(self, timeout: float = 5.0) -> bool:
        """What SIGHUP does to ``chinwag server``: load the certificate files again."""
        ok = self._on_loop(lambda app: app.reload_tls(), timeout)
        self.fingerprint = self._on_loop(lambda app: app.fingerprint, timeout)
        return ok

    def _on_loop(self, fn: Callable[[ServerApp], T], timeout: float) -> T:
        loop, app = self._loop, self._app
        if loop is None or app is None:
            raise LocalError("the server is not running")
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn(app))
            except BaseException as exc:
                future.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return future.result(timeout)

    def subscribe(self, callback: Callable[[ServerEvent], None]) -> Callable[[], None]:
        """Receive every ServerEvent (on the server's thread). Survives restarts."""
        self._listeners.append(callback)
        unsub_core: Callable[[], None] | None = None
        if self._app is not None:
            unsub_core = self.call(lambda core: core.subscribe(callback))

        def unsubscribe() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)
            if unsub_core is not None and self.running:
                self.call(lambda core: unsub_core())

        return unsubscribe
