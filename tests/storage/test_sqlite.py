"""SQLiteStorage on real files: WAL, queued writes visible to reads, history windows,
search, marks, offline messages, redaction, pruning, and the in-memory variant."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from chinwag.errors import LocalError
from chinwag.storage.base import READ_MARK, StoredMessage, Window, conversation_key
from chinwag.storage.schema import SCHEMA_VERSION
from chinwag.storage.sqlite import (
    DB_FILE,
    WRITER_CACHE_KIB,
    MemoryStorage,
    SQLiteStorage,
    fts_query,
)
from tests.support import TIMEOUT


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SQLiteStorage]:
    storage = SQLiteStorage(tmp_path / "data" / DB_FILE)
    yield storage
    storage.close()


# Committed messages: in the history table, or staged in its journal.
COMMITTED = (
    "SELECT (SELECT count(*) FROM history) + (SELECT coalesce(sum(count), 0) FROM history_staged)"
)


def msg(i: int, target: str = "#a", text: str | None = None, nick: str = "") -> StoredMessage:
    sender = f"{nick or f'n{i}'}!u@h"
    return StoredMessage(
        f"id{i}", 1000.0 + i, target, sender, None, "PRIVMSG", "", text or f"text {i}"
    )


def add(storage: SQLiteStorage, key: str, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        storage.append(key, msg(i, key))


def rows_on_disk(path: Path) -> int:
    with sqlite3.connect(path) as other:
        return int(other.execute(COMMITTED).fetchone()[0])


def texts(rows: list[StoredMessage]) -> list[str]:
    return [m.text for m in rows]


class TestOpen:
    def test_wal_synchronous_and_busy_timeout(self, db: SQLiteStorage) -> None:
        assert db.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert db.db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000

    def test_the_writer_keeps_a_small_page_cache_and_readers_the_default(
        self, db: SQLiteStorage
    ) -> None:
        assert db.db.execute("PRAGMA cache_size").fetchone()[0] == -WRITER_CACHE_KIB
        assert db.reader.execute("PRAGMA cache_size").fetchone()[0] == -2000

    def test_schema_version_and_tables(self, db: SQLiteStorage) -> None:
        assert db.schema_version() == SCHEMA_VERSION
        tables = {r[0] for r in db.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"history", "history_text", "conversations", "marks", "offline"} <= tables

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

    def test_reopen_keeps_history(self, tmp_path: Path) -> None:
        path = tmp_path / DB_FILE
        first = SQLiteStorage(path)
        add(first, "#a", 3)
        first.close()
        second = SQLiteStorage(path)
        try:
            assert texts(second.history(["#a"], Window())) == ["text 0", "text 1", "text 2"]
            assert second.integrity() == "ok"
        finally:
            second.close()


class TestHistory:
    def test_queued_until_flush_and_visible_before(self, db: SQLiteStorage) -> None:
        add(db, "#a", 3)
        assert rows_on_disk(db.path) == 0  # type: ignore[arg-type]
        assert texts(db.history(["#a"], Window())) == ["text 0", "text 1", "text 2"]
        assert db.flush() == 3
        assert rows_on_disk(db.path) == 3  # type: ignore[arg-type]
        assert db.flush() == 0

    def test_disk_and_queue_merge_in_time_order(self, db: SQLiteStorage) -> None:
        add(db, "#a", 4)
        db.flush()
        add(db, "#a", 3, start=4)
        add(db, "#other", 2, start=100)
        assert texts(db.history(["#a"], Window(limit=5))) == [f"text {i}" for i in range(2, 7)]
        assert texts(db.history(["#a"], Window(limit=2, newest=False))) == ["text 0", "text 1"]

    @pytest.mark.parametrize(
        ("window", "expected"),
        [
            (Window(before=1003.0, limit=2), [1, 2]),
            (Window(after=1003.0, limit=2, newest=False), [4, 5]),
            (Window(after=1003.0, limit=2, newest=True), [8, 9]),
            (Window(after=1001.0, before=1005.0), [2, 3, 4]),
            (Window(limit=0), []),
        ],
    )
    def test_windows(self, db: SQLiteStorage, window: Window, expected: list[int]) -> None:
        add(db, "#a", 5)
        db.flush()
        add(db, "#a", 5, start=5)  # half on disk, half queued: the same answers
        assert texts(db.history(["#a"], window)) == [f"text {i}" for i in expected]

    def test_several_keys(self, db: SQLiteStorage) -> None:
        add(db, "#a", 2)
        add(db, "#b", 2, start=2)
        assert texts(db.history(["#a", "#b"], Window())) == [f"text {i}" for i in range(4)]
        assert db.history([], Window()) == []

    def test_text_is_stored_verbatim(self, db: SQLiteStorage) -> None:
        text = "Robert'); DROP TABLE history;-- ünïcode \x01ACTION waves\x01"
        db.append("#a", msg(1, text=text))
        db.flush()
        assert texts(db.history(["#a"], Window())) == [text]

    def test_same_msgid_twice_is_stored_once(self, db: SQLiteStorage) -> None:
        db.append("#a", msg(1))
        db.append("#a", msg(1))
        db.flush()
        db.unstage()
        assert rows_on_disk(db.path) == 1  # type: ignore[arg-type]

    def test_rows_being_written_stay_visible(self, db: SQLiteStorage) -> None:
        add(db, "#a", 3)
        writing = threading.Event()
        release = threading.Event()
        real = db.db

        class SlowWriter:
            def __getattr__(self, name: str) -> object:
                return getattr(real, name)

            def execute(self, sql: str, *args: object) -> object:
                if sql == "COMMIT":
                    writing.set()
                    release.wait(4 * TIMEOUT)
                return real.execute(sql, *args)

        db.db = SlowWriter()  # type: ignore[assignment]
        worker = threading.Thread(target=db.flush)
        worker.start()
        try:
            assert writing.wait(TIMEOUT)
            assert not db.queue and len(db.inflight) == 3
            add(db, "#a", 1, start=3)
            assert texts(db.history(["#a"], Window())) == [f"text {i}" for i in range(4)]
        finally:
            release.set()
            worker.join(TIMEOUT)
        db.db = real
        assert texts(db.history(["#a"], Window())) == [f"text {i}" for i in range(4)]


class TestFailures:
    def test_failed_flush_keeps_the_operations(self, db: SQLiteStorage) -> None:
        add(db, "#a", 2)
        db.db.execute("DROP TABLE history")
        db.db.execute("DROP TABLE history_staged")
        with pytest.raises(sqlite3.Error):
            db.flush()
        assert len(db.queue) == 2 and db.dropped == 0
        db.queue.clear()

    def test_queue_is_bounded_and_drops_the_oldest(self, tmp_path: Path) -> None:
        storage = SQLiteStorage(tmp_path / DB_FILE, max_queue=5)
        try:
            add(storage, "#a", 8)
            assert storage.pending() == 5 and storage.dropped == 3
            assert texts(storage.history(["#a"], Window()))[0] == "text 3"
        finally:
            storage.close()


class TestFind:
    def test_find_queued_and_stored(self, db: SQLiteStorage) -> None:
        add(db, "#a", 1)
        assert db.find("id0") == ("#a", msg(0))
        db.flush()
        assert db.find("id0") == ("#a", msg(0))
        assert db.find("nope") is None


class TestRedact:
    @pytest.mark.parametrize("flushed", [False, True])
    def test_redacted_messages_vanish_from_history_and_search(
        self, db: SQLiteStorage, flushed: bool
    ) -> None:
        add(db, "#a", 3)
        if flushed:
            db.flush()
        db.redact("id1")
        assert texts(db.history(["#a"], Window())) == ["text 0", "text 2"]
        assert texts(db.search(["#a"], "text", None, Window())) == ["text 0", "text 2"]
        found = db.find("id1")
        assert found is not None and found[1].deleted and found[1].text == ""
        db.flush()
        assert texts(db.history(["#a"], Window())) == ["text 0", "text 2"]
        assert db.db.execute("SELECT text FROM history WHERE msgid='id1'").fetchone() == ("",)


class TestSearch:
    def test_words_sender_window_and_keys(self, db: SQLiteStorage) -> None:
        db.append("#a", msg(1, text="the quick brown fox", nick="Alice"))
        db.append("#a", msg(2, text="a QUICK dog", nick="bob"))
        db.append("#b", msg(3, text="quick elsewhere", nick="alice"))
        db.append("#a", msg(4, text="slow fox", nick="alice"))
        for flushed in (False, True):
            if flushed:
                db.flush()
            assert texts(db.search(["#a"], "quick", None, Window())) == [
                "the quick brown fox",
                "a QUICK dog",
            ]
            assert texts(db.search(["#a"], "quick fox", None, Window())) == ["the quick brown fox"]
            assert texts(db.search(["#a", "#b"], None, "ALICE", Window())) == [
                "the quick brown fox",
                "quick elsewhere",
                "slow fox",
            ]
            assert texts(db.search(["#a"], "fox", None, Window(after=1002.0))) == ["slow fox"]
            assert texts(db.search(["#a"], "quick", None, Window(limit=1))) == ["a QUICK dog"]

    def test_fts_syntax_in_user_text_is_harmless(self, db: SQLiteStorage) -> None:
        db.append("#a", msg(1, text='he said "NEAR(x y)" OR * -z'))
        db.flush()
        assert fts_query('a "b') == '"a"* """b"*'
        for query in ['"', "NEAR(", "OR", "*", "-z", "a:b"]:
            db.search(["#a"], query, None, Window())  # no sqlite3 error
        assert texts(db.search(["#a"], '"NEAR(x', None, Window())) == [
            'he said "NEAR(x y)" OR * -z'
        ]


