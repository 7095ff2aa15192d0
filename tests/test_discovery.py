"""Discovery over real mDNS on loopback: an Advertiser is found by a DiscoveryBrowser
with the right name, port and TXT record, and is gone after close()."""

from __future__ import annotations

import logging
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from zeroconf import InterfaceChoice

from chinwag import __version__, discovery
from chinwag.discovery import (
    MDNS_INTERFACES_ENV,
    Advertiser,
    DiscoveryBrowser,
    FoundServer,
    advertised_addresses,
    default_instance_name,
    default_interfaces,
    lan_ipv4_addresses,
)
from chinwag.server.config import ServerConfig
from chinwag.transport.runner import ServerRunner
from tests.support import TIMEOUT, wait_until

# Pin mDNS to loopback: it works in a sandbox without a LAN, and keeps the test's
# packets off the real network.
LOOPBACK = ["127.0.0.1"]


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A real listening socket on an ephemeral port: the "server" being advertised."""
    sock = socket.create_server(("127.0.0.1", 0))
    yield sock
    sock.close()


@pytest.fixture
def browser() -> Iterator[tuple[DiscoveryBrowser, list[list[FoundServer]]]]:
    calls: list[list[FoundServer]] = []
    lock = threading.Lock()

    def on_change(servers: list[FoundServer]) -> None:
        with lock:
            calls.append(servers)

    b = DiscoveryBrowser(on_change, interfaces=LOOPBACK)
    b.start()
    yield b, calls
    b.close()


def _mine(browser: DiscoveryBrowser, network: str) -> list[FoundServer]:
    # Other tests on this machine may advertise too: only look at our unique network.
    return [s for s in browser.servers if s.network == network]


def _unique_name(network: str) -> str:
    # Never the default "chinwag on <host>": a parallel test run (or a developer's server)
    # on this machine announces that name too, and two processes that announce one name
    # at once are not reliably told apart by probing; a browser then sees the other's TXT
    # record, or loses the service to the other's goodbye.
    return f"chinwag test {network}"


def _unique_host(network: str) -> str:
    # Nor this machine's "<host>.local.": a developer's server announces its LAN addresses
    # under it, and a parallel run's goodbye withdraws its 127.0.0.1, so a browser would
    # resolve our service to the wrong addresses, or to none.
    return f"{network}.local."


def test_advertised_server_is_found_then_gone_after_close(
    listener: socket.socket, browser: tuple[DiscoveryBrowser, list[list[FoundServer]]]
) -> None:
    b, calls = browser
    port = listener.getsockname()[1]
    network = f"test-{uuid.uuid4().hex[:8]}"
    name = f"chinwag test {network}"
    adv = Advertiser(
        port,
        network=network,
        name=name,
        host=_unique_host(network),
        addresses=["127.0.0.1"],
        interfaces=LOOPBACK,
    )
    adv.start()
    try:
        wait_until(lambda: bool(_mine(b, network)), timeout=2 * TIMEOUT)
        (found,) = _mine(b, network)
        assert found.name == name
        assert found.port == port
        assert found.addresses == ("127.0.0.1",)
        assert found.version == __version__
        assert found.software == "chinwag"
        assert not found.tls
        assert any(found in servers for servers in calls), "on_change saw the server"
        # The advertised address really reaches the listener.
        with socket.create_connection((found.address, found.port), timeout=TIMEOUT):
            pass
        assert adv.wait_registered(TIMEOUT)
        assert adv.names == [name]
    finally:
        adv.close()
    wait_until(lambda: not _mine(b, network), timeout=2 * TIMEOUT)
    assert not any(s.network == network for s in calls[-1])


def test_tls_port_is_advertised_as_ircs(
    browser: tuple[DiscoveryBrowser, list[list[FoundServer]]],
) -> None:
    b, _ = browser
    network = f"test-{uuid.uuid4().hex[:8]}"
    fp = "ab" * 32
    with Advertiser(
        6667,
        tls_port=6697,
        fingerprint=fp,
        network=network,
        name=_unique_name(network),
        host=_unique_host(network),
        addresses=["127.0.0.1"],
        interfaces=LOOPBACK,
    ):
        wait_until(lambda: len(_mine(b, network)) == 2, timeout=2 * TIMEOUT)
        (plain,) = [s for s in _mine(b, network) if not s.tls]
        (tls,) = [s for s in _mine(b, network) if s.tls]
        assert (plain.port, plain.tls) == (6667, False)
        assert (tls.port, tls.tls) == (6697, True)
        # Both services carry the TLS port and the fingerprint in their TXT record.
        for found in (plain, tls):
            assert (found.tls_port, found.fingerprint) == (6697, fp)
            assert found.version == __version__ and found.software == "chinwag"
    wait_until(lambda: not _mine(b, network), timeout=2 * TIMEOUT)


def test_web_ports_ride_in_the_txt_record(
    browser: tuple[DiscoveryBrowser, list[list[FoundServer]]],
) -> None:
    b, _ = browser
    network = f"test-{uuid.uuid4().hex[:8]}"
    with Advertiser(
        6667,
        http_port=8080,
        https_port=8443,
        network=network,
        name=_unique_name(network),
        host=_unique_host(network),
        addresses=["127.0.0.1"],
        interfaces=LOOPBACK,
    ):
        wait_until(lambda: bool(_mine(b, network)), timeout=2 * TIMEOUT)
        (found,) = _mine(b, network)
        assert (found.http_port, found.https_port) == (8080, 8443)
    wait_until(lambda: not _mine(b, network), timeout=2 * TIMEOUT)


def test_tls_only_server_is_advertised_as_ircs_only(
    browser: tuple[DiscoveryBrowser, list[list[FoundServer]]],
) -> None:
    b, _ = browser
    network = f"test-{uuid.uuid4().hex[:8]}"
    with Advertiser(
        None,
        tls_port=6697,
        network=network,
        name=_unique_name(network),
        host=_unique_host(network),
        addresses=["127.0.0.1"],
        interfaces=LOOPBACK,
    ):
        wait_until(lambda: bool(_mine(b, network)), timeout=2 * TIMEOUT)
        (only,) = _mine(b, network)
        assert (only.port, only.tls, only.tls_port, only.fingerprint) == (6697, True, 6697, "")


def test_same_name_twice_is_made_unique(
    browser: tuple[DiscoveryBrowser, list[list[FoundServer]]],
) -> None:
    b, _ = browser
    network = f"test-{uuid.uuid4().hex[:8]}"
    name = f"clash {network}"
    first = Advertiser(
        1111,
        network=network,
        name=name,
        host=_unique_host(network),
        addresses=["127.0.0.1"],
        interfaces=LOOPBACK,
    )
    second = Advertiser(
        2222,
        network=network,
        name=name,
        host=_unique_host(network),
        addresses=["127.0.0.1"],
        interfaces=LOOPBACK,
    )
    first.start()
    try:
        assert first.wait_registered(2 * TIMEOUT)
        second.start()
        try:
            assert second.wait_registered(2 * TIMEOUT)
            wait_until(lambda: len(_mine(b, network)) == 2, timeout=2 * TIMEOUT)
            names = {s.name: s.port for s in _mine(b, network)}
            assert names[name] == 1111
            assert len(names) == 2
            assert second.names != [name]
        finally:
            second.close()
    finally:
        first.close()


def test_close_is_idempotent_and_close_before_start_is_harmless() -> None:
    network = f"test-{uuid.uuid4().hex[:8]}"
    adv = Advertiser(
        1234,
        name=_unique_name(network),
        host=_unique_host(network),
        addresses=["127.0.0.1"],
        interfaces=LOOPBACK,
    )
    adv.close()
    adv.start()
    adv.close()
    adv.close()
    b = DiscoveryBrowser(lambda servers: None, interfaces=LOOPBACK)
    b.close()
    b.start()
    b.close()
    b.close()


def test_default_name_and_addresses() -> None:
    assert default_instance_name().startswith("chinwag on ")
    assert len(default_instance_name().encode()) <= 63
    for addr in lan_ipv4_addresses():
        assert not addr.startswith("127.")
    adv = Advertiser(6667, interfaces=LOOPBACK)
    assert adv.addresses == tuple(lan_ipv4_addresses() or ["127.0.0.1"])
    assert Advertiser(6667, name="x" * 200, interfaces=LOOPBACK).requested_name == "x" * 59


def test_running_server_advertises_itself_and_withdraws_on_stop(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    browser: tuple[DiscoveryBrowser, list[list[FoundServer]]],
) -> None:
    caplog.set_level(logging.INFO)
    b, _ = browser
    monkeypatch.setenv(MDNS_INTERFACES_ENV, "127.0.0.1")
    network = f"test{uuid.uuid4().hex[:8]}"
    # The server announces the default name; make it this run's own (see _unique_name).
    monkeypatch.setattr(discovery, "default_instance_name", lambda: f"chinwag on {network}")
    monkeypatch.setattr(discovery, "_mdns_hostname", lambda: _unique_host(network))
    runner = ServerRunner(
        ServerConfig(
            listen=(("127.0.0.1", 0),),
            tls_listen=(("127.0.0.1", 0),),
            network=network,
            data_dir=tmp_path / "data",
            advertise=True,
        )
    )
    runner.start()
    try:
        wait_until(lambda: len(_mine(b, network)) == 2, timeout=2 * TIMEOUT)
        # By kind, not by order: the two names may differ after probing.
        (found,) = [s for s in _mine(b, network) if not s.tls]
        (secure,) = [s for s in _mine(b, network) if s.tls]
        assert found.port == runner.port and secure.port == runner.tls_port
        assert found.name == f"chinwag on {network}"
        assert found.host == _unique_host(network)
        # The log names the announcement once, with both service types.
        said = [r.getMessage() for r in caplog.records if "on the LAN" in r.getMessage()]
        assert said == [
            f"announcing 'chinwag on {network}' on the LAN (mDNS _irc._tcp and _ircs._tcp)"
        ]
        assert found.version == __version__
        assert found.addresses
        assert found.tls_port == runner.tls_port
        assert found.fingerprint == runner.fingerprint is not None
        # A new certificate (SIGHUP) is announced too.
        tls_dir = tmp_path / "data" / "tls"
        (tls_dir / "cert.pem").unlink()
        assert runner.reload_tls() and runner.fingerprint != found.fingerprint
        wait_until(
            lambda: {s.fingerprint for s in _mine(b, network)} == {runner.fingerprint},
            timeout=2 * TIMEOUT,
        )
    finally:
        runner.stop()
    wait_until(lambda: not _mine(b, network), timeout=2 * TIMEOUT)


def test_advertised_addresses_follow_the_bind() -> None:
    lan = lan_ipv4_addresses() or ["127.0.0.1"]
    assert advertised_addresses(["0.0.0.0"]) == lan
    assert advertised_addresses(["127.0.0.1"]) == ["127.0.0.1"]
    assert advertised_addresses(["10.1.2.3", "::1", "10.1.2.3"]) == ["10.1.2.3"]


def test_interfaces_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MDNS_INTERFACES_ENV, "127.0.0.1, 10.0.0.2")
    assert default_interfaces() == ["127.0.0.1", "10.0.0.2"]
    assert Advertiser(1).interfaces == ["127.0.0.1", "10.0.0.2"]
    monkeypatch.delenv(MDNS_INTERFACES_ENV)
    assert default_interfaces() is InterfaceChoice.All


def test_tls_port_and_fingerprint_come_from_the_txt_record() -> None:
    from zeroconf import ServiceInfo

    from chinwag.discovery import IRC_SERVICE, _found_from_info

    def found(**props: str) -> FoundServer | None:
        info = ServiceInfo(
            IRC_SERVICE, f"test.{IRC_SERVICE}", port=6667, server="test.local.",
            properties={"network": "n", **props}, parsed_addresses=["10.0.0.2"],
        )  # fmt: skip
        return _found_from_info(info)

    fp = "AB:" * 31 + "AB"
    with_tls = found(tls="6697", fp=fp)
    assert with_tls is not None
    assert (with_tls.port, with_tls.tls_port, with_tls.fingerprint) == (6667, 6697, fp)
    plain = found()
    assert plain is not None and (plain.tls_port, plain.fingerprint) == (None, "")
    bad = found(tls="99999")
    assert bad is not None and bad.tls_port is None
