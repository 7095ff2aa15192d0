"""Every scenario runs to completion, with nothing lost, against a real chinwag server.

Tiny sizes only: these check that the generator works (registration, the lobby
auto-join, counting, timing, clean-up), never how fast anything is.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chinwag.auth.credentials import make_credentials
from chinwag.bench import main
from chinwag.storage.sqlite import SQLiteStorage
from chinwag.transport.runner import ServerRunner
from tests.support import TIMEOUT


def bench(port: int, *argv: str) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    main.configure_parser(parser)
    args = parser.parse_args(
        [argv[0], "--port", str(port), "--timeout", str(4 * TIMEOUT), *argv[1:]]
    )
    return main.run_scenario(args)


def test_fanout_delivers_everything(server: ServerRunner) -> None:
    r = bench(server.port, "fanout", "--clients", "6", "--senders", "2", "--messages", "30",
              "--sample", "2", "--window", "5")  # fmt: skip
    assert r["ok"], r
    assert r["lost"] == 0
    assert r["duplicates"] == 0
    assert r["expected"] == 2 * 30 * 5
    assert r["deliveries"] == r["expected"]
    assert r["latency_samples"] == 2 * 2 * 30  # two sampled receivers, neither a sender
    assert r["latency_p50_ms"] is not None
    assert r["latency_p50_ms"] <= r["latency_p99_ms"] <= r["latency_max_ms"]


def test_fanout_without_a_window(server: ServerRunner) -> None:
    r = bench(server.port, "fanout", "--clients", "4", "--senders", "1", "--messages", "20",
              "--window", "0")  # fmt: skip
    assert r["ok"], r
    assert r["deliveries"] == 3 * 20


def test_paced_sends_at_the_rate_and_loses_nothing(server: ServerRunner) -> None:
    r = bench(server.port, "paced", "--clients", "5", "--senders", "2", "--rate", "100",
              "--duration", "0.2", "--sample", "1")  # fmt: skip
    assert r["ok"], r
    assert r["sent"] == r["messages"] == 20
    assert r["lost"] == 0
    assert r["deliveries"] == 20 * 4
    assert r["latency_samples"] == 20


def test_dm_ping_pong(server: ServerRunner) -> None:
    r = bench(server.port, "dm", "--pairs", "3", "--duration", "0.3")
    assert r["ok"], r
    assert r["round_trips"] > 0
    assert r["rtt_samples"] == r["round_trips"]
    assert r["stalled_pairs"] == 0
    assert "server_cpu_us_per_round_trip" not in r  # no --server-pid given


def test_connect_holds_every_client_and_reads_server_memory(server: ServerRunner) -> None:
    # The server runs in this process, so this PID's RSS and CPU stand in for it.
    r = bench(server.port, "connect", "--count", "20", "--concurrency", "5", "--hold", "0",
              "--server-pid", str(os.getpid()))  # fmt: skip
    assert r["ok"], r
    assert r["registered"] == r["held"] == 20
    assert r["errors"] == {}
    assert r["registrations_per_s"] > 0
    assert isinstance(r["rss_per_conn_bytes"], int)
    assert r["server_cpu_s"] is not None


@pytest.mark.parametrize("mechanism", ["plain", "scram"])
def test_connect_with_sasl_logs_every_client_in(
    make_server: Callable[..., ServerRunner],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    mechanism: str,
) -> None:
    caplog.set_level(logging.INFO, logger="chinwag")
    server = make_server()
    storage = SQLiteStorage.in_dir(tmp_path / "data")
    storage.add_account("benchacct", make_credentials("bench-password"), time.time())
    storage.close()
    r = bench(server.port, "connect", "--count", "4", "--concurrency", "2", "--hold", "0",
              "--sasl", mechanism, "--account", "benchacct:bench-password")  # fmt: skip
    assert r["ok"] and r["registered"] == 4, r
    used = "PLAIN" if mechanism == "plain" else "SCRAM-SHA-256"
    assert caplog.text.count(f"logged in as benchacct ({used})") == 4
    bad = bench(server.port, "connect", "--count", "1", "--hold", "0",
                "--sasl", mechanism, "--account", "benchacct:wrong-password")  # fmt: skip
    assert not bad["ok"] and "904" in " ".join(bad["errors"])


class TestOverTLS:
    @pytest.fixture
    def tls_server(self, make_server: Callable[..., ServerRunner]) -> ServerRunner:
        return make_server(tls_listen=(("127.0.0.1", 0),), plaintext=False)

    def test_fanout_over_tls_delivers_everything(self, tls_server: ServerRunner) -> None:
        r = bench(tls_server.tls_port, "fanout", "--tls", "--clients", "5", "--senders", "2",
                  "--messages", "20", "--sample", "1")  # fmt: skip
        assert r["ok"], r
        assert r["tls"] is True
        # The server listens with TLS only, so every delivery went through it.
        assert r["lost"] == 0 and r["deliveries"] == r["expected"] == 2 * 20 * 4

    def test_connect_over_tls_and_plain_text_on_a_tls_port_fails(
        self, tls_server: ServerRunner
    ) -> None:
        r = bench(tls_server.tls_port, "connect", "--tls", "--count", "6", "--hold", "0")
        assert r["ok"], r
        assert r["registered"] == r["held"] == 6
        plain = bench(tls_server.tls_port, "connect", "--count", "2", "--hold", "0",
                      "--timeout", "2")  # fmt: skip
        assert not plain["ok"] and plain["tls"] is False


def test_generator_reports_its_own_cpu(server: ServerRunner) -> None:
    r = bench(server.port, "connect", "--count", "3", "--hold", "0")
    assert r["generator_cpu_s"] >= 0
    assert r["server_cpu_s"] is None  # no --server-pid given
    assert r["loop"] in ("uvloop", "asyncio")


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server that accepts connections and never says anything."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stop.set()
    thread.join(TIMEOUT)
    listener.close()
    for conn in accepted:
        conn.close()


def test_a_server_that_never_answers_ends_at_the_deadline(silent_server: int) -> None:
    parser = argparse.ArgumentParser()
    main.configure_parser(parser)
    args = parser.parse_args(
        ["fanout", "--port", str(silent_server), "--timeout", "0.5", "--clients", "3",
         "--senders", "1"]
    )  # fmt: skip
    started = time.monotonic()
    r = main.run_scenario(args)
    assert time.monotonic() - started < TIMEOUT
    assert r["ok"] is False
    assert "registration failed" in r["error"]
