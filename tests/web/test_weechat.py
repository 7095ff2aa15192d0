"""Must show 4: a WeeChat user (Debian's weechat-headless, a real third-party client)
sees a shared file's link in the channel and can download it, and can share one too:
``/quote FILETOKEN`` gives it a token to upload with (as ``curl -u nick:TOKEN`` would).

Driven and observed as in tests/test_interop.py (fifo in, logger out); the downloads
are plain urllib GETs of the URL exactly as WeeChat logged it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from chinwag.transport.runner import ServerRunner
from tests.support import TIMEOUT, LineClient
from tests.test_interop import LOBBY, NICK, SERVER, WeeChat
from tests.web.conftest import base_url, request, upload

URL = r"https?://127\.0\.0\.1:\d+/files/[\w-]+/\S+"


@pytest.fixture
def alice(web_server: ServerRunner) -> Iterator[LineClient]:
    client = LineClient("127.0.0.1", web_server.port)
    client.register("alice")
    client.expect(lambda m: m.command == "366")
    yield client
    client.close()


@pytest.fixture
def weechat(web_server: ServerRunner, alice: LineClient, tmp_path: Path) -> Iterator[WeeChat]:
    client = WeeChat(tmp_path / "weechat", web_server.port)
    client.start()
    try:
        alice.expect(lambda m: m.command == "JOIN" and m.nick == NICK, 3 * TIMEOUT)
        client.wait_for_log(LOBBY, rf"\b{NICK}\b.*has joined {LOBBY}")
        yield client
    finally:
        client.stop()
        print(client.diagnostics())


def test_weechat_sees_the_link_and_it_downloads(
    web_server: ServerRunner, alice: LineClient, weechat: WeeChat
) -> None:
    content = f"minutes of the meeting {secrets.token_hex(8)}\n".encode()
    status, headers, _ = upload(web_server, content, "minutes.txt")
    assert status == 201
    alice.send(f"PRIVMSG {LOBBY} :the minutes: {headers['Location']}")
    weechat.wait_for_log(LOBBY, rf"\t[@+]?alice\tthe minutes: {URL}$")
    (seen,) = re.findall(URL, weechat.log(LOBBY))
    assert seen == headers["Location"]
    status, got_headers, got = request(seen)
    assert status == 200 and got == content
    assert got_headers["Content-Disposition"].startswith("attachment")


def test_weechat_learns_the_upload_url_and_shares_with_a_token(
    web_server: ServerRunner, alice: LineClient, weechat: WeeChat
) -> None:
    # The 005 lines WeeChat logged name the upload URL, on the address it connected to.
    upload_url = f"{base_url(web_server)}upload"
    weechat.wait_for_log("server", re.escape(f"draft/FILEHOST={upload_url}"))
    weechat.send(f"irc.server.{SERVER}", "/quote FILETOKEN")
    # WeeChat does not know the verb, so it shows the raw line, token and all.
    weechat.wait_for_log("server", r"FILETOKEN \S+ :\d+")
    (token,) = re.findall(r"FILETOKEN (\S+) :\d+", weechat.server_log())
    photo = b"\x89PNG\r\n\x1a\n" + secrets.token_bytes(64)
    status, headers, _ = upload(web_server, photo, "from-weechat.png", token=token)
    assert status == 201
    weechat.send(f"irc.{SERVER}.{LOBBY}", f"look: {headers['Location']}")
    got = alice.expect(lambda m: m.command == "PRIVMSG" and m.nick == NICK)
    (link,) = re.findall(URL, got.params[1])
    assert request(link)[2] == photo
