"""SQLite storage: WAL, a busy timeout, a schema version and numbered migrations.

Every statement is parameterised. Writes are queued in memory as operations and
committed in one transaction by :meth:`SQLiteStorage.flush`, which runs on the writer's
thread (:mod:`chinwag.storage.writer`): it writes through its own connection while reads
go through a second one (WAL lets them overlap). Operations on their way to disk stay
visible to readers until they are committed: reads merge the queue into what they find.

A transaction's messages are usually staged (:mod:`chinwag.storage.staging`): committed
as one journal row, kept in memory for reads, and moved into the history table when
the writer calls :meth:`SQLiteStorage.unstage` (chat is calm), when a batch redacts,
when too many wait, and on open after a crash.

If the disk refuses a write (full, read-only, I/O error) the operations stay queued for
the next try; the queue is bounded (``max_queue``) and, past it, the oldest operations
are dropped and counted in :attr:`SQLiteStorage.dropped`.

``SQLiteStorage(None)`` keeps everything in memory (one connection, behind a lock):
for tests and servers without a data dir.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from chinwag.errors import LocalError
from chinwag.storage import staging
from chinwag.storage.base import (
    Room,
    StoredMessage,
    TargetActivity,
    Window,
    rfc1459_fold,
)
from chinwag.storage.schema import migrate, schema_version
from chinwag.storage.sqlite_accounts import AccountsSQL
from chinwag.storage.sqlite_upkeep import BATCH, COLUMNS, Op, UpkeepSQL, _message

DB_FILE = "chinwag.sqlite3"
MAX_QUEUE = 100_000  # queued operations kept while the disk refuses writes
# Page cache of the writing connection, in KiB (SQLite's default is 2 MiB). It only
# appends at the right edges of the tables and indexes, and nothing reads through it
# (reads have their own connection), so a bigger cache just fills with pages already
# written: a server's memory then grew by the full 2 MiB over its first minutes of
# chat. Measured: no change in the writer's CPU per message (commits, the move of
# staged messages, the search index) between 256 KiB and the default.
WRITER_CACHE_KIB = 256


def fts_query(text: str) -> str:
    """Words as FTS5 prefix phrases joined by AND ("fast" finds "Fasting" too); user
    text never reaches FTS5's query syntax."""
    words = text.split()
    return " ".join('"' + w.replace('"', '""') + '"*' for w in words)


def _in_window(m: StoredMessage, window: Window) -> bool:
    return (
        (window.after is None or m.time > window.after)
        and (window.before is None or m.time < window.before)
        and (window.tagmsg or m.kind != "TAGMSG")
    )


def _cut(rows: list[StoredMessage], window: Window) -> list[StoredMessage]:
    rows.sort(key=lambda m: m.time)
    if window.limit <= 0:
        return []
    return rows[-window.limit :] if window.newest else rows[: window.limit]


