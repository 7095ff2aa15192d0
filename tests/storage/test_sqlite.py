"""SQLiteStorage on real files: WAL, schema version and migrations, buffered writes,
recent() ordering and limits, reopening, and refusing a database from a newer chinwag."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from chinwag.errors import LocalError
from chinwag.storage.base import MemoryStorage, Storage, StoredMessage
from chinwag.storage.sqlite import DB_FILE, MIGRATIONS, SCHEMA_VERSION, SQLiteStorage
from tests.support import TIMEOUT


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SQLiteStorage]:
    storage = SQLiteStorage(tmp_path / "data" / DB_FILE)
    yield storage
    storage.close()


def add(storage: Storage, target: str, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        storage.append_message(target, f"n{i}!u@h", "PRIVMSG", f"text {i}", 1000.0 + i, f"id{i}")


def rows_on_disk(path: Path) -> int:
    with sqlite3.connect(path) as other:
        return int(other.execute("SELECT count(*) FROM messages").fetchone()[0])


class TestOpen:
    def test_wal_and_busy_timeout(self, db: SQLiteStorage) -> None:
        assert db.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000

    def test_schema_version(self, db: SQLiteStorage) -> None:
        assert len(MIGRATIONS) == SCHEMA_VERSION
        assert db.schema_version() == len(MIGRATIONS)
        tables = {r[0] for r in db.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"messages", "accounts"} <= tables

    def test_creates_the_directory(self, tmp_path: Path) -> None:
        storage = SQLiteStorage.in_dir(tmp_path / "a" / "b")
        try:
            assert (tmp_path / "a" / "b" / DB_FILE).is_file()
        finally:
            storage.close()

    def test_newer_schema_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / DB_FILE
        SQLiteStorage(path).close()
        with sqlite3.connect(path) as other:
            other.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        with pytest.raises(LocalError, match="newer"):
            SQLiteStorage(path)

    def test_not_a_database(self, tmp_path: Path) -> None:
        path = tmp_path / DB_FILE
        path.write_bytes(b"this is not sqlite" * 100)
        with pytest.raises(LocalError, match="cannot open database"):
            SQLiteStorage(path)

    def test_reopen_does_not_migrate_again(self, tmp_path: Path) -> None:
        path = tmp_path / DB_FILE
        first = SQLiteStorage(path)
        add(first, "#a", 3)
        first.close()
        second = SQLiteStorage(path)
        try:
            assert second.schema_version() == SCHEMA_VERSION
            assert [m.text for m in second.recent("#a", 10)] == ["text 0", "text 1", "text 2"]
        finally:
            second.close()


class TestMessages:
    def test_append_flush_recent(self, db: SQLiteStorage) -> None:
        add(db, "#a", 5)
        db.flush()
        assert rows_on_disk(db.path) == 5
        got = db.recent("#a", 3)
        assert got == [
            StoredMessage("#a", f"n{i}!u@h", "PRIVMSG", f"text {i}", 1000.0 + i, f"id{i}")
            for i in (2, 3, 4)
        ]

    @pytest.mark.parametrize(("limit", "count"), [(0, 0), (-1, 0), (1, 1), (5, 5), (50, 5)])
    def test_limit(self, db: SQLiteStorage, limit: int, count: int) -> None:
        add(db, "#a", 5)
        db.flush()
        assert len(db.recent("#a", limit)) == count

    def test_targets_are_separate_and_case_insensitive(self, db: SQLiteStorage) -> None:
        add(db, "#a", 2)
        add(db, "#B", 2, start=10)
        db.flush()
        assert [m.msgid for m in db.recent("#A", 10)] == ["id0", "id1"]
        assert [m.target for m in db.recent("#b", 10)] == ["#B", "#B"]
        assert db.recent("#c", 10) == []

    def test_writes_are_queued_until_flush(self, db: SQLiteStorage) -> None:
        add(db, "#a", 3)
        assert rows_on_disk(db.path) == 0
        db.flush()
        assert rows_on_disk(db.path) == 3
        db.flush()  # nothing queued: nothing happens
        assert rows_on_disk(db.path) == 3

    def test_queued_rows_are_visible_and_ordered(self, db: SQLiteStorage) -> None:
        add(db, "#a", 4)
        db.flush()
        add(db, "#a", 3, start=4)
        add(db, "#other", 2, start=100)
        assert [m.text for m in db.recent("#a", 5)] == [f"text {i}" for i in range(2, 7)]
        assert [m.text for m in db.recent("#a", 2)] == ["text 5", "text 6"]

    def test_close_flushes(self, tmp_path: Path) -> None:
        path = tmp_path / DB_FILE
        storage = SQLiteStorage(path)
        add(storage, "#a", 2)
        storage.close()
        assert rows_on_disk(path) == 2

    def test_text_is_stored_verbatim(self, db: SQLiteStorage) -> None:
        text = "Robert'); DROP TABLE messages;-- ünïcode \x01ACTION waves\x01"
        db.append_message("#a", "s", "NOTICE", text, 1.5, "m")
        db.flush()
        assert db.recent("#a", 1)[0].text == text
        assert rows_on_disk(db.path) == 1

    def test_failed_flush_keeps_the_rows(self, db: SQLiteStorage) -> None:
        add(db, "#a", 2)
        db.db.execute("DROP TABLE messages")
        with pytest.raises(sqlite3.Error):
            db.flush()
        assert len(db.queue) == 2
        db.queue.clear()  # so that closing (which flushes) works


class TestFlushOnAnotherThread:
    def test_rows_being_written_stay_visible_and_are_not_doubled(self, db: SQLiteStorage) -> None:
        add(db, "#a", 3)
        writing = threading.Event()
        release = threading.Event()
        real = db.db

        class SlowWriter:
            """Delegates to the real connection; executemany waits until released."""

            def __getattr__(self, name: str) -> object:
                return getattr(real, name)

            def executemany(self, sql: str, rows: object) -> object:
                writing.set()
                release.wait(4 * TIMEOUT)
                return real.executemany(sql, rows)  # type: ignore[arg-type]

        db.db = SlowWriter()  # type: ignore[assignment]
        worker = threading.Thread(target=db.flush)
        worker.start()
        try:
            assert writing.wait(TIMEOUT)
            assert db.queue == [] and len(db.inflight) == 3
            add(db, "#a", 1, start=3)  # a new row while the flush runs
            assert [m.text for m in db.recent("#a", 10)] == [f"text {i}" for i in range(4)]
        finally:
            release.set()
            worker.join(TIMEOUT)
        db.db = real
        assert rows_on_disk(db.path) == 3
        assert [m.text for m in db.recent("#a", 10)] == [f"text {i}" for i in range(4)]
        db.flush()
        assert rows_on_disk(db.path) == 4


class TestMemoryStorage:
    def test_same_contract(self) -> None:
        mem = MemoryStorage(keep=3)
        add(mem, "#A", 10)
        got = mem.recent("#a", 3)
        assert [m.text for m in got] == ["text 7", "text 8", "text 9"]
        assert mem.recent("#a", 0) == []
        assert len(mem.rows["#a"]) <= 6
