"""The SQL of accounts and rooms, mixed into :class:`chinwag.storage.sqlite.SQLiteStorage`.

Accounts are read and written at once through their own connection (``self.meta``,
serialised by ``self.meta_lock``, usable from any thread), so a lookup at login time
sees what ``chinwag accounts`` wrote a moment ago in another process. Room snapshots are
queued and written by :meth:`write_rooms`, inside the storage's flush, off the event loop.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from chinwag.auth.credentials import Credentials, ScramKeys
from chinwag.storage.base import Account, Room

# Migration 2 (see chinwag.storage.sqlite.MIGRATIONS).
ACCOUNTS_MIGRATION = """
    ALTER TABLE accounts ADD COLUMN scram_salt BLOB NOT NULL DEFAULT x'';
    ALTER TABLE accounts ADD COLUMN scram_stored_key BLOB NOT NULL DEFAULT x'';
    ALTER TABLE accounts ADD COLUMN scram_server_key BLOB NOT NULL DEFAULT x'';
    ALTER TABLE accounts ADD COLUMN scram_iterations INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE accounts ADD COLUMN locked_until REAL NOT NULL DEFAULT 0;
    CREATE TABLE account_certs (
        fingerprint TEXT PRIMARY KEY,  -- lower-case hex SHA-256 of the client certificate
        account_key TEXT NOT NULL
    );
    CREATE INDEX account_certs_by_account ON account_certs (account_key);
    CREATE TABLE rooms (
        name_key TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        founder TEXT,                   -- account name
        topic TEXT NOT NULL,
        topic_by TEXT NOT NULL,
        topic_at INTEGER NOT NULL,
        modes TEXT NOT NULL,            -- flag modes, e.g. nt
        chan_key TEXT,
        user_limit INTEGER,
        created INTEGER NOT NULL
    );
    CREATE TABLE room_bans (
        room_key TEXT NOT NULL,
        mask TEXT NOT NULL,
        set_by TEXT NOT NULL,
        set_at INTEGER NOT NULL
    );
    CREATE INDEX room_bans_by_room ON room_bans (room_key);
    CREATE TABLE room_ops (
        room_key TEXT NOT NULL,
        account TEXT NOT NULL
    );
    CREATE INDEX room_ops_by_room ON room_ops (room_key)
