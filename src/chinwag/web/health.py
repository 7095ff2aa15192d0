"""``GET /healthz``: is the server up, and how busy is it. Counts only, never names."""

from __future__ import annotations

import time

from aiohttp import web

from chinwag import __version__
from chinwag.web.app import CONTEXT


async def healthz(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    stats = ctx.core.stats()
    return web.json_response(
        {
            "status": "ok",
            "version": __version__,
            "users": stats.users,
            "rooms": stats.channels,
            "connections": stats.connections,
            "uptime_seconds": round(time.time() - ctx.core.created, 1),
        },
        headers={"Cache-Control": "no-store"},
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
