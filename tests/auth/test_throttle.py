"""LoginThrottle: growing delays per address, lock-out per account, and the right
password from another address never waits on someone else's wrong ones."""

from __future__ import annotations

from chinwag.auth.throttle import LoginThrottle


def test_delay_doubles_per_failure_up_to_the_cap() -> None:
    t = LoginThrottle(first_delay=1.0, max_delay=8.0, lockout_after=0)
    waits = []
    now = 100.0
    for _ in range(6):
        t.failed("10.0.0.1", "alice", now)
        waits.append(t.wait("10.0.0.1", now))
    assert waits == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert t.wait("10.0.0.1", now + 8.0) == 0.0


def test_other_address_is_not_delayed() -> None:
    t = LoginThrottle()
    for i in range(5):
        t.failed("10.0.0.1", "alice", 100.0 + i)
    assert t.wait("10.0.0.1", 105.0) > 0
    assert t.wait("10.0.0.2", 105.0) == 0.0


def test_lockout_after_n_failures_from_anywhere() -> None:
    t = LoginThrottle(lockout_after=3, lockout=60.0)
    assert t.failed("10.0.0.1", "alice", 100.0) is None
    assert t.failed("10.0.0.2", "alice", 101.0) is None
    assert t.failed("10.0.0.3", "alice", 102.0) == 162.0
    assert t.failed("10.0.0.3", "bob", 102.0) is None  # other accounts are not affected


def test_success_and_window_forget() -> None:
    t = LoginThrottle(window=10.0, lockout_after=2)
    t.failed("10.0.0.1", "alice", 100.0)
    t.succeeded("10.0.0.1", "alice")
    assert t.wait("10.0.0.1", 100.0) == 0.0
    assert t.failed("10.0.0.1", "alice", 100.0) is None
    assert t.failed("10.0.0.1", "alice", 120.0) is None  # the first is outside the window
    t.forget_old(200.0)
    assert not t.addresses and not t.accounts
