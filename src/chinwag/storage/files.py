"""Uploaded files: their metadata in SQLite, their bytes in a content-addressed folder.

:class:`FileIndex` is the SQL (the ``files`` table, migrations 4 and 7); :class:`Blobs`
is the folder ``<data dir>/files``: each distinct content once, named by its digest (64
hex digits, ``ab/abcdef...``: BLAKE3, or SHA-256 for files stored before migration 7;
the row says which), thumbnails beside it (``ab/abcdef....thumb``), uploads in progress
in ``tmp/``. Both are blocking: the web service calls them from a worker thread.
Neither decides anything (limits, types, who may upload): that is the web service's.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from chinwag.errors import LocalError
from chinwag.storage.schema import migrate
from chinwag.storage.sqlite import DB_FILE

FILES_DIR = "files"


@dataclass(frozen=True, slots=True)
class FileRecord:
    id: str
    digest: str  # hex digest of the bytes: their name on disk
    name: str
    mime: str
    size: int
    uploader: str
    account: str | None
    address: str
    uploaded: float
    thumb: str | None  # the thumbnail's type (image/jpeg, image/png), when there is one
    algorithm: str  # the hash that made ``digest`` ("blake3", "sha256")


def open_db(path: Path) -> sqlite3.Connection:
    """An autocommit connection to the server's database, migrated (raises OSError,
    sqlite3.Error or LocalError)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA busy_timeout=5000")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    migrate(db, str(path))
    return db


_COLUMNS = "id, digest, name, mime, size, uploader, account, address, uploaded, thumb, algorithm"


class FileIndex:
    """The ``files`` table of the server's database, through a connection of its own."""

    def __init__(self, path: Path) -> None:
        try:
            self.db = open_db(path)
        except (OSError, sqlite3.Error) as exc:
            raise LocalError(f"cannot open database {path}: {exc}") from None
        self.lock = threading.Lock()

    @classmethod
    def in_dir(cls, data_dir: Path) -> FileIndex:
        return cls(data_dir / DB_FILE)

    def add(self, rec: FileRecord) -> None:
        with self.lock:
            self.db.execute(
                f"INSERT INTO files ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    rec.id,
                    rec.digest,
                    rec.name,
                    rec.mime,
                    rec.size,
                    rec.uploader,
                    rec.account,
                    rec.address,
                    rec.uploaded,
                    rec.thumb,
                    rec.algorithm,
                ),
            )

    def _row(self, file_id: str) -> FileRecord | None:
        sql = f"SELECT {_COLUMNS} FROM files WHERE id = ?"
        row = self.db.execute(sql, (file_id,)).fetchone()
        return FileRecord(*row) if row else None

    def get(self, file_id: str) -> FileRecord | None:
        with self.lock:
            return self._row(file_id)

    def listing(self, limit: int = 1000) -> list[FileRecord]:
        """The newest ``limit`` files, newest first."""
        with self.lock:
            rows = self.db.execute(
                f"SELECT {_COLUMNS} FROM files ORDER BY uploaded DESC LIMIT ?", (limit,)
            ).fetchall()
        return [FileRecord(*r) for r in rows]

    def delete(self, file_id: str) -> FileRecord | None:
        """Remove one file's row; returns it (None when there was none)."""
        with self.lock:
            rec = self._row(file_id)
            if rec is not None:
                self.db.execute("DELETE FROM files WHERE id = ?", (file_id,))
        return rec

    def older_than(self, before: float) -> list[FileRecord]:
        with self.lock:
            rows = self.db.execute(
                f"SELECT {_COLUMNS} FROM files WHERE uploaded < ?", (before,)
            ).fetchall()
        return [FileRecord(*r) for r in rows]

    def in_use(self, digest: str) -> bool:
        """Whether any file still has these bytes (so they must stay on disk)."""
        with self.lock:
            row = self.db.execute("SELECT 1 FROM files WHERE digest = ? LIMIT 1", (digest,))
            return row.fetchone() is not None

    def usage(self, uploader: str | None = None) -> int:
        """Bytes stored by ``uploader``, or by everyone."""
        with self.lock:
            if uploader is None:
                row = self.db.execute("SELECT COALESCE(SUM(size), 0) FROM files").fetchone()
            else:
                row = self.db.execute(
                    "SELECT COALESCE(SUM(size), 0) FROM files WHERE uploader = ?", (uploader,)
                ).fetchone()
        return int(row[0])

    def close(self) -> None:
        with self.lock:
            self.db.close()


class Blobs:
    """The bytes of uploaded files under ``root``, each distinct content once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        try:
            self.tmp.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LocalError(f"cannot create {self.tmp}: {exc.strerror or exc}") from None
        for leftover in self.tmp.iterdir():  # uploads cut off by a crash or restart
            with contextlib.suppress(OSError):
                leftover.unlink()

    @classmethod
    def in_dir(cls, data_dir: Path) -> Blobs:
        return cls(data_dir / FILES_DIR)

    def path(self, digest: str) -> Path:
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise LocalError(f"not a 32-byte hex digest: {digest!r}")
        return self.root / digest[:2] / digest

    def thumb_path(self, digest: str) -> Path:
        return self.path(digest).with_suffix(".thumb")

    def commit(self, temp: Path, digest: str) -> Path:
        """Move a finished upload into place (dropping it when the content is known)."""
        final = self.path(digest)
        if final.exists():
            temp.unlink()
            return final
        final.parent.mkdir(exist_ok=True)
        os.replace(temp, final)
        return final

    def remove(self, digest: str) -> None:
        for p in (self.path(digest), self.thumb_path(digest)):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()


# One process may hold several FileStores on the same folder (the server's and the admin
# window's); this keeps "is anyone still using these bytes?" and the delete together.
_STORE_LOCK = threading.Lock()


class FileStore:
    """A data dir's files: the index and the bytes, kept in step."""

    def __init__(self, data_dir: Path) -> None:
        self.blobs = Blobs.in_dir(data_dir)
        self.index = FileIndex.in_dir(data_dir)

    def add(self, rec: FileRecord, temp: Path, thumb: Path | None) -> None:
        """Store an upload: its bytes (from ``temp``), its thumbnail, then its row."""
        with _STORE_LOCK:
            self.blobs.commit(temp, rec.digest)
            if thumb is not None:
                os.replace(thumb, self.blobs.thumb_path(rec.digest))
            self.index.add(rec)

    def delete(self, file_id: str) -> FileRecord | None:
        """Remove a file; its bytes go too once no other file has them."""
        with _STORE_LOCK:
            rec = self.index.delete(file_id)
            if rec is not None and not self.index.in_use(rec.digest):
                self.blobs.remove(rec.digest)
        return rec

    def expire(self, before: float) -> list[FileRecord]:
        """Delete every file uploaded before ``before`` (unix time)."""
        return [r for r in self.index.older_than(before) if self.delete(r.id) is not None]

    def close(self) -> None:
        self.index.close()
