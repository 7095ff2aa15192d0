"""The lobby, soak and overrun scenarios run to completion against a real server.

Tiny sizes only: these check that the generator works (filling a room, timing every
member, churn, ping-pong, RSS sampling, counting what is lost), never how fast anything
is; the real sizes run in scripts/bench-compare.
"""

from __future__ import annotations

import os

from chinwag.transport.runner import ServerRunner
from tests.bench.test_scenarios import bench


def test_lobby_times_every_member_and_states_server_memory(server: ServerRunner) -> None:
    # The server runs in this process, so this PID's RSS stands in for it.
    r = bench(server.port, "lobby", "--clients", "30", "--senders", "3", "--rate", "20",
              "--duration", "0.3", "--server-pid", str(os.getpid()))  # fmt: skip
    assert r["ok"], r
    assert r["registered"] == 30
    assert r["sent"] == r["messages"] == 6
    assert r["lost"] == 0
    assert r["deliveries"] == 6 * 29
    # Every member that is not a sender times every message it gets.
    assert r["latency_samples"] == 6 * 27
    assert r["latency_p50_ms"] <= r["latency_p99_ms"] <= r["latency_max_ms"]
    assert r["rss_peak_bytes"] >= r["rss_before_bytes"] > 0
    assert isinstance(r["rss_per_client_bytes"], int)


def test_soak_churns_and_samples_memory(server: ServerRunner) -> None:
    r = bench(server.port, "soak", "--duration", "1.5", "--warmup", "0.3", "--members", "5",
              "--senders", "2", "--rate", "20", "--pairs", "2", "--dm-rate", "5",
              "--churn", "4", "--server-pid", str(os.getpid()))  # fmt: skip
    assert r["ok"], r
    assert r["lost"] == 0
    assert r["churned"] >= 3
    assert r["pings"] == r["pongs"] > 0
    # Channel messages: the senders' and one from each churner, seen by all 5 members
    # (a sender does not get its own).
    assert r["channel_messages"] >= 30 + r["churned"]
    assert r["deliveries"] == 5 * r["channel_messages"] - (r["channel_messages"] - r["churned"])
    assert r["rss_samples"] >= 2
    assert r["rss_warm_bytes"] > 0
    assert isinstance(r["rss_growth_pct"], float)


def test_overrun_sends_without_a_window_and_loses_nothing(server: ServerRunner) -> None:
    r = bench(server.port, "overrun", "--clients", "5", "--senders", "2", "--messages", "100",
              "--server-pid", str(os.getpid()))  # fmt: skip
    assert r["ok"], r
    assert r["scenario"] == "overrun"
    assert r["window"] == 0
    assert r["lost"] == 0
    assert r["deliveries"] == 2 * 100 * 4
    assert r["rss_peak_bytes"] >= r["rss_before_bytes"] > 0
