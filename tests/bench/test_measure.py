"""The measuring helpers: /proc readings, percentiles, the loopback-only rule."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from chinwag.bench.measure import (
    CpuMeter,
    latency_summary,
    percentile,
    process_cpu_seconds,
    process_rss_bytes,
    resolve_loopback,
    source_addresses,
)
from chinwag.errors import LocalError


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) is None


def test_latency_summary_in_milliseconds() -> None:
    s = latency_summary([1_000_000, 2_000_000, 3_000_000], "latency")
    assert s == {
        "latency_samples": 3,
        "latency_p50_ms": 2.0,
        "latency_p99_ms": 3.0,
        "latency_max_ms": 3.0,
    }
    assert latency_summary([], "rtt")["rtt_p99_ms"] is None


def test_proc_readings_of_this_process() -> None:
    cpu = process_cpu_seconds(os.getpid())
    rss = process_rss_bytes(os.getpid())
    assert cpu is not None and cpu >= 0
    assert rss is not None and rss > 1_000_000


def test_another_process_cpu_in_nanoseconds_agrees_with_proc() -> None:
    """Another process's CPU-time clock reads what /proc's clock ticks say, finer."""
    child = subprocess.Popen(
        [sys.executable, "-c", "import time\nt = time.process_time()\n"
         "while time.process_time() - t < 0.3: pass\ninput()"],
        stdin=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while (process_cpu_seconds(child.pid) or 0) < 0.3 and time.monotonic() < deadline:
            time.sleep(0.02)
        fine = process_cpu_seconds(child.pid)
        with open(f"/proc/{child.pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    finally:
        child.communicate(b"\n", timeout=10)
    assert fine is not None and fine >= 0.3
    assert abs(fine - ticks) < 0.05
    assert fine != round(fine, 2)  # nanoseconds, not whole 10 ms ticks


def test_proc_readings_of_a_missing_process() -> None:
    # PIDs are below 2**22 on Linux.
    assert process_cpu_seconds(2**30) is None
    assert process_rss_bytes(2**30) is None


def test_cpu_meter_counts_our_own_work() -> None:
    meter = CpuMeter(os.getpid())
    meter.start()
    sum(i * i for i in range(300_000))
    meter.stop()
    report = meter.report(1.0)
    assert report["generator_cpu_s"] is not None and report["generator_cpu_s"] >= 0
    assert report["server_cpu_s"] is not None


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "localhost"])
def test_loopback_names_are_accepted(host: str) -> None:
    family, address = resolve_loopback(host, 6667)
    assert family in (socket.AF_INET, socket.AF_INET6)
    assert address.startswith("127.") or address == "::1"


@pytest.mark.parametrize("host", ["192.0.2.7", "0.0.0.0", "8.8.8.8", "::"])
def test_other_addresses_are_refused(host: str) -> None:
    with pytest.raises(LocalError):
        resolve_loopback(host, 6667)


def test_source_addresses() -> None:
    assert source_addresses(socket.AF_INET, 3) == ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
    assert source_addresses(socket.AF_INET, 0) == [None]
    assert source_addresses(socket.AF_INET6, 5) == [None]
    assert len(source_addresses(socket.AF_INET, 1000)) == 250
