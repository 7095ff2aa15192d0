"""The client window under Xvfb, driven like a person would: real Tk, real server."""

from __future__ import annotations

import json
import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chinwag.discovery import FoundServer
from chinwag.errors import LocalError
from chinwag.gui.app import App, lan_discovery
from chinwag.gui.chat_view import ChatView
from chinwag.transport.runner import ServerRunner
from tests.client.ngircd import free_port
from tests.gui.conftest import connected, fill_and_connect, pump, settle
from tests.support import TIMEOUT, LineClient, wait_until


def double_click_member(chat: ChatView, nick: str) -> None:
    """Double-click ``nick`` in the member list, as X would deliver it."""
    labels = [label.lstrip("@+").split()[0] for label in chat.member_labels()]
    x, y, _, _ = chat.members.bbox(labels.index(nick))
    for _ in range(2):
        chat.members.event_generate("<ButtonPress-1>", x=x + 5, y=y + 2)
        chat.members.event_generate("<ButtonRelease-1>", x=x + 5, y=y + 2)


def test_bad_fields_are_shown_next_to_them(make_app: Callable[..., App]) -> None:
    app = make_app()
    view = app.connect_view
    view.fill(host="", port="99999", nick="9lives")
    view.button.invoke()
    assert "server" in view.error_text("host")
    assert "65535" in view.error_text("port")
    assert "Nicknames use" in view.error_text("nick")
    assert app.client is None
    view.fill(host="127.0.0.1", port="6667", nick="")
    view.button.invoke()
    assert view.error_text("host") == "" and view.error_text("port") == ""
    assert view.error_text("nick") == "Choose a nickname."


def test_connection_refused_shows_in_the_dialog(make_app: Callable[..., App]) -> None:
    app = make_app()
    fill_and_connect(app, free_port(), "alice")
    pump(app.root, lambda: "refused" in app.connect_view.status_text())
    assert app.chat is None and app.client is None
    assert "disabled" not in app.connect_view.button.state()


def test_nick_in_use_offers_the_next_free_one(
    make_app: Callable[..., App], server: ServerRunner
) -> None:
    carol = LineClient("127.0.0.1", server.port)
    try:
        carol.register("carol")
        app = make_app()
        fill_and_connect(app, server.port, "carol")
        pump(app.root, lambda: "in use" in app.connect_view.status_text())
        assert app.connect_view.values()["nick"] == "carol2"
        app.connect_view.button.invoke()
        pump(app.root, lambda: app.chat is not None)
        assert app.model.nick == "carol2"
    finally:
        carol.close()


