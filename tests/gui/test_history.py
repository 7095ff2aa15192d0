"""History in the client window under Xvfb, against a real server: scrolling back loads
older lines (with day separators), Ctrl+F search jumps to a hit in its context, your own
message can be deleted from its menu, and a private message sent while you were away
arrives when you log in, with its original time. With CHINWAG_SCREENSHOT_DIR set, each
test leaves a screenshot there (docs/history-*.png come from it)."""

from __future__ import annotations

import os
import subprocess
import time
import tkinter as tk
from collections.abc import Callable
from pathlib import Path

import pytest

from chinwag.auth.credentials import make_credentials
from chinwag.client.lines import format_day
from chinwag.gui.app import App
from chinwag.transport.runner import ServerRunner
from tests.gui.conftest import connected, fill_and_connect, pump, settle
from tests.gui.test_accounts import no_keyring
from tests.support import LineClient

_ = no_keyring  # a fixture, used by name below


def shoot(app: App, name: str, screen: bool = False) -> None:
    where = os.environ.get("CHINWAG_SCREENSHOT_DIR")
    if where:
        app.root.update()
        window = "root" if screen else str(app.root.winfo_id())
        crop = ["-crop", f"{app.root.winfo_width()}x{app.root.winfo_height()}+0+0", "+repage"]
        args = ["import", "-window", window, *(crop if screen else []), str(Path(where) / name)]
        subprocess.run(args, check=True)


def talk(server: ServerRunner, nick: str, lines: list[str]) -> LineClient:
    client = LineClient("127.0.0.1", server.port)
    client.register(nick)
    client.expect(lambda m: m.command == "366")
    for text in lines:
        client.send(text)
    client.send("PING :done")
    client.expect("PONG")
    return client


def restart_meanwhile(
    app: App, make_app: Callable[..., App], port: int, nick: str, said: LineClient, lines: list[str]
) -> App:
    """Log ``app`` out, have ``said`` send ``lines``, and start a new app that logs in to
    the account ``nick`` (password ``<nick>-password-1``) as after a restart."""
    app.logout()
    for text in lines:
        said.send(text)
    said.send("PING :x")
    said.expect("PONG")
    again = make_app()
    again.connect_view.fill(account_password=f"{nick}-password-1")
    fill_and_connect(again, port, nick)
    pump(again.root, lambda: again.chat is not None and again.model.account == nick)
    return again


def message_lines(app: App) -> list[str]:
    return [x.text for x in app.model.conversation().lines if x.msgid]


def test_scrolling_back_loads_older_lines(
    make_app: Callable[..., App], server: ServerRunner
) -> None:
    bob = talk(server, "bob", [f"PRIVMSG #lobby :line {i}" for i in range(120)])
    try:
        app = make_app()
        connected(app, server.port, "alice")
        pump(app.root, lambda: len(message_lines(app)) == 50)  # LATEST on join
        assert message_lines(app)[0] == "line 70"
        view = app.chat.messages  # type: ignore[union-attr]
        view.text.yview_moveto(0)
        view.text.event_generate("<Button-4>")  # the wheel, up, at the top
        pump(app.root, lambda: len(message_lines(app)) == 100)
        assert message_lines(app)[0] == "line 20"
        assert view.text.yview()[0] > 0  # the line that was on top stays in sight
        view.text.yview_moveto(0)
        view.text.event_generate("<Button-4>")
        pump(app.root, lambda: len(message_lines(app)) == 120)
        view.text.yview_moveto(0)
        view.text.event_generate("<Button-4>")  # nothing older: paging stops
        pump(app.root, lambda: app.model.conversation().complete)
        assert f"—— {format_day(time.time())} ——" in view.contents()
        view.text.yview_moveto(0)
        shoot(app, "history-scrollback.png")
    finally:
        bob.close()


def test_search_jumps_to_a_hit_in_context(
    make_app: Callable[..., App], server: ServerRunner
) -> None:
    filler = [f"PRIVMSG #lobby :chatter {i}" for i in range(80)]
    bob = talk(server, "bob", [*filler[:10], "PRIVMSG #lobby :the needle is here", *filler[10:]])
    try:
        app = make_app()
        connected(app, server.port, "alice")
        pump(app.root, lambda: len(message_lines(app)) == 50)
        assert "the needle is here" not in message_lines(app)  # older than what is shown
        history = app.history
        assert history is not None
        app.chat.entry.event_generate("<Control-f>")  # type: ignore[union-attr]
        pump(app.root, lambda: history.search_window is not None)
        window = history.search_window
        assert window is not None
        window.entry.insert(0, "needle")
        window.entry.event_generate("<Return>")
        pump(app.root, lambda: window.list.size() == 1)
        assert "the needle is here" in window.list.get(0)
        settle(app.root)
        shoot(app, "history-search.png", screen=True)
        window.jump(0)
        pump(app.root, lambda: "the needle is here" in message_lines(app))
        texts = message_lines(app)
        assert texts.index("the needle is here") > 0  # with what came before it
        view = app.chat.messages  # type: ignore[union-attr]
        pump(app.root, lambda: bool(view.text.tag_ranges("found")))
        found = view.text.get(*view.text.tag_ranges("found")[:2])
        assert "the needle is here" in found
    finally:
        bob.close()


