"""Interop with accounts: Debian's WeeChat logs in with SASL PLAIN and with
SCRAM-SHA-256, and irssi with PLAIN, each to an account made with the storage API (as
``chinwag accounts add`` does) on a real server with a real SQLite file.

irssi runs in a pseudo-terminal (it needs one) with a throw-away home; it is only
observed from the server's side (the account its connection is logged in to).
"""

from __future__ import annotations

import logging
import os
import pty
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from chinwag.auth.credentials import make_credentials
from chinwag.storage.sqlite import SQLiteStorage
from chinwag.transport.runner import ServerRunner
from tests.support import TIMEOUT, wait_until
from tests.test_interop import NICK, SERVER, WeeChat

PASSWORD = "weechat-secret-9"
IRSSI = shutil.which("irssi")


def add_account(data_dir: Path, name: str) -> None:
    storage = SQLiteStorage.in_dir(data_dir)
    try:
        storage.add_account(name, make_credentials(PASSWORD), time.time())
    finally:
        storage.close()


def account_of(server: ServerRunner, nick: str) -> str | None:
    def find(core: object) -> str | None:
        user = core.find_user(nick)  # type: ignore[attr-defined]
        return None if user is None else user.account  # type: ignore[no-any-return]

    return server.call(find)


@pytest.mark.parametrize(
    ("mechanism", "used"), [("plain", "PLAIN"), ("scram-sha-256", "SCRAM-SHA-256")]
)
def test_weechat_logs_in_with_sasl(
    make_server: Callable[..., ServerRunner],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    mechanism: str,
    used: str,
) -> None:
    caplog.set_level(logging.INFO, logger="chinwag")
    server = make_server()
    add_account(tmp_path / "data", NICK)
    client = WeeChat(
        tmp_path / "weechat",
        server.port,
        settings=(
            f"/set irc.server.{SERVER}.sasl_mechanism {mechanism}",
            f"/set irc.server.{SERVER}.sasl_username {NICK}",
            f"/set irc.server.{SERVER}.sasl_password {PASSWORD}",
            f"/set irc.server.{SERVER}.sasl_fail disconnect",
        ),
    )
    client.start()
    try:
        wait_until(lambda: account_of(server, NICK) == NICK, 3 * TIMEOUT)
        server_log = client.logs / f"irc.server.{SERVER}.weechatlog"
        wait_until(lambda: "SASL authentication successful" in server_log.read_text(), TIMEOUT)
        assert f"logged in as {NICK} ({used})" in caplog.text
    finally:
        client.stop()
        print(client.diagnostics())


def test_irssi_logs_in_with_sasl_plain(
    make_server: Callable[..., ServerRunner], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="chinwag")
    assert IRSSI, "irssi is not installed (scripts/test-deps installs it)"
    server = make_server()
    add_account(tmp_path / "data", "irssibot")
    home = tmp_path / "irssi"
    home.mkdir()
    config = (
        'servers = ({ address = "127.0.0.1"; chatnet = "testnet"; port = "PORT";'
        ' use_tls = "no"; autoconnect = "yes"; }); chatnets = { testnet = {'
        ' type = "IRC"; sasl_mechanism = "PLAIN"; sasl_username = "irssibot";'
        ' sasl_password = "PASSWORD"; }; }; settings = { core = { nick = "irssibot";'
        ' user_name = "irssi"; real_name = "irssi interop"; }; };\n'
    )
    (home / "config").write_text(
        config.replace("PORT", str(server.port)).replace("PASSWORD", PASSWORD)
    )
    master, slave = pty.openpty()
    env = {**os.environ, "HOME": str(home), "TERM": "xterm", "LC_ALL": "C.UTF-8"}
    proc = subprocess.Popen(
        [IRSSI, "--home", str(home), "-n", "irssibot"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    try:
        wait_until(lambda: account_of(server, "irssibot") == "irssibot", 3 * TIMEOUT)
        assert "logged in as irssibot (PLAIN)" in caplog.text
    finally:
        proc.terminate()
        try:
            proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(TIMEOUT)
        os.close(master)
