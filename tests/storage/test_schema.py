"""Migrations: a version-1 database (the old messages table) becomes history, searchable;
files stored by SHA-256 before version 7 keep their names and say so."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from chinwag.storage.base import Window
from chinwag.storage.files import FileIndex
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


def test_version_5_files_keep_their_sha256_digests(tmp_path: Path) -> None:
    path = tmp_path / DB_FILE
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as old:
        for migration in MIGRATIONS[:5]:
            for statement in statements(migration):
                old.execute(statement)
        old.execute("PRAGMA user_version = 5")
        old.execute(
            "INSERT INTO files (id, sha256, name, mime, size, uploader, account, address,"
            " uploaded, thumb) VALUES ('f1', ?, 'a.txt', 'text/plain', 3, 'al', NULL, 'ip',"
            " 1.0, NULL)",
            ("ab" * 32,),
        )
    index = FileIndex(path)
    try:
        rec = index.get("f1")
        assert rec is not None and (rec.digest, rec.algorithm) == ("ab" * 32, "sha256")
        assert index.in_use("ab" * 32)
    finally:
        index.close()
