"""Fixtures shared by every test package: a real chinwag server on 127.0.0.1, and one
with a TLS port presenting a self-signed certificate."""

from __future__ import annotations

import dataclasses
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chinwag.proto.limits import Limits
from chinwag.server.config import ServerConfig
from chinwag.transport.runner import ServerRunner
from tests.tlsutil import Cert, TLSPort, make_cert


def make_test_config(tmp_path: Path, **changes: Any) -> ServerConfig:
    """A config for tests: loopback, ephemeral port, SQLite in tmp_path, no mDNS, no flood limit."""
    limit_changes = changes.pop("limits", {})
    limits = dataclasses.replace(Limits(flood_limit=False), **limit_changes)
    base = ServerConfig(
        listen=(("127.0.0.1", 0),),
        data_dir=tmp_path / "data",
        advertise=False,
        limits=limits,
    )
    return base.replace(**changes)


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., ServerRunner]]:
    """Start servers with custom config, e.g. ``make_server(lobby=None, limits={...})``;
    ``ssl_context`` is the server's certificate (for HTTPS)."""
    runners: list[ServerRunner] = []

    def make(ssl_context: ssl.SSLContext | None = None, **changes: Any) -> ServerRunner:
        runner = ServerRunner(make_test_config(tmp_path, **changes), ssl_context=ssl_context)
        runner.start()
        runners.append(runner)
        return runner

    yield make
    for runner in runners:
        runner.stop()


@pytest.fixture
def server(make_server: Callable[..., ServerRunner]) -> ServerRunner:
    """A running chinwag server on 127.0.0.1:<ephemeral> with default behaviour."""
    return make_server()


@pytest.fixture
def cert(tmp_path: Path) -> Cert:
    """A self-signed ECDSA certificate (as a chinwag server makes its own)."""
    return make_cert(tmp_path / "certs", "server")


@pytest.fixture
def listener(make_server: Callable[..., ServerRunner], cert: Cert) -> TLSPort:
    """A server (``listener.runner``) with a TLS port on 127.0.0.1 presenting ``cert``."""
    runner = make_server(tls_listen=(("127.0.0.1", 0),), tls_cert=cert.cert, tls_key=cert.key)
    return TLSPort(runner, cert)
