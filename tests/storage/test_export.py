"""chinwag export: a room's history as text or JSON lines, deleted messages left out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chinwag.cli import main
from chinwag.storage.base import StoredMessage
from chinwag.storage.sqlite import DB_FILE, SQLiteStorage


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    storage = SQLiteStorage(tmp_path / DB_FILE)
    rows = [
        ("m1", "PRIVMSG", "hello"),
        ("m2", "NOTICE", "a notice"),
        ("m3", "PRIVMSG", "\x01ACTION waves\x01"),
        ("m4", "PRIVMSG", "regretted"),
    ]
    for i, (msgid, kind, text) in enumerate(rows):
        storage.append(
            "#room", StoredMessage(msgid, 86400.0 + i, "#Room", "al!u@h", "al", kind, "", text)
        )
    storage.append("#other", StoredMessage("x", 1.0, "#other", "b!u@h", None, "PRIVMSG", "", "no"))
    storage.redact("m4")
    storage.close()
    return tmp_path


def test_txt(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--target", "#ROOM", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == [
        "[1970-01-02 00:00:00] <al> hello",
        "[1970-01-02 00:00:01] -al- a notice",
        "[1970-01-02 00:00:02] * al waves",
    ]
    assert "exported 3 messages" in out.err


def test_jsonl_to_a_file(data_dir: Path) -> None:
    out = data_dir / "room.jsonl"
    args = ["export", "--target", "#room", "--format", "jsonl", "--data-dir", str(data_dir)]
    assert main([*args, "-o", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["msgid"] for r in records] == ["m1", "m2", "m3"]
    assert records[0] == {
        "msgid": "m1",
        "time": "1970-01-02T00:00:00.000+00:00",
        "target": "#Room",
        "sender": "al!u@h",
        "account": "al",
        "kind": "PRIVMSG",
        "tags": "",
        "text": "hello",
    }


def test_no_database_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--target", "#a", "--data-dir", str(tmp_path / "none")]) == 1
    assert "no database" in capsys.readouterr().err
