"""Accounts over real sockets with a real SQLite file: an account made while the server
runs logs in (PLAIN and SCRAM), a guessing loop is throttled while the right password
from another address logs in at once, REGISTER survives a restart, and no password
reaches the log or the database in clear."""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from scramp import ScramClient

from chinwag.auth.credentials import make_credentials
from chinwag.server.config import AccountsConfig
from chinwag.storage.sqlite import SQLiteStorage
from chinwag.transport.runner import ServerRunner
from tests.support import TIMEOUT, LineClient, sasl_client

PASSWORD = "the-right-password"
GUESS = "a-wrong-guess"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def open_sasl(server: ServerRunner, nick: str, source: str = "127.0.0.1") -> LineClient:
    return sasl_client(server.port, nick, source=source)


def plain(client: LineClient, account: str, password: str) -> None:
    client.send("AUTHENTICATE PLAIN")
    client.expect(lambda m: m.command == "AUTHENTICATE" and m.param(0) == "+")
    client.send("AUTHENTICATE " + b64(f"\0{account}\0{password}".encode()))


def add_account(data_dir: Path, name: str, password: str) -> None:
    """As `chinwag accounts add` does, from another connection, while the server runs."""
    storage = SQLiteStorage.in_dir(data_dir)
    try:
        storage.add_account(name, make_credentials(password), time.time())
    finally:
        storage.close()


@pytest.fixture
def log_text(caplog: pytest.LogCaptureFixture) -> Callable[[], str]:
    caplog.set_level(logging.DEBUG, logger="chinwag")
    return lambda: caplog.text


def test_plain_and_scram_with_an_account_added_while_running(
    make_server: Callable[..., ServerRunner], tmp_path: Path, log_text: Callable[[], str]
) -> None:
    server = make_server()
    add_account(tmp_path / "data", "alice", PASSWORD)
    client = open_sasl(server, "alice")
    plain(client, "alice", PASSWORD)
    assert client.expect("900").params[2] == "alice"
    client.expect("903")
    client.send("CAP END")
    client.expect("001")

    scram = open_sasl(server, "alice2")
    c = ScramClient(["SCRAM-SHA-256"], "alice", PASSWORD)
    scram.send("AUTHENTICATE SCRAM-SHA-256")
    scram.expect("AUTHENTICATE")
    scram.send("AUTHENTICATE " + b64(c.get_client_first().encode()))
    c.set_server_first(base64.b64decode(scram.expect("AUTHENTICATE").params[0]).decode())
    scram.send("AUTHENTICATE " + b64(c.get_client_final().encode()))
    c.set_server_final(base64.b64decode(scram.expect("AUTHENTICATE").params[0]).decode())
    scram.send("AUTHENTICATE +")
    scram.expect("903")
    assert PASSWORD not in log_text()
    assert "logged in as alice" in log_text()


def test_guessing_is_throttled_and_the_owner_gets_in_at_once(
    make_server: Callable[..., ServerRunner], tmp_path: Path, log_text: Callable[[], str]
) -> None:
    server = make_server(accounts=AccountsConfig(throttle_first_delay=5.0, throttle_max_delay=60.0))
    add_account(tmp_path / "data", "alice", PASSWORD)
    failures: list[float] = []
    stop = threading.Event()

    def guess() -> None:  # a scripted guessing loop from one address, many connections
        clients = []
        for i in range(6):
            if stop.is_set():
                break
            c = open_sasl(server, f"guesser{i}", source="127.0.0.2")
            plain(c, "alice", f"{GUESS}{i}")
            clients.append(c)
        for c in clients:
            failures.extend(time.monotonic() for m in c.collect(0.1) if m.command == "904")
        stop.wait(1.5 * TIMEOUT / 5)
        for c in clients:
            failures.extend(time.monotonic() for m in c.collect(0.05) if m.command == "904")
            c.close()

    guesser = threading.Thread(target=guess)
    guesser.start()
    time.sleep(0.3)
    owner = open_sasl(server, "alice", source="127.0.0.3")
    started = time.monotonic()
    plain(owner, "alice", PASSWORD)
    owner.expect("903")
    took = time.monotonic() - started
    stop.set()
    guesser.join(4 * TIMEOUT)
    assert took < 5.0  # the guesser's next try waits 5 s; the owner did not
    assert len(failures) == 1  # one guess checked; the others wait behind the delay
    text = log_text()
    assert "failed login to account alice from 127.0.0.2" in text
    assert GUESS not in text and PASSWORD not in text


def test_register_then_log_in_after_a_restart(
    make_server: Callable[..., ServerRunner], tmp_path: Path, log_text: Callable[[], str]
) -> None:
    server = make_server()
    client = LineClient("127.0.0.1", server.port)
    client.send("CAP LS 302")
    client.send("NICK carol")
    client.send("REGISTER * * " + PASSWORD)
    reply = client.expect("REGISTER")
    assert reply.params[:2] == ("SUCCESS", "carol")
    client.expect("900")
    client.close()
    server.stop()
    again = make_server()
    back = open_sasl(again, "carol")
    plain(back, "carol", PASSWORD)
    back.expect("903")
    again.stop()
    for f in (tmp_path / "data").iterdir():
        assert PASSWORD.encode() not in f.read_bytes(), f
    assert PASSWORD not in log_text()
