"""Staged history: a burst of messages committed as one journal row per transaction,
moved into the history table (its indexes, then the search index) when chat is calm.

Why: a message written straight into ``history`` costs the writer ~3.6 µs of CPU
(1.9 µs for the row, ~0.85 µs for each of its two indexes, on a 1,000,000-row table),
and during a burst that CPU is taken from the event loop and its clients. Joined into
one text per commit and stored as one row, the same messages cost ~0.7 µs each; the
move into ``history`` is paid later, when the writer has nothing else to do. The
messages are as durable either way: the journal row is in the same transaction that
would have held them.

Encoding: each message is its nine columns (target key, msgid, time as ``repr``,
target, sender, account or "", kind, tags, text) and every column of every message is
joined by NUL. No IRC line holds a NUL (the parser drops them), and :func:`encode`
refuses a batch in which some column does (the caller then writes it straight).

What this module does not do: decide when to stage or move (``SQLiteStorage`` and the
writer do), or keep the staged messages readable (``SQLiteStorage`` keeps them in
memory until they are moved, and reads merge them).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from chinwag.storage.base import StoredMessage

# Staged messages at most: reads merge them from memory, so this bounds what a read
# scans (a few ms) and what memory holds. A longer burst is written straight, from then
# until chat is calm again.
STAGE_MAX = 20_000
FIELDS = 9

INSERT_HISTORY = (
    "INSERT OR IGNORE INTO history (msgid, at, target_key, target, sender, account,"
    " kind, tags, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

Row = tuple[Any, ...]  # (msgid, at, target_key, target, sender, account, kind, tags, text)


def encode(ops: Sequence[tuple[str, tuple[str, StoredMessage, Any]]]) -> str | None:
    """The journal text of message operations (``("msg", (target key, message, _))``);
    None when a column holds a NUL."""
    text = "\0".join(
        [
            f"{key}\0{m.msgid}\0{m.time!r}\0{m.target}\0{m.sender}\0{m.account or ''}\0"
            f"{m.kind}\0{m.tags}\0{m.text}"
            for _, (key, m, _p) in ops
        ]
    )
    if text.count("\0") != FIELDS * len(ops) - 1:
        return None
    return text


def decode(text: str) -> list[Row]:
    """The rows of one journal text, in INSERT_HISTORY's column order."""
    f = text.split("\0")
    return [
        (f[i + 1], float(f[i + 2]), f[i], f[i + 3], f[i + 4], f[i + 5] or None, *f[i + 6 : i + 9])
        for i in range(0, len(f), FIELDS)
    ]


def stage(db: sqlite3.Connection, text: str, count: int) -> None:
    """Add one journal row (inside the caller's transaction)."""
    db.execute("INSERT INTO history_staged (count, rows) VALUES (?, ?)", (count, text))


def unstage(db: sqlite3.Connection) -> int:
    """Move every journal row into ``history``, oldest first, inside the caller's
    transaction; returns how many messages moved."""
    moved = 0
    for ident, text in db.execute("SELECT id, rows FROM history_staged ORDER BY id").fetchall():
        rows = decode(text)
        db.executemany(INSERT_HISTORY, rows)
        db.execute("DELETE FROM history_staged WHERE id = ?", (ident,))
        moved += len(rows)
    return moved


def staged_count(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT coalesce(sum(count), 0) FROM history_staged").fetchone()[0])
