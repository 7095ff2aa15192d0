"""The connect dialog and accounts, under Xvfb: create an account from the dialog, then
log in again after the server restarts (the password comes back from the keyring); with
no keyring the dialog says the password is not saved; a wrong password is explained
next to its field."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from chinwag.auth.credentials import make_credentials
from chinwag.gui.app import App
from chinwag.gui.connect_view import KEYRING_NOTE, NO_KEYRING_NOTE
from chinwag.storage.sqlite import SQLiteStorage
from chinwag.transport.runner import ServerRunner
from tests.gui.conftest import fill_and_connect, pump

PASSWORD = "zoe-password-1"


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """As on a machine without a keyring service (keyring's own "fail" backend)."""
    old = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(old)


def memory_backend() -> type[KeyringBackend]:
    """A keyring backend in memory. Made on demand, after keyring has chosen its default:
    keyring adopts every backend class it knows of, and other tests must not get this."""

    class MemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.store: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.store.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.store[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.store.pop((service, username), None)

    return MemoryKeyring


@pytest.fixture
def memory_keyring() -> Iterator[Any]:
    old = keyring.get_keyring()
    ring = memory_backend()()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(old)


def account_of(server: ServerRunner, nick: str) -> str | None:
    def find(core: Any) -> str | None:
        user = core.find_user(nick)
        return None if user is None else user.account  # type: ignore[no-any-return]

    return server.call(find)


def test_create_an_account_then_log_in_after_a_restart(
    make_app: Callable[..., App],
    make_server: Callable[..., ServerRunner],
    memory_keyring: Any,
    config_dir: Path,
) -> None:
    server = make_server()
    app = make_app()
    view = app.connect_view
    assert view.keyring_text() == KEYRING_NOTE
    view.fill(account_password=PASSWORD)
    view.set_register(True)
    fill_and_connect(app, server.port, "zoe")
    pump(app.root, lambda: app.chat is not None)
    pump(app.root, lambda: account_of(server, "zoe") == "zoe")
    assert PASSWORD in memory_keyring.store.values()
    for path in config_dir.rglob("*"):  # the keyring has it; the settings never do
        assert not path.is_file() or PASSWORD.encode() not in path.read_bytes()
    app.logout()
    server.stop()

    again = make_server()  # the same data directory: the account is on disk
    second = make_app()  # a new window, as after restarting the client
    assert second.connect_view.values()["account_password"] == PASSWORD  # from the keyring
    assert not second.connect_view.creating_account()
    fill_and_connect(second, again.port, "zoe")
    pump(second.root, lambda: second.chat is not None)
    pump(second.root, lambda: account_of(again, "zoe") == "zoe")
    assert second.model.account == "zoe"


def test_no_keyring_and_wrong_password(
    make_app: Callable[..., App],
    make_server: Callable[..., ServerRunner],
    tmp_path: Path,
    no_keyring: None,
) -> None:
    storage = SQLiteStorage.in_dir(tmp_path / "data")
    storage.add_account("yan", make_credentials(PASSWORD), time.time())
    storage.close()
    server = make_server()
    app = make_app()
    view = app.connect_view
    assert view.keyring_text() == NO_KEYRING_NOTE
    view.fill(account_password="not-the-password")
    fill_and_connect(app, server.port, "yan")
    pump(app.root, lambda: "Wrong password" in view.status_text())
    assert app.chat is None and view.focus_get() is view.entries["account_password"]
    view.set_register(True)
    view.fill(account_password="short")
    view.button.invoke()
    pump(app.root, lambda: "at least 8" in view.error_text("account_password"))
