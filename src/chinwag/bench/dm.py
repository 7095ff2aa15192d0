"""The dm scenario: pairs of clients play private-message ping-pong.

What this module does not do: decide whether a number is good (no thresholds), or
retry anything (a failure is a result).
"""

from __future__ import annotations

import asyncio
import time

from chinwag.bench.clients import (
    SETUP_CONCURRENCY,
    Result,
    Target,
    _base_result,
    _error_name,
    close_all,
    open_clients,
    oper_up,
)
from chinwag.bench.conn import DM, Conn
from chinwag.bench.measure import CpuMeter, latency_summary


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
