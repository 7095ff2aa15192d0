"""The storage interface the server core talks to.

Writes are buffered: :meth:`Storage.append_message` only queues, and :meth:`Storage.flush`
(called from the server's periodic tick) writes the queue in one transaction, so the hot
message path never waits on the disk. Reads (:meth:`Storage.recent`) see queued rows too.

Accounts (:class:`Account`) are read and written at once, never cached: the server looks
an account up at login time, so ``chinwag accounts`` changes made while it runs count at
the next login. Room snapshots (:class:`Room`) are queued like messages and written by
the next flush; :meth:`Storage.load_rooms` is called once, at start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from chinwag.auth.credentials import Credentials
from chinwag.proto.casemap import folder

rfc1459_fold = folder("rfc1459")


@dataclass(frozen=True, slots=True)
class StoredMessage:
    target: str
    source: str
    command: str
    text: str
    time: float
    msgid: str


@dataclass(frozen=True, slots=True)
class Account:
    """An account: its name as registered, its credentials, certificate fingerprints
    (lower-case hex SHA-256, for SASL EXTERNAL) and the end of any lock-out (unix time)."""

    name: str
    credentials: Credentials
    created: float
    locked_until: float = 0.0
    certfps: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Room:
    """What survives of a channel across restarts."""

    name: str
    founder: str | None  # account name
    topic: str = ""
    topic_by: str = ""
    topic_at: int = 0
    modes: str = "nt"  # flag modes without parameters
    key: str | None = None
    limit: int | None = None
    bans: tuple[tuple[str, str, int], ...] = ()  # (mask, set by, set at)
    ops: tuple[str, ...] = ()  # accounts the founder gave operator status to
    created: int = 0


class AccountStore(Protocol):
    """The account half of storage. Names are matched with the server's casemapping."""

    def get_account(self, name: str) -> Account | None: ...

    def account_by_certfp(self, fingerprint: str) -> Account | None: ...

    def add_account(self, name: str, credentials: Credentials, at: float) -> bool:
        """False when the name is taken."""
        ...

    def set_credentials(self, name: str, credentials: Credentials) -> bool: ...

    def delete_account(self, name: str) -> bool: ...

    def list_accounts(self) -> list[Account]: ...

    def set_locked_until(self, name: str, until: float) -> bool: ...

    def add_certfp(self, name: str, fingerprint: str) -> bool:
        """False when the account is unknown or the fingerprint belongs to another."""
        ...

    def del_certfp(self, name: str, fingerprint: str) -> bool: ...


class Storage(AccountStore, Protocol):
    def append_message(
        self, target: str, source: str, command: str, text: str, at: float, msgid: str
    ) -> None: ...

    def recent(self, target: str, limit: int) -> list[StoredMessage]:
        """The last ``limit`` messages of ``target``, oldest first."""
        ...

    def save_room(self, room: Room) -> None:
        """Queue a room's snapshot (replacing any earlier one) for the next flush."""
        ...

    def delete_room(self, name: str) -> None: ...

    def load_rooms(self) -> list[Room]: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


class MemoryStorage:
    """Storage that forgets on exit: for tests and ``data_dir = None``.

    ``fold`` is the server's casemapping: targets are keyed by their folded name.
    """

    def __init__(self, keep: int = 1000, fold: Callable[[str], str] = rfc1459_fold) -> None:
        self.keep = keep
        self.fold = fold
        self.rows: dict[str, list[StoredMessage]] = {}
        self.accounts: dict[str, Account] = {}
        self.rooms: dict[str, Room] = {}

    def append_message(
        self, target: str, source: str, command: str, text: str, at: float, msgid: str
    ) -> None:
        rows = self.rows.setdefault(self.fold(target), [])
        rows.append(StoredMessage(target, source, command, text, at, msgid))
        if len(rows) > self.keep * 2:
            del rows[: len(rows) - self.keep]

    def recent(self, target: str, limit: int) -> list[StoredMessage]:
        return self.rows.get(self.fold(target), [])[-limit:] if limit > 0 else []

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    # -- accounts ---------------------------------------------------------------------

    def get_account(self, name: str) -> Account | None:
        return self.accounts.get(self.fold(name))

    def account_by_certfp(self, fingerprint: str) -> Account | None:
        fp = fingerprint.lower()
        return next((a for a in self.accounts.values() if fp in a.certfps), None)

    def add_account(self, name: str, credentials: Credentials, at: float) -> bool:
        if self.fold(name) in self.accounts:
            return False
        self.accounts[self.fold(name)] = Account(name, credentials, at)
        return True

    def _update(self, name: str, **changes: object) -> bool:
        key = self.fold(name)
        account = self.accounts.get(key)
        if account is None:
            return False
        self.accounts[key] = replace(account, **changes)  # type: ignore[arg-type]
        return True

    def set_credentials(self, name: str, credentials: Credentials) -> bool:
        return self._update(name, credentials=credentials)

    def delete_account(self, name: str) -> bool:
        return self.accounts.pop(self.fold(name), None) is not None

    def list_accounts(self) -> list[Account]:
        return sorted(self.accounts.values(), key=lambda a: self.fold(a.name))

    def set_locked_until(self, name: str, until: float) -> bool:
        return self._update(name, locked_until=until)

    def add_certfp(self, name: str, fingerprint: str) -> bool:
        fp = fingerprint.lower()
        account = self.get_account(name)
        owner = self.account_by_certfp(fp)
        if account is None or (owner is not None and owner.name != account.name):
            return False
        return owner is not None or self._update(name, certfps=(*account.certfps, fp))

    def del_certfp(self, name: str, fingerprint: str) -> bool:
        account = self.get_account(name)
        fp = fingerprint.lower()
        if account is None or fp not in account.certfps:
            return False
        return self._update(name, certfps=tuple(f for f in account.certfps if f != fp))

    # -- rooms ------------------------------------------------------------------------

    def save_room(self, room: Room) -> None:
        self.rooms[self.fold(room.name)] = room

    def delete_room(self, name: str) -> None:
        self.rooms.pop(self.fold(name), None)

    def load_rooms(self) -> list[Room]:
        return list(self.rooms.values())
