"""File uploads and downloads: IRCv3 ``draft/FILEHOST`` on the web service.

``POST /upload`` takes the file as the request body (its name in
``Content-Disposition``), streams it to disk while hashing it, and answers
``201 Created`` with the file's address in ``Location``. Refusals are plain-text
reasons with 401 (who are you?), 413 (too big), 415 (a refused type) or 507 (over a
quota), each logged. ``GET /files/<id>/<name>`` serves it back (Range requests too),
typed from its bytes, with ``nosniff`` and a sandboxing CSP: pictures, sound and video
inline, everything else as a download. ``/thumbs/<id>`` is a picture's thumbnail and
``/info/<id>`` its metadata as JSON (for clients that show files inline).

Nothing here blocks the loop: disk writes, hashing, Pillow and SQLite run on worker
threads. Files need a data dir; without one the routes answer 404 and no upload URL is
advertised.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO
from urllib.parse import quote

import blake3
from aiohttp import hdrs, web
from aiohttp.multipart import content_disposition_filename, parse_content_disposition

from chinwag.discovery import WILDCARD_HOSTS
from chinwag.server.state import User
from chinwag.storage.files import FileRecord, FileStore
from chinwag.web import images
from chinwag.web.app import CONTEXT, WebContext, url_host
from chinwag.web.auth import Uploader, authenticate
from chinwag.web.sendfile import SendfileResponse
from chinwag.web.sniff import (
    SNIFF_BYTES,
    THUMBNAIL_TYPES,
    is_inline,
    kind_of,
    matches_any,
    safe_name,
    served_type,
)

log = logging.getLogger("chinwag.web")

UPLOAD_PATH = "/upload"
WRITE_BYTES = 1024 * 1024  # body bytes gathered before one write (and hash) on a thread
# Bytes read per step when serving a file without sendfile(2) (uvloop has none, so
# aiohttp reads on a worker thread and writes): bigger steps, fewer thread hops.
SEND_BYTES = 1024 * 1024
ID_PATTERN = "{id:[A-Za-z0-9_-]{16,64}}"
SWEEP_SECONDS = 3600.0  # how often expired files are deleted
CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
STORE = web.AppKey("chinwag-files", FileStore)
ISUPPORT_SPACE = "\\x20"  # a space inside an ISUPPORT value
# The hash that names stored files (content addressing, so the same bytes are kept
# once): BLAKE3, a cryptographic hash like SHA-256 at ~3.5x its speed; hashing was the
# largest part of an upload's CPU. Files stored before keep their SHA-256 names.
CONTENT_HASH = "blake3"


def content_hash() -> blake3.blake3:
    return blake3.blake3()


def upload_urls(ctx: WebContext, local_host: str, secure: bool) -> list[str]:
    """The upload URLs for a client that reached the server at ``local_host``: plain
    HTTP first (unless it came over TLS, then HTTPS only), on the port that serves it."""
    if not local_host or local_host in WILDCARD_HOSTS:
        return []

    def port(bound: list[tuple[str, int]]) -> int | None:
        for host, p in bound:
            if host in WILDCARD_HOSTS or url_host(host) == url_host(local_host):
                return p
        return None

    shown = url_host(local_host)
    urls = []
    if not secure and (http := port(ctx.http_bound)) is not None:
        urls.append(f"http://{shown}:{http}{UPLOAD_PATH}")
    if (https := port(ctx.https_bound)) is not None:
        urls.append(f"https://{shown}:{https}{UPLOAD_PATH}")
    return urls


def isupport_tokens(ctx: WebContext, user: User) -> list[str]:
    """``draft/FILEHOST`` (every URL, space-separated) and ``soju.im/FILEHOST`` (the
    first), escaped as ISUPPORT values are."""
    urls = upload_urls(ctx, user.local_host, user.secure)
    if not urls:
        return []
    return ["draft/FILEHOST=" + ISUPPORT_SPACE.join(urls), f"soju.im/FILEHOST={urls[0]}"]


class TooBig(Exception):
    pass


class PayloadTooLarge(web.HTTPClientError):
    """413 with our own reason (aiohttp's class insists on writing its own)."""

    status_code = 413


class Upload:
    """One upload being written to a temporary file and hashed as it arrives.

    The body's chunks are handed over as aiohttp made them (never joined: the loop
    copies no byte) in batches of WRITE_BYTES. Each batch is hashed on one worker
    thread and written on another at the same time (both release the GIL), while the
    loop gathers the next batch: at most one batch in flight and one gathering, so
    memory stays bounded, and the loop does no more than a plain file server would."""

    def __init__(self, tmp_dir: Path) -> None:
        self.file: IO[bytes] = tempfile.NamedTemporaryFile(dir=tmp_dir, delete=False)  # noqa: SIM115
        self.path = Path(self.file.name)
        self.hasher = content_hash()
        self.size = 0
        self.head = b""
        self.in_flight: list[asyncio.Future[None]] = []  # the batch's hashing and writing

    def hash(self, parts: list[bytes]) -> None:  # on a worker thread
        for part in parts:
            self.hasher.update(part)

    def write(self, parts: list[bytes], last: bool = False) -> None:  # on a worker thread
        for part in parts:
            self.file.write(part)
        if last:
            self.file.close()

    async def _settle(self) -> None:
        """Wait for the batch in flight (raising what its hashing or writing raised)."""
        in_flight, self.in_flight = self.in_flight, []
        for job in in_flight:
            await job

    def _send(self, parts: list[bytes], last: bool = False) -> None:
        loop = asyncio.get_running_loop()
        self.in_flight = [
            loop.run_in_executor(None, self.hash, parts),
            loop.run_in_executor(None, self.write, parts, last),
        ]

    async def receive(self, body: web.Request, limit: int) -> None:
        """Hash and write ``body``'s content; TooBig past ``limit`` bytes (0: none)."""
        content = body.content
        parts: list[bytes] = []
        gathered = 0
        while True:
            # readchunk hands over the chunk the parser made (readany would join).
            chunk, _ = await content.readchunk()
            if not chunk:
                if content.at_eof():
                    break
                continue  # the end of an HTTP chunk (chunked transfer encoding)
            self.size += len(chunk)
            if limit and self.size > limit:
                raise TooBig
            if len(self.head) < SNIFF_BYTES:
                self.head += chunk[: SNIFF_BYTES - len(self.head)]
            parts.append(chunk)
            gathered += len(chunk)
            if gathered >= WRITE_BYTES:
                await self._settle()
                self._send(parts)
                parts, gathered = [], 0
        await self._settle()
        self._send(parts, last=True)
        await self._settle()

    def discard(self) -> None:
        """Drop the temporary file, once the batch in flight (if any) is done: its
        outcome no longer matters."""
        jobs, self.in_flight = self.in_flight, []
        if all(job.done() for job in jobs):
            self._drop(jobs)
        else:
            waiting = asyncio.gather(*jobs, return_exceptions=True)
            waiting.add_done_callback(lambda _: self._drop(jobs))

    def _drop(self, jobs: list[asyncio.Future[None]]) -> None:
        for job in jobs:
            if not job.cancelled():
                job.exception()  # fetched, or asyncio logs it as never retrieved
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def refusal(
    request: web.Request, status: type[web.HTTPException], why: str, who: str = "?"
) -> web.HTTPException:
    exc = status(text=f"{why}\n", content_type="text/plain")
    log.warning("upload refused (%d) from %s (%s): %s", exc.status, request.remote, who, why)
    return exc


def mib(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB"


def upload_name(request: web.Request) -> str:
    header = request.headers.get(hdrs.CONTENT_DISPOSITION, "")
    _, params = parse_content_disposition(header) if header else (None, {})
    return safe_name(content_disposition_filename(params, "filename"))


def check_quota(request: web.Request, store: FileStore, who: Uploader, size: int) -> None:
    """Raise 507 when ``size`` more bytes would break the uploader's or the server's quota."""
    rules = request.app[CONTEXT].config.web.files
    mine, total = store.index.usage(who.name), store.index.usage()
    if rules.account_quota_bytes and mine + size > rules.account_quota_bytes:
        raise refusal(
            request,
            web.HTTPInsufficientStorage,
            f"your quota is full: {mib(mine)} of {mib(rules.account_quota_bytes)} used",
            who.name,
        )
    if rules.total_quota_bytes and total + size > rules.total_quota_bytes:
        full = "the server's storage is full"
        raise refusal(request, web.HTTPInsufficientStorage, full, who.name)


def finish(
    up: Upload, mime: str, strip: bool, thumb_dir: Path
) -> tuple[str, int, Path | None, str | None]:
    """Worker thread: strip metadata and make a thumbnail for pictures; returns the
    final digest and size (hashed again only when stripping rewrote the file), and the
    thumbnail's temporary path and type."""
    path = up.path
    digest, size = up.hasher.hexdigest(), up.size
    if strip and mime in THUMBNAIL_TYPES and images.strip_metadata(path):
        hasher = content_hash()
        size = 0
        with path.open("rb") as fh:
            while chunk := fh.read(WRITE_BYTES):
                hasher.update(chunk)
                size += len(chunk)
        digest = hasher.hexdigest()
    thumb: Path | None = None
    thumb_type: str | None = None
    if mime in THUMBNAIL_TYPES:
        thumb = thumb_dir / f"{path.name}.thumb"
        thumb_type = images.make_thumbnail(path, thumb)
        if thumb_type is None:
            thumb = None
    return digest, size, thumb, thumb_type


def keep(
    request: web.Request, store: FileStore, who: Uploader, up: Upload, mime: str, name: str
) -> FileRecord:
    """Worker thread: finish a received upload (metadata, thumbnail), check the quotas
    against its final size, and move it into the store with its row: one thread hop."""
    rules = request.app[CONTEXT].config.web.files
    digest, size, thumb, thumb_type = finish(up, mime, rules.strip_metadata, store.blobs.tmp)
    check_quota(request, store, who, size)
    rec = FileRecord(
        secrets.token_urlsafe(12),
        digest,
        name,
        mime,
        size,
        who.name,
        who.account,
        who.address,
        time.time(),
        thumb_type,
        CONTENT_HASH,
    )
    store.add(rec, up.path, thumb)
    return rec


async def upload(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    store = request.app[STORE]
    rules = ctx.config.web.files
    who = await authenticate(request)
    loop = asyncio.get_running_loop()
    declared = request.content_length
    limit = rules.max_file_bytes
    too_big = f"the file is over the limit of {mib(limit)}"
    if declared is not None and limit and declared > limit:
        raise refusal(request, PayloadTooLarge, too_big, who.name)
    await loop.run_in_executor(None, check_quota, request, store, who, declared or 0)
    name = upload_name(request)
    up = Upload(store.blobs.tmp)
    try:
        try:
            await up.receive(request, limit)
        except TooBig:
            raise refusal(request, PayloadTooLarge, too_big, who.name) from None
        mime = kind_of(up.head)
        if matches_any(mime, rules.refused_types):
            raise refusal(
                request, web.HTTPUnsupportedMediaType, f"{mime} files are not accepted", who.name
            )
        if up.size == 0:
            raise refusal(request, web.HTTPBadRequest, "the file is empty", who.name)
        rec = await loop.run_in_executor(None, keep, request, store, who, up, mime, name)
    except BaseException:
        up.discard()
        raise
    url = f"{request.scheme}://{request.host}/files/{rec.id}/{quote(rec.name)}"
    ctx.core.emit(
        "upload",
        f"{who.name} uploaded {rec.name!r} ({mib(rec.size)}, {mime}) from {who.address}",
        address=who.address,
    )
    return web.Response(status=201, text=url + "\n", headers={hdrs.LOCATION: url})


def _record(request: web.Request) -> FileRecord:
    rec = request.app[STORE].index.get(request.match_info["id"])
    if rec is None:
        raise web.HTTPNotFound(text="no such file\n")
    return rec


def disposition(kind: str, name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


async def download(request: web.Request) -> SendfileResponse:
    rec = await asyncio.get_running_loop().run_in_executor(None, _record, request)
    path = request.app[STORE].blobs.path(rec.digest)
    kind = "inline" if is_inline(rec.mime) else "attachment"
    return SendfileResponse(
        path,
        chunk_size=SEND_BYTES,
        headers={
            hdrs.CONTENT_TYPE: served_type(rec.mime),
            hdrs.CONTENT_DISPOSITION: disposition(kind, rec.name),
            "Content-Security-Policy": CSP,
            hdrs.CACHE_CONTROL: "public, max-age=86400, immutable",
        },
    )


async def thumbnail(request: web.Request) -> SendfileResponse:
    rec = await asyncio.get_running_loop().run_in_executor(None, _record, request)
    if rec.thumb is None:
        raise web.HTTPNotFound(text="no thumbnail for this file\n")
    return SendfileResponse(
        request.app[STORE].blobs.thumb_path(rec.digest),
        headers={
            hdrs.CONTENT_TYPE: rec.thumb,
            "Content-Security-Policy": CSP,
            hdrs.CACHE_CONTROL: "public, max-age=86400, immutable",
        },
    )


async def info(request: web.Request) -> web.Response:
    rec = await asyncio.get_running_loop().run_in_executor(None, _record, request)
    base = f"{request.scheme}://{request.host}"
    return web.json_response(
        {
            "id": rec.id,
            "name": rec.name,
            "type": rec.mime,
            "size": rec.size,
            "uploaded": rec.uploaded,
            "url": f"{base}/files/{rec.id}/{quote(rec.name)}",
            "thumbnail": f"{base}/thumbs/{rec.id}" if rec.thumb else None,
        }
    )


async def retention(app: web.Application) -> AsyncIterator[None]:
    """Delete files past their retention, now and every SWEEP_SECONDS."""
    days = app[CONTEXT].config.web.files.retention_days
    store = app[STORE]

    async def sweep() -> None:
        while True:
            before = time.time() - days * 86400
            try:
                gone = await asyncio.get_running_loop().run_in_executor(None, store.expire, before)
            except Exception:
                log.exception("deleting expired files failed")
                gone = []
            if gone:
                log.info("deleted %d file(s) older than %d days", len(gone), days)
            await asyncio.sleep(SWEEP_SECONDS)

    task = asyncio.create_task(sweep()) if days else None
    yield
    if task is not None:
        task.cancel()


def setup(app: web.Application) -> None:
    ctx = app[CONTEXT]
    if ctx.config.data_dir is None:
        return
    store = FileStore(ctx.config.data_dir)
    app[STORE] = store
    app.router.add_post(UPLOAD_PATH, upload)
    app.router.add_get(f"/files/{ID_PATTERN}", download)
    app.router.add_get(f"/files/{ID_PATTERN}/{{name}}", download)
    app.router.add_get(f"/thumbs/{ID_PATTERN}", thumbnail)
    app.router.add_get(f"/info/{ID_PATTERN}", info)
    app.cleanup_ctx.append(retention)
    ctx.core.isupport_for = lambda user: isupport_tokens(ctx, user)

    async def close(app: web.Application) -> None:
        ctx.core.isupport_for = None
        store.close()

    app.on_cleanup.append(close)
