"""One load-generator connection: a raw ``asyncio.Protocol`` with a few cheap modes.

* ``LINES``: split lines and match numerics against waiters (registration, OPER, JOIN,
  the PING/PONG liveness check). Used only while setting up, never while measuring.
* ``COUNT``: count occurrences of a marker (``" PRIVMSG #chan :"``) in the bytes, at C
  speed, without splitting lines. Most fan-out receivers run in this mode.
* ``SAMPLE``: count, and also read the send timestamp embedded in each message to
  measure latency; a designated "watcher" also reports which message of each sender it
  has seen, so senders can keep a bounded window in flight.
* ``DM``: answer or time private-message ping-pong.

Every mode answers server PINGs. The class deliberately knows nothing about scenarios:
they set the mode, the marker and the callbacks.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from chinwag.bench.errors import BenchRemoteError as BenchRemoteError

if TYPE_CHECKING:
    from chinwag.bench.sasl import SaslLogin

LINES, COUNT, SAMPLE, DM = 0, 1, 2, 3

# Replies that end registration (end of MOTD, or no MOTD) and those that mean it failed.
_REGISTERED = frozenset({b"376", b"422"})
_REGISTER_FAIL = frozenset({b"431", b"432", b"433", b"436", b"437", b"464", b"465", b"ERROR"})


# Lines of a SASL exchange, answered by the connection's SaslLogin while registering.
_SASL = frozenset({b"AUTHENTICATE", b"903", b"904", b"905", b"906", b"907"})


def _command(line: bytes) -> bytes:
    """The command (or numeric) of a raw line, skipping tags and the source prefix."""
    start = 0
    if line.startswith(b"@"):
        start = line.find(b" ") + 1
        if start == 0:
            return b""
    if line.startswith(b":", start):
        start = line.find(b" ", start) + 1
        if start == 0:
            return b""
    end = line.find(b" ", start)
    return line[start:] if end < 0 else line[start:end]


class Conn(asyncio.Protocol):
    """A benchmark client connection. Construct, hand to ``loop.create_connection``."""

    def __init__(
        self, nick: str, password: str | None = None, sasl: SaslLogin | None = None
    ) -> None:
        loop = asyncio.get_running_loop()
        self.nick = nick
        self._password = password
        self.sasl = sasl  # log in to an account with SASL while registering
        self.transport: asyncio.Transport | None = None
        self.mode = LINES
        self._buf = b""
        self._last = b""
        self._waiters: deque[tuple[frozenset[bytes], frozenset[bytes], asyncio.Future[bytes]]] = (
            deque()
        )
        self.closed = False
        self.close_reason = ""
        self.on_lost: Callable[[Conn], None] | None = None
        self._paused = False
        self._drain: asyncio.Future[None] | None = None
        self.registered: asyncio.Future[bytes] = loop.create_future()
        # COUNT / SAMPLE
        self.marker = b""
        self.count = 0
        self.expected = 0
        self.done = False
        self.on_complete: Callable[[Conn], None] | None = None
        self.latencies: list[int] = []
        self.on_ack: Callable[[int, int], None] | None = None
        # DM
        self.partner = b""
        self.pinger = False
        self.on_pong: Callable[[Conn, int], None] | None = None

    # --- asyncio.Protocol ---------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, only look-alikes.
        self.transport = cast(asyncio.Transport, transport)
        self._waiters.append((_REGISTERED, _REGISTER_FAIL, self.registered))
        lines = []
        if self._password:
            lines.append(f"PASS {self._password}".encode())
        if self.sasl is not None:
            lines += self.sasl.start()
        lines += [f"NICK {self.nick}".encode(), f"USER b 0 * :chinwag bench {self.nick}".encode()]
        self.transport.write(b"\r\n".join(lines) + b"\r\n")

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.close_reason:
            # The counting modes do not look for ERROR; the last bytes usually hold it.
            i = self._last.rfind(b"ERROR ")
            if i >= 0:
                line = self._last[i:].split(b"\n", 1)[0].rstrip(b"\r")
                self.close_reason = line.decode("utf-8", "replace")
        if not self.close_reason:
            self.close_reason = f"connection lost: {exc}" if exc else "connection closed"
        while self._waiters:
            _ok, _err, fut = self._waiters.popleft()
            if not fut.done():
                fut.set_exception(BenchRemoteError(self.close_reason))
                fut.exception()  # whoever awaits it still gets it; nobody else is warned
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)
        if self.on_lost is not None:
            self.on_lost(self)

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    def data_received(self, data: bytes) -> None:
        self._last = data
        if self._buf:
            data = self._buf + data
        end = data.rfind(b"\n") + 1
        if end == 0:
            self._buf = data
            return
        self._buf = data[end:]
        mode = self.mode
        if mode == COUNT:
            n = data.count(self.marker, 0, end)
            if data.find(b"PING", 0, end) >= 0:
                self._pings(data[:end])
            if n:
                self._add(n)
        elif mode == SAMPLE:
            self._sample(data, end)
        elif mode == DM:
            self._dm(data, end)
        else:
            self._lines(data[:end])

    # --- helpers for scenarios ----------------------------------------------------

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(data)

    async def drain(self) -> None:
        """Wait until the transport's write buffer is below its high-water mark."""
        if self._paused and not self.closed:
            self._drain = asyncio.get_running_loop().create_future()
            await self._drain

    def expect(
        self, ok: frozenset[bytes], fail: frozenset[bytes] = frozenset()
    ) -> asyncio.Future[bytes]:
        """A future for the next line (in LINES mode) whose command is in ``ok``; it fails
        with the line if a command in ``fail`` (or ERROR, or a disconnect) comes first."""
        fut: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        if self.closed:
            fut.set_exception(BenchRemoteError(self.close_reason))
        else:
            self._waiters.append((ok, fail | {b"ERROR"}, fut))
        return fut

    def close(self, quit_message: bytes = b"QUIT :bench done\r\n") -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(quit_message)
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.abort()

    # --- modes ----------------------------------------------------------------------

    def _pings(self, data: bytes) -> None:
        for line in data.split(b"\n"):
            if line.startswith(b"PING"):
                self.write(b"PONG" + line[4:].rstrip(b"\r") + b"\r\n")

    def _add(self, n: int) -> None:
        self.count += n
        if not self.done and self.count >= self.expected:
            self.done = True
            if self.on_complete is not None:
                self.on_complete(self)

    def _lines(self, data: bytes) -> None:
        for line in data.split(b"\n"):
            line = line.rstrip(b"\r")
            if not line:
                continue
            if line.startswith(b"PING"):
                self.write(b"PONG" + line[4:] + b"\r\n")
                continue
            command = _command(line)
            if self.sasl is not None and command in _SASL and not self.registered.done():
                try:
                    for reply in self.sasl.on_line(command, line):
                        self.write(reply + b"\r\n")
                except Exception as exc:
                    self.registered.set_exception(BenchRemoteError(str(exc)))
                continue
            if command == b"001":
                parts = line.split(b" ", 3)
                if len(parts) >= 3:
                    self.nick = parts[2].decode("utf-8", "replace")
            if command == b"ERROR":
                self.close_reason = line.decode("utf-8", "replace")
            if not self._waiters:
                continue
            ok, fail, fut = self._waiters[0]
            if command in ok:
                self._waiters.popleft()
                if not fut.done():
                    fut.set_result(line)
            elif command in fail:
                self._waiters.popleft()
                if not fut.done():
                    fut.set_exception(BenchRemoteError(line.decode("utf-8", "replace")))

    def _sample(self, data: bytes, end: int) -> None:
        now = time.monotonic_ns()
        marker = self.marker
        mlen = len(marker)
        latencies = self.latencies
        on_ack = self.on_ack
        n = 0
        pos = data.find(marker, 0, end)
        while pos >= 0:
            start = pos + mlen
            sp = data.find(b" ", start, end)
            if sp < 0:
                break
            latencies.append(now - int(data[start:sp]))
            if on_ack is not None:
                sp2 = data.find(b" ", sp + 1, end)
                sp3 = data.find(b" ", sp2 + 1, end)
                on_ack(int(data[sp + 1 : sp2]), int(data[sp2 + 1 : sp3]))
            n += 1
            pos = data.find(marker, sp, end)
        if data.find(b"PING", 0, end) >= 0:
            self._pings(data[:end])
        if n:
            self._add(n)

    def _dm(self, data: bytes, end: int) -> None:
        for line in data[:end].split(b"\n"):
            i = line.find(b" PRIVMSG ")
            if i < 0:
                if line.startswith(b"PING"):
                    self.write(b"PONG" + line[4:].rstrip(b"\r") + b"\r\n")
                continue
            j = line.find(b" :", i + 9)
            if j < 0:
                continue
            payload = line[j + 2 :].rstrip(b"\r")
            if self.pinger:
                if self.on_pong is not None:
                    self.on_pong(self, time.monotonic_ns() - int(payload))
            else:
                self.write(b"PRIVMSG " + self.partner + b" :" + payload + b"\r\n")
