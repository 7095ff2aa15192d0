"""Shared test helpers: the one TIMEOUT constant and a small blocking IRC test client.

Every wait in the tests is a multiple of TIMEOUT, which CHINWAG_TEST_TIMEOUT_SCALE scales
(for slow machines).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from chinwag.proto.message import Message, parse

TIMEOUT = 5.0 * float(os.environ.get("CHINWAG_TEST_TIMEOUT_SCALE", "1"))


def wait_until(predicate: Callable[[], bool], timeout: float = TIMEOUT, step: float = 0.02) -> None:
    """Poll ``predicate`` until it is true; AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    assert predicate(), "condition not met in time"


class LineClient:
    """A blocking IRC client over a real socket, for tests. Records every message.

    With ``tls`` (a client SSLContext) it connects over TLS; ``self.sock`` is then an
    :class:`ssl.SSLSocket` (its peer certificate is the server's). ``source`` is the local
    address to connect from (e.g. another 127.x address).
    """

    def __init__(
        self,
        host: str,
        port: int,
        timeout: float = TIMEOUT,
        tls: ssl.SSLContext | None = None,
        source: str | None = None,
    ) -> None:
        sock = socket.create_connection(
            (host, port), timeout=timeout, source_address=(source, 0) if source else None
        )
        if tls is not None:
            try:
                sock = tls.wrap_socket(sock, server_hostname=host)
            except BaseException:
                sock.close()
                raise
        self.sock = sock
        self.sock.settimeout(timeout)
        self.buffer = b""
        self.received: list[Message] = []
        self.closed = False

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, line: str) -> None:
        self.sock.sendall(line.encode() + b"\r\n")

    def _read_line(self, deadline: float) -> Message | None:
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                return None
            if not chunk:
                self.closed = True
                return None
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        msg = parse(line)
        self.received.append(msg)
        return msg

    def expect(
        self, predicate: Callable[[Message], bool] | str, timeout: float = TIMEOUT
    ) -> Message:
        """Read until a message matches (a predicate or a command name); fail after timeout.

        Answers server PINGs on the way.
        """
        pred = (lambda m: m.command == predicate) if isinstance(predicate, str) else predicate
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read_line(deadline)
            if msg is None:
                seen = [str(m) for m in self.received[-15:]]
                raise AssertionError(f"no matching message (closed={self.closed}); last: {seen}")
            if msg.command == "PING":
                self.send(f"PONG :{msg.param(0)}")
            if pred(msg):
                return msg

    def collect(self, duration: float) -> list[Message]:
        """Read everything that arrives within ``duration`` seconds."""
        out: list[Message] = []
        deadline = time.monotonic() + duration
        while True:
            msg = self._read_line(deadline)
            if msg is None:
                return out
            out.append(msg)

    def register(self, nick: str, user: str = "u", caps: list[str] | None = None) -> Message:
        """Register and return the 001 welcome (reads up to the end of the burst)."""
        if caps:
            self.send("CAP LS 302")
            self.send("CAP REQ :" + " ".join(caps))
        self.send(f"NICK {nick}")
        self.send(f"USER {user} 0 * :Real {nick}")
        if caps:
            self.expect(lambda m: m.command == "CAP" and m.param(1) == "ACK")
            self.send("CAP END")
        welcome = self.expect("001")
        self.expect(lambda m: m.command in ("376", "422"))
        return welcome

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def flood_until_cut_off(
    is_gone: Callable[[], bool], talker: LineClient, listener: LineClient, payload: int = 400
) -> int:
    """Have ``talker`` fill #lobby until ``is_gone()`` (a client that never reads was cut
    off), while ``listener`` keeps reading. Returns how many lines were sent; fails if the
    cut never came. Afterwards the listener must still have every line (callers check)."""
    text = "z" * payload
    deadline = time.monotonic() + 6 * TIMEOUT
    sent = 0
    while time.monotonic() < deadline:
        for _ in range(50):
            talker.send(f"PRIVMSG #lobby :{sent} {text}")
            sent += 1
        listener.collect(0.05)
        if is_gone():
            return sent
    raise AssertionError("the client that never reads was never cut off")


def sasl_client(port: int, nick: str, **connect: Any) -> LineClient:
    """A client on 127.0.0.1:``port`` that asked for ``sasl`` and sent NICK and USER,
    waiting to AUTHENTICATE (``connect``: LineClient's ``tls`` or ``source``)."""
    client = LineClient("127.0.0.1", port, **connect)
    client.send("CAP LS 302")
    client.send("CAP REQ :sasl")
    client.send(f"NICK {nick}")
    client.send(f"USER {nick} 0 * :{nick}")
    client.expect(lambda m: m.command == "CAP" and m.param(1) == "ACK")
    return client


def started_server_ports(
    proc: subprocess.Popen[Any], log: Path, kinds: Iterable[str], timeout: float
) -> dict[str, int]:
    """Wait until a ``chinwag server`` process (``--log-level info``, stderr to ``log``)
    listens on each of ``kinds`` ("irc", "tls", "http", "https"); return those bound
    ports, read from its log. So the process can bind port 0: no port is picked before
    the server binds it, where a parallel test could take it first. Fails at once, with
    the log, if the process exits instead."""
    patterns = {
        "irc": r"listening on \S+:(\d+)$",
        "tls": r"listening with TLS on \S+:(\d+)$",
        "http": r"web service on http://\S+:(\d+)/$",
        "https": r"web service on https://\S+:(\d+)/$",
    }
    deadline = time.monotonic() + timeout
    while True:
        text = log.read_text() if log.exists() else ""
        found = {k: re.search(patterns[k], text, re.M) for k in kinds}
        if all(found.values()):
            return {k: int(m.group(1)) for k, m in found.items() if m}
        if proc.poll() is not None:
            raise AssertionError(f"the server exited ({proc.returncode}):\n{text}")
        if time.monotonic() > deadline:
            raise AssertionError(f"the server did not start in time:\n{text}")
        time.sleep(0.05)