def test_delete_your_own_message(make_app: Callable[..., App], server: ServerRunner) -> None:
    bob = talk(server, "bob", [])
    try:
        app = make_app()
        connected(app, server.port, "alice")
        assert app.send("I regret this")
        pump(app.root, lambda: "I regret this" in message_lines(app))
        line = next(x for x in app.model.conversation().lines if x.text == "I regret this")
        view = app.chat.messages  # type: ignore[union-attr]
        start = view.text.tag_ranges("m:" + line.msgid)[0]
        assert view.msgid_at(str(start)) == (line.msgid, True)
        menu = view.delete_menu(line.msgid)
        menu.invoke(0)  # "Delete message"
        pump(app.root, lambda: any(x.deleted for x in app.model.conversation().lines))
        assert "alice: message deleted" in view.contents()
        bob.expect(lambda m: m.command == "PRIVMSG" and m.params[1] == "I regret this")
        settle(app.root)
    finally:
        bob.close()


@pytest.mark.usefixtures("no_keyring")
def test_an_offline_message_arrives_at_login_with_its_time(
    make_app: Callable[..., App], server: ServerRunner
) -> None:
    creds = make_credentials("carol-password-1")
    server.call(lambda core: core.storage.add_account("carol", creds, time.time()))  # type: ignore[union-attr]
    bob = LineClient("127.0.0.1", server.port)
    try:
        bob.register("bob", caps=["server-time", "echo-message"])
        bob.send("PRIVMSG carol :see you at noon")
        echo = bob.expect(lambda m: m.command == "PRIVMSG")
        bob.expect(lambda m: m.command == "NOTICE" and "delivered" in m.params[1])
        time.sleep(1.1)  # so the original time differs from the time it arrives
        app = make_app()
        app.connect_view.fill(account_password="carol-password-1")
        fill_and_connect(app, server.port, "carol")
        pump(app.root, lambda: app.chat is not None and app.model.account == "carol")
        pump(app.root, lambda: "bob" in app.model.conversations)
        (line,) = [x for x in app.model.conversations["bob"].lines if x.text == "see you at noon"]
        sent = echo.tags["time"]
        assert time.strftime("%H:%M:%S", time.gmtime(line.time)) == sent[11:19]
        assert app.model.conversations["bob"].unread == 1
        app.select("bob")
        settle(app.root)
        shoot(app, "history-offline.png")
    finally:
        bob.close()


@pytest.mark.usefixtures("no_keyring")
def test_the_new_messages_line_comes_back_from_the_read_marker(
    make_app: Callable[..., App], server: ServerRunner
) -> None:
    creds = make_credentials("dave-password-1")
    server.call(lambda core: core.storage.add_account("dave", creds, time.time()))  # type: ignore[union-attr]
    bob = talk(server, "bob", ["PRIVMSG #lobby :read before"])
    try:
        app = make_app()
        app.connect_view.fill(account_password="dave-password-1")
        connected(app, server.port, "dave")
        pump(app.root, lambda: "read before" in message_lines(app))
        pump(app.root, lambda: app.model.conversation("#lobby").read_at is not None)
        news = [f"PRIVMSG #lobby :new {i}" for i in range(3)]
        again = restart_meanwhile(app, make_app, server.port, "dave", bob, news)
        pump(again.root, lambda: again.model.new_from("#lobby") >= 0)
        lines = again.model.conversation("#lobby").lines
        assert lines[again.model.new_from("#lobby")].text == "new 0"
        again.select("#lobby")
        again.chat.redraw_all()  # type: ignore[union-attr]
        assert "—— new messages ——" in again.chat.messages.contents()  # type: ignore[union-attr]
        shoot(again, "history-new-messages.png")
    finally:
        bob.close()


@pytest.mark.usefixtures("no_keyring")
def test_unread_counts_come_back_from_the_read_markers_after_a_restart(
    make_app: Callable[..., App], server: ServerRunner
) -> None:
    creds = make_credentials("erin-password-1")
    server.call(lambda core: core.storage.add_account("erin", creds, time.time()))  # type: ignore[union-attr]
    bob = talk(server, "bob", ["JOIN #side", "PRIVMSG #side :seen 0", "PRIVMSG #side :seen 1"])
    try:
        app = make_app()
        app.connect_view.fill(account_password="erin-password-1")
        connected(app, server.port, "erin")
        assert app.send("/join #side")
        pump(app.root, lambda: app.model.current == "#side" and "seen 1" in message_lines(app))
        seen = app.model.conversation("#side").lines[-1].time
        pump(app.root, lambda: (app.model.conversation("#side").read_at or 0) >= seen)
        app.select("#lobby")
        unseen = [f"PRIVMSG #side :unseen {i}" for i in range(3)]
        again = restart_meanwhile(app, make_app, server.port, "erin", bob, unseen)
        pump(again.root, lambda: "#side" in again.model.conversations)  # joined again
        chat = again.chat
        assert chat is not None
        pump(again.root, lambda: "#side  (3)" in chat.sidebar_labels())  # from the marker
        assert again.model.current == "#lobby"
        assert again.model.conversation("#side").lines[-1].text == "unseen 2"
        shoot(again, "history-unread-after-restart.png")
    finally:
        bob.close()


_ = tk  # tkinter is what these tests drive
