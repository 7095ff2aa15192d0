"""What the load generator measures besides the IRC traffic: CPU time and memory of a
process (from /proc, also sampled over a run), its own CPU time, percentiles, and the
loopback-only target check.

Nothing here touches the network beyond resolving the target name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import time
from dataclasses import dataclass

from chinwag.errors import LocalError

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _process_clock(pid: int) -> int:
    """Linux's CPU-time clock of another process (what ``clock_getcpuclockid(3)`` gives:
    ``MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)``): every thread's time, in ns."""
    return ((~pid) << 3) | 2


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds used so far by process ``pid`` (None if unreadable):
    from its CPU-time clock (nanoseconds), else from /proc (clock ticks, 10 ms)."""
    try:
        return time.clock_gettime(_process_clock(pid))
    except (OSError, AttributeError, OverflowError):
        pass
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            text = f.read()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    fields = text[text.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def process_rss_bytes(pid: int) -> int | None:
    """Resident set size of process ``pid`` in bytes (None if unreadable)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def own_cpu_seconds() -> float:
    """User + system CPU seconds used so far by this process (every thread)."""
    return time.process_time()


@dataclass
class CpuMeter:
    """CPU seconds of the generator and (when its PID is known) the server over a phase."""

    server_pid: int | None
    _own0: float = 0.0
    _server0: float | None = None
    own: float = 0.0
    server: float | None = None

    def start(self) -> None:
        self._own0 = own_cpu_seconds()
        self._server0 = process_cpu_seconds(self.server_pid) if self.server_pid else None

    def stop(self) -> None:
        self.own = own_cpu_seconds() - self._own0
        if self.server_pid and self._server0 is not None:
            now = process_cpu_seconds(self.server_pid)
            self.server = None if now is None else now - self._server0

    def report(self, wall: float) -> dict[str, float | None]:
        """CPU seconds and utilisation (1.0 == one core busy for the whole phase)."""
        wall = max(wall, 1e-9)
        return {
            "generator_cpu_s": round(self.own, 3),
            "generator_cpu_util": round(self.own / wall, 3),
            "server_cpu_s": None if self.server is None else round(self.server, 3),
            "server_cpu_util": None if self.server is None else round(self.server / wall, 3),
        }


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of an already sorted list (None when it is empty)."""
    if not sorted_values:
        return None
    rank = max(0, min(len(sorted_values) - 1, int(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


def latency_summary(samples_ns: list[int], prefix: str) -> dict[str, float | int | None]:
    """p50/p99/max in milliseconds of a list of nanosecond latencies."""
    values = sorted(samples_ns)
    out: dict[str, float | int | None] = {f"{prefix}_samples": len(values)}
    for name, fraction in (("p50", 0.50), ("p99", 0.99), ("max", 1.0)):
        v = percentile([float(x) for x in values], fraction) if values else None
        out[f"{prefix}_{name}_ms"] = None if v is None else round(v / 1e6, 3)
    return out


def resolve_loopback(host: str, port: int) -> tuple[int, str]:
    """Resolve ``host``; refuse it unless every address is loopback (127.0.0.0/8 or ::1).

    Returns (address family, address) of the first result.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise LocalError(f"cannot resolve {host!r}: {exc}") from None
    if not infos:
        raise LocalError(f"cannot resolve {host!r}")
    for _family, _type, _proto, _name, sockaddr in infos:
        addr = str(sockaddr[0])
        if not ipaddress.ip_address(addr.split("%", 1)[0]).is_loopback:
            raise LocalError(
                f"refusing to load-test {host!r} ({addr}): only loopback targets are allowed"
            )
    family, _type, _proto, _name, sockaddr = infos[0]
    return int(family), str(sockaddr[0])


def source_addresses(family: int, count: int) -> list[str | None]:
    """Local addresses to spread client connections over (avoids running out of
    ephemeral ports with tens of thousands of connections): 127.0.0.2, 127.0.0.3, ...
    For IPv6 (only ::1 is loopback) the kernel picks.
    """
    if family != socket.AF_INET or count <= 0:
        return [None]
    count = min(count, 250)
    return [f"127.0.0.{2 + i}" for i in range(count)]


class RssSampler:
    """Samples a process's RSS every ``interval`` seconds while a scenario runs.

    ``start()`` inside the event loop, ``await stop()`` at the end; ``samples`` holds
    (seconds since start, bytes). Without a PID it samples nothing.
    """

    def __init__(self, pid: int | None, interval: float = 1.0) -> None:
        self.pid = pid
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self._task: asyncio.Task[None] | None = None
        self._t0 = 0.0

    def sample(self) -> None:
        if self.pid:
            rss = process_rss_bytes(self.pid)
            if rss is not None:
                self.samples.append((round(time.monotonic() - self._t0, 3), rss))

    def start(self) -> None:
        self._t0 = time.monotonic()
        self.sample()
        if self.pid:
            self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.sample()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self.sample()

    def peak(self) -> int | None:
        return max((b for _t, b in self.samples), default=None)

    def growth(self, warmup: float) -> dict[str, float | int | None]:
        """RSS at the end of the warm-up, at the end and at its peak after it, and the
        growth of each over the warm-up value in per cent."""
        after = [(t, b) for t, b in self.samples if t >= warmup]
        if not after:
            return {"rss_warm_bytes": None, "rss_end_bytes": None, "rss_growth_pct": None}
        warm = after[0][1]
        end = after[-1][1]
        peak = max(b for _t, b in after)
        return {
            "rss_warm_bytes": warm,
            "rss_end_bytes": end,
            "rss_peak_bytes": peak,
            "rss_growth_pct": round(100.0 * (end - warm) / warm, 2),
            "rss_peak_growth_pct": round(100.0 * (peak - warm) / warm, 2),
        }
