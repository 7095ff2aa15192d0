"""`chinwag` / `chinwag client`: options, no tkinter at import, and connecting straight away."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from chinwag.gui import main
from chinwag.transport.runner import ServerRunner
from tests.support import TIMEOUT, LineClient, wait_until


def test_options() -> None:
    parser = argparse.ArgumentParser()
    main.configure_parser(parser)
    args = parser.parse_args(["--server", "h:7000", "--nick", "al", "--theme", "dark"])
    assert (args.server, args.nick, args.theme, args.password) == ("h:7000", "al", "dark", None)
    assert args.tls is None  # TLS first, plain text only when nothing else is offered
    assert parser.parse_args(["--tls"]).tls is True
    assert parser.parse_args(["--no-tls"]).tls is False


def test_importing_the_entry_point_does_not_load_tkinter() -> None:
    code = "import sys, chinwag.gui.main, chinwag.cli; print('tkinter' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_server_and_nick_connect_straight_away(server: ServerRunner, tmp_path: Path) -> None:
    watcher = LineClient("127.0.0.1", server.port)
    watcher.register("watcher")
    env = dict(os.environ, CHINWAG_CONFIG_DIR=str(tmp_path / "cfg"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "chinwag.cli", "--server", f"127.0.0.1:{server.port}",
         "--nick", "scripted"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        joined = watcher.expect(lambda m: m.command == "JOIN" and m.nick == "scripted", 3 * TIMEOUT)
        assert joined.param(0).lower() == "#lobby"
        wait_until((tmp_path / "cfg" / "client.json").exists)
    finally:
        proc.terminate()
        proc.wait(TIMEOUT)
        watcher.close()
