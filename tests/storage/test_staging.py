"""Staged history: the journal encoding, moving staged messages into the history table
(when asked, before a redaction, past the cap, after a crash), and reads that see them
all along."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from chinwag.storage import staging
from chinwag.storage.base import StoredMessage, Window
from chinwag.storage.sqlite import DB_FILE, SQLiteStorage


def msg(i: int, text: str = "", account: str | None = None) -> StoredMessage:
    return StoredMessage(
        f"id{i}", 1000.0 + i + 1e-6, "#a", "n!u@h", account, "PRIVMSG", "+x=1", text or f"t{i}"
    )


def counts(path: Path) -> tuple[int, int]:
    """(rows in the history table, messages staged in the journal), read from outside."""
    with contextlib.closing(sqlite3.connect(path)) as other:
        table = other.execute("SELECT count(*) FROM history").fetchone()[0]
        return int(table), staging.staged_count(other)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SQLiteStorage]:
    storage = SQLiteStorage(tmp_path / DB_FILE)
    yield storage
    storage.close()


class TestEncoding:
    def test_round_trip_keeps_every_column_exactly(self) -> None:
        first = StoredMessage(
            "m1", 1764491234.123001, "#A", "n!u@h", None, "PRIVMSG", "", "hé \x01"
        )
        second = StoredMessage("m2", 0.1 + 0.2, "Bob", "x!y@z", "acct", "TAGMSG", "+a=👍", "")
        text = staging.encode([("msg", ("#a", first, None)), ("msg", ("a b", second, ("a", "b")))])
        assert text is not None
        assert staging.decode(text) == [
            ("m1", 1764491234.123001, "#a", "#A", "n!u@h", None, "PRIVMSG", "", "hé \x01"),
            ("m2", 0.1 + 0.2, "a b", "Bob", "x!y@z", "acct", "TAGMSG", "+a=👍", ""),
        ]

    def test_a_nul_anywhere_refuses_the_batch(self) -> None:
        bad = StoredMessage("m", 1.0, "#a", "n!u@h", None, "NOTICE", "", "a\0b")
        assert staging.encode([("msg", ("#a", msg(1), None)), ("msg", ("#a", bad, None))]) is None


class TestStaged:
    def test_a_flush_stages_and_reads_see_it(self, db: SQLiteStorage) -> None:
        for i in range(3):
            db.append("#a", msg(i, account="acct" if i else None))
        assert db.flush() == 3
        assert counts(db.path) == (0, 3)  # type: ignore[arg-type]
        assert db.history(["#a"], Window()) == [
            msg(0),
            msg(1, account="acct"),
            msg(2, account="acct"),
        ]
        assert db.find("id1") == ("#a", msg(1, account="acct"))
        assert [m.text for m in db.search(["#a"], "t2", None, Window())] == ["t2"]
        assert db.unstage() == 3 and db.staged == []
        assert counts(db.path) == (3, 0)  # type: ignore[arg-type]
        assert db.history(["#a"], Window())[0] == msg(0)

    def test_a_redaction_moves_the_staged_first(self, db: SQLiteStorage) -> None:
        db.append("#a", msg(1))
        db.append("#a", msg(2))
        db.flush()
        db.redact("id1")
        db.flush()
        assert counts(db.path) == (2, 0) and db.staged == []  # type: ignore[arg-type]
        assert [m.text for m in db.history(["#a"], Window())] == ["t2"]
        found = db.find("id1")
        assert found is not None and found[1].deleted

    def test_past_the_cap_messages_go_straight_in(
        self, db: SQLiteStorage, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(staging, "STAGE_MAX", 3)
        for i in range(2):
            db.append("#a", msg(i))
        db.flush()
        for i in range(2, 4):
            db.append("#a", msg(i))
        db.flush()  # 2 + 2 > 3: the staged two and these two, straight in, in order
        assert counts(db.path) == (4, 0) and db.staged == []  # type: ignore[arg-type]
        assert [m.text for m in db.history(["#a"], Window())] == ["t0", "t1", "t2", "t3"]
        db.append("#a", msg(4))
        db.flush()  # the burst goes on: still straight in
        assert counts(db.path) == (5, 0)  # type: ignore[arg-type]
        db.unstage()  # calm (the writer's call): staging again
        db.append("#a", msg(5))
        db.flush()
        assert counts(db.path) == (5, 1)  # type: ignore[arg-type]

    def test_a_message_that_cannot_be_encoded_goes_straight_in(self, db: SQLiteStorage) -> None:
        db.append("#a", msg(1, text="a\0b"))
        db.flush()
        assert counts(db.path) == (1, 0)  # type: ignore[arg-type]

    def test_marks_beside_messages_are_written_at_once(self, db: SQLiteStorage) -> None:
        db.append("#a", msg(1))
        db.set_mark("read", "acct", "#a", 5.0)
        db.flush()
        assert db.staged != [] and db.marks("read", "acct") == {"#a": 5.0}
        with contextlib.closing(sqlite3.connect(db.path)) as other:  # type: ignore[arg-type]
            assert other.execute("SELECT at FROM marks").fetchall() == [(5.0,)]


def test_a_crash_leaves_staged_messages_that_the_next_open_moves(tmp_path: Path) -> None:
    crashed = SQLiteStorage(tmp_path / DB_FILE)
    for i in range(5):
        crashed.append("#a", msg(i))
    crashed.flush()
    assert counts(tmp_path / DB_FILE) == (0, 5)
    # The process dies here: nothing more is written (no close, no move).
    again = SQLiteStorage(tmp_path / DB_FILE)
    try:
        assert counts(tmp_path / DB_FILE) == (5, 0) and again.staged == []
        assert [m.text for m in again.history(["#a"], Window())] == [f"t{i}" for i in range(5)]
        assert again.integrity() == "ok"
    finally:
        again.close()
        crashed.staged = []  # already moved by the other open
        crashed.close()
