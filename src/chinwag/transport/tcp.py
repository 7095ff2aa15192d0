"""Plain TCP: an asyncio Protocol per connection, feeding the sans-I/O core.

The TLS variant, :class:`chinwag.transport.tls.TLSProtocol`, builds on this one.
"""

from __future__ import annotations

import asyncio
from typing import cast

from chinwag.server.core import Server
from chinwag.server.state import User


class IRCProtocol(asyncio.Protocol):
    """One connection. It is the core's :class:`~chinwag.server.state.Link` for that user."""

    __slots__ = ("core", "live", "transport", "user")

    def __init__(self, core: Server, live: set[IRCProtocol]) -> None:
        self.core = core
        self.live = live  # open connections, so shutdown can wait for them to drain
        self.transport: asyncio.Transport | None = None
        self.user: User | None = None

    def _attach(self, transport: asyncio.BaseTransport) -> None:
        """Take the transport: write marks for backpressure, and count it as open."""
        self.transport = cast(asyncio.Transport, transport)
        # resume_writing (below) comes when the unsent bytes fall to half the mark.
        mark = self.core.limits.backpressure_bytes
        self.transport.set_write_buffer_limits(high=mark, low=mark // 2)
        self.live.add(self)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._connect(transport)

    def _connect(
        self, transport: asyncio.BaseTransport, *, secure: bool = False, certfp: str | None = None
    ) -> None:
        """Take the transport and connect the user to the core."""
        self._attach(transport)
        peer = transport.get_extra_info("peername") or ("?", 0)
        local = transport.get_extra_info("sockname") or ("", 0)
        self.user = self.core.connect(
            self, str(peer[0]), int(peer[1]), local_host=str(local[0]), secure=secure, certfp=certfp
        )

    def data_received(self, data: bytes) -> None:
        user = self.user
        if user is not None:
            self.core.receive(user, data)

    def resume_writing(self) -> None:
        user = self.user
        if user is not None and user in self.core.backlog:
            self.core.drained(user)

    def eof_received(self) -> bool | None:
        return None  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.live.discard(self)
        user = self.user
        if user is not None and not user.closed:
            reason = "Connection closed" if exc is None else f"Read error: {exc.__class__.__name__}"
            self.core.connection_lost(user, reason)
        self.user = None
        self.transport = None

    # -- Link --------------------------------------------------------------------------

    def write(self, data: bytes) -> int:
        transport = self.transport
        if transport is None or transport.is_closing():
            return 0
        transport.write(data)
        return transport.get_write_buffer_size()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def buffered(self) -> int:
        if self.transport is None:
            return 0
        return self.transport.get_write_buffer_size()

    def pause_reading(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()
            asyncio.get_running_loop().call_soon(self._read_queued)

    def _read_queued(self) -> None:
        """What was read before the pause, now that the core takes it again."""
        user = self.user
        if user is not None and user.inbuf and not user.paused:
            self.core.receive(user, b"")
