"""The benchmark scenarios: fanout, paced, dm and connect.

Each scenario is a coroutine that takes a :class:`Target` and its own parameters and
returns one flat dict (the JSON line). Every wait is bounded by the scenario deadline;
a run that cannot finish in time still reports what it measured, with ``ok`` false.

What this module does not do: decide whether a number is good (no thresholds), or
retry anything (a failure is a result).
"""

from __future__ import annotations

import asyncio
import random
import socket
import ssl
import string
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chinwag.bench.conn import COUNT, DM, LINES, SAMPLE, Conn
from chinwag.bench.measure import CpuMeter, latency_summary, process_rss_bytes
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
# Seconds of the connect scenario's deadline kept for checking that clients are held.
_CHECK_RESERVE = 15.0


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


def _record_deliveries(
    result: Result, state: _Fanout, conns: Sequence[Conn], seconds: float
) -> tuple[int, float]:
    """The delivery counts of a channel scenario (fanout, paced); returns (delivered, elapsed)."""
    expected = sum(c.expected for c in conns)
    delivered = state.delivered()
    elapsed = max(seconds, 1e-9)
    result.update(
        deliveries=delivered,
        expected=expected,
        lost=expected - delivered,
        duplicates=state.extra(),
        lost_connections=state.lost_connections,
        lost_reasons=dict(state.lost_reasons),
        seconds=round(elapsed, 4),
        deliveries_per_s=round(delivered / elapsed, 1),
    )
    return delivered, elapsed


def _channel(target: Target) -> str:
    return f"#bench{target.run_id}"


def _message_template(channel: str, size: int) -> bytes:
    # "<send time ns> <sender> <seq> xxxx..." padded to about ``size`` bytes of text.
    pad = max(1, size - 32)
    return f"PRIVMSG {channel} :%d %d %d {'x' * pad}\r\n".encode()


class _Fanout:
    """Shared state of a channel fan-out: counting receivers, sampling, completion."""

    def __init__(self, conns: list[Conn], channel: str, sample: int, senders: int) -> None:
        self.conns = conns
        self.marker = f" PRIVMSG {channel} :".encode()
        self.remaining = 0
        self.finished = asyncio.Event()
        self.last_delivery = 0.0
        self.lost_connections = 0
        self.lost_reasons: Counter[str] = Counter()
        self.acked = [0] * senders
        self.ack_events = [asyncio.Event() for _ in range(senders)]
        receivers = conns[senders:] or conns
        self.samplers = receivers[-sample:] if sample > 0 else []

    def arm(self, expected: Callable[[int], int], watcher_acks: bool) -> None:
        for i, c in enumerate(self.conns):
            c.marker = self.marker
            c.expected = expected(i)
            c.count = 0
            c.done = c.expected == 0
            c.on_complete = self._complete
            c.on_lost = self._lost
            if not c.done:
                self.remaining += 1
        for c in self.samplers:
            c.mode = SAMPLE
        for c in self.conns:
            if c.mode == LINES:
                c.mode = COUNT
        if watcher_acks and self.samplers:
            self.samplers[-1].on_ack = self._ack
        if self.remaining == 0:
            self.finished.set()

    def _complete(self, conn: Conn) -> None:
        self.remaining -= 1
        if self.remaining == 0:
            self.last_delivery = time.monotonic()
            self.finished.set()

    def _lost(self, conn: Conn) -> None:
        self.lost_connections += 1
        self.lost_reasons[conn.close_reason[:100]] += 1
        if not conn.done:
            # It will never complete; do not keep the others waiting for it.
            conn.done = True
            self._complete(conn)

    def _ack(self, sender: int, seq: int) -> None:
        if 0 <= sender < len(self.acked) and seq + 1 > self.acked[sender]:
            self.acked[sender] = seq + 1
            self.ack_events[sender].set()

    def delivered(self) -> int:
        return sum(min(c.count, c.expected) for c in self.conns)

    def extra(self) -> int:
        return sum(max(0, c.count - c.expected) for c in self.conns)

    def latencies(self) -> list[int]:
        out: list[int] = []
        for c in self.samplers:
            out.extend(c.latencies)
        return out


async def _setup_channel(
    target: Target, clients: int, senders: int, result: Result
) -> tuple[list[Conn], str] | None:
    conns, errors = await open_clients(target, clients, "f", SETUP_CONCURRENCY)
    if errors:
        result["error"] = f"registration failed: {dict(errors)}"
        await close_all(conns)
        return None
    channel = _channel(target)
    try:
        await oper_up(target, conns[:senders])
        await join_all(target, conns, channel)
    except Exception as exc:
        result["error"] = f"setup failed: {_error_name(exc)}"
        await close_all(conns)
        return None
    return conns, channel


