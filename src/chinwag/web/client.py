"""The browser client's files: the page at ``/`` and its modules under ``/client/``.

The files ship inside the package (``chinwag/web/static``) and are read once, at start,
into memory; nothing is built at run time. Only the files found there are served, by
exact name, so no path from a request ever reaches the file system.

The page carries a Content-Security-Policy that allows scripts, styles and connections
from this origin only (no inline script, no eval), pictures from this origin, and no
framing by other sites.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

from aiohttp import web

PREFIX = "/client/"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


def load_assets() -> dict[str, Asset]:
    """Every servable file of the static directory, by name."""
    assets: dict[str, Asset] = {}
    for entry in resources.files("chinwag.web").joinpath("static").iterdir():
        name = entry.name
        suffix = name[name.rfind(".") :] if "." in name else ""
        if not entry.is_file() or suffix not in TYPES:
            continue
        body = entry.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        assets[name] = Asset(body, TYPES[suffix], etag)
    return assets


def respond(
    request: web.Request, asset: Asset, extra: dict[str, str] | None = None
) -> web.Response:
    # Revalidate every time: a new version of the server must never meet an old page.
    headers = {"ETag": asset.etag, "Cache-Control": "no-cache", **(extra or {})}
    if request.headers.get("If-None-Match") == asset.etag:
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = asset.content_type
    return web.Response(body=asset.body, headers=headers)


def setup(app: web.Application) -> None:
    assets = load_assets()
    page = assets["index.html"]

    async def index(request: web.Request) -> web.Response:
        return respond(request, page, {"Content-Security-Policy": CSP})

    async def asset(request: web.Request) -> web.Response:
        found = assets.get(request.match_info["name"])
        if found is None or found is page:
            raise web.HTTPNotFound()
        return respond(request, found)

    app.router.add_get("/", index)
    app.router.add_get(PREFIX + "{name}", asset)