class TestConversationsAndActivity:
    def test_conversations_and_activity(self, db: SQLiteStorage) -> None:
        key = conversation_key("alice", "~bob")
        db.append(key, msg(1, "bob"), ("alice", "~bob"))
        db.append("#a", msg(2))
        assert db.conversations("alice") == [key]
        db.flush()
        assert db.conversations("~bob") == [key]
        assert db.conversations("carol") == []
        db.append("#a", msg(5))
        found = db.activity([key, "#a", "#none"], Window())
        assert [(t.key, t.latest) for t in found] == [(key, 1001.0), ("#a", 1005.0)]
        found = db.activity([key, "#a"], Window(before=1003.0))
        assert [(t.key, t.latest) for t in found] == [(key, 1001.0), ("#a", 1002.0)]


class TestMarks:
    def test_marks_queued_and_stored(self, db: SQLiteStorage) -> None:
        assert db.get_mark(READ_MARK, "alice", "#a") is None
        db.set_mark(READ_MARK, "alice", "#a", 5.0)
        db.set_mark(READ_MARK, "alice", "#a", 7.0)
        assert db.get_mark(READ_MARK, "alice", "#a") == 7.0
        db.flush()
        assert db.get_mark(READ_MARK, "alice", "#a") == 7.0
        db.set_mark(READ_MARK, "alice", "#b", 1.0)
        assert db.marks(READ_MARK, "alice") == {"#a": 7.0, "#b": 1.0}
        assert db.get_mark("replay", "alice", "#a") is None


