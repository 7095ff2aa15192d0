"""The admin window's Accounts tab under Xvfb, with the server running in the window:
create an account (it logs in over IRC at once), reset its password, see a lock-out and
lift it, delete it; bad input is reported, not raised."""

from __future__ import annotations

import base64
import gc
import tkinter as tk
from collections.abc import Iterator
from pathlib import Path

import pytest

from chinwag.admin.model import AdminModel
from chinwag.admin.window import AdminWindow
from chinwag.proto.limits import Limits
from chinwag.server.config import ServerConfig
from chinwag.storage.sqlite import SQLiteStorage
from tests.support import LineClient


@pytest.fixture
def win(tmp_path: Path) -> Iterator[AdminWindow]:
    root = tk.Tk()
    cfg = ServerConfig(
        listen=(("127.0.0.1", 0),),
        data_dir=tmp_path / "data",
        advertise=False,
        limits=Limits(flood_limit=False),
    )
    w = AdminWindow(root, AdminModel(), cfg)
    yield w
    w.close()
    gc.collect()  # Tk variables freed here, on the main thread


def logs_in(w: AdminWindow, name: str, password: str) -> bool:
    assert w.model.runner is not None
    c = LineClient("127.0.0.1", w.model.runner.bound[0][1])
    try:
        c.send("CAP LS 302")
        c.send(f"NICK {name}x")
        c.send("AUTHENTICATE PLAIN")
        c.expect("AUTHENTICATE")
        c.send("AUTHENTICATE " + base64.b64encode(f"\0{name}\0{password}".encode()).decode())
        return c.expect(lambda m: m.command in ("903", "904")).command == "903"
    finally:
        c.close()


def test_accounts_tab(win: AdminWindow, tmp_path: Path) -> None:
    win.on_start()
    panel = win.accounts_panel
    reports: list[str] = []
    panel.report = lambda title, text: reports.append(text)
    answers = iter(["first-password", "second-password", "short"])
    panel.ask_name = lambda parent: "fern"
    panel.ask_password = lambda parent, title: next(answers)
    win.tabs.select(panel)
    win.root.update()
    panel.on_create()
    assert panel.names() == ["fern"] and logs_in(win, "fern", "first-password")

    panel.tree.selection_set("fern")
    panel.on_reset()
    assert logs_in(win, "fern", "second-password")
    assert not logs_in(win, "fern", "first-password")
    panel.on_reset()  # "short": refused, and said so
    assert reports and "at least" in reports[-1]

    storage = SQLiteStorage.in_dir(tmp_path / "data")
    storage.set_locked_until("fern", 4e9)
    storage.close()
    panel.refresh()
    assert panel.tree.set("fern", "state").startswith("locked until")
    panel.tree.selection_set("fern")
    panel.on_unlock()
    assert panel.tree.set("fern", "state") == "active"

    panel.tree.selection_set("fern")
    panel.on_delete()
    assert panel.names() == []
    panel.ask_name = lambda parent: None  # cancelled: nothing happens
    panel.on_create()
    assert panel.names() == []
