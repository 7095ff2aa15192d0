"""Benchmark clients over IRC-over-WebSocket (``chinwag bench --websocket URL``).

Each :class:`~chinwag.bench.conn.Conn` keeps its modes and counting; only its transport
changes. aiohttp's client opens the connection (the HTTP upgrade, the ``text.ircv3.net``
subprotocol) and sends: :class:`WsTransport` looks enough like an ``asyncio.Transport``
for a ``Conn`` and sends each line as one WebSocket text message.

Receiving is where a load generator's own cost shows: aiohttp's ``receive()`` costs
several microseconds per message, which made the generator, not the server, the limit
of a fan-out run. So once the connection is open its transport is handed to
:class:`FrameReader`, which splits the server's frames (never masked, RFC 6455 §5.2)
in one pass per read and gives the ``Conn`` the lines with CRLFs, exactly as they
arrive over TCP, so every scenario and its byte counting run unchanged.

What this module does not do: measure anything itself, or speak the binary subprotocol.
"""

from __future__ import annotations

import asyncio
import struct
from collections import deque
from collections.abc import Sequence
from typing import Any

import aiohttp

from chinwag.bench.conn import COUNT, Conn

SUBPROTOCOL = "text.ircv3.net"
# Bytes queued for sending before the Conn is told to pause (its drain() then waits).
HIGH_WATER = 64 * 1024
LOW_WATER = 16 * 1024


class FrameReader(asyncio.Protocol):
    """Receives for one WebSocket after the handshake: data frames become CRLF lines."""

    def __init__(self, conn: Conn, transport: WsTransport, replaced: asyncio.BaseProtocol) -> None:
        self.conn = conn
        self.ws_transport = transport
        self.replaced = replaced  # aiohttp's: it still has to hear that the socket closed
        self.buf = b""

    def data_received(self, data: bytes) -> None:
        conn = self.conn
        if conn.mode == COUNT and b"PING" not in data:
            # Counting receivers only count the marker, which sits whole inside one
            # frame's payload: count it in the raw bytes, carrying a marker's length
            # minus one across reads. (COUNT is a Conn's last mode: frames are not
            # followed any more from here on.)
            text = self.buf + data
            conn._last = data
            keep = len(conn.marker) - 1
            self.buf = text[-keep:] if keep > 0 else b""
            n = text.count(conn.marker)
            if n:
                conn._add(n)
            return
        buf = self.buf + data if self.buf else data
        n = len(buf)
        i = 0
        lines: list[bytes] = []
        while n - i >= 2:
            size = buf[i + 1] & 0x7F
            head = 2
            if size == 126:
                if n - i < 4:
                    break
                size, head = (buf[i + 2] << 8) | buf[i + 3], 4
            elif size == 127:
                if n - i < 10:
                    break
                size, head = int.from_bytes(buf[i + 2 : i + 10], "big"), 10
            end = i + head + size
            if end > n:
                break
            if buf[i] & 0x0F in (0x1, 0x2):  # text or binary: one IRC line
                lines.append(buf[i + head : end])
            i = end
        self.buf = buf[i:]
        if lines:
            lines.append(b"")
            self.conn.data_received(b"\r\n".join(lines))

    def pause_writing(self) -> None:
        self.conn.pause_writing()

    def resume_writing(self) -> None:
        self.conn.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self.ws_transport.lost(exc)
        self.replaced.connection_lost(exc)


class WsTransport:
    """One WebSocket under one Conn: a writer task sends queued lines, a reader task
    feeds received messages in."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, conn: Conn) -> None:
        self.ws = ws
        self.conn = conn
        self.out: deque[bytes] = deque()
        self.queued = 0
        self.paused = False
        self.closing = False
        self.wake = asyncio.Event()
        self.gone = False
        self.writer = asyncio.ensure_future(self._write_loop())
        # aiohttp offers no public handle on the connection's transport; its writer has it.
        self.raw: asyncio.Transport = ws._writer.transport
        self.raw.set_protocol(FrameReader(conn, self, self.raw.get_protocol()))

    # -- the transport face Conn uses ---------------------------------------------------

    def write(self, data: bytes) -> None:
        if self.closing:
            return
        for line in data.split(b"\r\n"):
            if line:
                self.out.append(line)
                self.queued += len(line)
        self.wake.set()
        if self.queued > HIGH_WATER and not self.paused:
            self.paused = True
            self.conn.pause_writing()

    def close(self) -> None:
        self.closing = True  # the writer sends what is queued (the QUIT), then closes
        self.wake.set()

    def abort(self) -> None:
        self.closing = True
        self.writer.cancel()
        self.raw.abort()

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    # -- tasks --------------------------------------------------------------------------

    async def _write_loop(self) -> None:
        ws = self.ws
        try:
            while True:
                await self.wake.wait()
                self.wake.clear()
                while self.out:
                    line = self.out.popleft()
                    self.queued -= len(line)
                    await ws.send_str(line.decode("utf-8", "replace"))
                    if self.paused and self.queued < LOW_WATER:
                        self.paused = False
                        self.conn.resume_writing()
                if self.closing:
                    # A close frame, then the socket: the server's answer is not awaited
                    # (aiohttp no longer reads this connection).
                    await ws.send_frame(struct.pack("!H", 1000), aiohttp.WSMsgType.CLOSE)
                    self.raw.close()
                    return
        except (ConnectionError, aiohttp.ClientError):
            self.raw.abort()

    def lost(self, exc: Exception | None) -> None:
        if self.gone:
            return
        self.gone = True
        self.closing = True
        self.writer.cancel()
        self.conn.connection_lost(exc)


class WsConnector:
    """The aiohttp sessions the WebSocket clients of one run share: one per source
    address, so that connections spread over 127.0.0.x as the TCP ones do (a server's
    per-address connection limit applies to WebSockets too)."""

    def __init__(self, url: str, sources: Sequence[str | None] = (None,)) -> None:
        self.url = url
        self.sources = list(sources) or [None]
        self.sessions: dict[str | None, aiohttp.ClientSession] = {}

    def _session(self, source: str | None) -> aiohttp.ClientSession:
        session = self.sessions.get(source)
        if session is None:
            connector = aiohttp.TCPConnector(
                limit=0, force_close=True, local_addr=(source, 0) if source else None
            )
            session = self.sessions[source] = aiohttp.ClientSession(connector=connector)
        return session

    async def connect(self, conn: Conn, index: int) -> None:
        session = self._session(self.sources[index % len(self.sources)])
        ws = await session.ws_connect(
            self.url,
            protocols=(SUBPROTOCOL,),
            compress=0,
            max_msg_size=0,
            timeout=aiohttp.ClientWSTimeout(ws_close=2.0),
            autoping=True,
        )
        conn.connection_made(WsTransport(ws, conn))  # type: ignore[arg-type]

    async def close(self) -> None:
        for session in self.sessions.values():
            await session.close()
        self.sessions.clear()