class TestOffline:
    @pytest.mark.parametrize("flushed", [False, True])
    def test_taken_once_in_order(self, db: SQLiteStorage, flushed: bool) -> None:
        db.add_offline("bob", msg(2, "bob"))
        db.add_offline("bob", msg(1, "bob"))
        db.add_offline("carol", msg(3, "carol"))
        if flushed:
            db.flush()
        assert texts(db.take_offline("bob")) == ["text 1", "text 2"]
        assert db.take_offline("bob") == []
        db.flush()
        assert db.take_offline("bob") == []
        assert texts(db.take_offline("carol")) == ["text 3"]


class TestPrune:
    def test_prunes_by_kind(self, db: SQLiteStorage) -> None:
        add(db, "#a", 5)
        key = conversation_key("a", "b")
        for i in range(5, 10):
            db.append(key, msg(i, "b"), ("a", "b"))
        db.flush()
        assert db.prune(1002.0, None) == 0  # staged: pruned once in the history table
        db.unstage()
        assert db.prune(1002.0, None) == 2
        assert texts(db.history(["#a"], Window())) == ["text 2", "text 3", "text 4"]
        assert db.prune(None, 1008.0) == 3
        assert texts(db.history([key], Window())) == ["text 8", "text 9"]
        assert texts(db.search(["#a", key], "text", None, Window()))[0] == "text 2"


class TestMemoryStorage:
    def test_same_contract(self) -> None:
        mem = MemoryStorage()
        add(mem, "#a", 10)
        assert texts(mem.history(["#a"], Window(limit=3))) == ["text 7", "text 8", "text 9"]
        mem.flush()
        assert texts(mem.search(["#a"], "text 9", None, Window())) == ["text 9"]
        mem.close()


class TestBackgroundIndex:
    def fts_ok(self, db: SQLiteStorage) -> None:
        db.db.execute("INSERT INTO history_text (history_text) VALUES ('integrity-check')")
        assert db.integrity() == "ok"

    def test_search_sees_rows_before_and_after_they_are_indexed(self, db: SQLiteStorage) -> None:
        db.append("#a", msg(1, text="Apple pie"))
        db.append("#a", msg(2, text="apple tart"))
        db.flush()
        assert db.unindexed() == 2
        assert texts(db.search(["#a"], "apple", None, Window())) == ["Apple pie", "apple tart"]
        db.unstage()
        assert db.unindexed() == 2
        assert texts(db.search(["#a"], "apple", None, Window())) == ["Apple pie", "apple tart"]
        assert db.index_pending(most=1) == 1
        assert texts(db.search(["#a"], "apple", None, Window())) == ["Apple pie", "apple tart"]
        assert db.index_pending() == 1 and db.index_pending() == 0 and db.unindexed() == 0
        assert texts(db.search(["#a"], "appl", None, Window())) == ["Apple pie", "apple tart"]
        self.fts_ok(db)

    def test_deleting_indexed_and_unindexed_rows_keeps_the_index_sound(
        self, db: SQLiteStorage
    ) -> None:
        for i in range(4):
            db.append("#a", msg(i, text=f"word {i}"))
        db.flush()
        db.unstage()
        db.index_pending(most=2)
        db.redact("id0")  # indexed
        db.redact("id3")  # not yet
        db.flush()
        db.index_pending()
        assert texts(db.search(["#a"], "word", None, Window())) == ["word 1", "word 2"]
        assert db.prune(1002.0, None) == 2
        self.fts_ok(db)
        assert texts(db.search(["#a"], "word", None, Window())) == ["word 2"]
