"""The client window through a server outage, under Xvfb: what the person sees while the
connection is gone and when it is back."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from chinwag.client.connection import Client
from chinwag.client.form import ConnectRequest
from chinwag.client.lines import format_time
from chinwag.gui.app import App
from chinwag.transport.runner import ServerRunner
from tests.client.ngircd import free_port
from tests.gui.conftest import connected, overlap, pump, settle
from tests.support import TIMEOUT, LineClient


def quick_client(request: ConnectRequest) -> Client:
    """A client that retries every few hundredths of a second, so an outage sees many tries."""
    return Client(request.host, request.port, request.nick, username="t",
                  backoff_initial=0.05, backoff_max=0.2)  # fmt: skip


class Outage:
    """A server on a fixed port that can be stopped and started again (same data dir)."""

    def __init__(self, make_server: Callable[..., ServerRunner]) -> None:
        self.make_server = make_server
        self.port = free_port()
        self.runner = make_server(listen=(("127.0.0.1", self.port),))

    def down(self) -> None:
        self.runner.stop()

    def up(self) -> None:
        self.runner = self.make_server(listen=(("127.0.0.1", self.port),))


@pytest.fixture
def outage(make_server: Callable[..., ServerRunner]) -> Iterator[Outage]:
    yield Outage(make_server)


@pytest.fixture
def app(make_app: Callable[..., App], outage: Outage) -> App:
    """alice, connected to the outage's server with a quickly retrying client."""
    app = make_app(client_factory=quick_client)
    connected(app, outage.port, "alice")
    return app


def lines_with(app: App, key: str, text: str) -> list[str]:
    return [line.text for line in app.model.conversations[key].lines if text in line.text]


def shown_lines(app: App, text: str) -> list[str]:
    assert app.chat is not None
    return [line for line in app.chat.message_text().splitlines() if text in line]


def test_disconnected_lines_carry_the_time_they_happened(app: App, outage: Outage) -> None:
    outage.down()
    pump(app.root, lambda: bool(shown_lines(app, "Disconnected")))
    (shown,) = shown_lines(app, "Disconnected")
    assert shown.startswith(format_time(time.time())), shown
    (line,) = [x for x in app.model.conversation().lines if "Disconnected" in x.text]
    assert abs(line.time - time.time()) < 60


def test_while_disconnected_no_lock_and_no_members_are_shown(app: App, outage: Outage) -> None:
    chat = app.chat
    assert chat is not None
    pump(app.root, lambda: chat.members.size() > 0)
    assert chat.lock.cget("text")  # the plain-text warning of this test server
    outage.down()
    pump(app.root, lambda: not app.model.connected)
    settle(app.root, 0.1)
    assert chat.lock.cget("text") == "" and not chat.lock_icon.find_all()
    assert chat.members.size() == 0
    outage.up()
    pump(app.root, lambda: chat.members.size() > 0, timeout=3 * TIMEOUT)
    assert chat.lock.cget("text")


def test_an_outage_is_one_line_updated_in_place_and_one_when_back(app: App, outage: Outage) -> None:
    chat = app.chat
    assert chat is not None
    app.open_private("carol")
    outage.down()
    pump(app.root, lambda: "(attempt 4)" in chat.message_text())
    for key in ("", "#lobby", "carol"):
        (text,) = lines_with(app, key, "Disconnected")
        assert "reconnecting in" in text
    (shown,) = shown_lines(app, "Disconnected")
    assert "Disconnected — reconnecting in" in shown and "(attempt" in shown
    assert "Reconnecting in" in chat.status.cget("text")
    outage.up()
    pump(app.root, lambda: bool(shown_lines(app, "Reconnected")), timeout=3 * TIMEOUT)
    settle(app.root, 0.3)
    for key in ("", "#lobby", "carol"):
        assert len(lines_with(app, key, "Disconnected")) == 1
        assert len(lines_with(app, key, "Reconnected")) == 1
    assert len(shown_lines(app, "Disconnected")) == 1
    assert "reconnecting in" not in shown_lines(app, "Disconnected")[0]
    assert chat.status.cget("text").startswith("Connected")


def test_a_long_status_is_not_cut_off_by_the_checkbox(app: App, outage: Outage) -> None:
    chat = app.chat
    assert chat is not None
    app.root.geometry("640x420")  # the smallest the window goes
    outage.down()
    pump(app.root, lambda: "Reconnecting in" in chat.status.cget("text"))
    settle(app.root, 0.2)
    status, check = chat.status, chat.windows_check
    assert status.winfo_reqwidth() <= status.winfo_width()  # wrapped, not cut
    assert status.winfo_height() >= status.winfo_reqheight()
    assert not overlap(status, check) and not overlap(chat.lock, check)
    assert chat.lock.winfo_reqwidth() <= chat.lock.winfo_width()  # the lock's words too
    assert status.winfo_rootx() + status.winfo_width() <= app.root.winfo_rootx() + 640


def test_a_message_typed_while_disconnected_stays_in_the_box(app: App, outage: Outage) -> None:
    chat = app.chat
    assert chat is not None
    outage.down()
    pump(app.root, lambda: not app.model.connected)
    chat.entry.insert(0, "did you get this?")
    chat.entry.event_generate("<Return>")
    settle(app.root, 0.1)
    assert chat.entry.get() == "did you get this?"
    assert "still in the box" in chat.message_text()
    outage.up()
    carol = LineClient("127.0.0.1", outage.port)
    try:
        carol.register("carol")
        pump(app.root, lambda: app.model.connected, timeout=3 * TIMEOUT)
        chat.entry.event_generate("<Return>")
        pump(app.root, lambda: chat.entry.get() == "")
        heard = carol.expect(lambda m: m.command == "PRIVMSG" and m.nick == "alice")
        assert heard.param(1) == "did you get this?"
    finally:
        carol.close()


def test_cleared_lines_stay_cleared_after_a_reconnect(app: App, outage: Outage) -> None:
    chat = app.chat
    assert chat is not None
    carol = LineClient("127.0.0.1", outage.port)
    try:
        carol.register("carol")
        carol.send("PRIVMSG #lobby :said before the clear")
        pump(app.root, lambda: "said before the clear" in chat.message_text())
    finally:
        carol.close()
    chat.entry.insert(0, "/clear")
    chat.entry.event_generate("<Return>")
    pump(app.root, lambda: "said before the clear" not in chat.message_text())
    outage.down()
    pump(app.root, lambda: not app.model.connected)
    outage.up()
    pump(app.root, lambda: bool(shown_lines(app, "Reconnected")), timeout=3 * TIMEOUT)
    pump(app.root, lambda: any("alice" in x for x in chat.member_labels()))
    settle(app.root, 0.5)  # the room's history has been replayed by now
    assert "said before the clear" not in chat.message_text()
