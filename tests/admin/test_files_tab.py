"""The admin window's Files tab under Xvfb: uploads listed with size and uploader,
the quota in use, Delete (after asking) makes the link answer 404."""

from __future__ import annotations

import tkinter as tk
import urllib.request
from pathlib import Path

import pytest

from chinwag.admin import files_tab
from chinwag.admin.model import AdminModel
from chinwag.admin.window import AdminWindow
from chinwag.server.webconfig import FilesConfig, WebConfig
from tests.admin.test_window import config, pump
from tests.web.conftest import request


def post(url: str, body: bytes, name: str) -> str:
    req = urllib.request.Request(
        url + "upload",
        data=body,
        method="POST",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return str(resp.headers["Location"])


def test_files_tab_lists_and_deletes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = FilesConfig(anonymous=True, total_quota_bytes=10_000)
    cfg = config(tmp_path).replace(web=WebConfig(http=(("127.0.0.1", 0),), files=rules))
    root = tk.Tk()
    w = AdminWindow(root, AdminModel(), cfg)
    try:
        w.model.start(w.config_from_fields())
        assert w.model.runner is not None
        base = w.model.runner.web_urls[0]
        link = post(base, b"x" * 1500, "notes.txt")
        post(base, b"y" * 500, "todo.txt")
        w.notebook.select(w.files_panel)
        pump(root, lambda: len(w.files_panel.rows()) == 2)  # shown, so refreshed
        rows = w.files_panel.rows()
        assert [r[0] for r in rows] == ["todo.txt", "notes.txt"]
        assert rows[1][1] == "1.5 KB" and rows[1][3].startswith("~127.0.0.1")
        quota = str(w.files_panel.quota["text"])
        assert "2.0 KB in 2 files of 9.8 KB (20%)" in quota
        asked: list[str] = []
        monkeypatch.setattr(
            files_tab, "confirm_delete", lambda parent, name: not asked.append(name)
        )
        w.files_panel.tree.selection_set(w.files_panel.tree.get_children()[1])
        pump(root, lambda: str(w.files_panel.delete_button["state"]) != "disabled")
        w.files_panel.delete_button.invoke()
        assert asked == ["notes.txt"]
        assert [r[0] for r in w.files_panel.rows()] == ["todo.txt"]
        assert request(link)[0] == 404
    finally:
        w.close()
