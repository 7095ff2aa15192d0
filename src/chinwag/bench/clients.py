"""What every benchmark scenario stands on: the target, opening and closing clients.

:class:`Target` says where and how to connect; :func:`open_clients` connects and
registers many clients (TCP, TLS or WebSocket, SASL if asked), :func:`oper_up` and
:func:`join_all` prepare them, :func:`close_all` ends them. The scenarios themselves are
in :mod:`chinwag.bench.channel`, :mod:`chinwag.bench.dm` and :mod:`chinwag.bench.connect`.

What this module does not do: measure anything, or decide whether a number is good.
"""

from __future__ import annotations

import asyncio
import random
import socket
import ssl
import string
from collections import Counter
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chinwag.bench.conn import Conn
from chinwag.bench.sasl import SaslLogin
from chinwag.bench.ws import WsConnector

Result = dict[str, Any]

_JOINED = frozenset({b"366"})
_JOIN_FAIL = frozenset({b"403", b"405", b"471", b"473", b"474", b"475", b"476", b"477"})
_OPERED = frozenset({b"381"})
_OPER_FAIL = frozenset({b"464", b"491", b"481"})
_PONG = frozenset({b"PONG"})
_DIGITS = string.digits + string.ascii_lowercase
# Connections opened at once while setting a scenario up. Some servers listen with a
# tiny backlog (ngircd: 10, miniircd: 5); more in flight overflows it and the kernel's
# SYN retries (1 s, 3 s, ...) would dominate the set-up time.
SETUP_CONCURRENCY = 10


@dataclass
class Target:
    """Where and how to connect, shared by every scenario."""

    host: str
    port: int
    address: str
    family: int = socket.AF_INET
    sources: Sequence[str | None] = (None,)
    password: str | None = None
    oper: tuple[str, str] | None = None
    umodes: str | None = None
    sasl: tuple[str, str, str] | None = None  # (plain|scram, account, password)
    server_pid: int | None = None
    # Connect over IRC-over-WebSocket instead of TCP (see chinwag.bench.ws).
    websocket: WsConnector | None = None
    tls: ssl.SSLContext | None = None  # connect over TLS with this client context
    deadline: float = 0.0  # loop.time() by which the whole scenario must be over
    run_id: str = field(
        default_factory=lambda: "".join(random.choices("bcdfghjklmnpqrstvwxz", k=3))
    )

    def remaining(self) -> float:
        return max(0.0, self.deadline - asyncio.get_running_loop().time())


def _base36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _DIGITS[r] + out
        if n == 0:
            return out


def _nick(target: Target, role: str, index: int) -> str:
    # Short enough for servers that keep RFC 2812's nine characters.
    return f"{target.run_id}{role}{_base36(index)}"


def _error_name(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timeout"
    text = str(exc)
    return f"{type(exc).__name__}: {text[:80]}" if text else type(exc).__name__


async def _registered(conn: Conn, target: Target) -> Conn:
    try:
        await asyncio.wait_for(asyncio.shield(conn.registered), target.remaining())
    except BaseException:
        conn.abort()
        raise
    return conn


async def open_clients(
    target: Target, count: int, role: str, concurrency: int
) -> tuple[list[Conn], Counter[str]]:
    """Connect and register ``count`` clients, at most ``concurrency`` at a time.

    Returns the registered clients (in index order) and a count of failure reasons.
    """
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(max(1, concurrency))
    sources = list(target.sources) or [None]

    async def one(i: int) -> Conn:
        async with gate:
            login = SaslLogin(*target.sasl) if target.sasl is not None else None
            conn = Conn(_nick(target, role, i), target.password, login)
            if target.websocket is not None:
                await asyncio.wait_for(target.websocket.connect(conn, i), target.remaining())
                return await _registered(conn, target)
            source = sources[i % len(sources)]
            # A socket made by hand: create_connection(host, local_addr=...) would resolve
            # both addresses through getaddrinfo every time.
            sock = socket.socket(target.family, socket.SOCK_STREAM)
            try:
                sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if source:
                    sock.bind((source, 0))
                await asyncio.wait_for(
                    loop.sock_connect(sock, (target.address, target.port)), target.remaining()
                )
                await loop.create_connection(
                    lambda: conn,
                    sock=sock,
                    ssl=target.tls,
                    server_hostname=target.host if target.tls else None,
                    ssl_handshake_timeout=max(1.0, target.remaining()) if target.tls else None,
                )
            except BaseException:
                sock.close()
                raise
            return await _registered(conn, target)

    results = await asyncio.gather(*(one(i) for i in range(count)), return_exceptions=True)
    conns: list[Conn] = []
    errors: Counter[str] = Counter()
    for r in results:
        if isinstance(r, BaseException):
            errors[_error_name(r)] += 1
        else:
            conns.append(r)
    return conns, errors


async def _bounded(aws: Sequence[Awaitable[Any]], target: Target) -> None:
    if aws:
        await asyncio.wait_for(asyncio.gather(*aws), target.remaining())


async def oper_up(target: Target, conns: Sequence[Conn]) -> None:
    """OPER and set user modes (ngircd's +F lifts its per-client throttling)."""
    if target.oper is None:
        return
    name, password = target.oper
    waits = []
    for c in conns:
        waits.append(c.expect(_OPERED, _OPER_FAIL))
        c.write(f"OPER {name} {password}\r\n".encode())
    await _bounded(waits, target)
    if target.umodes:
        waits = []
        for c in conns:
            # MODE replies differ between servers; a PING after it proves it was handled.
            waits.append(c.expect(_PONG))
            c.write(f"MODE {c.nick} {target.umodes}\r\nPING :modes\r\n".encode())
        await _bounded(waits, target)


async def join_all(target: Target, conns: Sequence[Conn], channel: str) -> None:
    waits = []
    for c in conns:
        waits.append(c.expect(_JOINED, _JOIN_FAIL))
        c.write(f"JOIN {channel}\r\n".encode())
    await _bounded(waits, target)


async def close_all(conns: Sequence[Conn], grace: float = 5.0) -> None:
    """QUIT every client, give the server ``grace`` seconds to close them, then abort."""
    loop = asyncio.get_running_loop()
    for c in conns:
        c.close()
    end = loop.time() + grace
    while loop.time() < end and any(not c.closed for c in conns):
        await asyncio.sleep(0.05)
    for c in conns:
        c.abort()


def _base_result(scenario: str, target: Target) -> Result:
    return {
        "scenario": scenario,
        "target": f"{target.host}:{target.port}",
        "tls": target.tls is not None,
        "ok": False,
        "error": None,
    }


def _channel(target: Target) -> str:
    return f"#bench{target.run_id}"


def _message_template(channel: str, size: int) -> bytes:
    # "<send time ns> <sender> <seq> xxxx..." padded to about ``size`` bytes of text.
    pad = max(1, size - 32)
    return f"PRIVMSG {channel} :%d %d %d {'x' * pad}\r\n".encode()