class SQLiteStorage(AccountsSQL, UpkeepSQL):
    """``fold`` is the server's casemapping (accounts, rooms, SEARCH's ``from``)."""

    def __init__(
        self,
        path: Path | None,
        fold: Callable[[str], str] = rfc1459_fold,
        max_queue: int = MAX_QUEUE,
    ) -> None:
        self.path = path
        self.fold = fold
        self.max_queue = max_queue
        where = str(path) if path is not None else ":memory:"
        try:
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(where, check_same_thread=False, isolation_level=None)
            self.db.execute("PRAGMA busy_timeout=5000")
            if path is not None:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB:d}")
            migrate(self.db, where)
            if path is not None:
                self.reader = sqlite3.connect(where, check_same_thread=False)
                self.reader.execute("PRAGMA busy_timeout=5000")
                self.meta = sqlite3.connect(where, check_same_thread=False, isolation_level=None)
                self.meta.execute("PRAGMA busy_timeout=5000")
            else:
                self.reader = self.meta = self.db
            self.reader.create_function("irc_fold", 1, fold, deterministic=True)
        except (OSError, sqlite3.Error) as exc:
            raise LocalError(f"cannot open database {where}: {exc}") from None
        # Operations not yet on disk: queued, and being written by a flush (inflight);
        # and messages on disk in the journal, not yet in the history table (staged).
        # The event loop appends to the queue without the lock (a deque's append and
        # popleft are atomic): a channel message costs the loop one append.
        self.queue: deque[Op] = deque()
        self.inflight: list[Op] = []
        self.staged: list[Op] = []
        self.straight = False  # a burst outgrew the stage: write straight until it is calm
        self.dropped = 0  # operations dropped because the queue overflowed
        self.lock = threading.Lock()  # guards queue, inflight and dropped
        self.room_queue: dict[str, Room | None] = {}
        # One connection in memory: reads, accounts and the flush must not interleave on
        # it (a flush takes the room queue under meta_lock: hence reentrant).
        shared = threading.RLock()
        self.read_lock = shared
        self.write_lock = shared if path is None else threading.RLock()
        self.meta_lock = shared if path is None else threading.RLock()  # type: ignore[assignment]
        self._recover()

    @classmethod
    def in_dir(cls, data_dir: Path, fold: Callable[[str], str] = rfc1459_fold) -> SQLiteStorage:
        return cls(data_dir / DB_FILE, fold)

    def schema_version(self) -> int:
        with self.read_lock:
            return schema_version(self.reader)

    # -- queued writes ----------------------------------------------------------------

    def _queue(self, op: Op) -> None:
        self.queue.append(op)
        if len(self.queue) > self.max_queue:
            with self.lock:
                self._trim()

    def _trim(self) -> None:
        """Drop the oldest queued operations past ``max_queue`` (under the lock)."""
        queue = self.queue
        while len(queue) > self.max_queue:
            queue.popleft()
            self.dropped += 1

    def append(self, key: str, msg: StoredMessage, parties: tuple[str, str] | None = None) -> None:
        self._queue(("msg", (key, msg, parties)))

    def redact(self, msgid: str) -> None:
        self._queue(("redact", msgid))

    def set_mark(self, kind: str, who: str, key: str, at: float) -> None:
        self._queue(("mark", (kind, who, key, at)))

    def add_offline(self, account: str, msg: StoredMessage) -> None:
        self._queue(("offline", (account, msg)))

    def pending(self) -> int:
        """Operations not yet committed (staged messages are committed)."""
        with self.lock:
            return len(self.queue) + len(self.inflight)

    def flush(self) -> int:
        """Write everything queued, in transactions of at most ``BATCH`` operations
        (a nearly full disk still takes small ones); returns how many were written."""
        done = 0
        while True:
            written = self.flush_batch()
            done += written
            if written < BATCH:
                return done

    def flush_batch(self) -> int:
        """Write up to ``BATCH`` queued operations in one transaction; returns how many.

        Safe to call from another thread. On a database error the operations go back
        to the front of the queue (within ``max_queue``) and the error is raised.
        """
        with self.lock:
            take = self.queue.popleft
            ops = [take() for _ in range(min(BATCH, len(self.queue)))]
            self.inflight = ops
        rooms = self.take_rooms()
        if not ops and not rooms:
            return 0
        try:
            with self.write_lock:
                self.db.execute("BEGIN")
                try:
                    staged = self._stage_or_apply(ops)
                    self.write_rooms(rooms)
                    self.db.execute("COMMIT")
                except BaseException:
                    if self.db.in_transaction:
                        self.db.execute("ROLLBACK")
                    raise
                with self.lock:  # committed: from inflight to staged in one step
                    self.staged = [*self.staged, *staged] if staged is not None else []
                    self.inflight = []
        except sqlite3.Error:
            self.requeue_rooms(rooms)
            with self.lock:
                self.queue.extendleft(reversed(ops))
                self._trim()
            raise
        finally:
            with self.lock:
                self.inflight = []
        return len(ops) + len(rooms)

    def _stage_or_apply(self, ops: list[Op]) -> list[Op] | None:
        """Inside a transaction: stage the messages of ``ops`` as one journal row and
        apply the rest; or, when the batch redacts, would stage too many, or cannot be
        encoded, move what is staged into history and apply everything in order.
        Returns the messages staged, or None when nothing stays staged."""
        # A burst is all channel messages: then ops are the messages, in one pass each.
        msgs = [op for op in ops if op[0] == "msg"]
        others = ops if len(msgs) < len(ops) else []
        if msgs and len(self.staged) + len(msgs) > staging.STAGE_MAX:
            self.straight = True  # staging again now would only move them twice
        if msgs and not self.straight and all(name != "redact" for name, _ in others):
            text = staging.encode(msgs)
            if text is not None:
                staging.stage(self.db, text, len(msgs))
                for name, payload in others:
                    if name != "msg":
                        self._apply(name, payload)
                for _, (key, _m, parties) in [op for op in msgs if op[1][2] is not None]:
                    self._conversation(key, parties)
                return msgs
        if msgs or any(name == "redact" for name, _ in ops):
            staging.unstage(self.db)
            self._apply_all(ops)
            return None
        self._apply_all(ops)
        return []

    def _apply_all(self, ops: Iterable[Op]) -> None:
        """Run operations in order; runs of messages go in one executemany."""
        run: list[tuple[Any, ...]] = []
        for name, payload in ops:
            if name == "msg":
                run.append(_row(*payload))
                if payload[2] is not None:
                    self._insert_messages(run)
                    self._conversation(payload[0], payload[2])
                continue
            self._insert_messages(run)
            self._apply(name, payload)
        self._insert_messages(run)

    def _insert_messages(self, run: list[tuple[Any, ...]]) -> None:
        if run:
            self.db.executemany(staging.INSERT_HISTORY, run)
            run.clear()

    def _conversation(self, key: str, parties: tuple[str, str]) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO conversations (target_key, a, b) VALUES (?, ?, ?)",
            (key, *parties),
        )

    def unstage(self) -> int:
        """Move the staged messages into the history table (the writer does this when
        chat is calm, and staging starts again); returns how many moved."""
        with self.write_lock:
            self.straight = False
            with self.lock:
                if not self.staged:
                    return 0
            moved = self._unstage_all()
            with self.lock:
                self.staged = []
        return moved

    def _unstage_all(self) -> int:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            moved = staging.unstage(self.db)
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        return moved

    def _recover(self) -> None:
        """On open: move what a crash left staged into history; if the disk refuses,
        keep it staged in memory (readable) for the writer's next :meth:`unstage`."""
        if self.db.execute("SELECT 1 FROM history_staged LIMIT 1").fetchone() is None:
            return
        try:
            self._unstage_all()
        except sqlite3.Error:
            texts = self.db.execute("SELECT rows FROM history_staged ORDER BY id").fetchall()
            self.staged = [
                ("msg", (r[2], StoredMessage(r[0], r[1], *r[3:]), None))
                for (text,) in texts
                for r in staging.decode(text)
            ]

    def _apply(self, name: str, payload: Any) -> None:
        ex = self.db.execute
        if name == "redact":
            ex("UPDATE history SET deleted = 1, text = '' WHERE msgid = ?", (payload,))
        elif name == "mark":
            ex(
                "INSERT INTO marks (kind, who, target_key, at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (kind, who, target_key) DO UPDATE SET at = excluded.at",
                payload,
            )
        elif name == "offline":
            account, m = payload
            ex(
                "INSERT INTO offline (account, msgid, at, target, sender, sender_account,"
                " kind, tags, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (account, m.msgid, m.time, m.target, m.sender, m.account, m.kind, m.tags, m.text),
            )
        elif name == "delivered":
            ex("DELETE FROM offline WHERE account = ? AND msgid = ?", payload)
        else:  # pragma: no cover - a programming error
            raise LocalError(f"unknown storage operation {name!r}")

    def _pending_ops(self) -> list[Op]:
        with self.lock:
            return [*self.staged, *self.inflight, *self.queue]

    # -- reads --------------------------------------------------------------------------

    def _select(self, sql: str, params: Iterable[Any]) -> list[tuple[Any, ...]]:
        with self.read_lock:
            return self.reader.execute(sql, tuple(params)).fetchall()

    @staticmethod
    def _redacted(ops: list[Op]) -> set[str]:
        return {payload for name, payload in ops if name == "redact"}

    def _merge(
        self,
        found: list[StoredMessage],
        ops: list[Op],
        keep: Callable[[str, StoredMessage], bool],
        window: Window,
    ) -> list[StoredMessage]:
        """Rows from disk plus queued ones that ``keep`` accepts, minus redacted ones."""
        redacted = self._redacted(ops)
        found = list({m.msgid: m for m in found}.values())  # two reads may overlap
        seen = {m.msgid for m in found}
        rows = [m for m in found if m.msgid not in redacted]
        for name, payload in ops:
            if name != "msg":
                continue
            key, m, _ = payload
            if m.msgid not in seen and m.msgid not in redacted and keep(key, m):
                seen.add(m.msgid)
                rows.append(m)
        return _cut(rows, window)

    def _bounds(self, window: Window) -> tuple[str, list[Any]]:
        sql = "" if window.tagmsg else " AND h.kind != 'TAGMSG'"
        params: list[Any] = []
        if window.after is not None:
            sql += " AND h.at > ?"
            params.append(window.after)
        if window.before is not None:
            sql += " AND h.at < ?"
            params.append(window.before)
        return sql, params

    def history(self, keys: list[str], window: Window) -> list[StoredMessage]:
        if not keys or window.limit <= 0:
            return []
        # Snapshot the queue before reading the disk: a row committed in between is
        # seen twice (and dropped by msgid), never missed.
        ops = self._pending_ops()
        marks = ",".join("?" * len(keys))
        bounds, params = self._bounds(window)
        order = "DESC" if window.newest else "ASC"
        rows = self._select(
            f"SELECT {COLUMNS} FROM history h WHERE h.target_key IN ({marks})"
            f" AND h.deleted = 0{bounds} ORDER BY h.at {order} LIMIT ?",
            [*keys, *params, window.limit],
        )
        wanted = set(keys)
        return self._merge(
            [_message(r) for r in rows],
            ops,
            lambda key, m: key in wanted and _in_window(m, window),
            window,
        )

    def find(self, msgid: str) -> tuple[str, StoredMessage] | None:
        ops = self._pending_ops()
        redacted = msgid in self._redacted(ops)
        for name, payload in ops:
            if name == "msg" and payload[1].msgid == msgid:
                key, m, _ = payload
                return key, _deleted(m) if redacted else m
        rows = self._select(
            f"SELECT h.target_key, {COLUMNS} FROM history h WHERE h.msgid = ?", [msgid]
        )
        if not rows:
            return None
        m = _message(rows[0][1:])
        return str(rows[0][0]), _deleted(m) if redacted else m

    def search(
        self, keys: list[str], text: str | None, sender: str | None, window: Window
    ) -> list[StoredMessage]:
        if not keys or window.limit <= 0:
            return []
        ops = self._pending_ops()
        marks = ",".join("?" * len(keys))
        bounds, params = self._bounds(window)
        where = f"h.target_key IN ({marks}) AND h.deleted = 0{bounds}"
        args: list[Any] = [*keys, *params]
        if sender is not None:
            where += " AND irc_fold(substr(h.sender, 1, instr(h.sender, '!') - 1)) = ?"
            args.append(self.fold(sender))
        query = fts_query(text or "")
        order = "DESC" if window.newest else "ASC"
        if query:
            sql = (
                f"SELECT {COLUMNS} FROM history_text JOIN history h ON h.id = history_text.rowid"
                f" WHERE history_text MATCH ? AND {where}"
                f" ORDER BY history_text.rowid {order} LIMIT ?"
            )
            args.insert(0, query)
        else:
            sql = f"SELECT {COLUMNS} FROM history h WHERE {where} ORDER BY h.at {order} LIMIT ?"
        rows = self._select(sql, [*args, window.limit])
        if query:  # rows the background indexer has not reached yet: scanned, newest
            # part of the table only (the + keeps the planner on the rowid range)
            upto = self._select("SELECT upto FROM history_indexed", [])[0][0]
            tail = " AND ".join("h.text LIKE ? ESCAPE '\\'" for _ in (text or "").split())
            rows += self._select(
                f"SELECT {COLUMNS} FROM history h WHERE h.id > ? AND"
                f" +{where.removeprefix('h.')} AND {tail} ORDER BY h.id {order} LIMIT ?",
                [upto, *args[1:], *(_like(w) for w in (text or "").split()), window.limit],
            )
        wanted = set(keys)
        words = [w.casefold() for w in (text or "").split()]
        who = self.fold(sender) if sender is not None else None

        def keep(key: str, m: StoredMessage) -> bool:
            return (
                key in wanted
                and _in_window(m, window)
                and (who is None or self.fold(m.nick) == who)
                and all(w in m.text.casefold() for w in words)
            )

        return self._merge([_message(r) for r in rows], ops, keep, window)

    def activity(self, keys: list[str], window: Window) -> list[TargetActivity]:
        ops = self._pending_ops()
        bounds, params = self._bounds(window)
        latest: dict[str, tuple[float, str]] = {}
        for key in keys:
            rows = self._select(
                f"SELECT h.at, h.target FROM history h WHERE h.target_key = ?"
                f" AND h.deleted = 0{bounds} ORDER BY h.at DESC LIMIT 1",
                [key, *params],
            )
            if rows:
                latest[key] = (float(rows[0][0]), str(rows[0][1]))
        wanted = set(keys)
        redacted = self._redacted(ops)
        for name, payload in ops:
            if name == "msg":
                key, m, _ = payload
                newer = m.time > latest.get(key, (float("-inf"), ""))[0]
                if newer and key in wanted and m.msgid not in redacted and _in_window(m, window):
                    latest[key] = (m.time, m.target)
        found = [TargetActivity(k, name, at) for k, (at, name) in latest.items()]
        found.sort(key=lambda t: t.latest)
        return _cut_activity(found, window)

    def conversations(self, identity: str) -> list[str]:
        ops = self._pending_ops()
        rows = self._select(
            "SELECT target_key FROM conversations WHERE a = ? UNION"
            " SELECT target_key FROM conversations WHERE b = ?",
            [identity, identity],
        )
        keys = {str(r[0]) for r in rows}
        for name, payload in ops:
            if name == "msg" and payload[2] is not None and identity in payload[2]:
                keys.add(payload[0])
        return sorted(keys)

    def get_mark(self, kind: str, who: str, key: str) -> float | None:
        ops = self._pending_ops()
        for name, payload in reversed(ops):
            if name == "mark" and payload[:3] == (kind, who, key):
                return float(payload[3])
        rows = self._select(
            "SELECT at FROM marks WHERE kind = ? AND who = ? AND target_key = ?",
            [kind, who, key],
        )
        return float(rows[0][0]) if rows else None

    def marks(self, kind: str, who: str) -> dict[str, float]:
        """Every mark of ``kind`` that ``who`` has, by target key."""
        ops = self._pending_ops()
        rows = self._select(
            "SELECT target_key, at FROM marks WHERE kind = ? AND who = ?", [kind, who]
        )
        found = {str(k): float(at) for k, at in rows}
        for name, payload in ops:
            if name == "mark" and payload[:2] == (kind, who):
                found[payload[2]] = float(payload[3])
        return found

    def take_offline(self, account: str) -> list[StoredMessage]:
        with self.lock:
            waiting = [p[1] for n, p in self.queue if n == "offline" and p[0] == account]
            self.queue = deque(
                (n, p) for n, p in self.queue if not (n == "offline" and p[0] == account)
            )
            waiting += [p[1] for n, p in self.inflight if n == "offline" and p[0] == account]
            delivered = {
                p[1]
                for n, p in (*self.inflight, *self.queue)
                if n == "delivered" and p[0] == account
            }
        rows = self._select(
            "SELECT msgid, at, target, sender, sender_account, kind, tags, text, 0"
            " FROM offline WHERE account = ? ORDER BY id",
            [account],
        )
        found = [m for m in map(_message, rows) if m.msgid not in delivered]
        seen = {m.msgid for m in found} | delivered
        found += [m for m in waiting if m.msgid not in seen]
        for m in found:
            self._queue(("delivered", (account, m.msgid)))
        found.sort(key=lambda m: m.time)
        return found

    # -- upkeep (the rest is in UpkeepSQL) ----------------------------------------------

    def integrity(self) -> str:
        with self.read_lock:
            return str(self.reader.execute("PRAGMA integrity_check").fetchone()[0])

    def close(self) -> None:
        try:
            self.flush()
            with contextlib.suppress(sqlite3.Error):  # staged is committed: moved at next open
                self.unstage()
        finally:
            if self.reader is not self.db:
                self.reader.close()
                self.meta.close()
            self.db.close()


def _row(key: str, m: StoredMessage, parties: object = None) -> tuple[Any, ...]:
    """A message op's payload as a history row (staging.INSERT_HISTORY's columns)."""
    return (m.msgid, m.time, key, m.target, m.sender, m.account, m.kind, m.tags, m.text)


def _like(word: str) -> str:
    """A LIKE pattern for ``word`` anywhere (the FTS query's words as prefixes)."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _deleted(m: StoredMessage) -> StoredMessage:
    return dataclasses.replace(m, text="", deleted=True)


def _cut_activity(found: list[TargetActivity], window: Window) -> list[TargetActivity]:
    if window.limit <= 0:
        return []
    return found[-window.limit :] if window.newest else found[: window.limit]


class MemoryStorage(SQLiteStorage):
    """Storage that forgets on exit: for tests and servers without a data dir."""

    def __init__(self, fold: Callable[[str], str] = rfc1459_fold, max_queue: int = MAX_QUEUE):
        super().__init__(None, fold, max_queue)
