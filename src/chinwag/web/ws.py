"""IRC over WebSocket at ``/ws``, as the IRCv3 WebSocket spec describes.

A browser (or any web IRC client) opens a WebSocket with the ``text.ircv3.net`` or
``binary.ircv3.net`` subprotocol; no subprotocol means text. Each WebSocket message is
one IRC line without CR/LF, both ways: text frames carry UTF-8, binary frames raw bytes.

Each connection is a :class:`~chinwag.server.state.Link` of the server core, exactly as
a TCP connection is, so every limit applies the same way: connections per IP
(``Server.connect``), line length (an over-long line earns 417 and the connection
lives), flood control and the receive queue (``Server.receive``), and the send queue:
lines go straight into the connection's transport buffer, one ``write`` per event-loop
turn, and a client whose buffer passes ``limits.sendq_bytes`` is cut off without anyone
else waiting for it.

aiohttp does the handshake, reads frames, answers pings and closes. Outgoing data
frames are built here (a 2-10 byte header, never masked from a server, RFC 6455 §5.2)
so that the core's synchronous flush can write them without an ``await`` per line.

The ``Origin`` header is checked before the upgrade: the page's own origin, or one
listed in ``web.allowed_origins``; a request without one (a non-browser client) is let
through, as it proves nothing either way.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from typing import cast
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from chinwag.proto.limits import MAX_INPUT_LINE
from chinwag.server.core import Server
from chinwag.server.state import User
from chinwag.web.app import CONTEXT

log = logging.getLogger("chinwag.web")

PATH = "/ws"
TEXT = "text.ircv3.net"
BINARY = "binary.ircv3.net"
SUBPROTOCOLS = (TEXT, BINARY)
# A message longer than any line we would take (tags + body, twice over) closes the
# connection (1009); one merely over the line limit gets 417, as on TCP.
MAX_MESSAGE_BYTES = 2 * MAX_INPUT_LINE
# A closing link with more than this still unsent is dropped at once (it stopped
# reading); less is flushed first, so the ERROR line saying why gets there.
ABORT_BUFFERED = 64 * 1024
CLOSE_NORMAL = 1000

_OP_TEXT = 0x1
_OP_BINARY = 0x2
_OP_CLOSE = 0x8
_FIN = 0x80


_pack16 = struct.Struct("!BBH").pack
_pack64 = struct.Struct("!BBQ").pack
# Frame headers, made once: per opcode, for every length under 126, and for each
# 16-bit length as it is first seen (IRC lines are 126..8703 bytes long at most).
_SHORT = {op: [bytes((_FIN | op, n)) for n in range(126)] for op in (_OP_TEXT, _OP_BINARY)}
_MEDIUM: dict[int, dict[int, bytes]] = {_OP_TEXT: {}, _OP_BINARY: {}}


def header(opcode: int, n: int) -> bytes:
    """The header of one unmasked, final frame of ``n`` payload bytes (RFC 6455 §5.2)."""
    if n < 126:
        short = _SHORT.get(opcode)
        return short[n] if short is not None else bytes((_FIN | opcode, n))
    if n < 1 << 16:
        cache = _MEDIUM.get(opcode)
        if cache is None:
            return _pack16(_FIN | opcode, 126, n)
        head = cache.get(n)
        if head is None:
            head = cache[n] = _pack16(_FIN | opcode, 126, n)
        return head
    return _pack64(_FIN | opcode, 127, n)


def frame(opcode: int, payload: bytes) -> bytes:
    return header(opcode, len(payload)) + payload


# The last lines framed, per opcode: a channel message reaches every member with the
# same capabilities as the same bytes, so a fan-out frames them once, not per member.
_last: dict[int, tuple[bytes, bytes]] = {}


def frames(data: bytes, opcode: int) -> bytes:
    """The core's CRLF-ended lines as one frame per line, in one bytes object."""
    last = _last.get(opcode)
    if last is not None and last[0] == data:
        return last[1]
    out = _frames(data, opcode)
    _last[opcode] = (data, out)
    return out


def _frames(data: bytes, opcode: int) -> bytes:
    if opcode == _OP_TEXT:
        try:
            data.decode()
        except UnicodeDecodeError:  # text frames must be UTF-8: repair, never refuse
            data = data.decode("utf-8", "replace").encode()
    parts: list[bytes] = []
    add = parts.append
    for line in data.split(b"\r\n"):
        if line:
            add(header(opcode, len(line)))
            add(line)
    return b"".join(parts)


