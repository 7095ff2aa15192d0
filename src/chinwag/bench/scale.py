"""The scenarios about size and time: lobby, soak and overrun.

* ``lobby``: N clients (10,000 by default) in one room, paced traffic into it: the
  delivery latency to every member, and the server's memory.
* ``soak``: a long mixed load (paced channel traffic, private-message ping-pong, clients
  joining and quitting) with the server's RSS sampled: its growth after the warm-up, and
  nothing lost.
* ``overrun``: the fan-out with no send window (senders never wait for their messages to
  arrive): with flood control off, does the server lose anything, and how far does its
  memory grow?

Same rules as :mod:`chinwag.bench.scenarios`: one flat result dict, every wait bounded
by the target's deadline, no thresholds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from chinwag.bench.channel import fanout, paced_phase
from chinwag.bench.clients import (
    SETUP_CONCURRENCY,
    Result,
    Target,
    _base_result,
    _channel,
    _error_name,
    _message_template,
    close_all,
    open_clients,
    oper_up,
)
from chinwag.bench.conn import COUNT, DM, SAMPLE, Conn
from chinwag.bench.measure import CpuMeter, RssSampler, latency_summary, process_rss_bytes

# JOINs sent at once while filling a big room: each is broadcast to every member, so
# a batch costs every member one line per joiner (kept small, nobody's send queue fills).
JOIN_BATCH = 100
# Seconds given to the last messages of a soak to arrive before counting what is lost.
SOAK_GRACE = 10.0
_NEVER = 1 << 62


async def _join_quietly(target: Target, conns: Sequence[Conn], channel: str, batch: int) -> None:
    """JOIN ``conns`` to ``channel``, ``batch`` at a time. The room's N²/2 JOIN (and
    NAMES) lines are skipped at C speed: each client only counts its own end of NAMES."""
    loop = asyncio.get_running_loop()
    for start in range(0, len(conns), batch):
        group = conns[start : start + batch]
        waits: list[asyncio.Future[None]] = []
        for c in group:
            fut: asyncio.Future[None] = loop.create_future()
            waits.append(fut)
            c.mode, c.marker, c.count, c.expected, c.done = COUNT, b" 366 ", 0, 1, False
            c.on_complete = lambda _c, f=fut: f.done() or f.set_result(None)
            c.write(f"JOIN {channel}\r\n".encode())
        await asyncio.wait_for(asyncio.gather(*waits), target.remaining())


async def lobby(
    target: Target,
    clients: int,
    senders: int,
    rate: float,
    duration: float,
    size: int,
    concurrency: int,
) -> Result:
    """``clients`` in one room; ``senders`` of them send ``rate`` messages a second in
    total for ``duration`` seconds; every member times every delivery."""
    result = _base_result("lobby", target)
    total = max(1, int(rate * duration))
    result.update(
        clients=clients, senders=senders, rate=rate, duration=duration, size=size, messages=total
    )
    rss = RssSampler(target.server_pid)
    rss.start()
    t0 = time.monotonic()
    conns, errors = await open_clients(target, clients, "l", concurrency)
    result["registered"] = len(conns)
    result["register_seconds"] = round(time.monotonic() - t0, 2)
    channel = _channel(target)
    if errors:
        result["error"] = f"registration failed: {dict(errors)}"
    else:
        t1 = time.monotonic()
        try:
            await oper_up(target, conns[:senders])
            await _join_quietly(target, conns, channel, JOIN_BATCH)
        except Exception as exc:
            result["error"] = f"setup failed: {_error_name(exc)}"
        result["join_seconds"] = round(time.monotonic() - t1, 2)
    if result["error"] is not None:
        await rss.stop()
        result["rss_peak_bytes"] = rss.peak()
        await close_all(conns)
        return result
    rss.sample()
    rss_full = rss.samples[-1][1] if rss.samples else None
    for c in conns:
        c.on_complete = None
    await paced_phase(target, conns, channel, senders, clients, rate, total, size, result)
    await rss.stop()
    if rss.samples:
        first = rss.samples[0][1]
        result.update(rss_before_bytes=first, rss_full_bytes=rss_full, rss_peak_bytes=rss.peak())
        if rss_full is not None:
            result["rss_per_client_bytes"] = round((rss_full - first) / clients)
    await close_all(conns, grace=10.0)
    return result


async def overrun(
    target: Target, clients: int, senders: int, messages: int, size: int, sample: int
) -> Result:
    """The fan-out with no send window at all, and the server's peak RSS during it."""
    rss = RssSampler(target.server_pid, 0.1)
    rss.start()
    result = await fanout(target, clients, senders, messages, size, sample, window=0)
    await rss.stop()
    result["scenario"] = "overrun"
    if rss.samples:
        result["rss_before_bytes"] = rss.samples[0][1]
        result["rss_peak_bytes"] = rss.peak()
    return result


class _Soak:
    """Counters of a soak run: channel messages sent per client, pings and pongs."""

    def __init__(self) -> None:
        self.sent_by: dict[Conn, int] = {}
        self.total = 0
        self.pings = 0
        self.pongs = 0
        self.rtts: list[int] = []
        self.churned = 0
        self.churn_failed = 0
        self.lost_connections = 0
        self.lost_reasons: dict[str, int] = {}

    def sent(self, conn: Conn) -> None:
        self.sent_by[conn] = self.sent_by.get(conn, 0) + 1
        self.total += 1

    def pong(self, _conn: Conn, rtt: int) -> None:
        self.pongs += 1
        self.rtts.append(rtt)

    def lost(self, conn: Conn) -> None:
        self.lost_connections += 1
        reason = conn.close_reason[:100]
        self.lost_reasons[reason] = self.lost_reasons.get(reason, 0) + 1


