"""Who may upload, over real sockets: HTTP Basic with an account's password, a token as
the Basic password, and the login throttle shared with SASL: failures over HTTP and over
IRC count together (per address and per account), answered 429 with Retry-After."""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chinwag.auth.credentials import make_credentials
from chinwag.server.config import AccountsConfig
from chinwag.server.webconfig import WebConfig
from chinwag.storage.sqlite import MemoryStorage, SQLiteStorage
from chinwag.transport.runner import ServerRunner
from tests.conftest import make_test_config
from tests.support import LineClient, sasl_client
from tests.web.conftest import LOOPBACK, file_token, upload

PASSWORD = "correct horse"


def basic(runner: ServerRunner, user: str, password: str) -> tuple[int, dict[str, str], bytes]:
    cred = base64.b64encode(f"{user}:{password}".encode()).decode()
    return upload(runner, b"hi", token="-", headers={"Authorization": f"Basic {cred}"})


def plain(client: LineClient, account: str, password: str) -> None:
    client.send("AUTHENTICATE PLAIN")
    client.expect(lambda m: m.command == "AUTHENTICATE" and m.param(0) == "+")
    raw = f"\0{account}\0{password}".encode()
    client.send("AUTHENTICATE " + base64.b64encode(raw).decode())


class TestPasswords:
    @pytest.fixture
    def runner(self, tmp_path: Path) -> Iterator[ServerRunner]:
        config = make_test_config(tmp_path, web=WebConfig(http=LOOPBACK))
        storage = MemoryStorage()
        assert storage.add_account("Alice", make_credentials(PASSWORD), 0.0)
        r = ServerRunner(config, storage=storage)
        r.start()
        yield r
        r.stop()

    def test_the_right_password_uploads_and_a_wrong_one_is_401_then_throttled(
        self, runner: ServerRunner
    ) -> None:
        assert basic(runner, "alice", PASSWORD)[0] == 201
        assert basic(runner, "alice", "wrong")[0] == 401
        # The next try from that address comes too soon: 429, not another guess.
        status, headers, body = basic(runner, "alice", PASSWORD)
        assert status == 429 and int(headers["Retry-After"]) >= 1
        assert b"try again" in body

    def test_an_unknown_account_is_401(self, runner: ServerRunner) -> None:
        assert basic(runner, "mallory", PASSWORD)[0] == 401

    def test_a_token_works_as_the_basic_password(self, runner: ServerRunner) -> None:
        assert basic(runner, "anyone", file_token(runner))[0] == 201


class TestSharedWithSasl:
    """One throttle for both doors: the server's, with the account kept in SQLite."""

    @pytest.fixture
    def make(
        self, make_server: Callable[..., ServerRunner], tmp_path: Path
    ) -> Callable[..., ServerRunner]:
        def start(**accounts: float) -> ServerRunner:
            runner = make_server(
                accounts=AccountsConfig(**accounts),  # type: ignore[arg-type]
                web=WebConfig(http=LOOPBACK),
            )
            storage = SQLiteStorage.in_dir(tmp_path / "data")
            try:
                storage.add_account("alice", make_credentials(PASSWORD), time.time())
            finally:
                storage.close()
            return runner

        return start

    @pytest.fixture
    def log_text(self, caplog: pytest.LogCaptureFixture) -> Callable[[], str]:
        caplog.set_level(logging.DEBUG, logger="chinwag")
        return lambda: caplog.text

    def test_a_sasl_failure_makes_http_wait_and_an_http_failure_makes_sasl_wait(
        self, make: Callable[..., ServerRunner], log_text: Callable[[], str]
    ) -> None:
        runner = make(throttle_first_delay=1.5, throttle_max_delay=1.5)
        guesser = sasl_client(runner.port, "guesser")
        plain(guesser, "alice", "a-wrong-guess")
        guesser.expect("904")
        status, headers, _ = basic(runner, "alice", PASSWORD)  # the same address
        assert status == 429 and 1 <= int(headers["Retry-After"]) <= 2
        assert "upload refused (429) from 127.0.0.1: too many attempts" in log_text()
        guesser.close()

        time.sleep(1.6)  # the delay is over: HTTP gets its turn, and fails
        assert basic(runner, "alice", "another-wrong-guess")[0] == 401
        failed = time.monotonic()
        owner = sasl_client(runner.port, "alice")
        plain(owner, "alice", PASSWORD)  # checked only once the HTTP failure's delay ends
        owner.expect("903")
        assert time.monotonic() - failed >= 1.0
        owner.close()
        text = log_text()
        assert "failed login to account alice from 127.0.0.1 (wrong password, over HTTP)" in text
        assert PASSWORD not in text and "wrong-guess" not in text

    def test_failures_over_both_lock_the_account_and_http_says_for_how_long(
        self, make: Callable[..., ServerRunner], log_text: Callable[[], str]
    ) -> None:
        runner = make(
            throttle_first_delay=0.0, throttle_max_delay=0.0, lockout_after=3, lockout_seconds=600
        )
        assert basic(runner, "alice", "guess-1")[0] == 401
        assert basic(runner, "alice", "guess-2")[0] == 401
        elsewhere = sasl_client(runner.port, "guesser", source="127.0.0.2")
        plain(elsewhere, "alice", "guess-3")  # the third failure, from another address
        elsewhere.expect("904")
        elsewhere.close()
        assert "account alice locked for 600s" in log_text()
        status, headers, body = basic(runner, "alice", PASSWORD)  # right, but locked
        assert status == 429 and 590 <= int(headers["Retry-After"]) <= 600
        assert b"locked" in body
        owner = sasl_client(runner.port, "alice", source="127.0.0.3")
        plain(owner, "alice", PASSWORD)
        assert "locked" in owner.expect("904").params[-1]
        owner.close()
