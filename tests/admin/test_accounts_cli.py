"""``chinwag accounts`` on a real data directory: add, passwd, list, unlock, certificates,
del, and one-line errors; a running server's storage sees each change at once."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from chinwag.auth.credentials import verify_password
from chinwag.cli import main
from chinwag.storage.sqlite import SQLiteStorage

FP = "0f" * 32


def accounts(
    data: Path, *args: str, stdin: str = "", capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    import sys

    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        code = main(["accounts", "--data-dir", str(data), "--password-stdin", *args])
    finally:
        sys.stdin = old
    out = capsys.readouterr()
    return code, out.out, out.err


def test_lifecycle_seen_by_a_running_storage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server_side = SQLiteStorage.in_dir(tmp_path)  # as a running server holds it
    try:
        code, out, _ = accounts(tmp_path, "add", "alice", stdin="first-password\n", capsys=capsys)
        assert code == 0 and "created" in out
        acc = server_side.get_account("alice")
        assert acc is not None and verify_password(acc.credentials.password_hash, "first-password")

        code, _, _ = accounts(tmp_path, "passwd", "alice", stdin="second-password\n", capsys=capsys)
        acc = server_side.get_account("alice")
        assert code == 0 and acc is not None
        assert verify_password(acc.credentials.password_hash, "second-password")

        server_side.set_locked_until("alice", 4e9)
        _, out, _ = accounts(tmp_path, "list", capsys=capsys)
        assert out.startswith("alice") and "locked until" in out
        assert accounts(tmp_path, "unlock", "alice", capsys=capsys)[0] == 0
        assert server_side.get_account("alice").locked_until == 0  # type: ignore[union-attr]

        assert accounts(tmp_path, "certadd", "alice", FP.upper(), capsys=capsys)[0] == 0
        assert server_side.get_account("alice").certfps == (FP,)  # type: ignore[union-attr]
        assert accounts(tmp_path, "certdel", "alice", FP, capsys=capsys)[0] == 0

        assert accounts(tmp_path, "del", "alice", capsys=capsys)[0] == 0
        assert server_side.get_account("alice") is None
        assert accounts(tmp_path, "list", capsys=capsys)[1].strip() == "no accounts"
    finally:
        server_side.close()


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("add", "bad nick"), "long-enough-pw\n", "not a valid nickname"),
        (("add", "bob"), "short\n", "at least"),
        (("passwd", "nobody"), "long-enough-pw\n", "no account named nobody"),
        (("del",), "", "needs an account name"),
        (("certadd", "carol", "xyz"), "", "64 hex digits"),
    ],
)
def test_errors_are_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    stdin: str,
    message: str,
) -> None:
    accounts(tmp_path, "add", "carol", stdin="carol-password\n", capsys=capsys)
    code, _, err = accounts(tmp_path, *args, stdin=stdin, capsys=capsys)
    assert code == 1 and message in err and err.count("\n") == 1


def test_taken_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    accounts(tmp_path, "add", "dave", stdin="dave-password\n", capsys=capsys)
    code, _, err = accounts(tmp_path, "add", "DAVE", stdin="dave-password\n", capsys=capsys)
    assert code == 1 and "already exists" in err
