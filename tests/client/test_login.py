"""Logging in from the client core against a real chinwag server (loopback, SQLite):
SCRAM-SHA-256 by default, creating an account with REGISTER, reconnecting to it, clear
failures (wrong password, taken name, locked out), /login after connecting, and who is
logged in in the member list. Plus the Login state machine's choices on its own."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from chinwag.auth.credentials import make_credentials
from chinwag.client import events as ev
from chinwag.client.login import Login
from chinwag.client.session import Session
from chinwag.proto.message import parse
from chinwag.storage.sqlite import SQLiteStorage
from chinwag.transport.runner import ServerRunner
from tests.client.conftest import Watched

PASSWORD = "client-password-1"


def add_account(data_dir: Path, name: str, locked_until: float = 0.0) -> None:
    storage = SQLiteStorage.in_dir(data_dir)
    try:
        storage.add_account(name, make_credentials(PASSWORD), time.time())
        if locked_until:
            storage.set_locked_until(name, locked_until)
    finally:
        storage.close()


@pytest.fixture
def data(server: ServerRunner, tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_logs_in_with_scram_and_is_marked_in_the_member_list(
    server: ServerRunner, data: Path, make_client: Callable[..., Watched]
) -> None:
    add_account(data, "alice")
    alice = make_client(server.port, "alice", account=("alice", PASSWORD))
    assert alice.wait(ev.LoggedIn).account == "alice"
    alice.wait(ev.Registered)
    bob = make_client(server.port, "bob")
    bob.members("#lobby", lambda ms: any(m.nick == "alice" and m.account == "alice" for m in ms))
    bob.members("#lobby", lambda ms: any(m.nick == "bob" and m.account == "" for m in ms))
    assert server.call(lambda core: core.find_user("alice").account) == "alice"  # type: ignore[union-attr]


def test_register_then_reconnect_logs_in(
    server: ServerRunner, make_client: Callable[..., Watched]
) -> None:
    carol = make_client(server.port, "carol", account=("carol", PASSWORD), register=True)
    logged = carol.wait(ev.LoggedIn)
    assert logged.account == "carol" and logged.created
    carol.wait(ev.Registered)
    server.call(lambda core: core.kill("carol", "test reconnect"))
    carol.wait(ev.Disconnected)
    again = carol.wait(ev.LoggedIn)  # SASL this time: the account exists
    assert again.account == "carol" and not again.created


@pytest.mark.parametrize(
    ("account", "register", "kind", "words"),
    [
        (("alice", "not-the-password"), False, "wrong-password", "Wrong password"),
        (("alice", PASSWORD), True, "account-taken", "is taken"),
        (("dave", PASSWORD), False, "locked", "try again"),
    ],
)
def test_failures_are_explained(
    server: ServerRunner,
    data: Path,
    make_client: Callable[..., Watched],
    account: tuple[str, str],
    register: bool,
    kind: str,
    words: str,
) -> None:
    add_account(data, "alice")
    add_account(data, "dave", locked_until=time.time() + 600)
    client = make_client(server.port, account[0], account=account, register=register)
    failed = client.wait(ev.ConnectFailed)
    assert failed.kind == kind and words in failed.message


def test_login_after_connecting(
    server: ServerRunner, data: Path, make_client: Callable[..., Watched]
) -> None:
    add_account(data, "erin")
    erin = make_client(server.port, "erin")
    erin.wait(ev.Registered)
    erin.client.call(lambda s: s.login_now("erin", "wrong-password-x"))
    assert erin.wait(ev.LoginFailed).kind == "wrong-password"
    time.sleep(1.2)  # the server makes a failed address wait a second before the next try
    erin.client.call(lambda s: s.login_now("erin", PASSWORD))
    assert erin.wait(ev.LoggedIn, timeout=15).account == "erin"


class TestLoginChoices:
    def test_prefers_scram(self) -> None:
        lines, outcome = Login("a", "p").begin({"sasl": "PLAIN,SCRAM-SHA-256"}, secure=True)
        assert outcome is None and lines[0].params == ("SCRAM-SHA-256",)

    def test_plain_only_when_secure(self) -> None:
        lines, outcome = Login("a", "p").begin({"sasl": "PLAIN"}, secure=True)
        assert lines[0].params == ("PLAIN",)
        lines, outcome = Login("a", "p").begin({"sasl": "PLAIN"}, secure=False)
        assert not lines and outcome is not None and outcome.kind == "login-unavailable"

    def test_no_accounts_on_the_server(self) -> None:
        _, outcome = Login("a", "p").begin({}, secure=True)
        assert outcome is not None and outcome.kind == "login-unavailable"

    def test_password_not_in_repr(self) -> None:
        assert "secret-pw" not in repr(Login("a", "secret-pw"))

    def test_session_holds_registration_until_logged_in(self) -> None:
        s = Session("alice", login=Login("alice", PASSWORD), secure=True)
        s.start()
        s.feed(parse(":srv CAP * LS :sasl=PLAIN,SCRAM-SHA-256 server-time"))
        s.take_lines()
        s.feed(parse(":srv CAP alice ACK :sasl server-time"))
        assert s.take_lines() == ["AUTHENTICATE SCRAM-SHA-256"]  # no CAP END yet
