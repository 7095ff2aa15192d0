"""The channel scenarios: fanout (as fast as allowed) and paced (at a set rate).

C clients share one channel and S of them send; receivers count deliveries in bytes,
some sample latency, and a watcher's acknowledgements keep a bounded window in flight.
:func:`paced_phase` and :func:`paced_send` are also the measured part of the scale
scenarios (:mod:`chinwag.bench.scale`).

What this module does not do: decide whether a number is good (no thresholds), or
retry anything (a failure is a result).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence

from chinwag.bench.clients import (
    SETUP_CONCURRENCY,
    Result,
    Target,
    _base_result,
    _channel,
    _error_name,
    _message_template,
    close_all,
    join_all,
    open_clients,
    oper_up,
)
from chinwag.bench.conn import COUNT, LINES, SAMPLE, Conn
from chinwag.bench.measure import CpuMeter, latency_summary


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
