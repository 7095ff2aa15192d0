"""Notifications under Xvfb: a private message or a mention while the window does not
have the focus reaches the desktop (a fake notification back end here), sets the
window's urgency hint and rings; muted conversations and the focused window stay quiet."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from chinwag.gui.app import App
from chinwag.transport.runner import ServerRunner
from tests.gui.conftest import connected, pump, settle, xdotool
from tests.support import TIMEOUT, LineClient


class FakeNotifier:
    """A notification back end that records what it is asked to show."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.closed = False

    def notify(self, title: str, body: str) -> None:
        self.sent.append((title, body))

    def close(self) -> None:
        self.closed = True


def focus_elsewhere(app: App) -> None:
    """Give the X input focus to the root window, as if the person clicked another app."""
    root_info = subprocess.run(
        ["xwininfo", "-root"], capture_output=True, text=True, check=True, timeout=TIMEOUT
    ).stdout
    xdotool("windowfocus", str(int(root_info.split("Window id: ")[1].split()[0], 16)))
    pump(app.root, lambda: not app.has_focus())


def focus_here(app: App) -> None:
    app.root.focus_force()
    pump(app.root, app.has_focus)


def urgent(app: App) -> bool:
    hints = subprocess.run(
        ["xprop", "-id", app.root.wm_frame(), "WM_HINTS"],
        capture_output=True, text=True, check=True, timeout=TIMEOUT,
    ).stdout  # fmt: skip
    return "urgency hint bit is set" in hints


def test_private_messages_and_mentions_notify_when_the_window_is_not_focused(
    make_app: Callable[..., App], server: ServerRunner, carol: LineClient, config_dir: Path
) -> None:
    fake = FakeNotifier()
    app = make_app(notifier=fake)
    rings: list[None] = []
    app.root.bell = lambda *a, **k: rings.append(None)  # type: ignore[method-assign]
    connected(app, server.port, "alice")
    chat = app.chat
    assert chat is not None
    focus_elsewhere(app)

    carol.send("PRIVMSG alice :are you there?")
    pump(app.root, lambda: len(fake.sent) == 1)
    assert fake.sent == [("carol", "are you there?")]
    assert urgent(app) and len(rings) == 1
    carol.send("PRIVMSG #lobby :alice, lunch?")
    pump(app.root, lambda: len(fake.sent) == 2)
    assert fake.sent[1] == ("carol in #lobby", "alice, lunch?")
    carol.send("PRIVMSG #lobby :no mention here")
    pump(app.root, lambda: "no mention here" in chat.message_text())
    assert len(fake.sent) == 2  # ordinary chatter: no notification

    # back at the window: the hint goes, and what is said where one looks is quiet
    focus_here(app)
    pump(app.root, lambda: not urgent(app))
    carol.send("PRIVMSG #lobby :alice, still hungry?")
    pump(app.root, lambda: "still hungry?" in chat.message_text())
    settle(app.root, 0.1)
    assert len(fake.sent) == 2 and not urgent(app)

    # the sound can be switched off (from the sidebar's menu), and it is remembered
    chat.open_menu(0).invoke("Sound")
    assert json.loads((config_dir / "client.json").read_text())["sound"] is False
    rung = len(rings)
    focus_elsewhere(app)
    carol.send("PRIVMSG alice :ping")
    pump(app.root, lambda: len(fake.sent) == 3)
    assert len(rings) == rung


def test_a_muted_conversation_does_not_notify_and_the_mute_is_remembered(
    make_app: Callable[..., App], server: ServerRunner, carol: LineClient, config_dir: Path
) -> None:
    fake = FakeNotifier()
    app = make_app(notifier=fake)
    connected(app, server.port, "alice")
    chat = app.chat
    assert chat is not None
    carol.send("PRIVMSG alice :hi")
    pump(app.root, lambda: any(x.startswith("carol") for x in chat.sidebar_labels()))
    row = next(i for i, x in enumerate(chat.sidebar_labels()) if x.startswith("carol"))
    menu = chat.open_menu(row)
    assert menu.entrycget("Mute carol", "label") == "Mute carol"
    menu.invoke("Mute carol")
    pump(app.root, lambda: any(x.startswith("carol (muted)") for x in chat.sidebar_labels()))
    assert json.loads((config_dir / "client.json").read_text())["muted"] == ["carol"]
    focus_elsewhere(app)
    before = len(fake.sent)
    carol.send("PRIVMSG alice :you will not hear this")
    pump(app.root, lambda: "carol (muted)  (2)" in chat.sidebar_labels())
    settle(app.root, 0.1)
    assert len(fake.sent) == before and not urgent(app)
    carol.send("PRIVMSG #lobby :alice: but this you will")
    pump(app.root, lambda: len(fake.sent) == before + 1)

    # a new start remembers the mute
    again = make_app(notifier=fake)
    assert again.model.is_muted("carol")
