"""The admin window under Xvfb (pytest-xvfb), against a real server and real clients."""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import threading
import time
import tkinter as tk
from collections.abc import Callable, Iterator
from pathlib import Path
from tkinter import font as tkfont

import platformdirs
import pytest

from chinwag.admin import main as admin_main
from chinwag.admin import window as admin_window
from chinwag.admin.ban_dialog import BanDialog, BanRequest
from chinwag.admin.model import AdminModel
from chinwag.admin.window import AdminWindow
from chinwag.certs import fingerprint_display
from chinwag.proto.limits import Limits
from chinwag.server.config import ServerConfig, config_from_args
from tests.support import TIMEOUT, LineClient


def config(tmp_path: Path) -> ServerConfig:
    return ServerConfig(
        listen=(("127.0.0.1", 0),),
        data_dir=tmp_path / "data",
        advertise=False,
        limits=Limits(flood_limit=False),
    )


def socket_inodes() -> set[str]:
    """The sockets this process has open right now."""
    out = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:"):
            out.add(target)
    return out


def pump(root: tk.Misc, predicate: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """Run the Tk event loop until ``predicate`` holds; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        root.update()
        if predicate():
            return
        time.sleep(0.02)
    root.update()
    assert predicate(), "condition not met in time"


@pytest.fixture(autouse=True)
def collect_tk_garbage() -> Iterator[None]:
    """Free this test's Tk variables on the main thread: if the cyclic GC found them
    later on another thread (zeroconf's, say), Tcl would complain there."""
    yield
    gc.collect()


@pytest.fixture
def clients() -> Iterator[list[LineClient]]:
    made: list[LineClient] = []
    yield made
    for c in made:
        c.close()


@pytest.fixture
def win(tmp_path: Path) -> Iterator[AdminWindow]:
    root = tk.Tk()
    w = AdminWindow(root, AdminModel(), config(tmp_path))
    yield w
    w.close()


def connect(w: AdminWindow, clients: list[LineClient], nick: str) -> LineClient:
    assert w.model.runner is not None
    c = LineClient("127.0.0.1", w.model.runner.bound[0][1])
    clients.append(c)
    c.register(nick)
    return c


def in_table(w: AdminWindow) -> list[str]:
    return list(w.people_tree.get_children())


def test_start_kick_stop_and_close_leave_nothing_behind(
    tmp_path: Path, clients: list[LineClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    threads_before = set(threading.enumerate())
    root = tk.Tk()
    root.update()
    # Tk keeps its X display connection for the life of the process, so count from here.
    sockets_before = socket_inodes()
    w = AdminWindow(root, AdminModel(), config(tmp_path))
    root.update()
    assert str(w.stop_button["state"]) == "disabled"

    w.start_button.invoke()
    assert w.model.running
    assert str(w.start_button["state"]) == "disabled"
    assert str(w.port_entry["state"]) == "disabled"
    assert "127.0.0.1:" in w.status_var.get()

    alice = connect(w, clients, "alice")
    pump(root, lambda: in_table(w) == ["alice"])
    assert w.people_tree.item("alice", "values")[1].startswith("127.0.0.1:")

    asked: list[str] = []

    def fake_reason(parent: tk.Misc, nick: str) -> str:
        asked.append(nick)
        return "calm down"

    monkeypatch.setattr(admin_window, "ask_kick_reason", fake_reason)
    w.people_tree.selection_set("alice")
    root.update()
    assert str(w.kick_button["state"]) == "normal"
    w.kick_button.invoke()
    assert asked == ["alice"]
    assert "calm down" in alice.expect("ERROR").param(0)
    pump(root, lambda: in_table(w) == [])

    bob = connect(w, clients, "bob")
    carol = connect(w, clients, "carol")
    pump(root, lambda: in_table(w) == ["bob", "carol"])
    pump(root, lambda: w.counters_var.get().startswith("Users 2"))
    monkeypatch.setattr(admin_window, "confirm_stop", lambda parent, people: True)
    w.stop_button.invoke()
    for c in (bob, carol):
        assert "stopped by the admin" in c.expect("ERROR").param(0)
    assert not w.model.running
    assert in_table(w) == []
    assert w.status_var.get() == "Stopped."
    assert str(w.start_button["state"]) == "normal"

    # Start again and close the window the way the window manager does.
    w.start_button.invoke()
    dave = connect(w, clients, "dave")
    pump(root, lambda: in_table(w) == ["dave"])
    root.tk.call(root.protocol("WM_DELETE_WINDOW"))
    assert w.closed
    assert "shutting down" in dave.expect("ERROR").param(0)
    for c in clients:
        c.close()
    assert not w.model.running
    deadline = time.monotonic() + TIMEOUT
    while set(threading.enumerate()) - threads_before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert set(threading.enumerate()) - threads_before == set()
    assert socket_inodes() - sockets_before == set()


def test_ban_from_the_table_and_lift_it(
    win: AdminWindow, clients: list[LineClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    win.start_button.invoke()
    eve = connect(win, clients, "eve")
    pump(win.root, lambda: in_table(win) == ["eve"])
    offered: list[str] = []

    def fake_ban(parent: tk.Misc, mask: str, matches: Callable[[str], list[str]]) -> BanRequest:
        offered.append(mask)
        return BanRequest("eve!*@*", 3600.0, "trolling")

    monkeypatch.setattr(admin_window, "ask_ban", fake_ban)
    win.people_tree.selection_set("eve")
    win.root.update()
    win.ban_button.invoke()
    assert offered and offered[0].startswith("*!*@")
    assert "trolling" in eve.expect("ERROR").param(0)
    pump(win.root, lambda: list(win.bans_tree.get_children()) == ["eve!*@*"])
    assert win.bans_tree.item("eve!*@*", "values")[1].startswith("in ")
    pump(win.root, lambda: in_table(win) == [])

    win.bans_tree.selection_set("eve!*@*")
    win.root.update()
    win.lift_button.invoke()
    pump(win.root, lambda: list(win.bans_tree.get_children()) == [])


def test_give_room_operator_makes_a_lobby_operator(
    win: AdminWindow, clients: list[LineClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    errors: list[str] = []
    monkeypatch.setattr(admin_window, "show_error", lambda parent, title, text: errors.append(text))
    win.start_button.invoke()
    ann = connect(win, clients, "ann")
    bea = connect(win, clients, "bea")
    pump(win.root, lambda: in_table(win) == ["ann", "bea"])
    assert str(win.op_button["state"]) == "disabled"  # nobody selected
    win.people_tree.selection_set("bea")
    win.root.update()
    assert str(win.op_button["state"]) == "normal"
    win.op_button.invoke()
    mode = ann.expect("MODE")
    assert mode.params == ("#lobby", "+o", "bea")
    assert errors == []
    bea.send("PART #lobby")
    bea.expect("PART")
    win.op_button.invoke()
    assert errors == ["bea is not in the lobby (or there is none)"]


def test_notice_box_sends_to_everyone(win: AdminWindow, clients: list[LineClient]) -> None:
    assert str(win.notice_button["state"]) == "disabled"
    win.start_button.invoke()
    ann = connect(win, clients, "ann")
    win.notice_var.set("Pizza in the kitchen")
    win.notice_button.invoke()
    msg = ann.expect(lambda m: m.command == "NOTICE" and "Pizza" in m.param(-1))
    assert msg.param(-1) == "Pizza in the kitchen"
    assert win.notice_var.get() == ""


def test_log_view_filters_and_saves(
    win: AdminWindow, clients: list[LineClient], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    win.start_button.invoke()
    c = connect(win, clients, "fred")
    c.send("JOIN #cake")
    c.expect("JOIN")
    pump(win.root, lambda: "#cake" in win.log_view_text())
    assert "listening on 127.0.0.1:" in win.log_view_text()

    win.filter_var.set("cake")
    win.root.update()
    lines = win.log_view_text().splitlines()
    assert lines and all("cake" in line for line in lines)

    target = tmp_path / "out.log"
    monkeypatch.setattr(admin_window, "ask_save_path", lambda parent: str(target))
    win.save_button.invoke()
    assert target.read_text().splitlines() == lines

    win.filter_var.set("")
    win.root.update()
    assert "listening on" in win.log_view_text()


def test_bad_port_is_reported_and_nothing_starts(
    win: AdminWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors: list[str] = []
    monkeypatch.setattr(admin_window, "show_error", lambda parent, title, text: errors.append(text))
    win.port_var.set("sixty")
    win.start_button.invoke()
    assert not win.model.running
    assert errors and "port" in errors[0]


def test_fields_make_the_config(win: AdminWindow, tmp_path: Path) -> None:
    win.host_var.set("0.0.0.0")
    win.port_var.set("7001")
    win.data_dir_var.set("")
    win.log_messages_var.set(True)
    cfg = win.config_from_fields()
    assert cfg.listen == (("0.0.0.0", 7001),)
    assert cfg.data_dir is None
    assert cfg.log_messages
    assert not cfg.advertise  # the rest comes from the base config


def test_ban_dialog_validates(win: AdminWindow) -> None:
    dialog = BanDialog(win.root, "*!*@10.0.0.7", wait=False)
    dialog.duration_var.set("1 day")
    dialog.reason_var.set("flooding")
    assert dialog.validate() == BanRequest("*!*@10.0.0.7", 86400.0, "flooding")
    dialog.mask_var.set("has space")
    assert isinstance(dialog.validate(), str)
    dialog.ok()
    assert dialog.error_var.get()  # stays open with an error
    dialog.mask_var.set("bad!*@*")
    dialog.duration_var.set("permanent")
    dialog.ok()
    assert dialog.result == BanRequest("bad!*@*", None, "flooding")


def test_chinwag_admin_start_flag(
    tmp_path: Path, clients: list[LineClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    parser = argparse.ArgumentParser()
    admin_main.configure_parser(parser)
    args = parser.parse_args(
        [
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            str(tmp_path / "d"),
            "--no-advertise",
            "--no-http",
            "--no-tls",  # chinwag admin would otherwise also listen on 0.0.0.0:6697
            "--start",
        ]
    )
    windows: list[AdminWindow] = []

    class Recording(AdminWindow):
        def __init__(self, *a: object, **kw: object) -> None:
            super().__init__(*a, **kw)  # type: ignore[arg-type]
            windows.append(self)

    def fake_mainloop(self: tk.Misc, n: int = 0) -> None:
        (w,) = windows
        assert w.model.running
        connect(w, clients, "scripted")
        pump(w.root, lambda: in_table(w) == ["scripted"])
        w.close()

    monkeypatch.setattr(admin_window, "AdminWindow", Recording)
    monkeypatch.setattr(tk.Tk, "mainloop", fake_mainloop)
    assert admin_main.run(args) == 0
    assert not windows[0].model.running


def test_the_certificate_fingerprint_is_shown_while_running(tmp_path: Path) -> None:
    root = tk.Tk()
    tls = config(tmp_path).replace(tls_listen=(("127.0.0.1", 0),))
    w = AdminWindow(root, AdminModel(), tls)
    try:
        assert w.certificate_var.get() == ""
        w.start_button.invoke()
        assert w.model.runner is not None and w.model.runner.fingerprint
        shown = fingerprint_display(w.model.runner.fingerprint)
        assert w.certificate_var.get() == f"TLS certificate SHA-256: {shown}"
        assert "with TLS to 127.0.0.1:" in w.status_var.get()
        w.stop_button.invoke()
        assert w.certificate_var.get() == ""
    finally:
        w.close()


def test_the_ban_dialog_says_who_else_the_mask_matches(
    win: AdminWindow, clients: list[LineClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    win.start_button.invoke()
    connect(win, clients, "eve")
    connect(win, clients, "bob")
    pump(win.root, lambda: in_table(win) == ["bob", "eve"])
    shown: list[str] = []

    def look_and_cancel(parent: tk.Misc, mask: str, matches: Callable[[str], list[str]]) -> None:
        dialog = BanDialog(parent, mask, matches=matches, wait=False)
        shown.append(dialog.matches_label.cget("text"))
        dialog.mask_var.set("eve!*@*")
        win.root.update()
        shown.append(dialog.matches_label.cget("text"))
        dialog.cancel()

    monkeypatch.setattr(admin_window, "ask_ban", look_and_cancel)
    win.people_tree.selection_set("eve")
    win.root.update()
    win.ban_button.invoke()
    assert "2 people" in shown[0] and "bob" in shown[0] and "eve" in shown[0]
    assert "1 person" in shown[1] and "bob" not in shown[1]
    assert in_table(win) == ["bob", "eve"]  # nothing applied


def test_the_idle_column_fits_its_longest_value(win: AdminWindow) -> None:
    font = tkfont.nametofont("TkDefaultFont")
    for longest in ("23h 59m", "59m 59s", "Idle"):
        assert int(win.people_tree.column("idle", "width")) >= font.measure(longest) + 12


def test_messages_per_minute_are_counted_not_extrapolated(
    tmp_path: Path, clients: list[LineClient]
) -> None:
    now = [1000.0]
    root = tk.Tk()
    w = AdminWindow(root, AdminModel(clock=lambda: now[0]), config(tmp_path))
    try:
        w.start_button.invoke()
        talker = connect(w, clients, "talker")
        talker.send("JOIN #r")
        talker.expect("JOIN")
        w.refresh_now()
        for i in range(5):  # five messages in the first two seconds
            talker.send(f"PRIVMSG #r :message {i}")
        talker.send("PING :done")
        talker.expect("PONG")
        now[0] += 2.0
        w.refresh_now()
        assert w.counters_var.get().endswith("Messages/min 5")
    finally:
        w.close()


def test_stop_asks_first_when_people_are_connected(
    win: AdminWindow, clients: list[LineClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []
    answer = [False]

    def confirm(parent: tk.Misc, people: int) -> bool:
        asked.append(people)
        return answer[0]

    monkeypatch.setattr(admin_window, "confirm_stop", confirm)
    win.start_button.invoke()
    win.stop_button.invoke()  # nobody there: no question
    assert asked == [] and not win.model.running
    win.start_button.invoke()
    connect(win, clients, "gus")
    pump(win.root, lambda: in_table(win) == ["gus"])
    win.stop_button.invoke()
    assert asked == [1] and win.model.running  # said no
    answer[0] = True
    win.stop_button.invoke()
    assert asked == [1, 1] and not win.model.running


def test_closing_the_window_asks_first_when_people_are_connected(
    win: AdminWindow, clients: list[LineClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []
    answer = [False]

    def confirm(parent: tk.Misc, people: int) -> bool:
        asked.append(people)
        return answer[0]

    def close_button() -> None:  # what the window manager's close button runs
        win.root.tk.call(win.root.protocol("WM_DELETE_WINDOW"))

    monkeypatch.setattr(admin_window, "confirm_stop", confirm)
    win.start_button.invoke()
    gus = connect(win, clients, "gus")
    pump(win.root, lambda: in_table(win) == ["gus"])
    close_button()
    assert asked == [1] and win.model.running and not win.closed  # said no
    answer[0] = True
    close_button()
    assert asked == [1, 1] and not win.model.running and win.closed
    gus.expect(lambda m: m.command == "ERROR")  # told why, as on Stop


def test_a_loopback_server_is_not_announced_on_the_lan(tmp_path: Path) -> None:
    root = tk.Tk()
    w = AdminWindow(root, AdminModel(), dataclasses.replace(config(tmp_path), advertise=True))
    try:
        w.start_button.invoke()
        pump(root, lambda: "not announced on the LAN" in w.log_view_text())
        assert "announcing" not in w.log_view_text()
    finally:
        w.close()


def test_server_and_admin_keep_data_in_the_user_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    expected = Path(platformdirs.user_data_dir("chinwag", appauthor=False))
    assert expected.is_relative_to(tmp_path)
    parser = argparse.ArgumentParser()
    admin_main.configure_parser(parser)
    cfg = config_from_args(parser.parse_args([]))
    assert cfg.data_dir == expected
    root = tk.Tk()
    w = AdminWindow(root, AdminModel(), cfg)
    try:
        assert Path(w.data_dir_var.get()) == expected
    finally:
        w.close()
    assert config_from_args(parser.parse_args(["--data-dir", "elsewhere"])).data_dir == Path(
        "elsewhere"
    )