def test_chat_send_receive_private_clear_logout(
    make_app: Callable[..., App], server: ServerRunner, config_dir: Path
) -> None:
    carol = LineClient("127.0.0.1", server.port)
    try:
        carol.register("carol")
        opened: list[str] = []
        app = make_app(open_url=opened.append)
        connected(app, server.port, "alice")
        chat = app.chat
        assert chat is not None
        pump(app.root, lambda: [x.lstrip("@") for x in chat.member_labels()] == ["carol", "alice"]
             or chat.member_labels() == ["alice", "carol"])  # fmt: skip
        # the entry has the focus as soon as the window opens
        pump(app.root, lambda: app.root.focus_get() is chat.entry)
        # settings remembered
        saved = json.loads((config_dir / "client.json").read_text())
        assert (saved["host"], saved["port"], saved["nick"]) == ("127.0.0.1", server.port, "alice")

        carol.send("PRIVMSG #lobby :hello from carol")
        pump(app.root, lambda: "hello from carol" in chat.message_text())

        chat.entry.insert(0, "hi carol, see https://example.org/x")
        chat.entry.event_generate("<Return>")
        heard = carol.expect(lambda m: m.command == "PRIVMSG" and m.nick == "alice")
        assert heard.param(1) == "hi carol, see https://example.org/x"
        pump(app.root, lambda: "hi carol" in chat.message_text())
        assert chat.entry.get() == ""
        own_ranges = chat.text.tag_ranges("own")
        assert own_ranges and "hi carol" in chat.text.get(own_ranges[0], own_ranges[-1])
        start, end = chat.text.tag_ranges("link")[-2:]
        assert chat.text.get(start, end) == "https://example.org/x"
        chat.text.see(start)
        app.root.update()
        x, y, _, _ = chat.text.bbox(start)
        chat.text.event_generate("<Motion>", x=x + 3, y=y + 3)  # moves Tk's "current" mark
        chat.text.event_generate("<Button-1>", x=x + 3, y=y + 3)
        assert opened == ["https://example.org/x"]

        # double-click a member: a private conversation opens and is current
        double_click_member(chat, "carol")
        pump(app.root, lambda: "carol" in chat.sidebar_labels())
        assert chat.header_text() == "Private chat with carol"
        assert not app.windows  # private chats stay in the sidebar unless asked otherwise
        pump(app.root, lambda: app.root.focus_get() is chat.entry)
        chat.entry.insert(0, "psst")
        chat.send_button.invoke()
        got = carol.expect(lambda m: m.command == "PRIVMSG" and m.param(0) == "carol")
        assert got.param(1) == "psst"
        pump(app.root, lambda: "psst" in chat.message_text())

        # an incoming private message elsewhere counts as unread
        app.select("#lobby")
        carol.send("PRIVMSG alice :are you there?")
        pump(app.root, lambda: "carol  (1)" in chat.sidebar_labels())
        assert app.notifications and "are you there?" in app.notifications[-1]
        assert app.root.title().startswith("(1)")

        # Clear Chat empties the current view only
        chat.clear_button.invoke()
        assert chat.message_text() == ""
        app.select("carol")
        assert "are you there?" in chat.message_text()
        assert "carol" in chat.sidebar_labels()

        # Logout: QUIT with a message, back to the dialog
        chat.logout_button.invoke()
        quit_msg = carol.expect(lambda m: m.command == "QUIT" and m.nick == "alice")
        assert "Logged out" in quit_msg.param(0)
        assert app.chat is None
        pump(app.root, lambda: bool(app.connect_view.winfo_ismapped()))
        assert app.connect_view.values()["nick"] == "alice"
    finally:
        carol.close()


def test_private_chats_in_their_own_windows(
    make_app: Callable[..., App], server: ServerRunner, config_dir: Path
) -> None:
    carol = LineClient("127.0.0.1", server.port)
    try:
        carol.register("carol")
        app = make_app()
        connected(app, server.port, "alice")
        chat = app.chat
        assert chat is not None
        pump(app.root, lambda: any("carol" in label for label in chat.member_labels()))
        assert not chat.private_windows_on()
        chat.windows_check.invoke()
        assert chat.private_windows_on() and app.model.private_windows
        assert json.loads((config_dir / "client.json").read_text())["private_windows"] is True

        # double-click a member: a window of its own, with the keyboard in its entry
        double_click_member(chat, "carol")
        pump(app.root, lambda: "carol" in app.windows)
        window = app.windows["carol"]
        assert isinstance(window, tk.Toplevel) and window.winfo_ismapped()
        assert "carol (private)" in window.title()
        assert window.heading.cget("text") == "Private chat with carol"
        pump(app.root, lambda: app.root.focus_get() is window.entry)
        assert app.model.current == "#lobby" and "#lobby" in chat.header_text()
        assert "carol" in chat.sidebar_labels()

        window.entry.insert(0, "just between us")
        window.entry.event_generate("<Return>")
        got = carol.expect(lambda m: m.command == "PRIVMSG" and m.param(0) == "carol")
        assert got.param(1) == "just between us"
        pump(app.root, lambda: "just between us" in window.message_text())
        assert window.entry.get() == ""
        assert "just between us" not in chat.message_text()

        carol.send("PRIVMSG alice :sure thing")
        pump(app.root, lambda: "sure thing" in window.message_text())
        assert "carol" in chat.sidebar_labels()  # shown in its window: not unread
        window.entry.insert(0, "/me nods")
        window.send_button.invoke()
        act = carol.expect(lambda m: m.command == "PRIVMSG" and m.param(0) == "carol")
        assert act.param(1) == "\x01ACTION nods\x01"
        pump(app.root, lambda: "* alice nods" in window.message_text())
        window.clear_button.invoke()
        assert window.message_text() == ""

        # closing the window closes only the window; the next message opens it again
        window.tk.call(window.protocol("WM_DELETE_WINDOW"))
        pump(app.root, lambda: "carol" not in app.windows)
        assert not window.winfo_exists()
        assert "carol" in chat.sidebar_labels()
        carol.send("PRIVMSG alice :still there?")
        pump(app.root, lambda: "carol" in app.windows)
        again = app.windows["carol"]
        pump(app.root, lambda: "still there?" in again.message_text())
        assert app.notifications and "still there?" in app.notifications[-1]
        # not looked at yet: unread in the sidebar and in the window's title
        assert "carol  (1)" in chat.sidebar_labels() and again.title().startswith("(1) ")
        # choosing the conversation in the sidebar raises its window, and it is read
        app.select("carol")
        pump(app.root, lambda: app.root.focus_get() is again.entry)
        pump(app.root, lambda: "carol" in chat.sidebar_labels())
        assert app.model.current == "#lobby" and not again.title().startswith("(")

        # turned off: windows close, the chat stays in the sidebar and opens there
        chat.windows_check.invoke()
        pump(app.root, lambda: not app.windows)
        assert not again.winfo_exists() and not chat.private_windows_on()
        double_click_member(chat, "carol")
        pump(app.root, lambda: chat.header_text() == "Private chat with carol")
        assert "still there?" in chat.message_text() and not app.windows
        assert json.loads((config_dir / "client.json").read_text())["private_windows"] is False
    finally:
        carol.close()


