"""Files on the chat server: uploads (IRCv3 draft/FILEHOST) and fetching them back.

All of it runs on worker threads and reports through callbacks that the GUI hands over
to its own thread (a queue drained with ``after()``); nothing here blocks or knows Tk.

:class:`FileHost` is what the server told us: its upload URLs (ISUPPORT
``draft/FILEHOST``) and, over TLS, its certificate's fingerprint. HTTPS requests to it
accept exactly that certificate (the one the chat connection trusted), so a
self-signed LAN server needs no second "trust this?" question. :class:`Upload` sends one
file with progress and Cancel; :func:`fetch` gets a file's info, thumbnail or bytes;
:func:`explain_failure` turns an HTTP refusal into a sentence for people.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from chinwag.errors import LocalError

CHUNK = 64 * 1024
TIMEOUT = 30.0
MAX_FETCH = 64 * 1024 * 1024  # the most we read into memory for a picture or a save
FILE_PATH = re.compile(r"^/files/([A-Za-z0-9_-]{16,64})(?:/|$)")


@dataclass(frozen=True, slots=True)
class FileHost:
    """Where this server takes files. ``fingerprint``: hex SHA-256 of its TLS
    certificate (what the chat connection trusted); "" for a CA-verified or plain one."""

    urls: tuple[str, ...]
    fingerprint: str = ""

    @classmethod
    def from_isupport(cls, value: str, fingerprint: str = "") -> FileHost | None:
        """From a ``draft/FILEHOST`` value (space-separated, ``\\x20`` escaped)."""
        urls = tuple(
            u for u in value.replace("\\x20", " ").split() if u.startswith(("http://", "https://"))
        )
        return cls(urls, normal_fingerprint(fingerprint)) if urls else None

    @property
    def upload_url(self) -> str:
        return self.urls[0]

    def file_id(self, url: str) -> str | None:
        """The id of a file on this server that ``url`` links to, else None."""
        parts = urlsplit(url)
        ours = {(urlsplit(u).scheme, urlsplit(u).netloc) for u in self.urls}
        if (parts.scheme, parts.netloc) not in ours:
            return None
        m = FILE_PATH.match(parts.path)
        return m.group(1) if m else None

    def base(self, url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"


def normal_fingerprint(text: str) -> str:
    return text.replace(":", "").strip().lower()


@dataclass(frozen=True, slots=True)
class FileInfo:
    id: str
    name: str
    type: str
    size: int
    url: str
    thumbnail: str | None


class HTTPFailure(LocalError):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"HTTP {status}: {text}")
        self.status = status
        self.text = text


def connection(url: str, fingerprint: str, timeout: float = TIMEOUT) -> http.client.HTTPConnection:
    """A connection to ``url``'s server; over HTTPS it accepts the certificate whose
    SHA-256 is ``fingerprint`` (or, with none, one a certificate authority vouches for)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port
    if parts.scheme == "http":
        return http.client.HTTPConnection(host, port, timeout=timeout)
    if fingerprint:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=ctx)
        conn.connect()
        assert conn.sock is not None
        der = conn.sock.getpeercert(binary_form=True) or b""
        if hashlib.sha256(der).hexdigest() != fingerprint:
            conn.close()
            raise LocalError("the file server's certificate is not the chat server's")
        return conn
    return http.client.HTTPSConnection(host, port, timeout=timeout)


def target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def fetch(host: FileHost, url: str, limit: int = MAX_FETCH) -> bytes:
    """GET ``url`` (on ``host``); raises HTTPFailure, LocalError or OSError."""
    conn = connection(url, host.fingerprint)
    try:
        conn.request("GET", target(url))
        resp = conn.getresponse()
        body = resp.read(limit + 1)
        if resp.status != 200:
            raise HTTPFailure(resp.status, body[:500].decode("utf-8", "replace").strip())
        if len(body) > limit:
            raise LocalError("the file is too big to show here")
        return body
    finally:
        conn.close()


def file_info(host: FileHost, url: str) -> FileInfo:
    """The server's description of the file that ``url`` links to."""
    file_id = host.file_id(url)
    if file_id is None:
        raise LocalError("not a file on this server")
    data = json.loads(fetch(host, f"{host.base(url)}/info/{file_id}", 64 * 1024))
    return FileInfo(
        str(data["id"]), str(data["name"]), str(data["type"]), int(data["size"]),
        str(data["url"]), data.get("thumbnail") or None,
    )  # fmt: skip


def explain_failure(status: int, text: str) -> str:
    """A sentence for people about an upload the server refused."""
    reason = text.strip().rstrip(".")
    what = {
        401: "The server did not accept your login for uploads",
        413: "The file is too big for this server",
        415: "The server does not accept this kind of file",
        429: "Too many tries",
        507: "There is no room left for it",
    }.get(status, f"The server refused the upload (HTTP {status})")
    return f"{what}: {reason}." if reason else f"{what}."


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


@dataclass(frozen=True, slots=True)
class Progress:
    sent: int
    total: int


@dataclass(frozen=True, slots=True)
class Finished:
    """``url`` is the file's link, or None with ``error`` saying why (or "cancelled")."""

    url: str | None
    error: str = ""


class Upload:
    """One file going to the server on a thread of its own. ``report`` gets Progress
    now and then and one Finished at the end (on the upload's thread)."""

    def __init__(
        self,
        host: FileHost,
        path: Path,
        token: str,
        report: Callable[[Progress | Finished], None],
    ) -> None:
        self.host = host
        self.path = path
        self.token = token
        self.report = report
        self.cancelled = threading.Event()
        self.thread = threading.Thread(target=self._run, name="chinwag-upload", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def cancel(self) -> None:
        self.cancelled.set()

    def _run(self) -> None:
        try:
            url = self._send()
        except HTTPFailure as exc:
            self.report(Finished(None, explain_failure(exc.status, exc.text)))
        except _Cancelled:
            self.report(Finished(None, "cancelled"))
        except (OSError, LocalError, http.client.HTTPException) as exc:
            self.report(Finished(None, f"The upload failed: {exc}"))
        else:
            self.report(Finished(url))

    def _send(self) -> str:
        total = self.path.stat().st_size
        conn = connection(self.host.upload_url, self.host.fingerprint)
        try:
            conn.putrequest("POST", target(self.host.upload_url))
            conn.putheader("Authorization", f"Bearer {self.token}")
            conn.putheader("Content-Length", str(total))
            conn.putheader("Content-Type", "application/octet-stream")
            name = quote(self.path.name, safe="")
            conn.putheader("Content-Disposition", f"attachment; filename*=UTF-8''{name}")
            conn.endheaders()
            sent = 0
            try:
                with self.path.open("rb") as fh:
                    while chunk := fh.read(CHUNK):
                        if self.cancelled.is_set():
                            raise _Cancelled
                        conn.send(chunk)
                        sent += len(chunk)
                        self.report(Progress(sent, total))
            except OSError:
                pass  # the server stopped reading: its answer says why (a refusal)
            resp = conn.getresponse()
            body = resp.read(4096).decode("utf-8", "replace")
            if resp.status != 201:
                raise HTTPFailure(resp.status, body)
            location = resp.getheader("Location")
            if not location:
                raise LocalError("the server did not say where the file went")
            return location
        finally:
            conn.close()


class _Cancelled(Exception):
    pass
