"""Strict transport security in the client: the policy's parsing and store, the session's
reaction to ``sts`` in CAP LS, and the whole upgrade against a real chinwag server."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from chinwag.client import events as ev
from chinwag.client.session import Session
from chinwag.client.sts import StsStore, is_host_name, parse_sts, sts_duration, sts_port
from chinwag.proto.message import parse
from chinwag.transport.runner import ServerRunner
from tests.client.conftest import Watched
from tests.tlsutil import TestCA

TLS_ANY = (("127.0.0.1", 0),)


def test_values_are_parsed_and_bad_ones_ignored() -> None:
    assert parse_sts("port=6697,duration=300") == {"port": "6697", "duration": "300"}
    assert sts_port("port=6697,duration=300") == 6697
    assert sts_duration("duration=0") == 0
    for bad in ("port=0", "port=70000", "port=x", "duration=5", "port=-1", "port=٦٦"):
        assert sts_port(bad) is None, bad
    assert sts_duration("duration=-5") is None and sts_duration("port=1") is None


def test_the_store_keeps_renews_forgets_and_lets_policies_lapse(tmp_path: Path) -> None:
    store = StsStore(tmp_path / "sts.json")
    store.remember("Chat.Example", 6697, 100, now=1000.0)
    policy = store.get("chat.example", now=1099.0)
    assert policy is not None and policy.port == 6697
    assert store.get("chat.example", now=1100.0) is None  # lapsed
    store.remember("chat.example", 7000, 100, now=1090.0)  # renewed, new port
    policy = StsStore(tmp_path / "sts.json").get("chat.example", now=1150.0)  # read back
    assert policy is not None and policy.port == 7000
    store.remember("chat.example", 7000, 0, now=1160.0)  # duration=0: forget it
    assert store.get("chat.example", now=1161.0) is None
    for address in ("127.0.0.1", "::1", "[fe80::1]"):  # like HSTS: names only
        assert not is_host_name(address)
        store.remember(address, 6697, 100, now=1000.0)
        assert store.get(address, now=1001.0) is None
    (tmp_path / "sts.json").write_text("{not json")
    assert store.get("chat.example", now=0.0) is None  # a damaged file is no policy


def feed(s: Session, *lines: str) -> list[ev.Event]:
    return [e for line in lines for e in s.feed(parse(line))]


def test_plain_text_session_stops_at_the_policy_and_asks_nothing_more() -> None:
    s = Session("alice", clock=lambda: 1000.0)
    s.start()
    s.take_lines()
    (said,) = feed(s, ":srv CAP * LS :multi-prefix sts=port=6697,duration=300")
    assert isinstance(said, ev.ServerText) and "TLS on port 6697" in said.text
    assert s.sts_upgrade == 6697 and s.finished
    assert s.take_lines() == []  # no CAP REQ, no USER: nothing more goes over plain text


def test_tls_session_takes_the_duration_and_goes_on() -> None:
    s = Session("alice", clock=lambda: 1000.0, tls=True)
    s.start()
    s.take_lines()
    feed(s, ":srv CAP * LS :multi-prefix sts=duration=300")
    assert s.sts_policy == 300 and s.sts_upgrade is None and not s.finished
    assert s.take_lines()[0].startswith("CAP REQ")


@pytest.fixture
def ca(tmp_path: Path) -> TestCA:
    return TestCA.create(tmp_path / "ca")


def trusting(ca: TestCA) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca.bundle))


def test_a_plain_connection_is_upgraded_and_the_policy_kept(
    tmp_path: Path,
    ca: TestCA,
    make_server: Callable[..., ServerRunner],
    make_client: Callable[..., Watched],
) -> None:
    cert, key = ca.issue("localhost")
    server = make_server(tls_listen=TLS_ANY, tls_cert=cert, tls_key=key,
                         tls_trust_store=ca.bundle, sts_duration=600)  # fmt: skip
    store = StsStore(tmp_path / "sts.json")

    def plain_text_client(nick: str) -> Watched:  # what the person asked for
        return make_client(server.port, nick, "localhost", reconnect=False, tls=False,
                           verify_context=trusting(ca), sts=store)  # fmt: skip

    c = plain_text_client("alice")
    first = c.wait(ev.Connecting)
    assert (first.port, first.tls) == (server.port, False)
    secure = c.wait(ev.Encryption, lambda e: e.tls)
    assert (secure.port, secure.trusted_by) == (server.tls_port, "ca")
    c.wait(ev.Registered)
    policy = store.get("localhost", now=time.time())
    assert policy is not None and policy.port == server.tls_port
    # The next connection asks for plain text again: the policy sends it to TLS at once.
    again = plain_text_client("bob")
    opened = again.wait(ev.Connecting)
    assert (opened.port, opened.tls) == (server.tls_port, True)
    again.wait(ev.Registered)


def test_under_a_policy_an_unverified_certificate_is_refused_not_asked_about(
    tmp_path: Path,
    make_server: Callable[..., ServerRunner],
    make_client: Callable[..., Watched],
) -> None:
    server = make_server(tls_listen=TLS_ANY)  # self-signed: TOFU would ask the person
    store = StsStore(tmp_path / "sts.json")
    store.remember("localhost", server.tls_port, 600, now=time.time())
    c = make_client(server.port, "alice", "localhost", reconnect=False, tls=False, sts=store)
    failed = c.wait(ev.ConnectFailed)
    assert failed.kind == "tls" and "strict transport security" in failed.message
    assert not [e for e in c.seen if isinstance(e, ev.TrustNeeded)]
