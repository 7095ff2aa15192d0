"""Fixtures for the web service: a running server with HTTP and HTTPS on loopback."""

from __future__ import annotations

import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from chinwag.server.webconfig import WebConfig
from chinwag.transport.runner import ServerRunner
from tests.support import TIMEOUT, LineClient

LOOPBACK = (("127.0.0.1", 0),)


@dataclass
class Cert:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="session")
def web_cert(tmp_path_factory: pytest.TempPathFactory) -> Cert:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    d = tmp_path_factory.mktemp("cert")
    c = Cert(d / "cert.pem", d / "key.pem")
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec"),
            *("-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-nodes", "-subj", "/CN=chinwag-test", "-days", "1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(c.key), "-out", str(c.cert)),
        ],
        check=True,
        capture_output=True,
    )
    return c


@pytest.fixture
def make_web_server(
    make_server: Callable[..., ServerRunner], web_cert: Cert
) -> Callable[..., ServerRunner]:
    """Start servers whose web service listens on loopback, HTTP and HTTPS."""

    def make(web: WebConfig | None = None, **changes: Any) -> ServerRunner:
        web = web or WebConfig(http=LOOPBACK, https=LOOPBACK)
        return make_server(ssl_context=web_cert.server_context(), web=web, **changes)

    return make


@pytest.fixture
def web_server(make_web_server: Callable[..., ServerRunner]) -> ServerRunner:
    return make_web_server()


def base_url(runner: ServerRunner, scheme: str = "http") -> str:
    """The first web URL of ``scheme`` ("http://127.0.0.1:PORT/")."""
    return next(u for u in runner.web_urls if u.startswith(scheme + ":"))


def request(
    url: str,
    data: bytes | Iterable[bytes] | None = None,
    headers: dict[str, str] | None = None,
    method: str | None = None,
    cert: Cert | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request with urllib: (status, headers, body), errors included."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    ctx = cert.client_context() if cert else None
    try:
        with urllib.request.urlopen(req, timeout=6 * TIMEOUT, context=ctx) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def file_token(runner: ServerRunner, nick: str = "uploader") -> str:
    """A FILETOKEN token, fetched over IRC by a client named ``nick``."""
    client = LineClient("127.0.0.1", runner.port)
    try:
        client.register(nick)
        client.send("FILETOKEN")
        return client.expect("FILETOKEN").params[0]
    finally:
        client.close()


def upload(
    runner: ServerRunner,
    body: bytes | Iterable[bytes],
    name: str = "file.bin",
    token: str | None = None,
    headers: dict[str, str] | None = None,
    scheme: str = "http",
    cert: Cert | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """POST ``body`` to the upload URL, with a FILETOKEN token unless one is given."""
    all_headers = {
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
        "Authorization": f"Bearer {token or file_token(runner)}",
        **(headers or {}),
    }
    return request(base_url(runner, scheme) + "upload", body, all_headers, "POST", cert)
