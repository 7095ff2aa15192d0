"""Names that belong to accounts, in each enforcement mode, and closed groups
(accounts.required), on the bare core."""

from __future__ import annotations

import base64

import pytest

from chinwag.auth.credentials import Credentials
from chinwag.proto import numerics as N
from chinwag.server.accounts import is_loopback
from tests.server.harness import ALICE_PASSWORD, Harness, account_harness, numerics, only

PASSWORD = ALICE_PASSWORD


harness = account_harness


def login(h: Harness, user: object) -> None:
    blob = base64.b64encode(b"\0alice\0" + PASSWORD.encode()).decode()
    h.send(user, "AUTHENTICATE PLAIN", "AUTHENTICATE " + blob)  # type: ignore[arg-type]


class TestGrace:
    def test_renamed_after_the_grace_period(self, creds: Credentials) -> None:
        h = harness(creds, nick_grace=30.0)
        watcher = h.connect("watcher")
        squatter = h.open()
        h.send(squatter, "NICK alice", "USER a 0 * :a")
        notices = only(h.lines(squatter), "NOTICE")
        assert any("belongs to an account" in n.params[-1] for n in notices)
        h.clear(watcher)
        h.server.tick(now=h.server.accounts.clock() + 29)
        assert squatter.nick == "alice"
        h.server.tick(now=h.server.accounts.clock() + 31)
        assert squatter.nick.startswith("Guest")
        nick = only(h.lines(squatter), "NICK")
        assert nick and nick[0].params == (squatter.nick,)

    def test_logging_in_in_time_keeps_the_name(self, creds: Credentials) -> None:
        h = harness(creds)
        user = h.connect("alice")
        login(h, user)
        assert user.account == "alice"
        h.server.tick(now=h.server.accounts.clock() + 60)
        assert user.nick == "alice"

    def test_nick_change_onto_an_account_name(self, creds: Credentials) -> None:
        h = harness(creds, nick_grace=5.0)
        user = h.connect("bob")
        h.send(user, "NICK alice")
        h.server.tick(now=h.server.accounts.clock() + 6)
        assert user.nick.startswith("Guest")


class TestStrict:
    def test_refused_at_registration_and_on_change(self, creds: Credentials) -> None:
        h = harness(creds, nick_enforcement="strict")
        user = h.open()
        h.send(user, "NICK alice", "USER a 0 * :a")
        assert N.ERR_NICKNAMEINUSE in numerics(h.lines(user)) and not user.registered
        h.send(user, "NICK bob")
        assert user.registered
        h.clear(user)
        h.send(user, "NICK ALICE")
        assert numerics(h.lines(user)) == [N.ERR_NICKNAMEINUSE] and user.nick == "bob"

    def test_the_owner_may_use_it(self, creds: Credentials) -> None:
        h = harness(creds, nick_enforcement="strict")
        user = h.open()
        h.send(user, "CAP LS 302", "NICK alice", "USER a 0 * :a")
        login(h, user)
        h.send(user, "CAP END")
        assert user.registered and user.nick == "alice"


class TestOff:
    def test_anyone_may_take_a_free_name(self, creds: Credentials) -> None:
        h = harness(creds, nick_enforcement="off")
        user = h.connect("alice")
        assert not only(h.lines(user), "NOTICE")
        h.server.tick(now=h.server.accounts.clock() + 3600)
        assert user.nick == "alice"


class TestRequired:
    def test_only_logged_in_people(self, creds: Credentials) -> None:
        h = harness(creds, required=True)
        stranger = h.open()
        h.send(stranger, "NICK bob", "USER b 0 * :b")
        fail = only(h.lines(stranger), "FAIL")
        assert fail[0].params[:2] == ("*", "ACCOUNT_REQUIRED") and stranger.closed
        member = h.open()
        h.send(member, "CAP LS 302", "NICK alice", "USER a 0 * :a")
        login(h, member)
        h.send(member, "CAP END")
        assert member.registered

    def test_register_before_connect_lets_you_in(self, creds: Credentials) -> None:
        h = harness(creds, required=True)
        user = h.open()
        h.send(user, "CAP LS 302", "NICK newbie", "USER n 0 * :n", "REGISTER * * newbie-pass")
        h.send(user, "CAP END")
        assert user.registered and user.account == "newbie"


@pytest.mark.parametrize(
    ("ip", "loop"), [("127.0.0.1", True), ("127.8.9.1", True), ("::1", True), ("10.0.0.1", False)]
)
def test_is_loopback(ip: str, loop: bool) -> None:
    assert is_loopback(ip) is loop


class TestAttemptWait:
    """What an HTTP Basic login is told before its password is checked (the same state
    SASL's gate waits on)."""

    def test_nothing_to_wait_for_at_first(self, creds: Credentials) -> None:
        h = harness(creds)
        accounts = h.server.accounts
        assert accounts.attempt_wait("10.0.0.1", accounts.lookup("alice")) == 0.0

    def test_a_failure_from_irc_makes_the_address_wait(self, creds: Credentials) -> None:
        h = harness(creds, throttle_first_delay=4.0)
        guesser = h.connect("guesser", ["sasl"], ip="127.0.0.5")  # PLAIN: loopback only
        blob = base64.b64encode(b"\0alice\0wrong").decode()
        h.send(guesser, "AUTHENTICATE PLAIN", "AUTHENTICATE " + blob)
        accounts = h.server.accounts
        assert 3.9 < accounts.attempt_wait("127.0.0.5", accounts.lookup("alice")) <= 4.0
        assert accounts.attempt_wait("127.0.0.6", accounts.lookup("alice")) == 0.0

    def test_a_check_under_way_from_the_address(self, creds: Credentials) -> None:
        h = harness(creds)
        accounts = h.server.accounts
        accounts.in_flight.add("10.0.0.1")
        assert accounts.attempt_wait("10.0.0.1", None) > 0
        accounts.release("10.0.0.1")
        assert accounts.attempt_wait("10.0.0.1", None) == 0.0

    def test_failures_from_anywhere_lock_the_account(self, creds: Credentials) -> None:
        h = harness(creds, throttle_first_delay=0.0, lockout_after=2, lockout_seconds=300.0)
        accounts = h.server.accounts
        assert accounts.failed_from("10.0.0.1", "10.0.0.1", "alice", "over HTTP") is None
        until = accounts.failed_from("10.0.0.2", "10.0.0.2", "alice", "over HTTP")
        assert until is not None
        account = accounts.lookup("alice")
        assert account is not None and account.locked_until == until
        assert 299 < accounts.attempt_wait("10.0.0.3", account) <= 300
