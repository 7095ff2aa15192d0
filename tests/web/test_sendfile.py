"""Downloads with the kernel's sendfile (plain HTTP under uvloop), over real sockets: the
bytes, Range, keep-alive after a sendfile body, HTTPS keeping aiohttp's path, and a
reader that leaves half way."""

from __future__ import annotations

import http.client
import os
import socket
from urllib.parse import urlsplit

import pytest

from chinwag.transport.runner import ServerRunner
from chinwag.web import sendfile
from tests.support import TIMEOUT
from tests.web.conftest import Cert, request, upload

MIB = 1024 * 1024


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The byte counts handed to sendfile (the server runs in this process)."""
    counts: list[int] = []
    real = sendfile.send_all

    def spy(sock_fd: int, file_fd: int, offset: int, count: int) -> None:
        counts.append(count)
        real(sock_fd, file_fd, offset, count)

    monkeypatch.setattr(sendfile, "send_all", spy)
    return counts


def stored(
    runner: ServerRunner, body: bytes, scheme: str = "http", cert: Cert | None = None
) -> str:
    status, headers, text = upload(runner, body, "blob.bin", scheme=scheme, cert=cert)
    assert status == 201, text
    return headers["Location"]


def test_plain_downloads_use_sendfile_and_the_connection_goes_on(
    web_server: ServerRunner, sent: list[int]
) -> None:
    body = os.urandom(8 * MIB + 4321)
    url = urlsplit(stored(web_server, body))
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=6 * TIMEOUT)
    try:
        conn.request("GET", url.path)
        whole = conn.getresponse()
        assert whole.status == 200 and whole.read() == body
        conn.request("GET", url.path, headers={"Range": "bytes=1000000-1999999"})
        part = conn.getresponse()  # the same connection: the first body ended cleanly
        assert part.status == 206 and part.read() == body[1_000_000:2_000_000]
    finally:
        conn.close()
    assert sent == [len(body), 1_000_000]


def test_https_downloads_keep_aiohttps_path(
    web_server: ServerRunner, web_cert: Cert, sent: list[int]
) -> None:
    body = os.urandom(2 * MIB)
    url = stored(web_server, body, "https", web_cert)
    assert request(url, cert=web_cert)[2] == body
    assert sent == []  # TLS: the bytes must pass through Python to be encrypted


def test_a_reader_that_leaves_half_way_harms_nobody(
    web_server: ServerRunner, sent: list[int]
) -> None:
    body = os.urandom(20 * MIB)
    url = urlsplit(stored(web_server, body))
    sock = socket.create_connection((url.hostname or "", url.port or 80), timeout=6 * TIMEOUT)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(f"GET {url.path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    sock.close()  # with most of the body still to come
    assert request(url.geturl())[2] == body  # the next reader gets all of it
