"""Fixtures for GUI tests: a real Tk root under Xvfb (pytest-xvfb) and the client app,
with the settings directory in a temporary directory and no LAN discovery."""

from __future__ import annotations

import gc
import time
import tkinter as tk
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chinwag.client.settings import ENV_CONFIG_DIR, Settings
from chinwag.gui.app import App
from tests.support import TIMEOUT


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
