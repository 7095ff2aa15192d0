"""The client's file side against a real server: FILEHOST parsing, uploads with
progress, refusals explained, Cancel, HTTPS pinned to the chat server's certificate."""

from __future__ import annotations

import hashlib
import queue
import ssl
from collections.abc import Callable
from pathlib import Path

import pytest

from chinwag.client.files import (
    FileHost,
    Finished,
    Progress,
    Upload,
    explain_failure,
    fetch,
    file_info,
    human_size,
)
from chinwag.errors import LocalError
from chinwag.server.webconfig import FilesConfig, WebConfig
from chinwag.transport.runner import ServerRunner
from tests.support import TIMEOUT
from tests.web.conftest import LOOPBACK, Cert, base_url, file_token


def run(
    upload: Upload, reports: queue.Queue[Progress | Finished]
) -> tuple[list[Progress], Finished]:
    upload.start()
    progress: list[Progress] = []
    while True:
        r = reports.get(timeout=6 * TIMEOUT)
        if isinstance(r, Finished):
            return progress, r
        progress.append(r)


def host_of(runner: ServerRunner, scheme: str = "http", fingerprint: str = "") -> FileHost:
    value = f"{base_url(runner, scheme)}upload"
    host = FileHost.from_isupport(value, fingerprint)
    assert host is not None
    return host


def test_filehost_from_isupport() -> None:
    host = FileHost.from_isupport("http://10.0.0.2:8080/upload\\x20https://10.0.0.2:8443/upload")
    assert host is not None and host.urls == (
        "http://10.0.0.2:8080/upload",
        "https://10.0.0.2:8443/upload",
    )
    assert host.file_id("http://10.0.0.2:8080/files/abcdefghijklmnop/cat.png") == "abcdefghijklmnop"
    assert host.file_id("https://10.0.0.2:8443/files/abcdefghijklmnop") == "abcdefghijklmnop"
    assert host.file_id("http://elsewhere:8080/files/abcdefghijklmnop/x") is None
    assert host.file_id("http://10.0.0.2:8080/other/abcdefghijklmnop") is None
    assert FileHost.from_isupport("ftp://x/ junk") is None
    assert FileHost.from_isupport("https://h/u", "AB:CD").fingerprint == "abcd"  # type: ignore[union-attr]


def test_upload_with_progress_then_fetch_back(web_server: ServerRunner, tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4\n" + bytes(300_000))
    reports: queue.Queue[Progress | Finished] = queue.Queue()
    host = host_of(web_server)
    progress, done = run(Upload(host, path, file_token(web_server), reports.put), reports)
    assert done.url is not None and done.error == ""
    assert progress[-1] == Progress(path.stat().st_size, path.stat().st_size)
    assert fetch(host, done.url) == path.read_bytes()
    info = file_info(host, done.url)
    assert (info.name, info.type, info.thumbnail) == ("report.pdf", "application/pdf", None)


def test_https_accepts_only_the_chat_servers_certificate(
    web_server: ServerRunner, web_cert: Cert, tmp_path: Path
) -> None:
    der = ssl.PEM_cert_to_DER_cert(web_cert.cert.read_text())
    right = hashlib.sha256(der).hexdigest()
    path = tmp_path / "a.txt"
    path.write_bytes(b"over tls")
    reports: queue.Queue[Progress | Finished] = queue.Queue()
    host = host_of(web_server, "https", right)
    _, done = run(Upload(host, path, file_token(web_server), reports.put), reports)
    assert done.url is not None and fetch(host, done.url) == b"over tls"
    impostor = host_of(web_server, "https", "00" * 32)
    with pytest.raises(LocalError, match="not the chat server's"):
        fetch(impostor, done.url)


def test_a_refusal_is_explained(
    make_web_server: Callable[..., ServerRunner], tmp_path: Path
) -> None:
    runner = make_web_server(
        web=WebConfig(http=LOOPBACK, https=LOOPBACK, files=FilesConfig(max_file_bytes=1000))
    )
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(5 * 1024 * 1024))
    reports: queue.Queue[Progress | Finished] = queue.Queue()
    _, done = run(Upload(host_of(runner), path, file_token(runner), reports.put), reports)
    assert done.url is None
    assert done.error.startswith("The file is too big for this server")
    _, done = run(Upload(host_of(runner), path, "wrong", reports.put), reports)
    assert done.error.startswith("The server did not accept your login")


def test_cancel_stops_the_upload(web_server: ServerRunner, tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(20 * 1024 * 1024))
    reports: queue.Queue[Progress | Finished] = queue.Queue()
    upload = Upload(host_of(web_server), path, file_token(web_server), reports.put)
    upload.cancel()
    _, done = run(upload, reports)
    assert done == Finished(None, "cancelled")


def test_words() -> None:
    assert explain_failure(507, "your quota is full: 1.0 MiB of 1.0 MiB used\n") == (
        "There is no room left for it: your quota is full: 1.0 MiB of 1.0 MiB used."
    )
    assert explain_failure(500, "") == "The server refused the upload (HTTP 500)."
    assert human_size(512) == "512 bytes" and human_size(3 * 1024 * 1024) == "3.0 MB"
