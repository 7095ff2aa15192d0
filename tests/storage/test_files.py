"""The file store on a real SQLite file and folder: dedup, delete, expiry, quotas."""

from __future__ import annotations

from pathlib import Path

import pytest

from chinwag.errors import LocalError
from chinwag.storage.files import FileRecord, FileStore
from chinwag.storage.schema import SCHEMA_VERSION
from chinwag.storage.sqlite import SQLiteStorage
from chinwag.web.files import CONTENT_HASH, content_hash


def put(store: FileStore, tmp: Path, file_id: str, data: bytes, who: str, at: float) -> FileRecord:
    temp = store.blobs.tmp / f"{file_id}.part"
    temp.write_bytes(data)
    thumb = tmp / f"{file_id}.thumb"
    thumb.write_bytes(b"thumb")
    rec = FileRecord(
        file_id, content_hash().update(data).hexdigest(), "n", "text/plain", len(data), who,
        None, "ip", at, "image/jpeg", CONTENT_HASH,
    )  # fmt: skip
    store.add(rec, temp, thumb)
    return rec


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "data")


def test_same_bytes_are_stored_once_and_outlive_one_delete(
    store: FileStore, tmp_path: Path
) -> None:
    a = put(store, tmp_path, "a" * 16, b"same", "alice", 1.0)
    put(store, tmp_path, "b" * 16, b"same", "bob", 2.0)
    blob = store.blobs.path(a.digest)
    assert blob.read_bytes() == b"same"
    assert not list(store.blobs.tmp.iterdir())
    assert store.delete("a" * 16) == a
    assert blob.exists()
    store.delete("b" * 16)
    assert not blob.exists() and not store.blobs.thumb_path(a.digest).exists()
    assert store.delete("b" * 16) is None


def test_usage_and_listing(store: FileStore, tmp_path: Path) -> None:
    put(store, tmp_path, "a" * 16, b"12345", "alice", 1.0)
    put(store, tmp_path, "b" * 16, b"123", "bob", 2.0)
    assert store.index.usage("alice") == 5 and store.index.usage() == 8
    assert store.index.usage("nobody") == 0
    assert [r.uploader for r in store.index.listing()] == ["bob", "alice"]


def test_expire_deletes_only_old_files(store: FileStore, tmp_path: Path) -> None:
    old = put(store, tmp_path, "a" * 16, b"old", "alice", 100.0)
    put(store, tmp_path, "b" * 16, b"new", "alice", 300.0)
    assert store.expire(200.0) == [old]
    assert store.index.get("a" * 16) is None and store.index.get("b" * 16) is not None


def test_the_files_table_comes_with_the_schema(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.close()
    db = SQLiteStorage.in_dir(tmp_path)
    assert db.schema_version() == SCHEMA_VERSION
    db.close()


def test_leftover_uploads_are_cleared_and_bad_digests_refused(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    (store.blobs.tmp / "half-an-upload").write_bytes(b"x")
    store.close()
    again = FileStore(tmp_path)
    assert not list(again.blobs.tmp.iterdir())
    with pytest.raises(LocalError):
        again.blobs.path("../../etc/passwd")
