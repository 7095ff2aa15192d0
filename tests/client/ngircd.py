"""Run Debian's ngircd on an ephemeral loopback port, for tests against a third-party server.

What this does not do: configure services, TLS or server links; one plain server only.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.support import TIMEOUT

NGIRCD = shutil.which("ngircd") or "/usr/sbin/ngircd"

CONFIG = """\
[Global]
Name = irc.ngircd.test
Info = chinwag test server
AdminInfo1 = tests
AdminInfo2 = tests
AdminEMail = tests@localhost
Listen = 127.0.0.1
Ports = {port}
MotdPhrase = Welcome to the ngircd test server
[Limits]
MaxConnectionsIP = 0
MaxNickLength = 20
[Options]
DNS = no
Ident = no
PAM = no
RequireAuthPing = no
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Ngircd:
    """An ngircd process on 127.0.0.1:``port``; ``start()`` waits until it listens."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.conf = workdir / "ngircd.conf"
        self.conf.write_text(CONFIG.format(port=self.port))
        self.log = workdir / "ngircd.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [NGIRCD, "-n", "-f", str(self.conf)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError(f"ngircd did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(TIMEOUT)
        self.proc = None
