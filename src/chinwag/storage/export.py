"""chinwag export: write a room's history from the data dir as text or JSON lines.

  chinwag export --target '#room' --format txt
  chinwag export --target '#room' --format jsonl --data-dir ./my-data > room.jsonl

The data dir defaults to the server's: the per-user data folder.

Works while the server runs (the database is in WAL mode). Deleted (redacted) messages
are left out. Times are UTC.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from chinwag.errors import LocalError
from chinwag.paths import default_data_dir
from chinwag.proto.casemap import CASEMAPPINGS, folder
from chinwag.storage.base import StoredMessage
from chinwag.storage.sqlite import DB_FILE, SQLiteStorage

FORMATS = ("txt", "jsonl")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", required=True, help="the room to export, e.g. '#lobby'")
    parser.add_argument("--format", choices=FORMATS, default="txt", help="txt (default) or jsonl")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=default_data_dir(),
        help="the server's data dir (default: the per-user data folder, as for the server)",
    )
    parser.add_argument(
        "--casemapping",
        choices=sorted(CASEMAPPINGS),
        default="rfc1459",
        help="the server's casemapping (default rfc1459)",
    )
    parser.add_argument("--output", "-o", type=Path, help="write here instead of stdout")


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S")


def as_text(m: StoredMessage) -> str:
    if m.kind == "NOTICE":
        return f"[{_stamp(m.time)}] -{m.nick}- {m.text}"
    if m.text.startswith("\x01ACTION ") and m.text.endswith("\x01"):
        return f"[{_stamp(m.time)}] * {m.nick} {m.text[8:-1]}"
    return f"[{_stamp(m.time)}] <{m.nick}> {m.text}"


def as_json(m: StoredMessage) -> str:
    record = {
        "msgid": m.msgid,
        "time": datetime.fromtimestamp(m.time, UTC).isoformat(timespec="milliseconds"),
        "target": m.target,
        "sender": m.sender,
        "account": m.account,
        "kind": m.kind,
        "tags": m.tags,
        "text": m.text,
    }
    return json.dumps(record, ensure_ascii=False)


def write(messages: Iterable[StoredMessage], fmt: str, out: TextIO) -> int:
    line = as_json if fmt == "jsonl" else as_text
    count = 0
    for m in messages:
        if m.kind == "TAGMSG" and fmt == "txt":
            continue
        out.write(line(m) + "\n")
        count += 1
    return count


def run(args: argparse.Namespace) -> int:
    path = args.data_dir / DB_FILE
    if not path.is_file():
        print(f"chinwag export: no database at {path}", file=sys.stderr)
        return 1
    try:
        storage = SQLiteStorage(path, folder(args.casemapping))
    except LocalError as exc:
        print(f"chinwag export: {exc}", file=sys.stderr)
        return 1
    try:
        key = storage.fold(args.target)
        if args.output is not None:
            with args.output.open("w", encoding="utf-8") as out:
                count = write(storage.export(key), args.format, out)
        else:
            count = write(storage.export(key), args.format, sys.stdout)
    finally:
        storage.close()
    print(f"exported {count} messages of {args.target}", file=sys.stderr)
    return 0
