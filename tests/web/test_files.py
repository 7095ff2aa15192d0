"""Uploads and downloads over real sockets (draft/FILEHOST): round trips, every refusal,
hostile names and types, metadata stripping, thumbnails, Range requests."""

from __future__ import annotations

import io
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from chinwag.server.config import ServerConfig
from chinwag.server.webconfig import FilesConfig, WebConfig
from chinwag.transport.runner import ServerRunner
from tests.conftest import make_test_config
from tests.support import TIMEOUT, LineClient
from tests.web.conftest import LOOPBACK, Cert, base_url, file_token, request, upload

MIB = 1024 * 1024


def png(size: tuple[int, int] = (64, 48), colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def location(headers: dict[str, str]) -> str:
    return headers["Location"]


def with_files(make: Callable[..., ServerRunner], **rules: Any) -> ServerRunner:
    return make(web=WebConfig(http=LOOPBACK, https=LOOPBACK, files=FilesConfig(**rules)))


class TestRoundTrip:
    @pytest.mark.parametrize(
        ("name", "body", "served", "disposition"),
        [
            ("notes.txt", "hello, ünïcode\n".encode(), "text/plain; charset=utf-8", "attachment"),
            ("picture.png", png(), "image/png", "inline"),
            ("blob.bin", os.urandom(20 * MIB), "application/octet-stream", "attachment"),
        ],
        ids=["text", "image", "20MiB-binary"],
    )
    def test_upload_then_download_is_byte_identical(
        self, web_server: ServerRunner, name: str, body: bytes, served: str, disposition: str
    ) -> None:
        status, headers, text = upload(web_server, body, name)
        assert status == 201, text
        url = location(headers)
        assert re.fullmatch(rf"http://127\.0\.0\.1:\d+/files/[\w-]+/{re.escape(name)}", url)
        assert text.decode().strip() == url
        status, headers, got = request(url)
        assert status == 200 and got == body
        assert headers["Content-Type"] == served
        assert headers["Content-Disposition"].startswith(disposition)
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in headers["Content-Security-Policy"]

    def test_a_chunked_upload_of_many_batches_is_byte_identical(
        self, web_server: ServerRunner
    ) -> None:
        body = os.urandom(3 * MIB + 12_345)
        sizes = [1, 700, 65_536, 300_001, 1_000_000]  # uneven HTTP chunks, some tiny

        def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer encoding
            at, i = 0, 0
            while at < len(body):
                yield body[at : at + sizes[i % len(sizes)]]
                at += sizes[i % len(sizes)]
                i += 1

        status, headers, text = upload(web_server, chunks())
        assert status == 201, text
        assert request(location(headers))[2] == body
        file_id = location(headers).split("/")[4]
        assert json.loads(request(f"{base_url(web_server)}info/{file_id}")[2])["size"] == len(body)

    def test_over_https_too(self, web_server: ServerRunner, web_cert: Cert) -> None:
        status, headers, _ = upload(web_server, b"secret", "s.txt", scheme="https", cert=web_cert)
        assert status == 201 and location(headers).startswith("https://127.0.0.1:")
        assert request(location(headers), cert=web_cert)[2] == b"secret"

    def test_range_requests(self, web_server: ServerRunner) -> None:
        body = bytes(range(256)) * 1024
        _, headers, _ = upload(web_server, body)
        status, got_headers, part = request(location(headers), headers={"Range": "bytes=1000-1999"})
        assert status == 206 and part == body[1000:2000]
        assert got_headers["Content-Range"] == f"bytes 1000-1999/{len(body)}"

    def test_info_describes_the_file(self, web_server: ServerRunner) -> None:
        _, headers, _ = upload(web_server, png(), "cat.png")
        file_id = location(headers).split("/")[4]
        status, _, body = request(f"{base_url(web_server)}info/{file_id}")
        data = json.loads(body)
        assert status == 200
        assert (data["name"], data["type"], data["size"]) == ("cat.png", "image/png", len(png()))
        assert data["url"] == location(headers)
        assert request(data["thumbnail"])[0] == 200

    def test_unknown_file_is_404(self, web_server: ServerRunner) -> None:
        assert request(base_url(web_server) + "files/AAAAAAAAAAAAAAAA/x")[0] == 404
        assert request(base_url(web_server) + "info/AAAAAAAAAAAAAAAA")[0] == 404


class TestHostileInput:
    def test_a_png_that_is_really_html_is_never_served_as_html(
        self, web_server: ServerRunner
    ) -> None:
        page = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
        status, headers, _ = upload(web_server, page, "innocent.png")
        assert status == 201
        status, got, body = request(location(headers))
        assert body == page
        assert got["Content-Type"] == "text/plain; charset=utf-8"
        assert "html" not in got["Content-Type"]
        assert got["Content-Disposition"].startswith("attachment")
        assert got["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in got["Content-Security-Policy"]

    @pytest.mark.parametrize(
        ("sent", "stored"),
        [
            ("../../../etc/passwd", "passwd"),
            ("..\\..\\boot.ini", "boot.ini"),
            ("evil\x00\x1b[31mname\u202e.txt", "evil[31mname.txt"),
            ("...", "file"),
            ("a" * 300 + ".jpeg", "a" * 115 + ".jpeg"),
        ],
    )
    def test_names_are_sanitised(
        self, web_server: ServerRunner, tmp_path: Path, sent: str, stored: str
    ) -> None:
        status, headers, _ = upload(web_server, b"data", sent)
        assert status == 201
        file_id = location(headers).split("/")[4]
        info = json.loads(request(f"{base_url(web_server)}info/{file_id}")[2])
        assert info["name"] == stored
        assert not (tmp_path / "etc").exists() and not (tmp_path.parent / "passwd").exists()

    def test_a_quoted_traversal_name_is_cut_to_its_last_part(
        self, web_server: ServerRunner
    ) -> None:
        header = {"Content-Disposition": 'attachment; filename="../../.ssh/authorized_keys"'}
        status, headers, _ = upload(web_server, b"key", headers=header)
        assert status == 201 and location(headers).endswith("/authorized_keys")

    def test_no_name_at_all_is_file(self, web_server: ServerRunner) -> None:
        token = file_token(web_server)
        status, headers, _ = request(
            base_url(web_server) + "upload",
            b"x",
            {"Authorization": f"Bearer {token}"},
            "POST",
        )
        assert status == 201 and location(headers).endswith("/file")


class TestRefusals:
    def test_no_credentials_is_401_with_a_challenge(self, web_server: ServerRunner) -> None:
        status, headers, body = request(base_url(web_server) + "upload", b"x", method="POST")
        assert status == 401 and headers["WWW-Authenticate"].startswith("Basic")
        assert b"FILETOKEN" in body

    def test_unknown_token_is_401(self, web_server: ServerRunner) -> None:
        status, _, body = upload(web_server, b"x", token="not-a-token")
        assert status == 401 and b"expired" in body

    def test_expired_token_is_401(self, make_web_server: Callable[..., ServerRunner]) -> None:
        runner = with_files(make_web_server, token_seconds=0)
        assert upload(runner, b"x")[0] == 401

    def test_too_big_by_content_length_is_413(
        self, make_web_server: Callable[..., ServerRunner]
    ) -> None:
        runner = with_files(make_web_server, max_file_bytes=1000)
        status, _, body = upload(runner, b"x" * 1001)
        assert status == 413 and b"limit" in body
        assert upload(runner, b"x" * 1000)[0] == 201

    def test_too_big_while_streaming_is_413(
        self, make_web_server: Callable[..., ServerRunner]
    ) -> None:
        runner = with_files(make_web_server, max_file_bytes=100_000)

        def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer encoding
            for _ in range(20):
                yield b"y" * 10_000

        assert upload(runner, chunks())[0] == 413

    def test_refusals_leave_no_temporary_file(
        self, make_web_server: Callable[..., ServerRunner]
    ) -> None:
        runner = with_files(make_web_server, max_file_bytes=3 * MIB, total_quota_bytes=2 * MIB)
        assert runner.config.data_dir is not None
        tmp = runner.config.data_dir / "files" / "tmp"

        def chunks(n: int) -> Iterator[bytes]:  # over the limit with batches in flight
            for _ in range(n):
                yield os.urandom(64 * 1024)

        assert upload(runner, chunks(80))[0] == 413
        assert upload(runner, chunks(40))[0] == 507  # 2.5 MiB: over the total quota
        assert upload(runner, b"\x7fELF\x02\x01\x01" + b"\x00" * 100)[0] == 415
        deadline = time.monotonic() + TIMEOUT
        while list(tmp.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert list(tmp.iterdir()) == []

    def test_refused_type_is_415(self, web_server: ServerRunner) -> None:
        elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 100
        status, _, body = upload(web_server, elf, "game.exe")
        assert status == 415 and b"application/x-executable" in body

    def test_account_quota_is_507(self, make_web_server: Callable[..., ServerRunner]) -> None:
        runner = with_files(make_web_server, account_quota_bytes=1500)
        token = file_token(runner, "filler")
        assert upload(runner, b"a" * 1000, token=token)[0] == 201
        status, _, body = upload(runner, b"b" * 1000, token=token)
        assert status == 507 and b"quota" in body
        assert upload(runner, b"c" * 1000, token=file_token(runner, "other"))[0] == 201

    def test_total_quota_is_507(self, make_web_server: Callable[..., ServerRunner]) -> None:
        runner = with_files(make_web_server, total_quota_bytes=1500)
        assert upload(runner, b"a" * 1000)[0] == 201
        status, _, body = upload(runner, b"b" * 1000, token=file_token(runner, "other"))
        assert status == 507 and b"storage is full" in body


class TestAnonymousAndOff:
    def test_anonymous_uploads_when_allowed(
        self, make_web_server: Callable[..., ServerRunner]
    ) -> None:
        runner = with_files(make_web_server, anonymous=True)
        status, _, _ = request(base_url(runner) + "upload", b"anon", method="POST")
        assert status == 201

    def test_no_data_dir_means_no_uploads_and_no_filehost(self, tmp_path: Path) -> None:
        config: ServerConfig = make_test_config(tmp_path, web=WebConfig(http=LOOPBACK))
        runner = ServerRunner(config.replace(data_dir=None))
        runner.start()
        try:
            client = LineClient("127.0.0.1", runner.port)
            client.register("nofiles", caps=["standard-replies"])
            client.send("FILETOKEN")
            fail = client.expect("FAIL")
            assert fail.params[:2] == ("FILETOKEN", "UNAVAILABLE")
            assert not any("FILEHOST" in " ".join(m.params) for m in client.received)
            client.close()
            assert request(base_url(runner) + "upload", b"x", method="POST")[0] == 404
        finally:
            runner.stop()


class TestFilehostToken:
    def test_isupport_names_the_address_the_client_used(self, web_server: ServerRunner) -> None:
        client = LineClient("127.0.0.1", web_server.port)
        client.register("seer")
        tokens = [p for m in client.received if m.command == "005" for p in m.params]
        client.close()
        http = base_url(web_server).rstrip("/")
        https = base_url(web_server, "https").rstrip("/")
        assert f"draft/FILEHOST={http}/upload\\x20{https}/upload" in tokens
        assert f"soju.im/FILEHOST={http}/upload" in tokens
        assert not any("0.0.0.0" in t for t in tokens)

    def test_a_websocket_client_gets_its_pages_own_origin(self, web_server: ServerRunner) -> None:
        from tests.web.test_ws import ws_user

        client = ws_user(web_server, "browser")
        client.expect(lambda m: m.command == "366")
        tokens = [p for m in client.received if m.command == "005" for p in m.params]
        client.close()
        http = base_url(web_server).rstrip("/")
        assert f"soju.im/FILEHOST={http}/upload" in tokens


class TestPictures:
    def test_exif_and_gps_are_stripped_and_the_thumbnail_is_upright(
        self, web_server: ServerRunner
    ) -> None:
        img = Image.new("RGB", (80, 40), "blue")
        exif = Image.Exif()
        exif[0x0112] = 6  # orientation: rotate 90° to view
        exif[0x010F] = "SnoopCam"  # camera make
        exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS IFD
        out = io.BytesIO()
        img.save(out, "JPEG", exif=exif)
        status, headers, _ = upload(web_server, out.getvalue(), "holiday.jpg")
        assert status == 201
        served = request(location(headers))[2]
        assert b"SnoopCam" not in served
        with Image.open(io.BytesIO(served)) as got:
            assert not got.getexif()
            assert got.size == (40, 80)  # turned upright
        file_id = location(headers).split("/")[4]
        status, thumb_headers, thumb = request(f"{base_url(web_server)}thumbs/{file_id}")
        assert status == 200 and thumb_headers["Content-Type"] == "image/jpeg"
        with Image.open(io.BytesIO(thumb)) as t:
            assert t.size == (40, 80)

    def test_a_big_picture_gets_a_small_thumbnail(self, web_server: ServerRunner) -> None:
        _, headers, _ = upload(web_server, png((2000, 1000)), "wide.png")
        file_id = location(headers).split("/")[4]
        status, got, thumb = request(f"{base_url(web_server)}thumbs/{file_id}")
        assert status == 200 and got["Content-Type"] == "image/jpeg"
        with Image.open(io.BytesIO(thumb)) as t:
            assert max(t.size) == 320 and t.size[0] > t.size[1]

    def test_a_non_picture_has_no_thumbnail(self, web_server: ServerRunner) -> None:
        _, headers, _ = upload(web_server, b"just text", "a.txt")
        file_id = location(headers).split("/")[4]
        assert request(f"{base_url(web_server)}thumbs/{file_id}")[0] == 404
