"""The connect scenario: registrations a second, idle clients held, RSS per connection.

What this module does not do: decide whether a number is good (no thresholds), or
retry anything (a failure is a result).
"""

from __future__ import annotations

import asyncio
import time

from chinwag.bench.clients import (
    _PONG,
    Result,
    Target,
    _base_result,
    close_all,
    open_clients,
)
from chinwag.bench.conn import LINES
from chinwag.bench.measure import CpuMeter, process_rss_bytes

# Seconds of the connect scenario's deadline kept for checking that clients are held.
_CHECK_RESERVE = 15.0


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
