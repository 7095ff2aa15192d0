"""A blocking IRC-over-WebSocket test client on a raw socket.

It does the RFC 6455 handshake and framing itself, so tests see exactly what went over
the wire: the subprotocol the server chose, each frame's opcode, and that every message
is one line without CR/LF. It is a :class:`~tests.support.LineClient`, so ``expect``,
``collect`` and ``register`` work as they do over TCP.
"""

from __future__ import annotations

import base64
import os
import socket
import ssl
import struct
import time

from chinwag.proto.message import Message, parse
from tests.support import TIMEOUT, LineClient


class HandshakeRefused(Exception):
    def __init__(self, status: int, head: str) -> None:
        super().__init__(f"{status}: {head[:200]}")
        self.status = status


def masked_frame(opcode: int, payload: bytes) -> bytes:
    """A final client frame, masked as clients must (RFC 6455 §5.3)."""
    key = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    body = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + key + body


class WsLineClient(LineClient):
    def __init__(
        self,
        host: str,
        port: int,
        *,
        protocols: tuple[str, ...] = ("text.ircv3.net",),
        origin: str | None = None,
        path: str = "/ws",
        rcvbuf: int | None = None,
        tls: ssl.SSLContext | None = None,
        timeout: float = TIMEOUT,
    ) -> None:
        sock = socket.socket()
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.settimeout(timeout)
        sock.connect((host, port))
        self.sock = tls.wrap_socket(sock, server_hostname=host) if tls else sock
        self.buffer = b""
        self.received: list[Message] = []
        self.closed = False
        self.opcodes: list[int] = []
        self.close_code: int | None = None
        headers = [
            f"GET {path} HTTP/1.1",
            f"Host: {host}:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: " + base64.b64encode(os.urandom(16)).decode(),
            "Sec-WebSocket-Version: 13",
        ]
        if protocols:
            headers.append("Sec-WebSocket-Protocol: " + ", ".join(protocols))
        if origin is not None:
            headers.append(f"Origin: {origin}")
        self.sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            head += chunk
        text, _, self.buffer = head.partition(b"\r\n\r\n")
        lines = text.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
        if status != 101:
            self.sock.close()
            raise HandshakeRefused(status, text.decode("latin-1"))
        self.headers = {
            k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])
        }
        self.protocol = self.headers.get("sec-websocket-protocol")

    # -- sending: one masked frame per line --------------------------------------------

    def send_frame(self, opcode: int, payload: bytes) -> None:
        self.sock.sendall(masked_frame(opcode, payload))

    def send_raw(self, data: bytes) -> None:
        opcode = 0x2 if self.protocol == "binary.ircv3.net" else 0x1
        self.send_frame(opcode, data)

    def send(self, line: str) -> None:
        self.send_raw(line.encode())

    # -- receiving: one line per data frame --------------------------------------------

    def _need(self, n: int, deadline: float) -> bool:
        while len(self.buffer) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                return False
            except OSError:
                chunk = b""
            if not chunk:
                self.closed = True
                return False
            self.buffer += chunk
        return True

    def read_frame(self, deadline: float) -> tuple[int, bytes] | None:
        if not self._need(2, deadline):
            return None
        b0, b1 = self.buffer[0], self.buffer[1]
        assert b0 & 0x80, "the server sent a fragmented frame"
        assert not b1 & 0x80, "the server masked a frame"
        n, at = b1 & 0x7F, 2
        if n == 126:
            if not self._need(4, deadline):
                return None
            n, at = struct.unpack("!H", self.buffer[2:4])[0], 4
        elif n == 127:
            if not self._need(10, deadline):
                return None
            n, at = struct.unpack("!Q", self.buffer[2:10])[0], 10
        if not self._need(at + n, deadline):
            return None
        payload = self.buffer[at : at + n]
        self.buffer = self.buffer[at + n :]
        return b0 & 0x0F, payload

    def _read_line(self, deadline: float) -> Message | None:
        while True:
            got = self.read_frame(deadline)
            if got is None:
                return None
            opcode, payload = got
            if opcode == 0x8:  # close
                self.close_code = struct.unpack("!H", payload[:2])[0] if payload else 1005
                self.closed = True
                return None
            if opcode == 0x9:  # ping: answer it
                self.send_frame(0xA, payload)
                continue
            if opcode not in (0x1, 0x2):
                continue
            self.opcodes.append(opcode)
            assert b"\r" not in payload and b"\n" not in payload, payload
            msg = parse(payload)
            self.received.append(msg)
            return msg