async def soak(
    target: Target,
    duration: float,
    warmup: float,
    members: int,
    senders: int,
    rate: float,
    pairs: int,
    dm_rate: float,
    churn: float,
    size: int,
) -> Result:
    """A mixed load for ``duration`` seconds with the server's RSS sampled each second."""
    result = _base_result("soak", target)
    warmup = min(warmup, duration / 5)
    result.update(
        duration=duration, warmup=warmup, members=members, senders=senders, rate=rate,
        pairs=pairs, dm_rate=dm_rate, churn=churn, size=size,
    )  # fmt: skip
    loop = asyncio.get_running_loop()
    conns, errors = await open_clients(target, members + 2 * pairs, "s", SETUP_CONCURRENCY)
    channel = _channel(target)
    room, pingers, pongers = conns[:members], conns[members::2], conns[members + 1 :: 2]
    if not errors:
        try:
            await oper_up(target, room[:senders])
            await _join_quietly(target, room, channel, JOIN_BATCH)
        except Exception as exc:
            result["error"] = f"setup failed: {_error_name(exc)}"
    else:
        result["error"] = f"registration failed: {dict(errors)}"
    if result["error"] is not None:
        await close_all(conns)
        return result
    counts = _Soak()
    marker = f" PRIVMSG {channel} :".encode()
    for i, c in enumerate(room):
        c.on_complete = None
        c.mode = SAMPLE if i == members - 1 else COUNT
        c.marker, c.count, c.expected, c.done = marker, 0, _NEVER, False
        c.on_lost = counts.lost
    for a, b in zip(pingers, pongers, strict=True):
        a.partner, b.partner = b.nick.encode(), a.nick.encode()
        a.pinger, a.mode, b.mode = True, DM, DM
        a.on_pong = counts.pong
        a.on_lost = b.on_lost = counts.lost
    template = _message_template(channel, size)
    churners: set[asyncio.Task[None]] = set()

    async def churner(index: int) -> None:
        """Connect, join, say one thing, quit."""
        made, failed = await open_clients(target, 1, f"q{index}x", 1)
        if failed or not made:
            counts.churn_failed += 1
            return
        c = made[0]
        try:
            await _join_quietly(target, made, channel, 1)
        except Exception:
            counts.churn_failed += 1
            c.abort()
            return
        c.write(template % (time.monotonic_ns(), senders, index))
        counts.sent(c)
        counts.churned += 1
        c.close()

    rss = RssSampler(target.server_pid)
    meter = CpuMeter(target.server_pid)
    rss.start()
    meter.start()
    start = loop.time()
    end = start + duration
    sent = pinged = churned = seq = 0
    while loop.time() < end and target.remaining() > 0:
        elapsed = loop.time() - start
        ts = time.monotonic_ns()
        while sent < int(elapsed * rate) + 1:
            s = sent % senders
            room[s].write(template % (ts, s, seq))
            counts.sent(room[s])
            sent += 1
            seq += 1
        while pairs and pinged < int(elapsed * dm_rate * pairs) + 1:
            a = pingers[pinged % pairs]
            a.write(b"PRIVMSG " + a.partner + b" :%d\r\n" % ts)
            counts.pings += 1
            pinged += 1
        while churn > 0 and churned < int(elapsed * churn):
            task = asyncio.ensure_future(churner(churned))
            churners.add(task)
            task.add_done_callback(churners.discard)
            churned += 1
        await asyncio.sleep(0.02)
    if churners:
        await asyncio.wait(set(churners), timeout=max(0.1, min(SOAK_GRACE, target.remaining())))
    # The last messages get a moment to arrive; then everything is counted.
    expected = {c: counts.total - counts.sent_by.get(c, 0) for c in room}
    grace_end = loop.time() + min(SOAK_GRACE, target.remaining())
    while loop.time() < grace_end:
        if counts.pongs >= counts.pings and all(c.count >= expected[c] for c in room):
            break
        await asyncio.sleep(0.05)
    wall = loop.time() - start
    meter.stop()
    await rss.stop()
    lost_channel = sum(max(0, expected[c] - c.count) for c in room if not c.closed)
    result.update(
        seconds=round(wall, 2),
        channel_messages=counts.total,
        deliveries=sum(min(c.count, expected[c]) for c in room),
        lost=lost_channel + (counts.pings - counts.pongs),
        lost_deliveries=lost_channel,
        pings=counts.pings,
        pongs=counts.pongs,
        churned=counts.churned,
        churn_failed=counts.churn_failed,
        lost_connections=counts.lost_connections,
        lost_reasons=counts.lost_reasons,
        rss_samples=len(rss.samples),
        rss_series=[[t, b] for t, b in rss.samples[:: max(1, len(rss.samples) // 60)]],
    )
    result.update(rss.growth(warmup))
    result.update(latency_summary(room[-1].latencies, "latency"))
    result.update(latency_summary(counts.rtts, "rtt"))
    result.update(meter.report(wall))
    result["ok"] = result["lost"] == 0 and counts.lost_connections == 0 and counts.churn_failed == 0
    if not result["ok"]:
        result["error"] = (
            f"lost {result['lost']}, {counts.lost_connections} connection(s) lost, "
            f"{counts.churn_failed} churn failure(s)"
        )
    if process_rss_bytes(target.server_pid or 0) is None and target.server_pid:
        result["error"] = "the server process is gone"
        result["ok"] = False
    await close_all(conns)
    return result
