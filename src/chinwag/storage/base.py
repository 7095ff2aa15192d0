"""The storage interface the server core talks to.

Writes are buffered: :meth:`Storage.append_message` only queues, and :meth:`Storage.flush`
(called from the server's periodic tick) writes the queue in one transaction, so the hot
message path never waits on the disk. Reads (:meth:`Storage.recent`) see queued rows too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from chinwag.proto.casemap import folder

rfc1459_fold = folder("rfc1459")


@dataclass(frozen=True, slots=True)
class StoredMessage:
    target: str
    source: str
    command: str
    text: str
    time: float
    msgid: str


class Storage(Protocol):
    def append_message(
        self, target: str, source: str, command: str, text: str, at: float, msgid: str
    ) -> None: ...

    def recent(self, target: str, limit: int) -> list[StoredMessage]:
        """The last ``limit`` messages of ``target``, oldest first."""
        ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


class MemoryStorage:
    """Storage that forgets on exit: for tests and ``data_dir = None``.

    ``fold`` is the server's casemapping: targets are keyed by their folded name.
    """

    def __init__(self, keep: int = 1000, fold: Callable[[str], str] = rfc1459_fold) -> None:
        self.keep = keep
        self.fold = fold
        self.rows: dict[str, list[StoredMessage]] = {}

    def append_message(
        self, target: str, source: str, command: str, text: str, at: float, msgid: str
    ) -> None:
        rows = self.rows.setdefault(self.fold(target), [])
        rows.append(StoredMessage(target, source, command, text, at, msgid))
        if len(rows) > self.keep * 2:
            del rows[: len(rows) - self.keep]

    def recent(self, target: str, limit: int) -> list[StoredMessage]:
        return self.rows.get(self.fold(target), [])[-limit:] if limit > 0 else []

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass
