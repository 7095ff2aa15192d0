"""Interop: a real third-party IRC client (Debian's weechat-headless) on our server.

WeeChat runs headless in a temporary home directory, driven through its fifo plugin
(we write ``buffer *text`` lines into a named pipe) and observed through its logger
plugin (one log file per buffer, flushed at once). A blocking LineClient from
tests.support sits on the other side. Against ``chinwag server`` WeeChat must land
in #lobby by itself: nothing ever asks it to join. The same scenario runs against
Debian's ngircd, with an explicit autojoin there, which shows that the harness and the
checks are sound independently of our server.

What this does not do: drive WeeChat's user interface or check how it renders anything.
Every wait is bounded by a multiple of TIMEOUT; a missing weechat-headless is a
failure (``scripts/test-deps`` installs it), never a skip.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chinwag.server.core import Server
from chinwag.transport.runner import ServerRunner
from tests.client.ngircd import Ngircd
from tests.support import TIMEOUT, LineClient, wait_until

WEECHAT = shutil.which("weechat-headless")
NICK = "weebot"
SERVER = "testnet"  # WeeChat's name for the server, part of its buffer names
LOBBY = "#lobby"


class WeeChat:
    """A weechat-headless process connected to one IRC server on 127.0.0.1."""

    def __init__(
        self,
        home: Path,
        port: int,
        autojoin: str = "",
        tls_fingerprint: str | None = None,
        settings: tuple[str, ...] = (),
    ) -> None:
        """``settings``: more commands to run before connecting (e.g. SASL options)."""
        assert WEECHAT, "weechat-headless is not installed (scripts/test-deps installs it)"
        self.home = home
        self.fifo = home / "weechat_fifo"
        self.logs = home / "logs"
        self.output = home / "stdout.txt"
        commands = [
            f"/set fifo.file.path {self.fifo}",
            f"/set logger.file.path {self.logs}",
            # Write every log line at once instead of every two minutes.
            "/set logger.file.flush_delay 0",
            f"/server add {SERVER} 127.0.0.1/{port}",
            # TLS off, or on with the certificate pinned by its SHA-256 (64 hex digits):
            # 3.x names the options ssl*, 4.x tls*; the other name is an harmless error.
            *(
                f"/set irc.server.{SERVER}.{prefix}{option}"
                for prefix in ("ssl", "tls")
                for option in (
                    [" on", f"_fingerprint {tls_fingerprint}"] if tls_fingerprint else [" off"]
                )
            ),
            f"/set irc.server.{SERVER}.nicks {NICK}",
            f"/set irc.server.{SERVER}.username wee",
            f"/set irc.server.{SERVER}.realname WeeChat interop",
            f'/set irc.server.{SERVER}.autojoin "{autojoin}"',
            # No client-side send throttling (3.x names, then the 4.x name).
            f"/set irc.server.{SERVER}.anti_flood_prio_high 0",
            f"/set irc.server.{SERVER}.anti_flood_prio_low 0",
            f"/set irc.server.{SERVER}.anti_flood 0",
            *settings,
            f"/connect {SERVER}",
        ]
        self.args = [WEECHAT, "--dir", str(home), "--no-script", "--stdout"]
        self.args += ["--plugins", "irc,logger,fifo"]
        for command in commands:
            self.args += ["--run-command", command]
        self.proc: subprocess.Popen[bytes] | None = None
        self._fd: int | None = None

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "HOME": str(self.home), "LC_ALL": "C.UTF-8", "TERM": "dumb"}
        with self.output.open("wb") as out:
            self.proc = subprocess.Popen(
                self.args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env
            )
        try:
            wait_until(self._fifo_ready, timeout=3 * TIMEOUT)
        except BaseException:
            # A WeeChat that never became ready must not outlive the test (it would
            # keep reconnecting and burning CPU long after the suite ends).
            self.stop()
            raise

    def _fifo_ready(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, self.diagnostics()
        try:
            if not stat.S_ISFIFO(self.fifo.stat().st_mode):
                return False
            # Non-blocking: fails with ENXIO until WeeChat has the pipe open for reading.
            self._fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as e:
            if e.errno in (errno.ENOENT, errno.ENXIO):
                return False
            raise
        return True

    def send(self, buffer: str, text: str) -> None:
        """Type ``text`` into WeeChat's ``buffer`` (a command if it starts with '/')."""
        assert self._fd is not None
        line = f"{buffer} *{text}\n".encode()
        assert os.write(self._fd, line) == len(line)

    def say(self, target: str, text: str) -> None:
        self.send(f"irc.server.{SERVER}", f"/msg {target} {text}")

    def log(self, buffer_name: str) -> str:
        """What WeeChat logged in the buffer of ``buffer_name`` (a channel or nick)."""
        path = self.logs / f"irc.{SERVER}.{buffer_name}.weechatlog".lower()
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def wait_for_log(self, buffer_name: str, pattern: str, timeout: float = TIMEOUT) -> None:
        """Wait until the log of ``buffer_name`` matches; "server" is the server buffer."""
        regex = re.compile(pattern, re.MULTILINE)
        read = self.server_log if buffer_name == "server" else lambda: self.log(buffer_name)
        try:
            wait_until(lambda: regex.search(read()) is not None, timeout)
        except AssertionError:
            raise AssertionError(
                f"WeeChat's {buffer_name} log never matched {pattern!r}\n{self.diagnostics()}"
            ) from None

    def server_log(self) -> str:
        """What WeeChat logged in the server's own buffer (connection, TLS, errors)."""
        path = self.logs / f"irc.server.{SERVER}.weechatlog".lower()
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def diagnostics(self) -> str:
        parts = []
        if self.output.exists():
            parts.append("stdout:\n" + self.output.read_text(errors="replace")[-3000:])
        if self.logs.is_dir():
            for path in sorted(self.logs.glob("*.weechatlog")):
                parts.append(f"{path.name}:\n" + path.read_text(errors="replace")[-2000:])
        return "\n".join(parts)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            if self._fd is not None:
                try:
                    self.send("core.weechat", "/quit interop test done")
                    self.proc.wait(TIMEOUT)
                except (OSError, subprocess.TimeoutExpired):
                    pass
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(TIMEOUT)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(TIMEOUT)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@dataclass
class Target:
    """The server under test: its port and whether it joins clients to #lobby itself."""

    name: str
    port: int
    auto_lobby: bool
    runner: ServerRunner | None = None


