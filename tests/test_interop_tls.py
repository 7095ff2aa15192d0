"""Interop over TLS: WeeChat and irssi (Debian's) reach chinwag's TLS port with the
server's self-signed certificate pinned by its fingerprint, the way a user would set them
up after reading the fingerprint in the server's log, and chat with a TLS test client.
A pin that does not match is refused by each client, which shows the pin is checked.

WeeChat is driven as in tests/test_interop.py (its fifo and logger plugins). irssi has no
headless mode, so it runs in a detached tmux session on a private tmux socket; a startup
file in its home directory sets it up and connects with ``-tls_pinned_cert``, its
``autosendcmd`` says hello once registered, and its autolog shows what it received.

Every wait is bounded by a multiple of TIMEOUT; weechat-headless, irssi and tmux are
installed by ``scripts/test-deps`` and missing ones are failures, never skips.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chinwag.certs import fingerprint_display
from chinwag.server.core import Server
from chinwag.transport.runner import ServerRunner
from tests.support import TIMEOUT, LineClient, wait_until
from tests.test_interop import LOBBY, NICK, WeeChat
from tests.tlsutil import unverified_context

IRSSI = shutil.which("irssi")
TMUX = shutil.which("tmux")
IRSSI_NICK = "irssibot"


@pytest.fixture
def tls_server(make_server: Callable[..., ServerRunner]) -> ServerRunner:
    return make_server(tls_listen=(("127.0.0.1", 0),))


@pytest.fixture
def alice(tls_server: ServerRunner) -> Iterator[LineClient]:
    client = LineClient("127.0.0.1", tls_server.tls_port, tls=unverified_context())
    client.register("alice")
    client.expect(lambda m: m.command == "JOIN" and m.param(0) == LOBBY)
    yield client
    client.close()


def fingerprint(server: ServerRunner) -> str:
    assert server.fingerprint is not None
    return server.fingerprint


def wrong(fp: str) -> str:
    return ("00" if not fp.startswith("00") else "11") + fp[2:]


def secure_users(server: ServerRunner) -> dict[str, bool]:
    return server.call(lambda core: {u.nick: u.secure for u in core.by_nick.values()})


def token() -> str:
    return secrets.token_hex(4)


class TestWeeChat:
    def test_connects_with_the_fingerprint_and_chats(
        self, tls_server: ServerRunner, alice: LineClient, tmp_path: Path
    ) -> None:
        weechat = WeeChat(
            tmp_path / "weechat", tls_server.tls_port, tls_fingerprint=fingerprint(tls_server)
        )
        weechat.start()
        try:
            alice.expect(lambda m: m.command == "JOIN" and m.nick == NICK, 3 * TIMEOUT)
            weechat.wait_for_log("server", r"certificate fingerprint matches")
            assert secure_users(tls_server)[NICK] is True
            weechat.wait_for_log(LOBBY, rf"\b{NICK}\b.*has joined {LOBBY}")
            outgoing = f"over TLS from weechat {token()}"
            weechat.send(f"irc.testnet.{LOBBY}", outgoing)
            assert alice.expect(lambda m: m.command == "PRIVMSG" and m.nick == NICK).params == (
                LOBBY,
                outgoing,
            )
            incoming = f"over TLS to weechat {token()}"
            alice.send(f"PRIVMSG {LOBBY} :{incoming}")
            weechat.wait_for_log(LOBBY, rf"\t[@+]?alice\t{re.escape(incoming)}$")
            users = tls_server.call(Server.users)
            assert any(u.nick == NICK for u in users)
        finally:
            weechat.stop()
            print(weechat.diagnostics())

    def test_refuses_a_certificate_that_does_not_match(
        self, tls_server: ServerRunner, tmp_path: Path
    ) -> None:
        weechat = WeeChat(
            tmp_path / "weechat",
            tls_server.tls_port,
            tls_fingerprint=wrong(fingerprint(tls_server)),
        )
        weechat.start()
        try:
            weechat.wait_for_log("server", r"fingerprint does NOT match", 3 * TIMEOUT)
            assert NICK not in secure_users(tls_server)
        finally:
            weechat.stop()
            print(weechat.diagnostics())


class Irssi:
    """irssi in a detached tmux session (on a private socket), connected to one server."""

    def __init__(self, home: Path, port: int, pinned: str, autosend: str) -> None:
        assert IRSSI, "irssi is not installed (scripts/test-deps installs it)"
        assert TMUX, "tmux is not installed (scripts/test-deps installs it)"
        self.home = home
        self.logs = home / "logs"
        self.socket = f"chinwag-test-{secrets.token_hex(4)}"
        self.session = "irssi"
        # $$ is a literal $ for irssi: $tag and $0 are expanded when a log is opened.
        self.startup = [
            "/set autolog on",
            f"/set autolog_path {self.logs}/$$tag/$$0.log",
            "/set autolog_level all",
            "/set settings_autosave off",
            "/set cmd_queue_speed 0",  # no client-side send throttling
            f'/network add -nick {IRSSI_NICK} -user irssi -realname "irssi interop" '
            f'-autosendcmd "{autosend}" testnet',
            f"/connect -network testnet -tls -tls_pinned_cert {pinned} 127.0.0.1 {port}",
        ]

    def tmux(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        """Run a tmux command against this instance's private tmux server."""
        assert TMUX is not None
        env = {k: v for k, v in os.environ.items() if k != "TMUX"}
        return subprocess.run(
            [TMUX, "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=check,
            env=env,
        )

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "startup").write_text("\n".join(self.startup) + "\n")
        command = f"TERM=xterm LC_ALL=C.UTF-8 {IRSSI} --home={self.home}"
        size = ("-x", "200", "-y", "50")
        self.tmux("new-session", "-d", "-s", self.session, *size, command, check=True)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session).stdout

    def log(self, name: str) -> str:
        path = self.logs / "testnet" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        self.tmux("kill-server")

    def diagnostics(self) -> str:
        logs = [f"{p}:\n{p.read_text(errors='replace')[-2000:]}" for p in self.logs.rglob("*.log")]
        return "screen:\n" + self.screen() + "\n" + "\n".join(logs)


