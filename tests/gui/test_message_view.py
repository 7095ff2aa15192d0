"""The shared message view under Xvfb: lines drawn from the model, settled in place."""

from __future__ import annotations

import gc
import tkinter as tk
from collections.abc import Iterator

import pytest

from chinwag.client import events as ev
from chinwag.client.model import ChatModel
from chinwag.gui import theme
from chinwag.gui.message_view import MessageView


@pytest.fixture
def view() -> Iterator[tuple[MessageView, ChatModel]]:
    root = tk.Tk()
    fonts = theme.setup_fonts(root)
    view = MessageView(root, theme.LIGHT, fonts, open_url=lambda url: None)
    view.pack(fill="both", expand=True)
    model = ChatModel()
    model.apply(ev.Registered("alice", "home", "srv", "rfc1459", frozenset()))
    model.apply(ev.Joined("#lobby", "alice", True))
    view.redraw(model.conversation().lines)
    root.update()
    yield view, model
    root.destroy()
    gc.collect()  # on the main thread: Tk objects must not be freed elsewhere


def show(view: MessageView, model: ChatModel, event: ev.Event) -> None:
    update = model.apply(event)
    view.restate(update.restate.get("#lobby", []))
    view.append(update.lines.get("#lobby", []))


def lines_of(view: MessageView) -> list[str]:
    return [line.split("  ", 1)[1] for line in view.contents().splitlines()]


def test_pending_line_is_faint_then_settled_in_place(view: tuple[MessageView, ChatModel]) -> None:
    v, m = view
    show(v, m, ev.ChatMessage("#lobby", "alice", "hi all", own=True, label="cw1", pending=True))
    show(v, m, ev.ChatMessage("#lobby", "bob", "morning"))
    assert lines_of(v)[-2:] == ["alice  hi all   sending…", "bob  morning"]
    start, end = v.text.tag_ranges("pending")
    assert v.text.get(start, end) == "hi all"
    show(v, m, ev.ChatMessage("#lobby", "alice", "hi all", own=True, label="cw1"))
    assert lines_of(v)[-2:] == ["alice  hi all", "bob  morning"]
    assert v.text.tag_ranges("pending") == () and "label:cw1" not in v.text.tag_names()
    own_start, own_end = v.text.tag_ranges("own")[:2]
    assert "hi all" in v.text.get(own_start, own_end)


def test_refused_line_says_why(view: tuple[MessageView, ChatModel]) -> None:
    v, m = view
    show(v, m, ev.ChatMessage("#lobby", "alice", "psst", own=True, label="cw2", pending=True))
    show(v, m, ev.SendFailed("#lobby", "cw2", "Cannot send to channel"))
    assert lines_of(v)[-1] == "alice  psst   ✗ not sent: Cannot send to channel"
    start, end = v.text.tag_ranges("failed")
    assert v.text.get(start, end) == "   ✗ not sent: Cannot send to channel"
