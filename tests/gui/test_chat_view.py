"""The chat window's own behaviour under Xvfb: keyboard focus, layout, looks."""

from __future__ import annotations

from collections.abc import Callable

from chinwag.gui.app import App
from chinwag.transport.runner import ServerRunner
from tests.gui.conftest import click_row, connected, pump, settle, xdotool
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


def test_a_server_notice_shows_where_the_person_is_looking(
    make_app: Callable[..., App], server: ServerRunner
) -> None:
    app = make_app()
    connected(app, server.port, "alice")
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
    assert chat.topic.cget("text") == "Private chat with carol"
    carol.send("NICK caroline")
    pump(app.root, lambda: chat.topic.cget("text") == "Private chat with caroline")
    carol.send("AWAY :out for lunch")
    pump(app.root, lambda: "away" in chat.topic.cget("text"))
    carol.send("AWAY")
    pump(app.root, lambda: chat.topic.cget("text") == "Private chat with caroline")