async def fanout(
    target: Target,
    clients: int,
    senders: int,
    messages: int,
    size: int,
    sample: int,
    window: int,
    batch: int = 32,
) -> Result:
    """C clients in one channel; S of them send M messages each as fast as allowed."""
    result = _base_result("fanout", target)
    result.update(clients=clients, senders=senders, messages=messages, size=size, window=window)
    setup = await _setup_channel(target, clients, senders, result)
    if setup is None:
        return result
    conns, channel = setup
    state = _Fanout(conns, channel, sample, senders)
    per_sender = messages
    state.arm(lambda i: per_sender * (senders - 1 if i < senders else senders), window > 0)
    template = _message_template(channel, size)
    meter = CpuMeter(target.server_pid)

    async def send(index: int, conn: Conn) -> None:
        sent = 0
        event = state.ack_events[index]
        while sent < per_sender and not conn.closed:
            n = min(batch, per_sender - sent)
            if window > 0:
                while sent - state.acked[index] >= window and not conn.closed:
                    event.clear()
                    await event.wait()
                n = min(n, window - (sent - state.acked[index]))
            ts = time.monotonic_ns()
            conn.write(b"".join(template % (ts, index, sent + k) for k in range(n)))
            sent += n
            await conn.drain()
            await asyncio.sleep(0)

    meter.start()
    t0 = time.monotonic()
    tasks = [asyncio.ensure_future(send(i, c)) for i, c in enumerate(conns[:senders])]
    try:
        await asyncio.wait_for(state.finished.wait(), target.remaining())
    except TimeoutError:
        result["error"] = "deadline reached before every delivery arrived"
    t_end = state.last_delivery if state.finished.is_set() else time.monotonic()
    meter.stop()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    delivered, elapsed = _record_deliveries(result, state, conns, t_end - t0)
    result.update(messages_per_s=round(delivered / elapsed / max(1, clients - 1), 1))
    result.update(latency_summary(state.latencies(), "latency"))
    result.update(meter.report(elapsed))
    finish_channel(result, state)
    await close_all(conns)
    return result


async def paced(
    target: Target,
    clients: int,
    senders: int,
    rate: float,
    duration: float,
    size: int,
    sample: int,
) -> Result:
    """Like fanout, but the senders together send ``rate`` messages a second."""
    result = _base_result("paced", target)
    total = max(1, int(rate * duration))
    result.update(
        clients=clients,
        senders=senders,
        rate=rate,
        duration=duration,
        size=size,
        messages=total,
    )
    setup = await _setup_channel(target, clients, senders, result)
    if setup is None:
        return result
    conns, channel = setup
    await paced_phase(target, conns, channel, senders, sample, rate, total, size, result)
    await close_all(conns)
    return result