"""

_ACCOUNT_COLUMNS = (
    "name, password_hash, scram_salt, scram_stored_key, scram_server_key, scram_iterations,"
    " created, locked_until, name_key"
)


class AccountsSQL:
    """Accounts and rooms on SQLite. Expects ``db`` (the flush connection), ``meta``,
    ``meta_lock``, ``fold`` and ``room_queue`` from the class it is mixed into."""

    db: sqlite3.Connection
    meta: sqlite3.Connection
    meta_lock: threading.Lock
    fold: Callable[[str], str]
    room_queue: dict[str, Room | None]  # folded name -> snapshot (None: delete)

    @contextmanager
    def _meta(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """The accounts connection, in one transaction: a deferred one to read (readers
        never wait for the history writer in WAL mode), an immediate one to write."""
        with self.meta_lock:
            self.meta.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield self.meta
            except BaseException:
                self.meta.execute("ROLLBACK")
                raise
            self.meta.execute("COMMIT")

    def _account(self, db: sqlite3.Connection, row: Any) -> Account | None:
        if row is None:
            return None
        name, phash, salt, stored, server, iters, created, locked, key = row
        certs = db.execute(
            "SELECT fingerprint FROM account_certs WHERE account_key = ? ORDER BY fingerprint",
            (key,),
        ).fetchall()
        keys = ScramKeys(salt, stored, server, iters)
        return Account(name, Credentials(phash, keys), created, locked, tuple(c[0] for c in certs))

    def get_account(self, name: str) -> Account | None:
        with self._meta() as db:
            row = db.execute(
                f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE name_key = ?", (self.fold(name),)
            ).fetchone()
            return self._account(db, row)

    def account_name(self, name: str) -> str | None:
        # One statement, so no explicit transaction: this runs on every registration.
        with self.meta_lock:
            row = self.meta.execute(
                "SELECT name FROM accounts WHERE name_key = ?", (self.fold(name),)
            ).fetchone()
        return None if row is None else str(row[0])

    def account_by_certfp(self, fingerprint: str) -> Account | None:
        with self._meta() as db:
            row = db.execute(
                f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE name_key ="
                " (SELECT account_key FROM account_certs WHERE fingerprint = ?)",
                (fingerprint.lower(),),
            ).fetchone()
            return self._account(db, row)

    def add_account(self, name: str, credentials: Credentials, at: float) -> bool:
        s = credentials.scram
        try:
            with self._meta(write=True) as db:
                db.execute(
                    "INSERT INTO accounts (name_key, name, password_hash, scram_salt,"
                    " scram_stored_key, scram_server_key, scram_iterations, created)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        self.fold(name),
                        name,
                        credentials.password_hash,
                        s.salt,
                        s.stored_key,
                        s.server_key,
                        s.iterations,
                        at,
                    ),
                )
        except sqlite3.IntegrityError:
            return False
        return True

    def set_credentials(self, name: str, credentials: Credentials) -> bool:
        s = credentials.scram
        with self._meta(write=True) as db:
            cur = db.execute(
                "UPDATE accounts SET password_hash = ?, scram_salt = ?, scram_stored_key = ?,"
                " scram_server_key = ?, scram_iterations = ? WHERE name_key = ?",
                (
                    credentials.password_hash,
                    s.salt,
                    s.stored_key,
                    s.server_key,
                    s.iterations,
                    self.fold(name),
                ),
            )
            return cur.rowcount > 0

    def delete_account(self, name: str) -> bool:
        key = self.fold(name)
        with self._meta(write=True) as db:
            db.execute("DELETE FROM account_certs WHERE account_key = ?", (key,))
            return db.execute("DELETE FROM accounts WHERE name_key = ?", (key,)).rowcount > 0

    def list_accounts(self) -> list[Account]:
        with self._meta() as db:
            rows = db.execute(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts ORDER BY name_key")
            return [a for a in (self._account(db, r) for r in rows.fetchall()) if a is not None]

    def set_locked_until(self, name: str, until: float) -> bool:
        with self._meta(write=True) as db:
            cur = db.execute(
                "UPDATE accounts SET locked_until = ? WHERE name_key = ?", (until, self.fold(name))
            )
            return cur.rowcount > 0

    def add_certfp(self, name: str, fingerprint: str) -> bool:
        key, fp = self.fold(name), fingerprint.lower()
        with self._meta(write=True) as db:
            if db.execute("SELECT 1 FROM accounts WHERE name_key = ?", (key,)).fetchone() is None:
                return False
            owner = db.execute(
                "SELECT account_key FROM account_certs WHERE fingerprint = ?", (fp,)
            ).fetchone()
            if owner is not None:
                return bool(owner[0] == key)
            db.execute(
                "INSERT INTO account_certs (fingerprint, account_key) VALUES (?, ?)", (fp, key)
            )
            return True

    def del_certfp(self, name: str, fingerprint: str) -> bool:
        with self._meta(write=True) as db:
            cur = db.execute(
                "DELETE FROM account_certs WHERE fingerprint = ? AND account_key = ?",
                (fingerprint.lower(), self.fold(name)),
            )
            return cur.rowcount > 0

    # -- rooms ------------------------------------------------------------------------

    def save_room(self, room: Room) -> None:
        with self.meta_lock:
            self.room_queue[self.fold(room.name)] = room

    def delete_room(self, name: str) -> None:
        with self.meta_lock:
            self.room_queue[self.fold(name)] = None

    def take_rooms(self) -> dict[str, Room | None]:
        """The queued room snapshots, for :meth:`write_rooms` (by the flush)."""
        with self.meta_lock:
            queue, self.room_queue = self.room_queue, {}
        return queue

    def requeue_rooms(self, queue: dict[str, Room | None]) -> None:
        """A flush failed: keep its snapshots for the next, unless newer ones came."""
        with self.meta_lock:
            self.room_queue = {**queue, **self.room_queue}

    def write_rooms(self, queue: dict[str, Room | None]) -> None:
        """Write room snapshots through ``db``, inside the caller's transaction."""
        for key, room in queue.items():
            self.db.execute("DELETE FROM rooms WHERE name_key = ?", (key,))
            self.db.execute("DELETE FROM room_bans WHERE room_key = ?", (key,))
            self.db.execute("DELETE FROM room_ops WHERE room_key = ?", (key,))
            if room is None:
                continue
            self.db.execute(
                "INSERT INTO rooms (name_key, name, founder, topic, topic_by, topic_at,"
                " modes, chan_key, user_limit, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    room.name,
                    room.founder,
                    room.topic,
                    room.topic_by,
                    room.topic_at,
                    room.modes,
                    room.key,
                    room.limit,
                    room.created,
                ),
            )
            self.db.executemany(
                "INSERT INTO room_bans (room_key, mask, set_by, set_at) VALUES (?, ?, ?, ?)",
                [(key, *ban) for ban in room.bans],
            )
            self.db.executemany(
                "INSERT INTO room_ops (room_key, account) VALUES (?, ?)",
                [(key, op) for op in room.ops],
            )

    def load_rooms(self) -> list[Room]:
        with self._meta() as db:
            rooms = []
            for key, name, founder, topic, by, at, modes, ckey, limit, created in db.execute(
                "SELECT name_key, name, founder, topic, topic_by, topic_at, modes, chan_key,"
                " user_limit, created FROM rooms ORDER BY name_key"
            ).fetchall():
                bans = db.execute(
                    "SELECT mask, set_by, set_at FROM room_bans WHERE room_key = ? ORDER BY rowid",
                    (key,),
                ).fetchall()
                ops = db.execute(
                    "SELECT account FROM room_ops WHERE room_key = ? ORDER BY rowid", (key,)
                ).fetchall()
                rooms.append(
                    Room(
                        name,
                        founder,
                        topic,
                        by,
                        at,
                        modes,
                        ckey,
                        limit,
                        tuple((str(m), str(b), int(t)) for m, b, t in bans),
                        tuple(str(o[0]) for o in ops),
                        created,
                    )
                )
            return rooms
