"""The database schema as numbered migrations, and the code that applies them.

``MIGRATIONS[i]`` brings the schema from version ``i`` to ``i + 1``; the version is kept
in ``PRAGMA user_version``. A migration is SQL text of one or more statements (triggers
included); each runs in one transaction with the version bump. Never edit a migration
that has shipped: add the next one.
"""

from __future__ import annotations

import sqlite3

from chinwag.errors import LocalError
from chinwag.storage.sqlite_accounts import ACCOUNTS_MIGRATION

MIGRATIONS: list[str] = [
    # 1: channel history, and accounts for later.
    """
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        target TEXT NOT NULL,          -- channel name as displayed
        target_key TEXT NOT NULL,      -- folded with the casemapping, for lookups
        source TEXT NOT NULL,          -- nick!user@host
        command TEXT NOT NULL,         -- PRIVMSG or NOTICE
        text TEXT NOT NULL,
        at REAL NOT NULL,              -- unix time
        msgid TEXT NOT NULL
    );
    CREATE INDEX messages_by_target ON messages (target_key, id);
    CREATE TABLE accounts (
        name_key TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created REAL NOT NULL
    );
    """,
    # 2: account credentials (argon2id, SCRAM-SHA-256), certificates, lock-outs; rooms.
    ACCOUNTS_MIGRATION,
    # 3: history for channels and private conversations, searchable; marks (read
    # markers, join replay); messages waiting for an account that is offline.
    """
    CREATE TABLE history (
        id INTEGER PRIMARY KEY,
        msgid TEXT NOT NULL,
        at REAL NOT NULL,              -- unix time, as in the time tag
        target_key TEXT NOT NULL,      -- folded channel name, or a conversation key
        target TEXT NOT NULL,          -- channel name or recipient nick, as sent
        sender TEXT NOT NULL,          -- nick!user@host
        account TEXT,                  -- the sender's account, if logged in
        kind TEXT NOT NULL,            -- PRIVMSG, NOTICE or TAGMSG
        tags TEXT NOT NULL DEFAULT '', -- client-only tags, serialized
        text TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX history_by_target ON history (target_key, at);
    CREATE UNIQUE INDEX history_by_msgid ON history (msgid);
    INSERT INTO history (msgid, at, target_key, target, sender, kind, text)
        SELECT msgid, at, target_key, target, source, command, text FROM messages ORDER BY id;
    DROP TABLE messages;
    CREATE VIRTUAL TABLE history_text USING fts5 (
        text, content='history', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
    );
    INSERT INTO history_text (history_text) VALUES ('rebuild');
    CREATE TRIGGER history_inserted AFTER INSERT ON history BEGIN
        INSERT INTO history_text (rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER history_deleted AFTER DELETE ON history BEGIN
        INSERT INTO history_text (history_text, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    CREATE TRIGGER history_edited AFTER UPDATE OF text ON history BEGIN
        INSERT INTO history_text (history_text, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO history_text (rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TABLE conversations (
        target_key TEXT PRIMARY KEY,   -- the conversation key
        a TEXT NOT NULL,               -- one party's identity
        b TEXT NOT NULL                -- the other's
    ) WITHOUT ROWID;
    CREATE INDEX conversations_by_a ON conversations (a);
    CREATE INDEX conversations_by_b ON conversations (b);
    CREATE TABLE marks (
        kind TEXT NOT NULL,            -- 'read' (read markers) or 'replay' (join replay)
        who TEXT NOT NULL,             -- an identity
        target_key TEXT NOT NULL,
        at REAL NOT NULL,
        PRIMARY KEY (kind, who, target_key)
    ) WITHOUT ROWID;
    CREATE TABLE offline (
        id INTEGER PRIMARY KEY,
        account TEXT NOT NULL,         -- the folded account it waits for
        msgid TEXT NOT NULL,
        at REAL NOT NULL,
        target TEXT NOT NULL,
        sender TEXT NOT NULL,
        sender_account TEXT,
        kind TEXT NOT NULL,
        tags TEXT NOT NULL,
        text TEXT NOT NULL
    );
    CREATE INDEX offline_by_account ON offline (account, id);
    """,
    # 4: uploaded files (the bytes live under files/ in the data dir, by SHA-256; the
    # SQL that reads and writes them is in chinwag.storage.files).
    """
    CREATE TABLE files (
        id TEXT PRIMARY KEY,           -- random, in its address: /files/<id>/<name>
        sha256 TEXT NOT NULL,          -- hex digest of the bytes: their name on disk
        name TEXT NOT NULL,            -- sanitised file name
        mime TEXT NOT NULL,            -- type sniffed from the bytes
        size INTEGER NOT NULL,
        uploader TEXT NOT NULL,        -- account, or nick, or ~address (anonymous)
        account TEXT,                  -- the account, when logged in
        address TEXT NOT NULL,         -- uploader's IP address
        uploaded REAL NOT NULL,        -- unix time
        thumb TEXT                     -- the thumbnail's type, when there is one
    );
    CREATE INDEX files_by_uploader ON files (uploader);
    CREATE INDEX files_by_sha256 ON files (sha256);
    CREATE INDEX files_by_time ON files (uploaded);
    """,
    # 5: the search index is filled in the background (chinwag.storage.writer), not by a
    # trigger on every message: history_indexed.upto is the last row it holds, and only
    # rows up to it are taken out of it again.
    """
    DROP TRIGGER history_inserted;
    DROP TRIGGER history_deleted;
    DROP TRIGGER history_edited;
    CREATE TABLE history_indexed (upto INTEGER NOT NULL);
    INSERT INTO history_indexed (upto) SELECT coalesce(max(id), 0) FROM history;
    CREATE TRIGGER history_deleted AFTER DELETE ON history
    WHEN old.id <= (SELECT upto FROM history_indexed) BEGIN
        INSERT INTO history_text (history_text, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    CREATE TRIGGER history_edited AFTER UPDATE OF text ON history
    WHEN old.id <= (SELECT upto FROM history_indexed) BEGIN
        INSERT INTO history_text (history_text, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO history_text (rowid, text) VALUES (new.id, new.text);
    END;
    """,
    # 6: messages committed in bursts wait in a journal, one row per transaction, and
    # are moved into history when chat is calm (chinwag.storage.staging).
    """
    CREATE TABLE history_staged (
        id INTEGER PRIMARY KEY,
        count INTEGER NOT NULL,        -- messages in this row
        rows TEXT NOT NULL             -- their columns, NUL-separated (staging.encode)
    );
    """,
    # 7: files are named by a digest that says which hash made it: SHA-256 for those
    # stored so far, BLAKE3 for new ones (chinwag.web.files.CONTENT_HASH).
    """
    ALTER TABLE files RENAME COLUMN sha256 TO digest;
    ALTER TABLE files ADD COLUMN algorithm TEXT NOT NULL DEFAULT 'sha256';
    DROP INDEX files_by_sha256;
    CREATE INDEX files_by_digest ON files (digest);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


def statements(script: str) -> list[str]:
    """Split SQL text into whole statements (a trigger body keeps its semicolons)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


def schema_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection, where: str) -> None:
    """Bring ``db`` (autocommit mode) to :data:`SCHEMA_VERSION`; refuse a newer one."""
    version = schema_version(db)
    if version > SCHEMA_VERSION:
        raise LocalError(
            f"database {where} has schema version {version}, newer than this "
            f"chinwag knows ({SCHEMA_VERSION}); upgrade chinwag"
        )
    for number in range(version, SCHEMA_VERSION):
        db.execute("BEGIN")
        try:
            for statement in statements(MIGRATIONS[number]):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number + 1:d}")
            db.execute("COMMIT")
        except Exception:
            db.execute("ROLLBACK")
            raise
