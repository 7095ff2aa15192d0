"""History upkeep, mixed into :class:`chinwag.storage.sqlite.SQLiteStorage`: pruning
past the retention periods, bulk loads, export, and filling the search index behind
the history table. Everything here runs on the writer's connection (``self.db``, under
``self.write_lock``) or reads through ``_select``; none of it is on the message path.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from chinwag.storage.base import StoredMessage

BATCH = 2000  # operations per transaction

# Queued operations: (name, payload). "msg": (key, message, parties or None);
# "redact": msgid; "mark": (kind, who, key, at); "offline": (account, message);
# "delivered": (account, msgid) removes one offline message.
Op = tuple[str, Any]

COLUMNS = "h.msgid, h.at, h.target, h.sender, h.account, h.kind, h.tags, h.text, h.deleted"


def _message(row: tuple[Any, ...]) -> StoredMessage:
    msgid, at, target, sender, account, kind, tags, text, deleted = row
    return StoredMessage(msgid, at, target, sender, account, kind, tags, text, bool(deleted))


class UpkeepSQL:
    """Needs ``db``, ``write_lock``, ``_select`` and ``_apply_all`` from the class it is
    mixed into."""

    db: sqlite3.Connection
    write_lock: threading.RLock
    staged: list[Op]

    def _select(self, sql: str, params: Iterable[Any]) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _apply_all(self, ops: Iterable[Op]) -> None:
        raise NotImplementedError

    def prune(self, channel_before: float | None, private_before: float | None) -> int:
        """Delete history older than the cut-offs (None: keep); returns rows deleted.

        Works in batches so the writer never holds the database for long."""
        total = 0
        for before, channel in ((channel_before, True), (private_before, False)):
            if before is None:
                continue
            while True:
                with self.write_lock:
                    cur = self.db.execute(
                        "DELETE FROM history WHERE id IN (SELECT id FROM history"
                        " WHERE at < ? AND (substr(target_key, 1, 1) = '#') = ?"
                        " ORDER BY id LIMIT 2000)",
                        (before, int(channel)),
                    )
                total += cur.rowcount
                if cur.rowcount < 2000:
                    break
        return total

    def bulk_load(self, rows: Iterable[tuple[str, StoredMessage]]) -> int:
        """Insert many messages at once, straight to disk (benchmarks, imports)."""
        count = 0
        with self.write_lock:
            self.db.execute("BEGIN")
            try:
                batch: list[Op] = []
                for key, m in rows:
                    batch.append(("msg", (key, m, None)))
                    if len(batch) >= BATCH:
                        self._apply_all(batch)
                        count += len(batch)
                        batch = []
                self._apply_all(batch)
                count += len(batch)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        while self.index_pending(200_000):
            pass
        return count

    def export(self, key: str) -> Iterator[StoredMessage]:
        """Every message not deleted under ``key``, in the order it was stored."""
        last = 0
        while True:
            rows = self._select(
                f"SELECT h.id, {COLUMNS} FROM history h WHERE h.target_key = ?"
                " AND h.deleted = 0 AND h.id > ? ORDER BY h.id LIMIT 1000",
                [key, last],
            )
            if not rows:
                return
            last = int(rows[-1][0])
            for row in rows:
                yield _message(row[1:])

    def index_pending(self, most: int = 20_000) -> int:
        """Add up to ``most`` rows to the search index; returns how many it added."""
        with self.write_lock:
            self.db.execute("BEGIN")
            try:
                upto = int(self.db.execute("SELECT upto FROM history_indexed").fetchone()[0])
                last = self.db.execute(
                    "SELECT max(id) FROM (SELECT id FROM history WHERE id > ? ORDER BY id LIMIT ?)",
                    (upto, most),
                ).fetchone()[0]
                if last is None:
                    self.db.execute("COMMIT")
                    return 0
                self.db.execute(
                    "INSERT INTO history_text (rowid, text)"
                    " SELECT id, text FROM history WHERE id > ? AND id <= ?",
                    (upto, last),
                )
                self.db.execute("UPDATE history_indexed SET upto = ?", (last,))
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
        return int(last) - upto

    def unindexed(self) -> int:
        """Messages the search index does not hold yet (staged ones included)."""
        rows = self._select(
            "SELECT count(*) FROM history WHERE id > (SELECT upto FROM history_indexed)", []
        )
        return int(rows[0][0]) + len(self.staged)
