"""Private windows kept in step with the model (:func:`sync_windows`), on a real Tk root."""

from __future__ import annotations

import gc
import tkinter as tk
from collections.abc import Iterator

import pytest

from chinwag.client.lines import Update
from chinwag.client.model import ChatModel
from chinwag.gui import theme
from chinwag.gui.private_window import PrivateWindow, destroy_all, sync_windows


@pytest.fixture
def root() -> Iterator[tk.Tk]:
    root = tk.Tk()
    try:
        yield root
    finally:
        root.destroy()
        gc.collect()  # Tk objects freed here, on the main thread


def test_windows_follow_the_model(root: tk.Tk) -> None:
    model = ChatModel(private_windows=True)
    model.nick = "alice"
    fonts = theme.setup_fonts(root)
    opened: list[str] = []

    def open_window(key: str) -> PrivateWindow:
        opened.append(key)
        return PrivateWindow(
            root, model, key, theme.LIGHT, fonts, on_send=lambda k, t: True,
            on_clear=lambda k: None, on_close=lambda k: None, on_focus=lambda k: None,
            open_url=lambda u: None, on_attach=lambda k: None, on_cancel_upload=lambda: None,
        )  # fmt: skip

    windows: dict[str, PrivateWindow] = {}
    sync_windows(windows, model, model.open_private("carol"), open_window)
    assert list(windows) == ["carol"] and opened == ["carol"]
    window = windows["carol"]
    assert window.winfo_exists()

    sync_windows(windows, model, Update(), open_window)  # nothing changed: the same window
    assert windows == {"carol": window} and opened == ["carol"]

    sync_windows(windows, model, model.close_window("carol"), open_window)
    assert windows == {} and not window.winfo_exists()
    assert "carol" in model.conversations  # only the window went

    sync_windows(windows, model, model.open_private("dave"), open_window)
    destroy_all(windows.values())
    destroy_all(windows.values())  # already gone: no error
    assert not windows["dave"].winfo_exists()