class WebSocketLink:
    """The core's view of one WebSocket connection (write / close / buffered)."""

    __slots__ = ("opcode", "readable", "transport")

    def __init__(self, transport: asyncio.Transport, binary: bool) -> None:
        self.transport: asyncio.Transport | None = transport
        self.opcode = _OP_BINARY if binary else _OP_TEXT
        # Cleared while backpressure holds this client: its next message waits (the
        # core's periodic check sees its recipients drain; aiohttp's buffers stay small).
        self.readable = asyncio.Event()
        self.readable.set()

    def write(self, data: bytes) -> int:
        transport = self.transport
        if transport is None or transport.is_closing():
            return 0
        transport.write(frames(data, self.opcode))
        return transport.get_write_buffer_size()

    def close(self) -> None:
        self.readable.set()  # a held reader that is cut off stops waiting
        transport, self.transport = self.transport, None
        if transport is None or transport.is_closing():
            return
        if transport.get_write_buffer_size() > ABORT_BUFFERED:
            transport.abort()
            return
        transport.write(frame(_OP_CLOSE, struct.pack("!H", CLOSE_NORMAL)))
        transport.close()

    def buffered(self) -> int:
        transport = self.transport
        return 0 if transport is None else transport.get_write_buffer_size()

    def pause_reading(self) -> None:
        self.readable.clear()

    def resume_reading(self) -> None:
        self.readable.set()


def origin_allowed(request: web.Request, allowed: tuple[str, ...]) -> bool:
    """The page's own origin, a configured one, or no Origin header at all."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    origin = origin.strip().rstrip("/").lower()
    if origin in (o.rstrip("/").lower() for o in allowed):
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False  # "null" (a sandboxed frame or a file) and anything odd
    return parts.netloc == request.host.lower() and parts.scheme == request.scheme


def line_of(data: bytes) -> bytes | None:
    """The line in one client message: a trailing CRLF is forgiven, one inside is not
    (one message is one line)."""
    if data.endswith(b"\n"):
        data = data[:-1]
    if data.endswith(b"\r"):
        data = data[:-1]
    if b"\n" in data or b"\r" in data:
        return None
    return data


async def irc_websocket(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    if not origin_allowed(request, ctx.config.web.allowed_origins):
        log.info(
            "refused a WebSocket from %s: origin %s", request.remote, request.headers["Origin"]
        )
        raise web.HTTPForbidden(text="This origin may not connect.\n")
    ws = web.WebSocketResponse(
        protocols=SUBPROTOCOLS, compress=False, max_msg_size=MAX_MESSAGE_BYTES, autoping=True
    )
    await ws.prepare(request)
    transport = cast(asyncio.Transport, request.transport)
    peer = transport.get_extra_info("peername") or ("?", 0)
    core: Server = ctx.core
    # The host the browser asked for (so upload URLs are of the page's own origin).
    local = request.url.host or (transport.get_extra_info("sockname") or ("",))[0]
    link = WebSocketLink(transport, ws.ws_protocol == BINARY)
    user = core.connect(
        link,
        str(peer[0]),
        int(peer[1]),
        local_host=str(local),
        secure=request.secure,  # wss:// on the HTTPS listener
    )
    if user is None:
        return ws
    reason = "Connection closed"
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                data = cast(str, msg.data).encode("utf-8", "surrogatepass")
            elif msg.type == WSMsgType.BINARY:
                data = cast(bytes, msg.data)
            else:
                if msg.type == WSMsgType.ERROR:
                    reason = f"Read error: {ws.exception().__class__.__name__}"
                break
            line = line_of(data)
            if line is not None:
                core.receive(user, line + b"\n")
            if user.closed:
                break
            if not link.readable.is_set():  # held by backpressure (a cut-off ends it too)
                await link.readable.wait()
        if ws.close_code not in (None, CLOSE_NORMAL, 1001, 1005):
            reason = f"Connection closed ({ws.close_code})"
    finally:
        gone(core, user, reason)
    return ws


def gone(core: Server, user: User, reason: str) -> None:
    if not user.closed:
        core.connection_lost(user, reason)


def setup(app: web.Application) -> None:
    app.router.add_get(PATH, irc_websocket)
