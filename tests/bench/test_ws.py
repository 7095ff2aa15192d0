"""``chinwag bench --websocket``: the same scenarios over IRC-over-WebSocket (/ws)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chinwag.server.webconfig import WebConfig
from chinwag.transport.runner import ServerRunner
from tests.bench.test_scenarios import bench


@pytest.fixture
def ws_server(make_server: Callable[..., ServerRunner]) -> ServerRunner:
    return make_server(web=WebConfig(http=(("127.0.0.1", 0),)), limits={"connections_per_ip": 0})


def ws_url(server: ServerRunner) -> str:
    return server.web_urls[0].replace("http://", "ws://") + "ws"


def test_fanout_over_websocket_delivers_everything(
    ws_server: ServerRunner, unused_port: int
) -> None:
    # The IRC port given is one nothing listens on: every client must come in on /ws.
    r = bench(unused_port, "fanout", "--clients", "6", "--senders", "2", "--messages", "40",
              "--sample", "2", "--window", "5", "--websocket", ws_url(ws_server))  # fmt: skip
    assert r["ok"], r
    assert r["transport"] == "websocket"
    assert r["deliveries"] == r["expected"] == 2 * 40 * 5
    assert r["duplicates"] == 0
    assert r["latency_samples"] == 2 * 2 * 40


def test_dm_over_websocket(ws_server: ServerRunner, unused_port: int) -> None:
    r = bench(unused_port, "dm", "--pairs", "2", "--duration", "0.3",
              "--websocket", ws_url(ws_server))  # fmt: skip
    assert r["ok"], r
    assert r["round_trips"] > 0


def test_a_refused_websocket_is_a_failure_not_a_hang(ws_server: ServerRunner) -> None:
    r = bench(ws_server.port, "fanout", "--clients", "3", "--senders", "1", "--messages", "5",
              "--websocket", ws_url(ws_server).replace("/ws", "/nope"))  # fmt: skip
    assert not r["ok"]
    assert "registration failed" in r["error"]
