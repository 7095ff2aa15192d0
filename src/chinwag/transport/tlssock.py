"""TLS with OpenSSL on the socket itself: :class:`TLSListener` accepts connections and
gives each a :class:`TLSTransport`, an asyncio transport for its protocol.

Why not the event loop's own TLS (``create_server(ssl=...)``), or ``ssl.MemoryBIO``
pairs under a plain transport (what chinwag did before): each keeps buffers per
connection that an idle IRC connection does not need. uvloop's TLS keeps a 256 KiB read
buffer, asyncio's a 256 KiB bytearray, and a memory BIO never gives its buffer back: a
connection kept, for as long as it lived, room for the largest handshake flight or burst
it ever carried. Here OpenSSL reads and writes the non-blocking socket itself and frees
its record buffers whenever they are empty (Python's ssl sets
``SSL_MODE_RELEASE_BUFFERS``), so an idle connection holds only OpenSSL's session state
(docs/benchmarks.md, "Memory per idle TLS connection").

The protocol hears ``connection_made`` once the handshake is done, as with asyncio's
TLS; a handshake that fails or does not finish within the timeout closes the socket
without the protocol hearing of it. Writes go straight to OpenSSL and the socket; what
the socket cannot take waits here (``get_write_buffer_size``), with the usual
``pause_writing``/``resume_writing`` marks.

What it does not do: TLS clients (the client uses asyncio's), ``write_eof``, or any
socket other than TCP.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import ssl
from collections.abc import Callable
from typing import Any

log = logging.getLogger("chinwag.server")

RECORD = 16384  # plain text of one TLS record: what one read can return
READS_PER_WAKE = 16  # records read per readable event before other connections get a turn
ACCEPT_BATCH = 64  # connections accepted per readable event of a listening socket
ACCEPT_PAUSE = 1.0  # seconds without accepting after running out of file descriptors
DEFAULT_HIGH_WATER = 64 * 1024  # asyncio's default write mark
DRAIN_READS = 16  # reads of 64 KiB at most of what a closing connection's peer still sent

_OUT_OF_RESOURCES = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


class TLSTransport(asyncio.Transport):
    """One server-side TLS connection over a non-blocking :class:`ssl.SSLSocket`."""

    __slots__ = (
        "_closing",
        "_handshaking",
        "_high",
        "_inflight",
        "_loop",
        "_low",
        "_protocol",
        "_queue",
        "_queued",
        "_read_blocked",
        "_reader",
        "_reading",
        "_sock",
        "_started",
        "_timer",
        "_writer",
        "_writing_paused",
    )

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sock: ssl.SSLSocket,
        protocol: asyncio.Protocol,
        handshake_timeout: float,
        handshaking: set[TLSTransport],
    ) -> None:
        # No BaseTransport.__init__: its ``_extra`` dict is not used (get_extra_info below).
        self._loop = loop
        self._sock: ssl.SSLSocket | None = sock
        self._protocol = protocol
        self._handshaking = handshaking  # the listener's, until the handshake ends
        self._started = False  # handshake done, protocol told
        self._closing = False
        self._reading = True  # the protocol has not paused reading
        self._reader = False  # registered with the loop
        self._writer = False
        self._read_blocked = False  # a read needs the socket writable (TLS 1.3 KeyUpdate)
        # What the socket did not take: ``_inflight`` must be handed to OpenSSL again as it
        # is (it holds part of it encrypted); ``_queue`` came after it.
        self._inflight: bytes | None = None
        self._queue: list[bytes] | None = None
        self._queued = 0  # bytes in _inflight and _queue
        self._high = DEFAULT_HIGH_WATER
        self._low = DEFAULT_HIGH_WATER // 4
        self._writing_paused = False
        handshaking.add(self)
        self._timer: asyncio.TimerHandle | None = loop.call_later(
            handshake_timeout, self._handshake_timed_out
        )
        self._set_reader(True)

    # -- the loop's callbacks ------------------------------------------------------------

    def _set_reader(self, on: bool) -> None:
        if on != self._reader and self._sock is not None:
            self._reader = on
            if on:
                self._loop.add_reader(self._sock.fileno(), self._on_readable)
            else:
                self._loop.remove_reader(self._sock.fileno())

    def _set_writer(self, on: bool) -> None:
        if on != self._writer and self._sock is not None:
            self._writer = on
            if on:
                self._loop.add_writer(self._sock.fileno(), self._on_writable)
            else:
                self._loop.remove_writer(self._sock.fileno())

    def _on_readable(self) -> None:
        if self._started:
            self._read()
        else:
            self._handshake()

    def _on_writable(self) -> None:
        if not self._started:
            self._handshake()
            return
        if self._read_blocked:
            self._read()
        self._flush()

    def _handshake_timed_out(self) -> None:
        self._timer = None
        if not self._started:
            self._shut(None)

    def _handshake(self) -> None:
        sock = self._sock
        if sock is None:
            return
        try:
            sock.do_handshake()
        except ssl.SSLWantReadError:
            self._set_writer(False)
            return
        except ssl.SSLWantWriteError:
            self._set_writer(True)
            return
        except (ssl.SSLError, OSError, ValueError):  # not TLS, an old version, gone
            self._shut(None)
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._handshaking.discard(self)
        self._started = True
        self._set_writer(False)
        self._protocol.connection_made(self)
        self._read()  # what came with the client's last handshake flight

    def _read(self) -> None:
        self._read_blocked = False
        try:
            for _ in range(READS_PER_WAKE):
                sock = self._sock
                if sock is None or self._closing or not self._reading:
                    return
                data = sock.recv(RECORD)
                if not data:  # close_notify, or the peer closed TCP
                    self._set_reader(False)
                    if not self._protocol.eof_received():
                        self.close()
                    return
                self._protocol.data_received(data)
            sock = self._sock
            if sock is not None and sock.pending():
                self._loop.call_soon(self._read)
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLWantWriteError:
            self._read_blocked = True
            self._set_writer(True)
        except (ssl.SSLError, OSError, ValueError) as exc:
            self._shut(exc)

    # -- writing -------------------------------------------------------------------------

    def write(self, data: bytes | bytearray | memoryview) -> None:
        sock = self._sock
        if sock is None or self._closing or not data:
            return
        if self._inflight is None:  # the usual case: straight to OpenSSL and the socket
            try:
                sock.write(data)
                return
            except ssl.SSLWantWriteError:
                self._inflight = bytes(data)  # partly encrypted: OpenSSL wants it again
                self._queued += len(data)
                self._set_writer(True)
            except (ssl.SSLError, OSError, ValueError) as exc:
                self._shut(exc)
                return
        else:
            if self._queue is None:
                self._queue = []
            self._queue.append(bytes(data))
            self._queued += len(data)
        self._check_high()

    def _flush(self) -> None:
        """Hand OpenSSL what waits until the socket takes no more, then finish a close."""
        sock = self._sock
        if sock is None:
            return
        while self._inflight is not None:
            try:
                sock.write(self._inflight)
            except ssl.SSLWantWriteError:
                self._set_writer(True)
                return
            except (ssl.SSLError, OSError, ValueError) as exc:
                self._shut(exc)
                return
            self._queued -= len(self._inflight)
            queue, self._queue = self._queue, None
            self._inflight = b"".join(queue) if queue else None
        self._set_writer(self._read_blocked)
        if self._writing_paused and self._queued <= self._low:
            self._writing_paused = False
            self._protocol.resume_writing()
        if self._closing and self._inflight is None:
            self._shut(None, notify=True)

    def _check_high(self) -> None:
        if not self._writing_paused and self._queued > self._high and self._sock is not None:
            self._writing_paused = True
            self._protocol.pause_writing()

    def get_write_buffer_size(self) -> int:
        return self._queued

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._low, self._high

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        if high is None:
            high = DEFAULT_HIGH_WATER if low is None else 4 * low
        if low is None:
            low = high // 4
        if not high >= low >= 0:
            raise ValueError(f"high ({high!r}) must be >= low ({low!r}) must be >= 0")
        self._high, self._low = high, low
        self._check_high()

    def can_write_eof(self) -> bool:
        return False

    def write_eof(self) -> None:
        raise NotImplementedError("TLS connections cannot half-close")

    # -- reading -------------------------------------------------------------------------

    def is_reading(self) -> bool:
        return self._reading and self._sock is not None and not self._closing

    def pause_reading(self) -> None:
        if self._reading:
            self._reading = False
            if self._started:
                self._set_reader(False)

    def resume_reading(self) -> None:
        if self._reading or self._sock is None or self._closing:
            return
        self._reading = True
        if self._started:
            self._set_reader(True)
            self._loop.call_soon(self._read)  # records OpenSSL read before the pause

    # -- closing -------------------------------------------------------------------------

    def is_closing(self) -> bool:
        return self._closing or self._sock is None

    def close(self) -> None:
        """Send what is queued, then close_notify, then close the socket."""
        if self._sock is None or self._closing:
            return
        self._closing = True
        self._set_reader(False)
        if self._inflight is None:
            self._shut(None, notify=True)

    def abort(self) -> None:
        self._shut(None)

    def _shut(self, exc: Exception | None, *, notify: bool = False) -> None:
        """Close the socket now (after close_notify if ``notify``); the protocol, if it
        was told of the connection, hears ``connection_lost`` on the next loop turn."""
        sock = self._sock
        if sock is None:
            return
        self._set_reader(False)
        self._set_writer(False)
        self._sock = None
        self._closing = True
        self._inflight = self._queue = None
        self._queued = 0
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._handshaking.discard(self)
        if notify:
            with contextlib.suppress(ssl.SSLError, OSError, ValueError):
                sock.unwrap()  # sends close_notify; the peer's is not waited for
        # Bytes left unread make close() reset the connection, and a reset can destroy
        # what the peer has not yet read of ours (the ERROR line): read them, as they are.
        with contextlib.suppress(OSError):
            for _ in range(DRAIN_READS):
                if not socket.socket.recv(sock, 65536):
                    break
        sock.close()
        if self._started:
            self._loop.call_soon(self._protocol.connection_lost, exc)

    # -- the rest of asyncio.Transport ------------------------------------------------------

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        sock = self._sock
        if sock is None:
            return default
        try:
            if name == "peername":
                return sock.getpeername()
            if name == "sockname":
                return sock.getsockname()
        except OSError:
            return default
        if name in ("socket", "ssl_object"):
            return sock
        if name == "peercert":
            return sock.getpeercert()
        return default

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        assert isinstance(protocol, asyncio.Protocol)
        self._protocol = protocol

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._protocol


class TLSListener:
    """Listening sockets whose connections become :class:`TLSTransport`\\ s, each with a
    protocol from ``factory``. ``close()`` stops accepting and drops the connections
    still in their handshake; established ones live on (as with asyncio's servers)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sockets: list[socket.socket],
        context: ssl.SSLContext,
        factory: Callable[[], asyncio.Protocol],
        handshake_timeout: float,
    ) -> None:
        self._loop = loop
        self.sockets = sockets
        self._context = context
        self._factory = factory
        self._timeout = handshake_timeout
        self._handshaking: set[TLSTransport] = set()
        for sock in sockets:
            sock.setblocking(False)
            loop.add_reader(sock.fileno(), self._accept, sock)

    @classmethod
    async def bind(
        cls,
        host: str | None,
        port: int,
        context: ssl.SSLContext,
        factory: Callable[[], asyncio.Protocol],
        handshake_timeout: float,
        backlog: int = 4096,
    ) -> TLSListener:
        """Listen on every address ``host`` resolves to (all of this machine's when
        None), with SO_REUSEADDR, as ``loop.create_server`` does. Raises OSError."""
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        sockets: list[socket.socket] = []
        try:
            for family, kind, proto, _name, address in dict.fromkeys(infos):
                sock = socket.socket(family, kind, proto)
                sockets.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind(address)
                sock.listen(backlog)
        except BaseException:
            for sock in sockets:
                sock.close()
            raise
        return cls(loop, sockets, context, factory, handshake_timeout)

    def _accept(self, listening: socket.socket) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                sock, _address = listening.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in _OUT_OF_RESOURCES:
                    log.warning("cannot accept TLS connections for now: %s", exc)
                    self._loop.remove_reader(listening.fileno())
                    self._loop.call_later(ACCEPT_PAUSE, self._resume, listening)
                    return
                continue  # this one went away before we took it
            self._start(sock)

    def _resume(self, listening: socket.socket) -> None:
        if listening in self.sockets:
            self._loop.add_reader(listening.fileno(), self._accept, listening)

    def _start(self, sock: socket.socket) -> None:
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            tls = self._context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        except (OSError, ssl.SSLError):
            sock.close()
            return
        TLSTransport(self._loop, tls, self._factory(), self._timeout, self._handshaking)

    def close(self) -> None:
        for sock in self.sockets:
            self._loop.remove_reader(sock.fileno())
            sock.close()
        self.sockets = []
        for transport in list(self._handshaking):
            transport.abort()
