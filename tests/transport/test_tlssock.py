"""The TLS transport on real sockets on 127.0.0.1 (ephemeral ports), under both event
loops the server runs on: asyncio's and uvloop. The peer is asyncio's own TLS client."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
import uvloop

from chinwag.transport.tls import new_server_context
from chinwag.transport.tlssock import TLSListener, TLSTransport
from tests.support import TIMEOUT
from tests.tlsutil import self_signed_pair, unverified_context

LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "asyncio": asyncio.new_event_loop,
    "uvloop": uvloop.new_event_loop,
}


class Recorder(asyncio.Protocol):
    """Writes ``greeting`` once connected, and records everything that happens."""

    def __init__(self, greeting: bytes = b"") -> None:
        self.greeting = greeting
        self.transport: TLSTransport | None = None
        self.events: list[str] = []
        self.data = bytearray()
        self.lost = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, TLSTransport)
        self.transport = transport
        self.events.append("made")
        if self.greeting:
            transport.write(self.greeting)

    def data_received(self, data: bytes) -> None:
        self.data += data

    def pause_writing(self) -> None:
        self.events.append("pause")

    def resume_writing(self) -> None:
        self.events.append("resume")

    def connection_lost(self, exc: Exception | None) -> None:
        self.events.append("lost")
        self.lost.set_result(exc)


class Served:
    def __init__(self, listener: TLSListener, protocols: list[Recorder]) -> None:
        self.listener = listener
        self.protocols = protocols
        self.port = listener.sockets[0].getsockname()[1]

    async def client(self, limit: int = 2**16) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", self.port, ssl=unverified_context(), limit=limit),
            TIMEOUT,
        )

    async def protocol(self) -> Recorder:
        while not self.protocols or self.protocols[0].transport is None:
            await asyncio.sleep(0.01)
        return self.protocols[0]


def run(
    loop_name: str,
    tmp_path: Path,
    body: Callable[[Served], Coroutine[Any, Any, None]],
    greeting: bytes = b"",
    handshake_timeout: float = TIMEOUT,
) -> None:
    cert, key, _ = self_signed_pair(tmp_path, "server")
    context = new_server_context()
    context.load_cert_chain(cert, key)

    async def main() -> None:
        protocols: list[Recorder] = []

        def factory() -> Recorder:
            protocols.append(Recorder(greeting))
            return protocols[-1]

        listener = await TLSListener.bind("127.0.0.1", 0, context, factory, handshake_timeout)
        try:
            await asyncio.wait_for(body(Served(listener, protocols)), 4 * TIMEOUT)
        finally:
            listener.close()

    with asyncio.Runner(loop_factory=LOOPS[loop_name]) as runner:
        runner.run(main())


@pytest.fixture(params=sorted(LOOPS))
def loop_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class TestTLSTransport:
    def test_talks_after_the_handshake_and_closes_on_close_notify(
        self, loop_name: str, tmp_path: Path
    ) -> None:
        async def body(served: Served) -> None:
            reader, writer = await served.client()
            assert await reader.readexactly(6) == b"hello\n"
            proto = await served.protocol()
            assert proto.transport is not None
            assert proto.transport.get_extra_info("peername") == writer.get_extra_info("sockname")
            tls = proto.transport.get_extra_info("ssl_object")
            assert tls.version() in ("TLSv1.2", "TLSv1.3")
            writer.write(b"PING :x\r\n")
            while bytes(proto.data) != b"PING :x\r\n":
                await asyncio.sleep(0.01)
            writer.close()  # close_notify from asyncio's TLS
            assert await proto.lost is None
            assert proto.events == ["made", "lost"]

        run(loop_name, tmp_path, body, greeting=b"hello\n")

    def test_what_the_socket_cannot_take_waits_pauses_the_writer_and_is_sent_whole(
        self, loop_name: str, tmp_path: Path
    ) -> None:
        burst = bytes(range(256)) * 4096 * 8  # 8 MiB: more than any socket buffer holds

        async def body(served: Served) -> None:
            reader, writer = await served.client(limit=1024)  # asyncio stops reading early
            proto = await served.protocol()
            transport = proto.transport
            assert transport is not None
            while "pause" not in proto.events:
                await asyncio.sleep(0.01)
            assert transport.get_write_buffer_size() > 64 * 1024
            waiting = transport.get_write_buffer_size()
            transport.write(b"tail-1\n")  # behind what waits, in order
            transport.write(bytearray(b"tail-2\n"))
            assert transport.get_write_buffer_size() == waiting + 14
            assert await reader.readexactly(len(burst)) == burst
            assert await reader.readexactly(14) == b"tail-1\ntail-2\n"
            while "resume" not in proto.events:
                await asyncio.sleep(0.01)
            assert transport.get_write_buffer_size() == 0
            transport.write(b"after\n")
            assert await reader.readexactly(6) == b"after\n"
            writer.close()

        run(loop_name, tmp_path, body, greeting=burst)

    def test_close_sends_what_waits_then_close_notify(self, loop_name: str, tmp_path: Path) -> None:
        burst = b"x" * (4 * 1024 * 1024)

        def read_all(port: int) -> tuple[int, str]:
            """A blocking client (uvloop's own TLS client loses what it holds when
            close_notify comes while its reading is paused): bytes until a clean end."""
            raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
            with unverified_context().wrap_socket(raw) as tls:
                got = 0
                while chunk := tls.recv(65536):
                    got += len(chunk)
                return got, str(tls.version())

        async def body(served: Served) -> None:
            reading = asyncio.get_running_loop().run_in_executor(None, read_all, served.port)
            proto = await served.protocol()
            assert proto.transport is not None
            proto.transport.close()
            assert proto.transport.is_closing()
            assert await proto.lost is None
            got, version = await reading
            assert got == len(burst)  # everything, then close_notify (recv gave b"")
            assert version.startswith("TLS")

        run(loop_name, tmp_path, body, greeting=burst)

    def test_paused_reading_holds_the_peer_until_resumed(
        self, loop_name: str, tmp_path: Path
    ) -> None:
        async def body(served: Served) -> None:
            _reader, writer = await served.client()
            proto = await served.protocol()
            assert proto.transport is not None
            proto.transport.pause_reading()
            assert not proto.transport.is_reading()
            writer.write(b"held\r\n")
            await asyncio.sleep(0.3)
            assert proto.data == b""
            proto.transport.resume_reading()
            while bytes(proto.data) != b"held\r\n":
                await asyncio.sleep(0.01)
            writer.close()

        run(loop_name, tmp_path, body)

    def test_no_handshake_never_reaches_the_protocol(self, loop_name: str, tmp_path: Path) -> None:
        async def body(served: Served) -> None:
            loop = asyncio.get_running_loop()
            # Plain text: dropped cleanly (FIN, not a reset), the protocol never made.
            reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
            writer.write(b"NICK mallory\r\nUSER m 0 * :M\r\n")
            assert await asyncio.wait_for(reader.read(), TIMEOUT) == b""
            writer.close()
            # Silence: dropped at the handshake timeout.
            silent = socket.create_connection(("127.0.0.1", served.port))
            silent.setblocking(False)
            assert await asyncio.wait_for(loop.sock_recv(silent, 100), TIMEOUT) == b""
            silent.close()
            # Still in its handshake when the listener closes: dropped with it.
            late = socket.create_connection(("127.0.0.1", served.port))
            late.setblocking(False)
            await asyncio.sleep(0.05)
            served.listener.close()
            assert await asyncio.wait_for(loop.sock_recv(late, 100), TIMEOUT) == b""
            late.close()
            assert served.protocols and not any(p.events for p in served.protocols)

        run(loop_name, tmp_path, body, handshake_timeout=0.3)

    def test_a_peer_that_resets_is_lost_once(self, loop_name: str, tmp_path: Path) -> None:
        async def body(served: Served) -> None:
            _reader, writer = await served.client()
            proto = await served.protocol()
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()  # a reset, not a close
            exc = await proto.lost  # a reset, or an end without close_notify: both end it
            assert exc is None or isinstance(exc, ConnectionResetError)
            await asyncio.sleep(0.05)
            assert proto.events == ["made", "lost"]
            assert proto.transport is not None and proto.transport.is_closing()

        run(loop_name, tmp_path, body)
