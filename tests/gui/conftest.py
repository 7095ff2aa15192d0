"""Fixtures for GUI tests: a real Tk root under Xvfb (pytest-xvfb) and the client app,
with the settings directory in a temporary directory and no LAN discovery."""

from __future__ import annotations

import gc
import subprocess
import time
import tkinter as tk
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chinwag.client.settings import ENV_CONFIG_DIR, Settings
from chinwag.gui.app import App
from chinwag.transport.runner import ServerRunner
from tests.support import TIMEOUT, LineClient


def pump(root: tk.Misc, until: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """Run the Tk loop by hand until ``until()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        root.update()
        if until():
            return
        time.sleep(0.01)
    root.update()
    assert until(), "GUI condition not met in time"


def xdotool(*args: str) -> None:
    """Real X input (XTEST) to whatever window has the X focus, as a keyboard would."""
    subprocess.run(["xdotool", *args], check=True, timeout=TIMEOUT)


def click_row(listbox: tk.Listbox, index: int) -> None:
    """Click row ``index`` of a listbox, as X would deliver it."""
    x, y, _, _ = listbox.bbox(index)
    listbox.event_generate("<ButtonPress-1>", x=x + 5, y=y + 2)
    listbox.event_generate("<ButtonRelease-1>", x=x + 5, y=y + 2)


def overlap(a: tk.Misc, b: tk.Misc) -> bool:
    """Whether two widgets' boxes on the screen share any pixel."""
    ax, ay, bx, by = a.winfo_rootx(), a.winfo_rooty(), b.winfo_rootx(), b.winfo_rooty()
    return (ax < bx + b.winfo_width() and bx < ax + a.winfo_width()
            and ay < by + b.winfo_height() and by < ay + a.winfo_height())  # fmt: skip


def fill_and_connect(app: App, port: int, nick: str, host: str = "127.0.0.1") -> None:
    view = app.connect_view
    for name, value in (("host", host), ("port", str(port)), ("nick", nick)):
        entry = view.entries[name]
        entry.delete(0, "end")
        entry.insert(0, value)
    view.button.invoke()


def connected(app: App, port: int, nick: str) -> None:
    fill_and_connect(app, port, nick)
    pump(app.root, lambda: app.chat is not None and "#lobby" in app.chat.sidebar_labels())


def settle(root: tk.Misc, seconds: float = 0.2) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        root.update()
        time.sleep(0.01)


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config"
    monkeypatch.setenv(ENV_CONFIG_DIR, str(path))
    return path


@pytest.fixture
def carol(server: ServerRunner) -> Iterator[LineClient]:
    """Someone else on ``server``: a raw IRC client registered as carol."""
    client = LineClient("127.0.0.1", server.port)
    try:
        client.register("carol")
        yield client
    finally:
        client.close()


@pytest.fixture
def make_app(config_dir: Path) -> Iterator[Callable[..., App]]:
    apps: list[App] = []
    errors: list[str] = []

    def report(exc: type[BaseException], value: BaseException, tb: object) -> None:
        errors.append(f"{exc.__name__}: {value}")

    def make(**kwargs: Any) -> App:
        root = tk.Tk()
        # An exception in a Tk callback would print a traceback at the person: fail instead.
        root.report_callback_exception = report  # type: ignore[method-assign]
        kwargs.setdefault("discover", None)
        kwargs.setdefault("open_url", lambda url: None)
        kwargs.setdefault("notifier", None)
        app = App(root, Settings.load(), **kwargs)
        apps.append(app)
        root.update()
        root.focus_force()  # no window manager under Xvfb: give the window the focus
        root.update()
        return app

    yield make
    for app in apps:
        app.close()
    apps.clear()
    # Tk objects sit in reference cycles; collect them here, on the main thread, before a
    # client thread's garbage collection could free a Tcl interpreter from the wrong thread.
    gc.collect()
    assert errors == [], "exceptions in Tk callbacks"


@pytest.fixture
def alice(make_app: Callable[..., App], server: ServerRunner) -> App:
    """The client app, in the chat window on ``server`` as alice."""
    app = make_app()
    connected(app, server.port, "alice")
    assert app.chat is not None
    return app


# A server with its web service (file sharing), shared with tests/web.
from tests.web.conftest import make_web_server, web_cert, web_server  # noqa: E402, F401
