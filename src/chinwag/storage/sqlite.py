"""SQLite storage: WAL, a busy timeout, a schema version and numbered migrations.

Every statement is parameterised. Writes are queued in memory and written in one
transaction by :meth:`SQLiteStorage.flush`, which may run on another thread than the
rest: it writes through its own connection while :meth:`SQLiteStorage.recent` reads
through a second one (WAL lets them overlap), and rows on their way to disk stay
visible to readers until they are committed.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from chinwag.errors import LocalError
from chinwag.storage.base import Room, StoredMessage, rfc1459_fold
from chinwag.storage.sqlite_accounts import ACCOUNTS_MIGRATION, AccountsSQL

# Numbered migrations: MIGRATIONS[i] brings the schema from version i to i + 1.
MIGRATIONS: list[str] = [
    # 1: channel history, and accounts for later.
    """
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        target TEXT NOT NULL,          -- channel name as displayed
        target_key TEXT NOT NULL,      -- folded with the casemapping, for lookups
        source TEXT NOT NULL,          -- nick!user@host
        command TEXT NOT NULL,         -- PRIVMSG or NOTICE
        text TEXT NOT NULL,
        at REAL NOT NULL,              -- unix time
        msgid TEXT NOT NULL
    );
    CREATE INDEX messages_by_target ON messages (target_key, id);
    CREATE TABLE accounts (
        name_key TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created REAL NOT NULL
    );
    """,
    # 2: account credentials (argon2id, SCRAM-SHA-256), certificates, lock-outs; rooms.
    ACCOUNTS_MIGRATION,
]
SCHEMA_VERSION = len(MIGRATIONS)
# (target, target key, source, command, text, at, msgid)
Row = tuple[str, str, str, str, str, float, str]
DB_FILE = "chinwag.sqlite3"


class SQLiteStorage(AccountsSQL):
    """``fold`` is the server's casemapping: targets are keyed by their folded name."""

    def __init__(self, path: Path, fold: Callable[[str], str] = rfc1459_fold) -> None:
        self.path = path
        self.fold = fold
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA busy_timeout=5000")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.migrate()
            self.reader = sqlite3.connect(str(path), check_same_thread=False)
            self.reader.execute("PRAGMA busy_timeout=5000")
            self.meta = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self.meta.execute("PRAGMA busy_timeout=5000")
        except (OSError, sqlite3.Error) as exc:
            raise LocalError(f"cannot open database {path}: {exc}") from None
        # Rows not yet on disk: queued, and being written by a flush (``inflight``).
        self.queue: list[Row] = []
        self.inflight: list[Row] = []
        self.lock = threading.Lock()  # guards the hand-over between queue and inflight
        self.meta_lock = threading.Lock()  # serialises the accounts connection
        self.room_queue: dict[str, Room | None] = {}

    @classmethod
    def in_dir(cls, data_dir: Path, fold: Callable[[str], str] = rfc1459_fold) -> SQLiteStorage:
        return cls(data_dir / DB_FILE, fold)

    def schema_version(self) -> int:
        row = self.db.execute("PRAGMA user_version").fetchone()
        return int(row[0])

    def migrate(self) -> None:
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise LocalError(
                f"database {self.path} has schema version {version}, newer than this "
                f"chinwag knows ({SCHEMA_VERSION}); upgrade chinwag"
            )
        for number in range(version, SCHEMA_VERSION):
            self.db.execute("BEGIN")
            try:
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1:d}")
                self.db.execute("COMMIT")
            except Exception:
                self.db.execute("ROLLBACK")
                raise

    def append_message(
        self, target: str, source: str, command: str, text: str, at: float, msgid: str
    ) -> None:
        row = (target, self.fold(target), source, command, text, at, msgid)
        with self.lock:
            self.queue.append(row)

    def flush(self) -> None:
        """Write the queued rows and room snapshots in one transaction (safe to call from
        another thread)."""
        with self.lock:
            rows, self.queue = self.queue, []
            self.inflight = rows
        rooms = self.take_rooms()
        if not rows and not rooms:
            return
        try:
            self.db.execute("BEGIN")
            if rows:
                self.db.executemany(
                    "INSERT INTO messages (target, target_key, source, command, text, at, msgid)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
            self.write_rooms(rooms)
            self.db.execute("COMMIT")
        except sqlite3.Error:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            with self.lock:
                self.queue[:0] = rows  # keep them for the next try; nothing is lost
            self.requeue_rooms(rooms)
            raise
        finally:
            with self.lock:
                self.inflight = []

    def recent(self, target: str, limit: int) -> list[StoredMessage]:
        if limit <= 0:
            return []
        key = self.fold(target)
        # Snapshot what is not on disk first, then read the disk: a row committed in
        # between is seen twice (and dropped by msgid below), never missed.
        with self.lock:
            pending = [r for r in (*self.inflight, *self.queue) if r[1] == key]
        cur = self.reader.execute(
            "SELECT target, source, command, text, at, msgid FROM messages"
            " WHERE target_key = ? ORDER BY id DESC LIMIT ?",
            (key, limit),
        )
        rows = [StoredMessage(*r) for r in cur.fetchall()]
        rows.reverse()
        seen = {m.msgid for m in rows}
        rows += [
            StoredMessage(t, s, c, x, a, m) for t, _, s, c, x, a, m in pending if m not in seen
        ]
        return rows[-limit:]

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.reader.close()
            self.meta.close()
            self.db.close()
