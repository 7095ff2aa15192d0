"""The history writer: a thread that commits queued writes on a short, fixed cadence.

Durability bound: an operation queued at time *t* is committed by *t* + ``interval``
(200 ms) + the time one commit takes, while the disk accepts writes. The database runs
in WAL mode with ``synchronous=NORMAL``: a committed transaction survives the server
process being killed (SIGKILL, a crash); a power cut may lose the last commits before
the WAL is synced, never the database's integrity. :meth:`HistoryWriter.close` (a clean
shutdown) commits everything queued, so it loses nothing.

When the disk refuses a write (full, read-only, an I/O error) the writer reports it once
through ``on_problem``, keeps the operations queued (bounded: the storage drops the
oldest past its limit and counts them), retries every ``retry`` seconds, and reports
again once writing works, with how many were dropped. Chat never waits for any of it.

When chat is calm (a commit wrote fewer than ``INDEX_QUIET_OPS`` operations), and at
least every ``INDEX_LAG`` seconds, it catches up behind the history: moves the messages
that bursts staged into the history table (:mod:`chinwag.storage.staging`), then fills
the search index. It prunes history older than the retention periods, once at start
and then every ``prune_every`` seconds.

It counts the CPU time its commits take (:attr:`HistoryWriter.commit_cpu`, per
operation written) and logs it at shutdown: the cost of history on a busy server.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from chinwag.storage.sqlite import SQLiteStorage

log = logging.getLogger("chinwag.storage")

COMMIT_INTERVAL = 0.2  # seconds between commits: the loss window on a crash
# Staged messages are moved into the history table, and the search index is filled
# behind it, off the hot path: after a commit this small (chat is calm), or when it has
# waited this long (chat is busy). Until then reads merge the staged messages from
# memory, and SEARCH scans the rows the index has not reached.
INDEX_QUIET_OPS = 200
INDEX_LAG = 30.0
RETRY_INTERVAL = 1.0  # seconds between tries while the disk refuses writes
PRUNE_EVERY = 3600.0  # seconds between retention sweeps
DAY = 86400.0


class HistoryWriter:
    def __init__(
        self,
        storage: SQLiteStorage,
        on_problem: Callable[[str, bool], None] | None = None,
        *,
        interval: float = COMMIT_INTERVAL,
        retry: float = RETRY_INTERVAL,
        channel_days: float = 0,
        private_days: float = 0,
        prune_every: float = PRUNE_EVERY,
    ) -> None:
        """``on_problem(text, failing)`` is called on the writer thread when writing
        starts failing (``failing`` true) and when it works again."""
        self.storage = storage
        self.on_problem = on_problem or (lambda text, failing: None)
        self.interval = interval
        self.retry = retry
        self.channel_days = channel_days
        self.private_days = private_days
        self.prune_every = prune_every
        self.failing = False
        self.dropped_reported = 0
        self.commits = 0
        self.written = 0  # operations the last commit wrote
        self.total = 0  # operations written by every commit
        self.commit_cpu = 0.0  # CPU seconds of this thread in those commits
        self.indexed_at = time.monotonic()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="chinwag-history", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        next_prune = time.monotonic()
        while not self.stop.wait(self.retry if self.failing else self.interval):
            if self.write_once():
                self.catch_up_if_due()
            if self.prune_every and time.monotonic() >= next_prune and not self.failing:
                next_prune = time.monotonic() + self.prune_every
                self.prune_once()

    def write_once(self) -> bool:
        """Commit what is queued; True if the disk took it (or there was nothing)."""
        try:
            cpu = time.thread_time()
            self.written = self.storage.flush()
            if self.written:
                self.commit_cpu += time.thread_time() - cpu
                self.total += self.written
                self.commits += 1
        except Exception as exc:
            if not self.failing:
                self.failing = True
                text = (
                    f"chat history cannot be written ({exc}); chat goes on, and writing "
                    f"resumes when the disk accepts it ({self.storage.pending()} waiting)"
                )
                log.error("%s", text)
                self.on_problem(text, True)
            return False
        if self.failing:
            self.failing = False
            dropped = self.storage.dropped - self.dropped_reported
            self.dropped_reported = self.storage.dropped
            text = "chat history is being written again" + (
                f"; {dropped} writes were dropped while the disk refused them" if dropped else ""
            )
            log.warning("%s", text)
            self.on_problem(text, False)
        return True

    def catch_up_if_due(self) -> int:
        """When chat is calm, or it has waited too long: move staged messages into the
        history table, then extend the search index. Returns the rows indexed."""
        now = time.monotonic()
        if self.written >= INDEX_QUIET_OPS and now - self.indexed_at < INDEX_LAG:
            return 0
        self.indexed_at = now
        try:
            self.storage.unstage()
            return self.storage.index_pending()
        except Exception:
            log.exception("moving staged history or extending the search index failed")
            return 0

    def prune_once(self) -> int:
        now = time.time()
        try:
            gone = self.storage.prune(
                now - self.channel_days * DAY if self.channel_days > 0 else None,
                now - self.private_days * DAY if self.private_days > 0 else None,
            )
        except Exception:
            log.exception("pruning old history failed")
            return 0
        if gone:
            log.info("pruned %d messages past their retention period", gone)
        return gone

    def close(self) -> None:
        """Stop the thread and commit everything still queued (a clean shutdown)."""
        self.stop.set()
        self.thread.join()
        if not self.write_once():
            log.error("%d history writes could not be saved at shutdown", self.storage.pending())
        if self.total:
            log.info(
                "history writer: %d writes in %d commits, %.2f µs of CPU each (in commits;"
                " moving staged messages and the search index come later, when calm)",
                self.total,
                self.commits,
                self.commit_cpu / self.total * 1e6,
            )