def test_private_window_preference_is_remembered(
    make_app: Callable[..., App], server: ServerRunner, config_dir: Path
) -> None:
    config_dir.mkdir(parents=True)
    (config_dir / "client.json").write_text(json.dumps({"private_windows": True}))
    carol = LineClient("127.0.0.1", server.port)
    try:
        carol.register("carol")
        app = make_app()
        connected(app, server.port, "alice")
        chat = app.chat
        assert chat is not None and chat.private_windows_on()
        chat.entry.insert(0, "/msg carol lunch?")
        chat.entry.event_generate("<Return>")
        got = carol.expect(lambda m: m.command == "PRIVMSG" and m.param(0) == "carol")
        assert got.param(1) == "lunch?"
        pump(app.root, lambda: "carol" in app.windows)
        pump(app.root, lambda: "lunch?" in app.windows["carol"].message_text())
        # a nick change follows the window
        carol.send("NICK caroline")
        pump(app.root, lambda: "caroline" in app.windows)
        window = app.windows["caroline"]
        assert "caroline (private)" in window.title()
        pump(app.root, lambda: "carol is now caroline" in window.message_text())
        # logging out closes private windows too
        chat.logout_button.invoke()
        assert not app.windows and not window.winfo_exists()
    finally:
        carol.close()


def test_commands_in_the_entry(make_app: Callable[..., App], server: ServerRunner) -> None:
    carol = LineClient("127.0.0.1", server.port)
    try:
        carol.register("carol")
        app = make_app()
        connected(app, server.port, "alice")
        chat = app.chat
        assert chat is not None

        def type_line(text: str) -> None:
            chat.entry.insert(0, text)
            chat.entry.event_generate("<Return>")

        type_line("/join #games")
        pump(app.root, lambda: "#games" in chat.sidebar_labels())
        assert app.model.conversation().name == "#games"
        type_line("/topic Board games tonight")
        pump(app.root, lambda: "Board games tonight" in chat.header_text())
        type_line("/me waves")
        pump(app.root, lambda: "* alice waves" in chat.message_text())
        type_line("/bogus")
        pump(app.root, lambda: "Unknown command /bogus" in chat.message_text())
        type_line("/msg carol hello there")
        got = carol.expect(lambda m: m.command == "PRIVMSG" and m.param(0) == "carol")
        assert got.param(1) == "hello there"
        pump(app.root, lambda: "hello there" in chat.message_text())
        assert "sending…" not in chat.message_text()  # the server's labeled echo came back
        type_line("/msg nobody anyone home?")
        pump(app.root, lambda: "✗ not sent: No such nick/channel" in chat.message_text())
        assert chat.header_text() == "Private chat with nobody"
        type_line("/nick alicia")
        pump(app.root, lambda: app.model.nick == "alicia")
        type_line("/away lunch")
        pump(app.root, lambda: "You are marked as away." in chat.message_text())
        app.select("#lobby")
        pump(app.root, lambda: "alicia  (away)" in chat.member_labels())
        type_line("/help")
        pump(app.root, lambda: "/join #room" in chat.message_text())
        type_line("{quit}")
        pump(app.root, lambda: app.chat is None)
        carol.expect(lambda m: m.command == "QUIT" and m.nick == "alicia")
    finally:
        carol.close()


