"""Accounts and rooms in storage, on both implementations: names folded with the
casemapping, certificates, lock-outs, room snapshots written by flush and read back after
reopening, the migration from a version-1 database, and no clear password on disk."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from chinwag.auth.credentials import Credentials, make_credentials
from chinwag.storage.base import Room, Storage, Window
from chinwag.storage.schema import MIGRATIONS
from chinwag.storage.sqlite import DB_FILE, MemoryStorage, SQLiteStorage

PASSWORD = "sekrit-password-9"
FP = "ab" * 32


@pytest.fixture(scope="module")
def creds() -> Credentials:
    return make_credentials(PASSWORD)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    storage: Storage = (
        MemoryStorage() if request.param == "memory" else SQLiteStorage.in_dir(tmp_path)
    )
    yield storage
    storage.close()


class TestAccounts:
    def test_add_get_fold_and_duplicate(self, store: Storage, creds: Credentials) -> None:
        assert store.add_account("Alice[m]", creds, 1000.0)
        got = store.get_account("alice{M}")  # rfc1459: [] fold to {}
        assert got is not None and got.name == "Alice[m]" and got.created == 1000.0
        assert got.credentials.password_hash == creds.password_hash
        assert got.credentials.scram == creds.scram
        assert not store.add_account("ALICE[M]", creds, 1001.0)
        assert store.get_account("bob") is None
        assert store.account_name("alice{M}") == "Alice[m]"  # as registered
        assert store.account_name("bob") is None

    def test_change_lock_list_delete(self, store: Storage, creds: Credentials) -> None:
        other = make_credentials("another-password")
        store.add_account("bob", creds, 1.0)
        store.add_account("alice", creds, 2.0)
        assert store.set_credentials("BOB", other)
        assert store.get_account("bob").credentials.password_hash == other.password_hash  # type: ignore[union-attr]
        assert store.set_locked_until("bob", 5000.0)
        assert store.get_account("bob").locked_until == 5000.0  # type: ignore[union-attr]
        assert [a.name for a in store.list_accounts()] == ["alice", "bob"]
        assert store.delete_account("bob") and not store.delete_account("bob")
        assert not store.set_credentials("bob", other) and not store.set_locked_until("bob", 1)

    def test_certificates(self, store: Storage, creds: Credentials) -> None:
        store.add_account("alice", creds, 1.0)
        store.add_account("bob", creds, 1.0)
        assert store.add_certfp("alice", FP.upper())
        assert store.add_certfp("alice", FP)  # again: still hers
        assert not store.add_certfp("bob", FP)  # someone else's
        assert not store.add_certfp("nobody", "cd" * 32)
        found = store.account_by_certfp(FP)
        assert found is not None and found.name == "alice" and found.certfps == (FP,)
        assert not store.del_certfp("bob", FP)
        assert store.del_certfp("alice", FP)
        assert store.account_by_certfp(FP) is None

    def test_rooms_round_trip(self, store: Storage) -> None:
        room = Room(
            "#Den",
            "alice",
            "hello",
            "alice!a@h",
            123,
            "imnt",
            "key",
            5,
            (("*!*@bad", "alice", 100),),
            ("bob",),
            99,
        )
        store.save_room(room)
        store.save_room(Room("#gone", None))
        store.delete_room("#GONE")
        store.flush()
        assert store.load_rooms() == [room]


def test_accounts_and_rooms_survive_reopening(tmp_path: Path, creds: Credentials) -> None:
    first = SQLiteStorage.in_dir(tmp_path)
    first.add_account("alice", creds, 1.0)
    first.add_certfp("alice", FP)
    first.save_room(Room("#den", "alice", topic="kept"))
    first.close()  # close flushes
    again = SQLiteStorage.in_dir(tmp_path)
    try:
        acc = again.get_account("alice")
        assert acc is not None and acc.certfps == (FP,)
        assert [r.topic for r in again.load_rooms()] == ["kept"]
    finally:
        again.close()


def test_another_connection_sees_changes_at_once(tmp_path: Path, creds: Credentials) -> None:
    """The CLI writes while the server runs: the server's storage sees it, uncached."""
    server_side = SQLiteStorage.in_dir(tmp_path)
    cli_side = SQLiteStorage.in_dir(tmp_path)
    try:
        assert server_side.get_account("alice") is None
        cli_side.add_account("alice", creds, 1.0)
        assert server_side.get_account("alice") is not None
        cli_side.delete_account("alice")
        assert server_side.get_account("alice") is None
    finally:
        cli_side.close()
        server_side.close()


def test_no_clear_password_on_disk(tmp_path: Path, creds: Credentials) -> None:
    storage = SQLiteStorage.in_dir(tmp_path)
    storage.add_account("alice", creds, 1.0)
    storage.close()
    for f in tmp_path.iterdir():
        assert PASSWORD.encode() not in f.read_bytes(), f


def test_migrates_a_version_1_database(tmp_path: Path, creds: Credentials) -> None:
    path = tmp_path / DB_FILE
    with sqlite3.connect(path) as old:
        old.executescript(MIGRATIONS[0])
        old.execute("INSERT INTO messages VALUES (1, '#a', '#a', 'n!u@h', 'PRIVMSG', 'hi', 1, 'm')")
        old.execute("PRAGMA user_version = 1")
    storage = SQLiteStorage(path)
    try:
        assert storage.schema_version() == len(MIGRATIONS)
        assert [m.text for m in storage.history(["#a"], Window(limit=5))] == ["hi"]
        assert storage.add_account("alice", creds, 1.0)
    finally:
        storage.close()
