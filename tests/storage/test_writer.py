"""The history writer: commits on its cadence, flushes on close, reports a disk that
refuses writes (an injected error, and a real full filesystem) and resumes after."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from chinwag.storage.base import StoredMessage, Window
from chinwag.storage.sqlite import DB_FILE, SQLiteStorage
from chinwag.storage.writer import COMMIT_INTERVAL, HistoryWriter
from tests.support import TIMEOUT, wait_until

# Committed messages: in the history table, or staged in its journal.
COMMITTED = (
    "SELECT (SELECT count(*) FROM history) + (SELECT coalesce(sum(count), 0) FROM history_staged)"
)


def msg(i: int, text: str = "") -> StoredMessage:
    return StoredMessage(f"id{i}", 1000.0 + i, "#a", "n!u@h", None, "PRIVMSG", "", text or f"t{i}")


def on_disk(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as other:
        return int(other.execute(COMMITTED).fetchone()[0])


class Failing(SQLiteStorage):
    """A storage whose disk refuses writes while ``full`` is set (an injected error)."""

    full = False

    def flush_batch(self) -> int:
        if self.full and self.queue:
            with self.lock:
                self.dropped += max(0, len(self.queue) - self.max_queue)
            raise sqlite3.OperationalError("database or disk is full")
        return super().flush_batch()


@contextlib.contextmanager
def small_filesystem(path: Path, size: str = "600k") -> Iterator[bool]:
    """A size-limited tmpfs at ``path`` when we may mount one (root); else just the
    directory, and the caller injects errors instead. Yields whether it is real."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = False
    if os.geteuid() == 0:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
            capture_output=True,
            timeout=TIMEOUT,
        )
        mounted = done.returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=TIMEOUT)


def fill(directory: Path) -> Path:
    """Fill the filesystem of ``directory`` to the last byte; returns the filler file."""
    filler = directory / "filler"
    with filler.open("wb", buffering=0) as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0" * 4096)
    return filler


class TestCadence:
    def test_commits_within_the_interval_and_flushes_on_close(self, tmp_path: Path) -> None:
        storage = SQLiteStorage(tmp_path / DB_FILE)
        writer = HistoryWriter(storage, interval=COMMIT_INTERVAL, prune_every=0)
        try:
            storage.append("#a", msg(1))
            wait_until(lambda: on_disk(tmp_path / DB_FILE) == 1, timeout=TIMEOUT)
            assert writer.commits >= 1
            writer.interval = 3600.0  # next commit far away: only close can write now
            storage.append("#a", msg(2))
        finally:
            writer.close()
        assert on_disk(tmp_path / DB_FILE) == 2
        storage.close()

    def test_counts_its_cpu_per_write_and_logs_it_at_shutdown(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        storage = SQLiteStorage(tmp_path / DB_FILE)
        writer = HistoryWriter(storage, interval=3600.0, prune_every=0)
        for i in range(50):
            storage.append("#a", msg(i))
        with caplog.at_level("INFO", logger="chinwag.storage"):
            writer.close()
        storage.close()
        assert writer.total == 50 and writer.commit_cpu > 0
        assert "history writer: 50 writes in 1 commits" in caplog.text

    def test_prunes_at_start(self, tmp_path: Path) -> None:
        storage = SQLiteStorage(tmp_path / DB_FILE)
        storage.append("#a", msg(1))  # from 1970: past any retention
        storage.flush()
        writer = HistoryWriter(storage, channel_days=1, interval=0.01)
        wait_until(lambda: storage.history(["#a"], Window()) == [])
        writer.close()
        storage.close()


class TestDiskRefusesWrites:
    def test_injected_error_is_reported_once_and_writing_resumes(self, tmp_path: Path) -> None:
        storage = Failing(tmp_path / DB_FILE, max_queue=3)
        reports: list[tuple[str, bool]] = []
        writer = HistoryWriter(
            storage, lambda t, f: reports.append((t, f)), interval=0.01, retry=0.01, prune_every=0
        )
        try:
            storage.full = True
            for i in range(5):
                storage.append("#a", msg(i))
            wait_until(lambda: len(reports) == 1)
            assert reports[0][1] is True and "cannot be written" in reports[0][0]
            assert storage.dropped == 2  # bounded: the two oldest went
            storage.full = False
            wait_until(lambda: len(reports) == 2)
            assert reports[1] == (
                "chat history is being written again; 2 writes were dropped while the disk "
                "refused them",
                False,
            )
            assert on_disk(tmp_path / DB_FILE) == 3
        finally:
            writer.close()
            storage.close()

    def test_a_real_full_filesystem(self, tmp_path: Path) -> None:
        where = tmp_path / "small"
        with small_filesystem(where) as real:
            storage = (SQLiteStorage if real else Failing)(where / DB_FILE)
            reports: list[tuple[str, bool]] = []
            writer = HistoryWriter(
                storage, lambda t, f: reports.append((t, f)), interval=0.01, retry=0.05
            )
            try:
                storage.append("#a", msg(0))
                wait_until(lambda: on_disk(where / DB_FILE) == 1)
                filler = fill(where) if real else None
                if not real:
                    storage.full = True  # type: ignore[attr-defined]
                big = "x" * 1000
                for i in range(1, 100):
                    storage.append("#a", msg(i, big + str(i)))
                wait_until(lambda: reports != [], timeout=2 * TIMEOUT)
                assert reports[0][1] is True
                # Reads still answer, queued rows included.
                assert len(storage.history(["#a"], Window(limit=1000))) == 100
                if filler is not None:
                    filler.unlink()
                else:
                    storage.full = False  # type: ignore[attr-defined]
                wait_until(lambda: len(reports) == 2, timeout=2 * TIMEOUT)
                assert reports[1][1] is False
                wait_until(lambda: storage.pending() == 0)
                assert on_disk(where / DB_FILE) == 100
                assert storage.integrity() == "ok"
            finally:
                writer.close()
                storage.close()


@pytest.mark.parametrize("days", [0, 2])
def test_retention_zero_keeps_everything(tmp_path: Path, days: int) -> None:
    storage = SQLiteStorage(tmp_path / DB_FILE)
    import time

    storage.append(
        "#a", StoredMessage("old", time.time() - 86400, "#a", "n!u@h", None, "PRIVMSG", "", "x")
    )
    storage.flush()
    writer = HistoryWriter(storage, channel_days=days, interval=0.01, prune_every=0)
    assert writer.prune_once() == 0
    writer.close()
    storage.close()


def test_the_index_is_filled_when_chat_is_calm(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / DB_FILE)
    writer = HistoryWriter(storage, interval=0.01, prune_every=0)
    try:
        storage.append("#a", msg(1, "findable words"))
        wait_until(lambda: storage.unindexed() == 0 and storage.pending() == 0)
        assert [m.text for m in storage.search(["#a"], "findable", None, Window())] == [
            "findable words"
        ]
    finally:
        writer.close()
        storage.close()
