"""Accounts in the running server: logging in and out, the slow password check, failed
login throttling, and names that belong to accounts.

The account lookup API other parts use:

* ``user.account`` -- the account name a connection is logged in to, or None;
* ``server.accounts.account_of(user)`` -- the same, for code that holds only the server;
* ``server.accounts.lookup(name)`` -- the stored :class:`~chinwag.storage.base.Account`,
  read from storage now (never cached, so ``chinwag accounts`` changes count at once).

Checking a password costs one argon2 hash (tens of milliseconds). The core must not spend
that on its loop, so it is handed to a :data:`Worker` the transport supplies (a thread
pool); the result comes back on the loop through a callback. Attempts from an address
that just failed wait (:class:`~chinwag.auth.throttle.LoginThrottle`) before they reach
the worker, and an address has at most one check in flight, so wrong passwords from one
place never queue ahead of the right password from another. The web service's HTTP Basic
logins go through the same throttle (:meth:`AccountService.attempt_wait`,
:meth:`~AccountService.failed_from`): failures over HTTP and over SASL count together.

What this module does not do: parse SASL or REGISTER (that is
:mod:`chinwag.server.commands.accounts`), or keep accounts (storage does).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from chinwag.auth.credentials import ScramKeys, verify_password
from chinwag.auth.throttle import LoginThrottle
from chinwag.proto import numerics as N
from chinwag.server.history import deliver_offline
from chinwag.server.outgoing import Outgoing
from chinwag.server.state import User

if TYPE_CHECKING:
    from chinwag.server.view import CoreView
    from chinwag.storage.base import Account

log = logging.getLogger("chinwag.server")
T = TypeVar("T")
IN_FLIGHT_RETRY_SECONDS = 1.0  # Retry-After for an attempt while its address's check runs


class Worker(Protocol):
    """Runs ``job`` away from the event loop, then ``done(result)`` back on it."""

    def __call__(self, job: Callable[[], Any], done: Callable[[Any], None]) -> None: ...


def run_inline(job: Callable[[], Any], done: Callable[[Any], None]) -> None:
    """The worker when none is given (tests of the bare core): run it here and now."""
    done(job())


@dataclass(frozen=True, slots=True)
class LoginResult:
    account: str | None  # the account logged in to, or None
    reason: str = ""  # why not, for the person trying
    locked_until: float = 0.0


@dataclass(slots=True)
class SaslSession:
    """One AUTHENTICATE exchange of one connection (kept on ``user.sasl``)."""

    mechanism: Any  # a chinwag.auth.sasl.Mechanism
    buffer: str = ""  # base64 received so far (400-byte chunks)
    checking: bool = False  # a password check (or a throttle wait) is under way
    register_after: bool = False  # CAP END came during the check: register after it
    final_for: str | None = None  # SCRAM: server-final sent, waiting for "+" to log in


def is_loopback(ip: str) -> bool:
    return ip.startswith("127.") or ip in ("::1", "::ffff:127.0.0.1")


class AccountService:
    def __init__(self, server: CoreView, worker: Worker | None = None) -> None:
        self.server = server
        self.worker: Worker = worker or run_inline
        # How to rename someone whose grace ran out: NICK's logic, wired in by
        # chinwag.server.build (the core does not import the commands).
        self.rename: Callable[[User, str], None] = lambda user, nick: None
        cfg = server.config.accounts
        self.throttle = LoginThrottle(
            first_delay=cfg.throttle_first_delay,
            max_delay=cfg.throttle_max_delay,
            lockout_after=cfg.lockout_after,
            lockout=cfg.lockout_seconds,
        )
        self.in_flight: set[str] = set()  # addresses with a password check running
        # Attempts waiting for their address's check to finish (then released at once).
        self.queued: dict[str, deque[Callable[[], None]]] = {}
        self.deferred: list[tuple[float, Callable[[], None]]] = []  # (monotonic due, retry)
        self.clock: Callable[[], float] = time.monotonic  # the throttle's clock (tests move it)
        self.failures = 0  # failed logins since start (shown to operators)
        self.grace: dict[User, float] = {}  # users wearing someone's nick -> rename deadline

    # -- lookups ----------------------------------------------------------------------

    def lookup(self, name: str) -> Account | None:
        storage = self.server.storage
        if storage is None or not name or name == "*":
            return None
        return storage.get_account(name)

    def account_of(self, user: User) -> str | None:
        return user.account

    def scram_keys(self, name: str) -> ScramKeys | None:
        account = self.lookup(name)  # a lock-out is checked before the proof (see gate)
        return None if account is None else account.credentials.scram

    def may_send_password(self, user: User) -> bool:
        """PLAIN and REGISTER carry the password itself: only over TLS or from loopback,
        unless config allows plain text."""
        return (
            user.secure or is_loopback(user.ip) or self.server.config.accounts.plain_over_plaintext
        )

    # -- checking a password ------------------------------------------------------------

    def gate(
        self, user: User, name: str, go: Callable[[], None], fail: Callable[[LoginResult], None]
    ) -> None:
        """Run ``go`` once ``user``'s address may try again and ``name`` is not locked;
        else ``fail``. May call back later (from :meth:`tick`)."""
        if user.closed:
            return
        account = self.lookup(name)
        now = time.time()
        if account is not None and account.locked_until > now:
            fail(LoginResult(None, "locked", account.locked_until))
            return
        if user.ip in self.in_flight:
            self.queued.setdefault(user.ip, deque()).append(lambda: self.gate(user, name, go, fail))
            return
        wait = self.throttle.wait(user.ip, self.clock())
        if wait > 0:
            self.deferred.append((self.clock() + wait, lambda: self.gate(user, name, go, fail)))
            return
        go()

    def check_password(
        self, user: User, name: str, password: str, done: Callable[[LoginResult], None]
    ) -> None:
        """Verify ``password`` for account ``name`` off the loop; ``done`` gets the result."""

        def go() -> None:
            account = self.lookup(name)
            if account is None:
                self.record_failure(user, None, "no such account")
                done(LoginResult(None, "unknown"))
                return
            self.in_flight.add(user.ip)
            stored = account.credentials.password_hash

            def finish(ok: bool) -> None:
                if ok:
                    self.record_success(user, account.name)
                    result = LoginResult(account.name)
                else:
                    until = self.record_failure(user, account.name, "wrong password")
                    result = LoginResult(None, "wrong", until or 0.0)
                self.release(user.ip)  # after the failure counts: the next one waits
                done(result)

            self.worker(lambda: verify_password(stored, password), finish)

        self.gate(user, name, go, done)

    def release(self, ip: str) -> None:
        """The check for ``ip`` is over: the next attempt from there goes now (through
        :meth:`gate`, so after its throttle delay if this one failed: callers count
        the result first)."""
        self.in_flight.discard(ip)
        waiting = self.queued.get(ip)
        if waiting:
            retry = waiting.popleft()
            if not waiting:
                del self.queued[ip]
            retry()

    def record_failure(self, user: User, account: str | None, why: str) -> float | None:
        """Count a failed login; returns the lock-out's end if this failure locked it."""
        return self.failed_from(user.ip, user.address, account, why)

    def failed_from(self, ip: str, address: str, account: str | None, why: str) -> float | None:
        """Count a failed login from ``ip`` (over IRC or HTTP: one count for both), log
        it, and lock ``account`` (kept in storage) when it has failed too often;
        returns the lock-out's end (unix time) if this failure locked it."""
        self.failures += 1
        mono = self.clock()
        locked = self.throttle.failed(ip, account, mono)
        who = f"account {account}" if account else "an unknown account"
        self.server.emit(
            "login",
            f"failed login to {who} from {address} ({why})",
            level=logging.WARNING,
            address=address,
        )
        if locked is not None and account is not None:
            until = time.time() + (locked - mono)
            storage = self.server.storage
            if storage is not None:
                storage.set_locked_until(account, until)
            self.server.emit(
                "login",
                f"account {account} locked for {int(locked - mono)}s after repeated failures",
                level=logging.WARNING,
                address=address,
            )
            return until
        return None

    def record_success(self, user: User, account: str) -> None:
        self.succeeded_from(user.ip, account)

    def succeeded_from(self, ip: str, account: str) -> None:
        self.throttle.succeeded(ip, account)

    def attempt_wait(self, ip: str, account: Account | None) -> float:
        """Seconds before a password from ``ip`` for ``account`` may be checked, for
        callers that refuse rather than wait (HTTP: 429 with Retry-After): a check from
        ``ip`` under way, the address's throttle delay, or the account's lock-out; 0
        when it may be checked now. The same state as SASL's :meth:`gate`."""
        waits = [self.throttle.wait(ip, self.clock())]
        if ip in self.in_flight:
            waits.append(IN_FLIGHT_RETRY_SECONDS)
        if account is not None:
            waits.append(account.locked_until - time.time())
        return max(0.0, *waits)

    # -- logging in and out ---------------------------------------------------------------

    def log_in(self, user: User, account: str, how: str) -> None:
        """``user`` proved it holds ``account`` (``how``: the SASL mechanism, or
        REGISTER): say so to it and to those who watch."""
        user.account = account
        if self.server.fold(user.nick) == self.server.fold(account):
            self.grace.pop(user, None)
        self.server.numeric(
            user, N.RPL_LOGGEDIN, user.source, account, f"You are now logged in as {account}"
        )
        self._notify(user, account)
        self.server.emit(
            "account",
            f"{user.nick} ({user.address}) logged in as {account} ({how})",
            address=user.address,
        )
        if user.registered:  # during registration it waits for the welcome
            deliver_offline(self.server, user)

    def log_out(self, user: User) -> None:
        if user.account is None:
            return
        user.account = None
        self.server.numeric(user, N.RPL_LOGGEDOUT, user.source, "You are now logged out")
        self._notify(user, "*")

    def _notify(self, user: User, account: str) -> None:
        """account-notify: ACCOUNT to everyone sharing a channel, the user included."""
        if not user.registered:
            return
        peers = {user}
        for channel in user.channels.values():
            peers.update(channel.members)
        out = Outgoing("ACCOUNT", (account,), user.source)
        self.server.deliver([p for p in peers if "account-notify" in p.caps], out)

    # -- names that belong to accounts ------------------------------------------------------

    def owner_of_nick(self, nick: str) -> str | None:
        """The account that owns ``nick`` (the account of the same name), if any."""
        storage = self.server.storage
        if storage is None or self.server.config.accounts.nick_enforcement == "off":
            return None
        return storage.account_name(nick) if nick and nick != "*" else None

    def nick_refused(self, user: User, nick: str) -> bool:
        """Strict mode: ``nick`` belongs to an account ``user`` is not logged in to."""
        if self.server.config.accounts.nick_enforcement != "strict":
            return False
        owner = self.owner_of_nick(nick)
        return owner is not None and not self._holds(user, owner)

    def nick_taken(self, user: User) -> None:
        """Grace mode: ``user`` (registered) now wears a nick that may belong to someone."""
        self.grace.pop(user, None)
        cfg = self.server.config.accounts
        if cfg.nick_enforcement != "grace":
            return
        owner = self.owner_of_nick(user.nick)
        if owner is None or self._holds(user, owner):
            return
        self.grace[user] = self.clock() + cfg.nick_grace
        self.server.send(
            user,
            "NOTICE",
            user.nick,
            f"The nickname {user.nick} belongs to an account. Log in to it within "
            f"{int(cfg.nick_grace)} seconds or you will be renamed.",
        )

    def _holds(self, user: User, owner: str) -> bool:
        return user.account is not None and self.server.fold(user.account) == self.server.fold(
            owner
        )

    def guest_nick(self, user: User) -> str:
        prefix = self.server.config.accounts.guest_prefix
        n = user.id
        while self.server.find_user(f"{prefix}{n}") is not None:
            n += 100_000
        return f"{prefix}{n}"

    # -- time ----------------------------------------------------------------------------

    def tick(self, mono: float) -> None:
        """Release deferred attempts that are due, and rename people whose grace ran out."""
        if self.deferred:
            due = [d for d in self.deferred if d[0] <= mono]
            if due:
                self.deferred = [d for d in self.deferred if d[0] > mono]
                for _, retry in due:
                    retry()
        for user, deadline in list(self.grace.items()):
            if user.closed:
                del self.grace[user]
            elif deadline <= mono:
                del self.grace[user]
                if self.nick_owner_differs(user):
                    self.server.send(
                        user, "NOTICE", user.nick, "You did not log in in time: renaming you."
                    )
                    self.rename(user, self.guest_nick(user))

    def nick_owner_differs(self, user: User) -> bool:
        owner = self.owner_of_nick(user.nick)
        return owner is not None and not self._holds(user, owner)
