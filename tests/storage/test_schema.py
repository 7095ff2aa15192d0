"""Migrations: a version-1 database (the old messages table) becomes history, searchable."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from chinwag.storage.base import Window
from chinwag.storage.schema import MIGRATIONS, SCHEMA_VERSION, statements
from chinwag.storage.sqlite import DB_FILE, SQLiteStorage


def test_statements_keep_trigger_bodies_whole() -> None:
    script = "CREATE TABLE t (a);\nCREATE TRIGGER x AFTER INSERT ON t BEGIN\n SELECT 1;\n END;\n"
    assert len(statements(script)) == 2


def test_version_1_history_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / DB_FILE
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as old:
        for statement in statements(MIGRATIONS[0]):
            old.execute(statement)
        old.execute("PRAGMA user_version = 1")
        old.execute(
            "INSERT INTO messages (target, target_key, source, command, text, at, msgid)"
            " VALUES ('#Room', '#room', 'a!u@h', 'PRIVMSG', 'hello there', 5.0, 'm1')"
        )
    storage = SQLiteStorage(path)
    try:
        assert storage.schema_version() == SCHEMA_VERSION
        (row,) = storage.history(["#room"], Window())
        assert (row.msgid, row.target, row.sender, row.text) == (
            "m1",
            "#Room",
            "a!u@h",
            "hello there",
        )
        assert [m.msgid for m in storage.search(["#room"], "hello", None, Window())] == ["m1"]
    finally:
        storage.close()
