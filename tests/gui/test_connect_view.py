"""The connect dialog under Xvfb: errors that go away, a form that stays put."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chinwag.discovery import FoundServer
from chinwag.gui.app import App
from tests.gui.conftest import pump, settle, xdotool


def test_a_field_error_goes_once_the_field_is_edited(make_app: Callable[..., App]) -> None:
    app = make_app()
    view = app.connect_view
    view.fill(host="127.0.0.1", port="99999", nick="9lives")
    view.button.invoke()
    assert "65535" in view.error_text("port") and "Nicknames use" in view.error_text("nick")
    pump(app.root, lambda: app.root.focus_get() is view.entries["port"])
    xdotool("key", "BackSpace")
    pump(app.root, lambda: view.values()["port"] == "9999")
    assert view.error_text("port") == ""
    assert "Nicknames use" in view.error_text("nick")  # only the field that was edited


def test_servers_appearing_do_not_move_the_form(make_app: Callable[..., App]) -> None:
    calls: list[Callable[[Any], None]] = []
    app = make_app(discover=lambda on_change: calls.append(on_change))
    view = app.connect_view
    view.fill(host="somewhere")
    settle(app.root, 0.1)
    nick = view.entries["nick"]
    before = (nick.winfo_rootx(), nick.winfo_rooty())
    a = FoundServer("chinwag on den", "den.local.", 6667, "home", "0.1", ("10.0.0.5",))
    b = FoundServer("chinwag on attic", "attic.local.", 6667, "home", "0.1", ("10.0.0.6",))
    calls[0]([a, b])
    pump(app.root, lambda: view.found_list.size() == 2)
    settle(app.root, 0.1)
    assert (nick.winfo_rootx(), nick.winfo_rooty()) == before
    assert view.found_list.winfo_ismapped()