async def paced_phase(
    target: Target,
    conns: list[Conn],
    channel: str,
    senders: int,
    sample: int,
    rate: float,
    total: int,
    size: int,
    result: Result,
) -> None:
    """The measured part of a paced scenario (paced, lobby): ``total`` messages from the
    first ``senders`` of ``conns`` at ``rate``; ``sample`` receivers time them."""
    state = _Fanout(conns, channel, sample, senders)
    per_sender = [total // senders + (1 if s < total % senders else 0) for s in range(senders)]
    state.arm(lambda i: total - (per_sender[i] if i < senders else 0), False)
    meter = CpuMeter(target.server_pid)
    meter.start()
    t0 = time.monotonic()
    k, send_seconds = await paced_send(
        target, conns[:senders], _message_template(channel, size), rate, total
    )
    try:
        await asyncio.wait_for(state.finished.wait(), target.remaining())
    except TimeoutError:
        result["error"] = "deadline reached before every delivery arrived"
    t_end = state.last_delivery if state.finished.is_set() else time.monotonic()
    meter.stop()
    result.update(sent=k, achieved_rate=round(k / max(send_seconds, 1e-9), 1))
    _, elapsed = _record_deliveries(result, state, conns, t_end - t0)
    result.update(latency_summary(state.latencies(), "latency"))
    result.update(meter.report(elapsed))
    finish_channel(result, state, k == total)


async def paced_send(
    target: Target, senders: Sequence[Conn], template: bytes, rate: float, total: int
) -> tuple[int, float]:
    """Send ``total`` channel messages at ``rate`` a second, round robin over ``senders``;
    returns (sent, seconds)."""
    loop = asyncio.get_running_loop()
    t0 = time.monotonic()
    start = loop.time()
    k = 0
    seq = [0] * len(senders)
    while k < total and target.remaining() > 0:
        due = min(total, int((loop.time() - start) * rate) + 1)
        if due > k:
            ts = time.monotonic_ns()
            for j in range(k, due):
                s = j % len(senders)
                senders[s].write(template % (ts, s, seq[s]))
                seq[s] += 1
            k = due
        await asyncio.sleep(max(0.0, start + k / rate - loop.time()))
    return k, time.monotonic() - t0


def finish_channel(result: Result, state: _Fanout, all_sent: bool = True) -> None:
    """``ok`` and ``error`` of a channel scenario from what was delivered and lost."""
    result["ok"] = (
        result["error"] is None and result["lost"] == 0 and state.lost_connections == 0 and all_sent
    )
    if state.lost_connections and result["error"] is None:
        result["error"] = f"{state.lost_connections} connection(s) lost"


async def dm(target: Target, pairs: int, duration: float) -> Result:
    """P pairs of clients play private-message ping-pong for ``duration`` seconds."""
    result = _base_result("dm", target)
    result.update(pairs=pairs, duration=duration)
    conns, errors = await open_clients(target, 2 * pairs, "d", SETUP_CONCURRENCY)
    if errors:
        result["error"] = f"registration failed: {dict(errors)}"
        await close_all(conns)
        return result
    try:
        await oper_up(target, conns)
    except Exception as exc:
        result["error"] = f"setup failed: {_error_name(exc)}"
        await close_all(conns)
        return result
    pingers, pongers = conns[:pairs], conns[pairs:]
    rtts: list[int] = []
    round_trips = 0
    active = pairs
    finished = asyncio.Event()
    lost_connections = 0
    stop_at = 0.0

    def ping(c: Conn) -> None:
        c.write(b"PRIVMSG " + c.partner + b" :%d\r\n" % time.monotonic_ns())

    def pair_done() -> None:
        nonlocal active
        active -= 1
        if active == 0:
            finished.set()

    def on_pong(c: Conn, rtt: int) -> None:
        nonlocal round_trips
        rtts.append(rtt)
        round_trips += 1
        if time.monotonic() < stop_at:
            ping(c)
        else:
            c.done = True
            pair_done()

    def on_lost(c: Conn) -> None:
        nonlocal lost_connections
        lost_connections += 1
        partner = c if c.pinger else pingers[pongers.index(c)]
        if not partner.done:
            partner.done = True
            pair_done()

    for a, b in zip(pingers, pongers, strict=True):
        a.partner, b.partner = b.nick.encode(), a.nick.encode()
        a.pinger, a.done = True, False
        a.on_pong = on_pong
        a.on_lost = b.on_lost = on_lost
        a.mode = b.mode = DM
    meter = CpuMeter(target.server_pid)
    meter.start()
    t0 = time.monotonic()
    stop_at = t0 + duration
    for a in pingers:
        ping(a)
    try:
        await asyncio.wait_for(finished.wait(), target.remaining())
    except TimeoutError:
        result["error"] = "deadline reached with ping-pongs outstanding"
    elapsed = max(time.monotonic() - t0, 1e-9)
    meter.stop()
    stalled = sum(1 for a in pingers if not a.done)
    result.update(
        round_trips=round_trips,
        seconds=round(elapsed, 4),
        round_trips_per_s=round(round_trips / elapsed, 1),
        stalled_pairs=stalled,
        lost_connections=lost_connections,
    )
    result.update(latency_summary(rtts, "rtt"))
    result.update(meter.report(elapsed))
    if meter.server is not None and round_trips:
        # Server CPU per round trip (two messages): steadier than the rate on a busy box.
        result["server_cpu_us_per_round_trip"] = round(meter.server / round_trips * 1e6, 2)
    result["ok"] = result["error"] is None and lost_connections == 0 and stalled == 0
    if lost_connections and result["error"] is None:
        result["error"] = f"{lost_connections} connection(s) lost"
    await close_all(conns)
    return result


async def connect(target: Target, count: int, concurrency: int, hold: float) -> Result:
    """Register ``count`` clients (registrations/s), keep them idle for ``hold`` seconds,
    check each still answers a PING, and report the server's RSS per connection."""
    result = _base_result("connect", target)
    result.update(count=count, concurrency=concurrency, hold=hold)
    pid = target.server_pid
    rss_before = process_rss_bytes(pid) if pid else None
    meter = CpuMeter(pid)
    meter.start()
    t0 = time.monotonic()
    # Keep time for the hold and the PING check even if registering runs long.
    deadline = target.deadline
    target.deadline = max(asyncio.get_running_loop().time() + 1.0, deadline - hold - _CHECK_RESERVE)
    try:
        conns, errors = await open_clients(target, count, "c", concurrency)
    finally:
        target.deadline = deadline
    elapsed = max(time.monotonic() - t0, 1e-9)
    meter.stop()
    result.update(
        registered=len(conns),
        failed=sum(errors.values()),
        errors=dict(errors),
        seconds=round(elapsed, 4),
        registrations_per_s=round(len(conns) / elapsed, 1),
    )
    result.update(meter.report(elapsed))
    if hold > 0 and conns and target.remaining() > 0:
        await asyncio.sleep(min(hold, target.remaining()))
    rss_after = process_rss_bytes(pid) if pid else None
    alive = 0
    if conns and target.remaining() > 0:
        waits = []
        for c in conns:
            c.mode = LINES
            waits.append(c.expect(_PONG))
            c.write(b"PING :alive\r\n")
        done, _pending = await asyncio.wait(
            [asyncio.ensure_future(w) for w in waits], timeout=target.remaining()
        )
        alive = sum(1 for d in done if not d.cancelled() and d.exception() is None)
    result["held"] = alive
    if rss_before is not None and rss_after is not None:
        result["rss_before_bytes"] = rss_before
        result["rss_after_bytes"] = rss_after
        result["rss_per_conn_bytes"] = (
            round((rss_after - rss_before) / len(conns)) if conns else None
        )
    result["ok"] = not errors and alive == count
    if not result["ok"]:
        result["error"] = f"{count - alive} of {count} connections not held"
    await close_all(conns)
    return result
