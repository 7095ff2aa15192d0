"""The web service of a running server: the aiohttp application and its listeners.

:func:`build_app` makes the :class:`aiohttp.web.Application`; each route module
(``health``, and those added later) has a ``setup(app)`` that adds its routes and is
listed in :data:`ROUTE_MODULES`, so adding a feature is one module and one line here.
Handlers find the server through ``app[CONTEXT]`` (a :class:`WebContext`). The app runs
in the IRC server's loop, so a handler may read the server core directly, and must never
block: disk and CPU work goes to a thread.

:class:`WebService` binds the HTTP and HTTPS listeners (sockets of our own, so ports in
use are the same one-line error as IRC's) and serves the app on them until stopped.
"""

from __future__ import annotations

import errno
import importlib
import logging
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from chinwag.errors import LocalError
from chinwag.server.config import ServerConfig
from chinwag.server.core import Server

log = logging.getLogger("chinwag.web")

# Route modules: each has setup(app: web.Application) -> None.
ROUTE_MODULES = ("chinwag.web.health", "chinwag.web.files", "chinwag.web.ws", "chinwag.web.client")
BACKLOG = 1024
SHUTDOWN_SECONDS = 2.0  # time open requests get to finish on stop


@dataclass
class WebContext:
    """What request handlers may use: the server core, its config, and the addresses the
    web service is bound to (filled in by :meth:`WebService.start`)."""

    core: Server
    config: ServerConfig
    started: float = field(default_factory=time.time)
    http_bound: list[tuple[str, int]] = field(default_factory=list)
    https_bound: list[tuple[str, int]] = field(default_factory=list)
    # Shared objects added by route modules, by name.
    extras: dict[str, Any] = field(default_factory=dict)


CONTEXT = web.AppKey("chinwag", WebContext)


async def common_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Headers every response carries (errors too): no type sniffing, no framing by
    other sites, no referrer leaking a file's address."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")


def build_app(context: WebContext, modules: Sequence[str] = ROUTE_MODULES) -> web.Application:
    """The application with every route module's routes (``modules``, by import name)."""
    app = web.Application()
    app[CONTEXT] = context
    app.on_response_prepare.append(common_headers)
    for name in modules:
        importlib.import_module(name).setup(app)
    return app


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket, or LocalError with a one-line reason."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server(
            (host or "0.0.0.0", port), family=family, backlog=BACKLOG, reuse_port=False
        )
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise LocalError(f"cannot listen on {host}:{port}: address already in use") from None
        raise LocalError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


class WebService:
    """The listeners of one web app. ``start`` binds every address or none."""

    def __init__(self, context: WebContext, app: web.Application | None = None) -> None:
        self.context = context
        self.app = app if app is not None else build_app(context)
        self.runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_SECONDS
        )

    async def start(self, ssl_context: ssl.SSLContext | None) -> None:
        web_config = self.context.config.web
        https = web_config.https if ssl_context is not None else ()
        if web_config.https and ssl_context is None:
            log.warning("HTTPS is off: the server has no TLS certificate")
        socks: list[tuple[socket.socket, bool]] = []
        try:
            for host, port in web_config.http:
                socks.append((bind(host, port), False))
            for host, port in https:
                socks.append((bind(host, port), True))
        except LocalError:
            for sock, _ in socks:
                sock.close()
            raise
        await self.runner.setup()
        for sock, tls in socks:
            site = web.SockSite(self.runner, sock, ssl_context=ssl_context if tls else None)
            await site.start()
            addr = sock.getsockname()
            bound = (str(addr[0]), int(addr[1]))
            (self.context.https_bound if tls else self.context.http_bound).append(bound)

    def bound(self) -> list[tuple[str, str, int]]:
        """``(scheme, host, port)`` for every listener, as bound."""
        ctx = self.context
        return [
            (scheme, host, port)
            for scheme, bound in (("http", ctx.http_bound), ("https", ctx.https_bound))
            for host, port in bound
        ]

    def urls(self) -> list[str]:
        """``http://HOST:PORT/`` for every listener, as bound."""
        return [f"{scheme}://{url_host(h)}:{port}/" for scheme, h, port in self.bound()]

    async def stop(self) -> None:
        await self.runner.cleanup()


def url_host(host: str) -> str:
    """A host as it goes into a URL: IPv6 literals in brackets, mapped IPv4 unwrapped."""
    if host.startswith("::ffff:") and "." in host:
        return host[len("::ffff:") :]
    return f"[{host}]" if ":" in host else host
