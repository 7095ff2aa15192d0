"""The threaded client over real TLS on loopback: a chinwag server with a TLS port,
certificates made with ``cryptography``. Trust on first use, pins, the LAN
announcement, a CA, the plain-text fallback and refusing it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chinwag.certs import fingerprint_display
from chinwag.client import events as ev
from chinwag.client.trust import PinStore, client_context
from chinwag.transport.runner import ServerRunner
from tests.client.conftest import Watched
from tests.client.ngircd import free_port
from tests.support import TIMEOUT
from tests.tlsutil import Cert, TestCA, TLSPort, make_cert


@pytest.fixture
def pins(tmp_path: Path) -> PinStore:
    return PinStore(tmp_path / "cfg" / "known_servers.json")


@pytest.fixture
def connect(
    make_client: Callable[..., Watched], pins: PinStore, listener: TLSPort
) -> Iterator[Callable[..., Watched]]:
    def make(nick: str, **kwargs: Any) -> Watched:
        kwargs.setdefault("pins", pins)
        kwargs.setdefault("tls", True)
        return make_client(kwargs.pop("port", listener.port), nick, **kwargs)

    yield make


def test_a_new_self_signed_certificate_needs_trust(
    connect: Callable[..., Watched], pins: PinStore, listener: TLSPort, cert: Cert
) -> None:
    c = connect("alice")
    need = c.wait(ev.TrustNeeded)
    assert (need.host, need.port, need.status) == ("127.0.0.1", listener.port, "new")
    assert need.fingerprint == cert.shown and need.pinned == ""
    c.wait(ev.Stopped)
    assert not any(isinstance(e, ev.Registered) for e in c.seen)
    assert pins.get("127.0.0.1", listener.port) == ""  # nothing saved without the person


def test_a_pinned_certificate_connects_silently_and_reconnects(
    connect: Callable[..., Watched], pins: PinStore, listener: TLSPort, cert: Cert
) -> None:
    pins.pin("127.0.0.1", listener.port, cert.fingerprint)  # what Trust in the window does
    c = connect("alice")
    secured = c.wait(ev.Encryption)
    assert secured.tls and secured.trusted_by == "pin" and secured.fingerprint == cert.shown
    c.wait(ev.Registered)
    assert listener.runner.call(lambda core: core.kill("alice", "test drop"))
    c.wait(ev.Disconnected)
    again = c.wait(ev.Encryption)  # the reconnect checks the pin again, silently
    assert (again.tls, again.trusted_by, again.port) == (True, "pin", listener.port)
    assert c.wait(ev.Registered).reconnected
    assert not any(isinstance(e, ev.TrustNeeded) for e in c.seen)


def test_a_changed_certificate_is_refused_until_accepted_explicitly(
    connect: Callable[..., Watched], pins: PinStore, listener: TLSPort, cert: Cert,
    tmp_path: Path,
) -> None:  # fmt: skip
    pins.pin("127.0.0.1", listener.port, cert.fingerprint)
    impostor = make_cert(tmp_path / "certs", "impostor")
    listener.use(impostor)
    # Even a LAN announcement of the new certificate does not override the pin.
    c = connect("alice", announced_fingerprint=impostor.fingerprint)
    need = c.wait(ev.TrustNeeded)
    assert need.status == "changed"
    assert (need.fingerprint, need.pinned) == (impostor.shown, cert.shown)
    c.wait(ev.Stopped)
    assert not any(isinstance(e, ev.Registered | ev.Encryption) for e in c.seen)
    assert pins.get("127.0.0.1", listener.port) == cert.fingerprint  # the old pin stays
    pins.pin("127.0.0.1", listener.port, impostor.fingerprint)  # "Accept the new certificate"
    again = connect("alice")
    assert again.wait(ev.Encryption).trusted_by == "pin"
    again.wait(ev.Registered)


def test_a_certificate_changed_during_a_drop_stops_the_reconnect(
    connect: Callable[..., Watched], pins: PinStore, listener: TLSPort, cert: Cert,
    tmp_path: Path,
) -> None:  # fmt: skip
    pins.pin("127.0.0.1", listener.port, cert.fingerprint)
    c = connect("alice")
    c.wait(ev.Registered)
    listener.use(make_cert(tmp_path / "certs", "other"))
    assert listener.runner.call(lambda core: core.kill("alice", "test drop"))
    assert c.wait(ev.TrustNeeded).status == "changed"
    c.wait(ev.Stopped)


def test_the_announced_fingerprint_is_trusted_without_asking_and_pinned(
    connect: Callable[..., Watched], pins: PinStore, listener: TLSPort, cert: Cert
) -> None:
    c = connect("alice", announced_fingerprint=cert.shown)
    secured = c.wait(ev.Encryption)
    assert (secured.tls, secured.trusted_by) == (True, "announced")
    c.wait(ev.Registered)
    assert not any(isinstance(e, ev.TrustNeeded) for e in c.seen)
    assert pins.get("127.0.0.1", listener.port) == cert.fingerprint


def test_a_ca_signed_certificate_is_accepted_as_usual(
    make_client: Callable[..., Watched], make_server: Callable[..., ServerRunner],
    pins: PinStore, tmp_path: Path,
) -> None:  # fmt: skip
    ca = TestCA.create(tmp_path / "ca")
    cert, key = ca.issue("localhost")
    server = make_server(tls_listen=(("127.0.0.1", 0),), tls_cert=cert, tls_key=key)
    trusting = client_context(cafile=str(ca.bundle))
    c = make_client(server.tls_port, "alice", tls=True, pins=pins, verify_context=trusting)
    secured = c.wait(ev.Encryption)
    assert (secured.tls, secured.trusted_by) == (True, "ca")
    assert secured.fingerprint == fingerprint_display(server.fingerprint or "")
    c.wait(ev.Registered)
    assert pins.get("127.0.0.1", server.tls_port) == ""  # a CA vouches: nothing to pin
    # Without that CA the same certificate is just one more unknown certificate.
    unknown = make_client(server.tls_port, "bob", tls=True, pins=pins)
    assert unknown.wait(ev.TrustNeeded).status == "new"


def test_no_tls_port_falls_back_to_plain_text_and_says_so(
    make_client: Callable[..., Watched], server: ServerRunner, pins: PinStore
) -> None:
    tls_port = free_port()  # nobody listens there: refused
    c = make_client(server.port, "alice", pins=pins, default_ports=(server.port, tls_port))
    first = c.wait(ev.Connecting)
    assert (first.port, first.tls) == (tls_port, True)
    second = c.wait(ev.Connecting)
    assert (second.port, second.tls) == (server.port, False)
    plain = c.wait(ev.Encryption)
    assert (plain.tls, plain.port, plain.fingerprint) == (False, server.port, "")
    c.wait(ev.Registered)


def test_refusing_plain_text_makes_the_fallback_an_error(
    make_client: Callable[..., Watched], server: ServerRunner, pins: PinStore
) -> None:
    c = make_client(
        server.port, "alice", pins=pins, refuse_plain=True,
        default_ports=(server.port, free_port()),
    )  # fmt: skip
    failed = c.wait(ev.ConnectFailed)
    assert failed.kind == "plain-refused"
    assert "offers no encrypted connection" in failed.message
    assert "unencrypted connections are turned off" in failed.message
    c.wait(ev.Stopped)
    assert not any(isinstance(e, ev.Encryption) for e in c.seen)
    direct = make_client(server.port, "bob", pins=pins, refuse_plain=True)  # a plain port
    assert direct.wait(ev.ConnectFailed).kind == "plain-refused"


def test_tls_to_a_plain_port_is_explained(
    make_client: Callable[..., Watched], server: ServerRunner, pins: PinStore
) -> None:
    c = make_client(server.port, "alice", pins=pins, tls=True, connect_timeout=TIMEOUT / 5)
    failed = c.wait(ev.ConnectFailed)
    assert failed.kind in ("tls", "timeout")
    assert f"127.0.0.1:{server.port}" in failed.message
