"""The chat window's own behaviour under Xvfb: keyboard focus, layout, looks."""

from __future__ import annotations

import os
from collections.abc import Callable

from PIL import ImageGrab

from chinwag.gui.app import App
from chinwag.transport.runner import ServerRunner
from tests.gui.conftest import click_row, connected, overlap, pump, settle, xdotool
from tests.support import LineClient


def test_typing_after_clicking_the_sidebar_reaches_the_entry(
    make_app: Callable[..., App], server: ServerRunner, carol: LineClient
) -> None:
    carol.send("JOIN #games")
    app = make_app()
    connected(app, server.port, "alice")
    chat = app.chat
    assert chat is not None
    chat.entry.insert(0, "/join #games")
    chat.entry.event_generate("<Return>")
    pump(app.root, lambda: app.model.current == "#games")
    # a click on #lobby in the sidebar, then typing (spaces included) and Enter
    click_row(chat.sidebar, chat.sidebar_labels().index("#lobby"))
    pump(app.root, lambda: app.model.current == "#lobby")
    settle(app.root, 0.1)
    xdotool("type", "--delay", "1", "hello there all")
    xdotool("key", "Return")
    pump(app.root, lambda: "hello there all" in chat.message_text())
    heard = carol.expect(lambda m: m.command == "PRIVMSG" and m.nick == "alice")
    assert heard.param(0) == "#lobby" and heard.param(1) == "hello there all"
    assert app.model.current == "#lobby" and chat.entry.get() == ""
    assert app.root.focus_get() is chat.entry
    # and the keyboard alone steps through the conversations
    xdotool("key", "ctrl+Next")
    pump(app.root, lambda: app.model.current == "")  # past the last one: the server view
    xdotool("key", "ctrl+Prior")
    pump(app.root, lambda: app.model.current == "#lobby")
    assert app.root.focus_get() is chat.entry


def test_a_server_notice_shows_where_the_person_is_looking(
    alice: App, server: ServerRunner
) -> None:
    app = alice
    chat = app.chat
    assert chat is not None and app.model.current == "#lobby"
    server.call(lambda s: s.notice_all("The server restarts at noon"))
    pump(app.root, lambda: "The server restarts at noon" in chat.message_text())
    ranges = chat.text.tag_ranges("announce")  # a style of its own, not a grey line
    assert ranges and "restarts at noon" in chat.text.get(ranges[0], ranges[-1])
    app.select("")
    assert "The server restarts at noon" in chat.message_text()  # and in the server view


def test_a_private_chat_header_follows_nick_and_away(
    make_app: Callable[..., App], server: ServerRunner, carol: LineClient
) -> None:
    app = make_app()
    connected(app, server.port, "alice")
    chat = app.chat
    assert chat is not None
    pump(app.root, lambda: any("carol" in x for x in chat.member_labels()))
    app.open_private("carol")
    assert chat.header_text() == "Private chat with carol"
    carol.send("NICK caroline")
    pump(app.root, lambda: chat.header_text() == "Private chat with caroline")
    carol.send("AWAY :out for lunch")
    pump(app.root, lambda: "away" in chat.header_text())
    carol.send("AWAY")
    pump(app.root, lambda: chat.header_text() == "Private chat with caroline")


def test_the_dark_checkbox_shows_its_tick(alice: App) -> None:
    app, chat = alice, alice.chat
    assert chat is not None
    chat.theme_button.invoke()
    assert app.palette.dark

    def indicator() -> bytes:
        settle(app.root, 0.05)
        check = chat.windows_check
        x, y = check.winfo_rootx(), check.winfo_rooty()
        box = (x, y, x + 18, y + check.winfo_height())
        return ImageGrab.grab(bbox=box, xdisplay=os.environ["DISPLAY"]).convert("L").tobytes()

    chat.setvar(chat._windows_var, "0")
    off = indicator()
    chat.setvar(chat._windows_var, "1")
    on = indicator()
    # the tick must stand out from the box it is drawn in (grey levels 0-255)
    assert max(abs(a - b) for a, b in zip(off, on, strict=True)) >= 100


def test_the_topic_stays_in_view_at_the_smallest_size(alice: App) -> None:
    app, chat = alice, alice.chat
    assert chat is not None
    chat.entry.insert(0, "/topic " + "Board games tonight, bring snacks and a friend " * 3)
    chat.entry.event_generate("<Return>")
    pump(app.root, lambda: "Board games" in chat.header_text())
    app.root.geometry("640x420")
    settle(app.root, 0.2)
    for label in (chat.heading, chat.topic):  # all of it shown, wrapped where need be
        assert label.winfo_ismapped() and label.winfo_reqwidth() <= label.winfo_width()
        assert label.winfo_height() >= label.winfo_reqheight() - 2
        for button in (chat.theme_button, chat.clear_button, chat.logout_button):
            assert not overlap(label, button)
            assert button.winfo_ismapped() and button.winfo_width() >= button.winfo_reqwidth()


def test_after_logout_the_title_is_just_chinwag(alice: App) -> None:
    app = alice
    assert app.root.title() == "alice — #lobby — chinwag"
    assert app.chat is not None
    app.chat.logout_button.invoke()
    app.root.focus_force()
    app.connect_view.entries["host"].focus_set()
    settle(app.root, 0.2)
    assert app.root.title() == "chinwag"
