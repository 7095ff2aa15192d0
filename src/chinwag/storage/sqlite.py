"""SQLite storage: WAL, a busy timeout, a schema version and numbered migrations.

Every statement is parameterised. Writes are queued in memory and written in one
transaction by :meth:`SQLiteStorage.flush`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from chinwag.errors import LocalError
from chinwag.storage.base import StoredMessage, rfc1459_fold

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
]
SCHEMA_VERSION = len(MIGRATIONS)
DB_FILE = "chinwag.sqlite3"


class SQLiteStorage:
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
        except (OSError, sqlite3.Error) as exc:
            raise LocalError(f"cannot open database {path}: {exc}") from None
        self.queue: list[tuple[str, str, str, str, str, float, str]] = []

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
        self.queue.append((target, self.fold(target), source, command, text, at, msgid))

    def flush(self) -> None:
        if not self.queue:
            return
        rows, self.queue = self.queue, []
        try:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT INTO messages (target, target_key, source, command, text, at, msgid)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self.db.execute("COMMIT")
        except sqlite3.Error:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            self.queue[:0] = rows  # keep them for the next try; nothing is lost
            raise

    def recent(self, target: str, limit: int) -> list[StoredMessage]:
        if limit <= 0:
            return []
        key = self.fold(target)
        cur = self.db.execute(
            "SELECT target, source, command, text, at, msgid FROM messages"
            " WHERE target_key = ? ORDER BY id DESC LIMIT ?",
            (key, limit),
        )
        rows = [StoredMessage(*r) for r in cur.fetchall()]
        rows.reverse()
        queued = [StoredMessage(t, s, c, x, a, m) for t, k, s, c, x, a, m in self.queue if k == key]
        return (rows + queued)[-limit:]

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.db.close()