@pytest.fixture
def irssi_home(tmp_path: Path) -> Path:
    return tmp_path / "irssi"


class TestIrssi:
    def test_connects_with_the_pinned_certificate_and_chats(
        self, tls_server: ServerRunner, alice: LineClient, irssi_home: Path
    ) -> None:
        hello = f"hello over TLS from irssi {token()}"
        pinned = fingerprint_display(fingerprint(tls_server))
        irssi = Irssi(irssi_home, tls_server.tls_port, pinned, f"/msg {LOBBY} {hello}")
        irssi.start()
        try:
            alice.expect(lambda m: m.command == "JOIN" and m.nick == IRSSI_NICK, 3 * TIMEOUT)
            got = alice.expect(lambda m: m.command == "PRIVMSG" and m.nick == IRSSI_NICK)
            assert got.params == (LOBBY, hello)
            assert secure_users(tls_server)[IRSSI_NICK] is True
            incoming = f"over TLS to irssi {token()}"
            alice.send(f"PRIVMSG {LOBBY} :{incoming}")
            wait_until(lambda: incoming in irssi.log(LOBBY), 2 * TIMEOUT)
            assert re.search(rf"<.?alice> {re.escape(incoming)}", irssi.log(LOBBY))
        except AssertionError:
            print(irssi.diagnostics())
            raise
        finally:
            irssi.stop()

    def test_refuses_a_pin_that_does_not_match(
        self, tls_server: ServerRunner, irssi_home: Path
    ) -> None:
        pinned = fingerprint_display(wrong(fingerprint(tls_server)))
        irssi = Irssi(irssi_home, tls_server.tls_port, pinned, "/msg alice hi")
        irssi.start()
        try:
            wait_until(lambda: "Pinned certificate mismatch" in irssi.screen(), 3 * TIMEOUT)
            assert IRSSI_NICK not in secure_users(tls_server)
        except AssertionError:
            print(irssi.diagnostics())
            raise
        finally:
            irssi.stop()