@pytest.fixture(params=["chinwag", "ngircd"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    if request.param == "chinwag":
        runner: ServerRunner = request.getfixturevalue("server")
        yield Target("chinwag", runner.port, auto_lobby=True, runner=runner)
        return
    ngircd = Ngircd(tmp_path)
    ngircd.start()
    try:
        yield Target("ngircd", ngircd.port, auto_lobby=False)
    finally:
        ngircd.stop()


@pytest.fixture
def alice(target: Target) -> Iterator[LineClient]:
    client = LineClient("127.0.0.1", target.port)
    client.register("alice")
    if target.auto_lobby:
        client.expect(lambda m: m.command == "JOIN" and m.param(0) == LOBBY)
    else:
        client.send(f"JOIN {LOBBY}")
        client.expect(lambda m: m.command == "JOIN" and m.param(0) == LOBBY)
    yield client
    client.close()


@pytest.fixture
def weechat(target: Target, alice: LineClient, tmp_path: Path) -> Iterator[WeeChat]:
    # Against chinwag nothing tells WeeChat to join: the server must put it in #lobby.
    client = WeeChat(tmp_path / "weechat", target.port, autojoin="" if target.auto_lobby else LOBBY)
    client.start()
    try:
        yield client
    finally:
        client.stop()
        # Shown by pytest only when the test failed.
        print(client.diagnostics())


def token() -> str:
    return secrets.token_hex(4)


def test_weechat_lands_in_lobby_and_chats_both_ways(
    target: Target, alice: LineClient, weechat: WeeChat
) -> None:
    # WeeChat registers and joins #lobby: alice sees it arrive...
    joined = alice.expect(
        lambda m: m.command == "JOIN" and m.nick == NICK and m.param(0) == LOBBY, 3 * TIMEOUT
    )
    assert joined.source is not None and joined.source.startswith(f"{NICK}!")
    # ...and WeeChat itself opened a #lobby buffer for it.
    weechat.wait_for_log(LOBBY, rf"\b{NICK}\b.*has joined {LOBBY}")
    if target.runner is not None:
        users = target.runner.call(Server.users)
        assert any(u.nick == NICK and LOBBY in u.channels for u in users), users

    # WeeChat -> alice, through the channel.
    outgoing = f"hello from weechat {token()} héllo ☕"
    weechat.send(f"irc.{SERVER}.{LOBBY}", outgoing)
    got = alice.expect(lambda m: m.command == "PRIVMSG" and m.nick == NICK)
    assert got.params == (LOBBY, outgoing)

    # alice -> WeeChat, through the channel.
    incoming = f"hello weechat {token()} ünïcode"
    alice.send(f"PRIVMSG {LOBBY} :{incoming}")
    weechat.wait_for_log(LOBBY, rf"\t[@+]?alice\t{re.escape(incoming)}$")

    # WeeChat leaves cleanly: alice sees the QUIT.
    weechat.stop()
    alice.expect(lambda m: m.command == "QUIT" and m.nick == NICK)


def test_weechat_private_messages_both_ways(alice: LineClient, weechat: WeeChat) -> None:
    alice.expect(lambda m: m.command == "JOIN" and m.nick == NICK, 3 * TIMEOUT)
    # Our JOIN can reach alice before WeeChat has read its welcome; until then it
    # refuses /msg ("not connected"). Its own log of the join shows it is ready.
    weechat.wait_for_log(LOBBY, rf"\b{NICK}\b.*has joined {LOBBY}")
    outgoing = f"psst {token()}"
    weechat.say("alice", outgoing)
    got = alice.expect(lambda m: m.command == "PRIVMSG" and m.nick == NICK)
    assert got.params == ("alice", outgoing)

    incoming = f"psst back {token()}"
    alice.send(f"PRIVMSG {NICK} :{incoming}")
    weechat.wait_for_log("alice", rf"\talice\t{re.escape(incoming)}$")
    # A private message is not channel traffic.
    assert incoming not in weechat.log(LOBBY)
