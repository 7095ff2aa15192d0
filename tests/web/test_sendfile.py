"""Downloads with the kernel's sendfile (plain HTTP under uvloop), over real sockets: the
bytes, Range, keep-alive after a sendfile body, HTTPS keeping aiohttp's path, and a
reader that leaves half way."""

from __future__ import annotations

import http.client
import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
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

    def spy(
        sock_fd: int, file_fd: int, offset: int, count: int, stop: threading.Event | None = None
    ) -> None:
        counts.append(count)
        real(sock_fd, file_fd, offset, count, stop)

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
    # The next readers get all of it, and only it: the connections accepted now may take
    # the closed one's descriptor number, which the sending thread must not write to.
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda _: request(url.geturl())[2], range(4)))
    assert all(g == body for g in got)


def test_the_sending_thread_uses_descriptors_of_its_own(tmp_path: Path) -> None:
    """send_owned writes to the socket and file it was given duplicates of, even when
    the originals are closed and their numbers taken by new ones, and closes its own."""
    data = os.urandom(4 * MIB)
    (tmp_path / "f").write_bytes(data)
    a, b = socket.socketpair()
    a.setblocking(False)
    with open(tmp_path / "f", "rb") as f:
        sock_fd, file_fd = os.dup(a.fileno()), os.dup(f.fileno())
    a.close()
    c, d = socket.socketpair()  # likely takes the closed socket's number
    stop = threading.Event()
    worker = threading.Thread(
        target=sendfile.send_owned, args=(sock_fd, file_fd, 0, len(data), stop)
    )
    worker.start()
    received = bytearray()
    b.settimeout(TIMEOUT)
    while len(received) < len(data):
        chunk = b.recv(1 << 20)
        assert chunk
        received += chunk
    worker.join(TIMEOUT)
    assert not worker.is_alive() and bytes(received) == data
    d.setblocking(False)
    with pytest.raises(BlockingIOError):
        d.recv(1)  # nothing went to whoever got the old number
    for fd in (sock_fd, file_fd):
        with pytest.raises(OSError):
            os.fstat(fd)  # closed by the thread
    for s in (b, c, d):
        s.close()


def test_a_stop_ends_the_sending_thread(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(os.urandom(8 * MIB))
    a, b = socket.socketpair()  # nobody reads b: the socket fills and the thread waits
    a.setblocking(False)
    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        with open(tmp_path / "f", "rb") as f:
            try:
                sendfile.send_all(a.fileno(), f.fileno(), 0, 8 * MIB, stop)
            except ConnectionResetError as exc:
                errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    stop.set()
    worker.join(TIMEOUT)
    assert not worker.is_alive() and errors
    a.close()
    b.close()
