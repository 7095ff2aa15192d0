"""The command line: help text, one-line errors, graceful shutdown of a real process."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from chinwag.cli import main
from chinwag.server.config import ServerConfig, load_config_file
from tests.support import TIMEOUT, LineClient, wait_until

ROOT = Path(__file__).resolve().parents[1]
SERVER_FLAGS = (
    "--listen",
    "--config",
    "--data-dir",
    "--log-level",
    "--no-lobby",
    "--no-flood-limit",
    "--no-advertise",
    "--log-messages",
    "--tls",
    "--no-tls",
    "--no-plaintext",
    "--tls-cert",
    "--tls-key",
    "--hash-password",
    "--http",
    "--https",
    "--no-http",
)


def run_cli(*args: str, timeout: float = 4 * TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chinwag.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_server_help_documents_every_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["server", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for flag in SERVER_FLAGS:
        assert flag in out


def test_readme_documents_every_flag() -> None:
    readme = (ROOT / "README.md").read_text()
    for flag in SERVER_FLAGS:
        assert flag in readme, flag


def test_example_config_is_valid_and_documents_every_key() -> None:
    example = ROOT / "chinwag.example.toml"
    cfg = load_config_file(example)
    assert cfg.lobby == "#lobby" and cfg.listen == (("0.0.0.0", 6667),)
    text = example.read_text()
    from dataclasses import fields

    from chinwag.proto.limits import Limits
    from chinwag.server.config import AccountsConfig

    for f in (*fields(Limits), *fields(AccountsConfig)):
        assert re.search(rf"^{f.name} = ", text, re.M), f.name
    assert ServerConfig().accounts == cfg.accounts
    for name in ("listen", "data_dir", "server_name", "network", "log_level", "lobby", "motd"):
        assert re.search(rf"^{name} = ", text, re.M), name
    # The copy shipped in the package is the same file.
    assert (ROOT / "src/chinwag/chinwag.example.toml").read_text() == text
    assert tomllib.loads(text)["server"]["advertise"] is True
    assert ServerConfig().limits == cfg.limits


def test_port_in_use_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run_cli(
            "server",
            "--listen",
            f"127.0.0.1:{port}",
            "--no-tls",
            "--no-advertise",
            "--no-http",
            "--data-dir",
            str(tmp_path),
        )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "address already in use" in errors[0]


def test_bad_config_is_one_line_and_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[server]\nlisten = ['127.0.0.1:notaport']\n")
    result = run_cli("server", "--config", str(bad))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "bad listen address" in result.stderr
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[server]\ncolour = 'blue'\n")
    result = run_cli("server", "--config", str(unknown))
    assert result.returncode == 1 and "server.colour" in result.stderr


def test_sigterm_says_goodbye_to_every_client(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chinwag.cli",
            "server",
            "--listen",
            f"127.0.0.1:{port}",
            "--no-tls",
            "--no-advertise",
            "--no-http",
            "--data-dir",
            str(tmp_path),
            "--log-messages",
        ],
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        clients: list[LineClient] = []

        def try_connect() -> bool:
            try:
                clients.append(LineClient("127.0.0.1", port))
            except OSError:
                return False
            return True

        wait_until(try_connect, timeout=4 * TIMEOUT)
        alice = clients[0]
        alice.register("alice")
        bob = LineClient("127.0.0.1", port)
        bob.register("bob")
        bob.send("PRIVMSG #lobby :hello from bob")
        alice.expect("PRIVMSG")
        proc.send_signal(signal.SIGTERM)
        assert "shutting down" in alice.expect("ERROR").params[0]
        assert "shutting down" in bob.expect("ERROR").params[0]
        assert proc.wait(timeout=4 * TIMEOUT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=TIMEOUT)
    log = proc.stderr.read() if proc.stderr else ""
    # The log has timestamps and tells the story of the session.
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO +listening on 127\.0\.0\.1:", log, re.M)
    for needle in (
        "connection from 127.0.0.1",
        "alice registered",
        "alice joined #lobby",
        "<bob> #lobby: hello from bob",
        "bob (127.0.0.1",
    ):
        assert needle in log, needle
