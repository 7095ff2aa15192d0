"""Failed-login throttling, without I/O or clocks of its own (the caller passes ``now``).

Two kinds of key are counted separately:

* an *address* (an IP): every failure from it, whatever the account, grows the delay
  before its next attempt is checked, so one machine cannot spray guesses;
* an *account*: failures against it from anywhere count towards a lock-out window
  (``lockout_after`` failures within ``window`` seconds lock it for ``lockout``
  seconds), so guessing from many addresses ends too.

An account's own failures never delay an attempt from another address: a wrong password
from one address makes *that address* wait, and the right password from elsewhere is
checked at once, unless the account is locked out. Lock-outs are the caller's to persist
(the server stores them with the account, so the CLI and admin window can lift them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Defaults, each overridable from config ([accounts] in chinwag.example.toml).
FIRST_DELAY = 1.0  # seconds after the first failure from an address
MAX_DELAY = 30.0  # the delay doubles per failure up to this
LOCKOUT_AFTER = 10  # failures against one account within WINDOW lock it
LOCKOUT_SECONDS = 900.0
WINDOW = 900.0  # failures older than this are forgotten


@dataclass(slots=True)
class _Record:
    failures: int = 0
    last: float = 0.0
    next_allowed: float = 0.0


@dataclass(slots=True)
class LoginThrottle:
    first_delay: float = FIRST_DELAY
    max_delay: float = MAX_DELAY
    lockout_after: int = LOCKOUT_AFTER
    lockout: float = LOCKOUT_SECONDS
    window: float = WINDOW
    addresses: dict[str, _Record] = field(default_factory=dict)
    accounts: dict[str, _Record] = field(default_factory=dict)

    def wait(self, address: str, now: float) -> float:
        """Seconds an attempt from ``address`` must wait before it is checked (0: now)."""
        rec = self._fresh(self.addresses, address, now)
        return 0.0 if rec is None else max(0.0, rec.next_allowed - now)

    def failed(self, address: str, account: str | None, now: float) -> float | None:
        """Count a failure. Returns the unix-style time until which ``account`` is now
        locked (in the caller's clock), or None when it is not locked by this failure."""
        rec = self._fresh(self.addresses, address, now) or _Record()
        rec.failures += 1
        rec.last = now
        rec.next_allowed = now + min(self.max_delay, self.first_delay * 2 ** (rec.failures - 1))
        self.addresses[address] = rec
        if account is None:
            return None
        acc = self._fresh(self.accounts, account, now) or _Record()
        acc.failures += 1
        acc.last = now
        self.accounts[account] = acc
        if self.lockout_after and acc.failures >= self.lockout_after:
            del self.accounts[account]
            return now + self.lockout
        return None

    def succeeded(self, address: str, account: str) -> None:
        self.addresses.pop(address, None)
        self.accounts.pop(account, None)

    def forget_old(self, now: float) -> None:
        """Drop records older than the window (call now and then)."""
        for table in (self.addresses, self.accounts):
            for key in [k for k, r in table.items() if now - r.last > self.window]:
                del table[key]

    def _fresh(self, table: dict[str, _Record], key: str, now: float) -> _Record | None:
        rec = table.get(key)
        if rec is not None and now - rec.last > self.window:
            del table[key]
            return None
        return rec