def test_found_servers_are_offered_and_a_single_one_is_picked(
    make_app: Callable[..., App],
) -> None:
    calls: list[Callable[[Any], None]] = []

    class Browser:
        closed = False

        def close(self) -> None:
            Browser.closed = True

    def discover(on_change: Callable[[Any], None]) -> Browser:
        calls.append(on_change)
        return Browser()

    app = make_app(discover=discover)
    found = FoundServer("chinwag on den", "den.local.", 6697, "home", "0.1", ("10.0.0.5",))
    calls[0]([found])
    pump(app.root, lambda: app.connect_view.values()["host"] == "10.0.0.5")
    assert app.connect_view.values()["port"] == "6697"
    assert "chinwag on den" in app.connect_view.found_list.get(0)
    app.close()
    wait_until(lambda: Browser.closed)


def test_dark_mode_is_remembered(
    make_app: Callable[..., App], server: ServerRunner, config_dir: Path
) -> None:
    app = make_app()
    connected(app, server.port, "alice")
    assert app.chat is not None
    app.chat.theme_button.invoke()
    settle(app.root)
    assert app.palette.name == "dark"
    assert app.chat.text.cget("background") == app.palette.text_bg
    assert json.loads((config_dir / "client.json").read_text())["theme"] == "dark"
    assert app.chat.theme_button.cget("text") == "Light mode"


def test_reconnects_after_the_server_restarts(
    make_app: Callable[..., App], make_server: Callable[..., ServerRunner]
) -> None:
    port = free_port()
    first = make_server(listen=(("127.0.0.1", port),))
    app = make_app()
    connected(app, port, "alice")
    chat = app.chat
    assert chat is not None
    chat.entry.insert(0, "said before the restart")
    chat.entry.event_generate("<Return>")
    pump(app.root, lambda: "said before the restart" in chat.message_text())
    first.stop()
    pump(app.root, lambda: "Disconnected" in chat.message_text())
    assert "Reconnecting in" in chat.status.cget("text")
    make_server(listen=(("127.0.0.1", port),))
    pump(app.root, lambda: "Reconnected." in chat.message_text(), timeout=3 * TIMEOUT)
    pump(app.root, lambda: chat.member_labels() in (["alice"], ["@alice"]))
    assert chat.status.cget("text").startswith("Connected")
    settle(app.root, 0.3)
    assert chat.message_text().count("said before the restart") == 1  # history not repeated


def test_several_found_servers_are_listed_not_picked(make_app: Callable[..., App]) -> None:
    calls: list[Callable[[Any], None]] = []
    app = make_app(discover=lambda on_change: calls.append(on_change))
    a = FoundServer("chinwag on den", "den.local.", 6667, "home", "0.1", ("10.0.0.5",))
    b = FoundServer("chinwag on attic", "attic.local.", 6667, "home", "0.1", ("10.0.0.6",))
    calls[0]([a, b])
    pump(app.root, lambda: app.connect_view.found_list.size() == 2)
    assert app.connect_view.values()["host"] == "localhost"
    app.connect_view.found_list.selection_set(1)
    app.connect_view.found_list.event_generate("<<ListboxSelect>>")
    assert app.connect_view.values()["host"] == "10.0.0.6"


def test_discovery_that_cannot_start_leaves_the_dialog_working(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import chinwag.discovery

    class Broken:
        def __init__(self, on_change: object) -> None:
            pass

        def start(self) -> None:
            raise LocalError("no multicast here")

    monkeypatch.setattr(chinwag.discovery, "DiscoveryBrowser", Broken)
    assert lan_discovery(lambda servers: None) is None


def test_closing_the_window_says_goodbye(
    make_app: Callable[..., App], server: ServerRunner
) -> None:
    carol = LineClient("127.0.0.1", server.port)
    try:
        carol.register("carol")
        app = make_app()
        connected(app, server.port, "alice")
        client = app.client
        assert client is not None
        assert app.root.protocol("WM_DELETE_WINDOW")  # bound (to App.close)
        app.close()
        got = carol.expect(lambda m: m.command == "QUIT" and m.nick == "alice")
        assert "Window closed" in got.param(0)
        assert not client.alive
    finally:
        carol.close()
