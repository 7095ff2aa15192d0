"""The admin window's Accounts tab: list, create, reset a password, delete, unlock.

:class:`AccountsModel` works on the data folder's database directly (as ``chinwag
accounts`` does), so it works whether or not the server runs, and the running server
sees each change at the next login. :class:`AccountsPanel` is the thin Tk view; its one
question to the person (a new password) goes through :func:`ask_password`, which tests
replace.

What this module does not do: talk to the running server, or keep passwords.
"""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from tkinter import simpledialog, ttk
from typing import TYPE_CHECKING

from chinwag.admin.accounts_cli import account_problem, describe_lock
from chinwag.auth.credentials import make_credentials, password_problem
from chinwag.errors import ConfigError
from chinwag.proto.casemap import folder
from chinwag.server.config import ServerConfig

if TYPE_CHECKING:
    from chinwag.storage.sqlite import SQLiteStorage

ACCOUNT_COLUMNS = (
    ("name", "Account", 140),
    ("created", "Created", 100),
    ("certs", "Certificates", 90),
    ("state", "State", 170),
)


@dataclass(frozen=True)
class AccountRow:
    name: str
    created: str
    certs: str
    state: str


class AccountsModel:
    """Accounts in ``config``'s data folder (``data_dir`` may change between calls)."""

    def __init__(self, config: Callable[[], ServerConfig]) -> None:
        self.config = config

    def _open(self) -> SQLiteStorage:
        from chinwag.storage.sqlite import SQLiteStorage

        cfg = self.config()
        return SQLiteStorage.in_dir(cfg.data_dir or Path("chinwag-data"), folder(cfg.casemapping))

    def rows(self) -> list[AccountRow]:
        storage = self._open()
        try:
            now = time.time()
            return [
                AccountRow(
                    a.name,
                    datetime.fromtimestamp(a.created).strftime("%Y-%m-%d"),
                    str(len(a.certfps)) if a.certfps else "",
                    describe_lock(a.locked_until, now) or "active",
                )
                for a in storage.list_accounts()
            ]
        finally:
            storage.close()

    def create(self, name: str, password: str) -> None:
        """Raises ConfigError with a sentence for the person."""
        problem = account_problem(name, self.config()) or password_problem(password)
        if problem:
            raise ConfigError(problem)
        storage = self._open()
        try:
            if not storage.add_account(name, make_credentials(password), time.time()):
                raise ConfigError(f"The account {name} already exists.")
        finally:
            storage.close()

    def reset_password(self, name: str, password: str) -> None:
        problem = password_problem(password)
        if problem:
            raise ConfigError(problem)
        storage = self._open()
        try:
            if not storage.set_credentials(name, make_credentials(password)):
                raise ConfigError(f"There is no account {name}.")
        finally:
            storage.close()

    def delete(self, name: str) -> None:
        storage = self._open()
        try:
            storage.delete_account(name)
        finally:
            storage.close()

    def unlock(self, name: str) -> None:
        storage = self._open()
        try:
            storage.set_locked_until(name, 0.0)
        finally:
            storage.close()


def ask_password(parent: tk.Misc, title: str) -> str | None:
    """Ask for a password (hidden); None = cancelled."""
    return simpledialog.askstring(
        title, "Password (8 characters or more):", parent=parent, show="•"
    )


def ask_name(parent: tk.Misc) -> str | None:
    return simpledialog.askstring("New account", "Account name (a nickname):", parent=parent)


class AccountsPanel(ttk.Frame):
    """The Accounts tab. ``report(title, text)`` shows an error to the person."""

    def __init__(
        self, master: tk.Misc, model: AccountsModel, report: Callable[[str, str], None]
    ) -> None:
        super().__init__(master, padding=4)
        self.model = model
        self.report = report
        self.ask_password = ask_password
        self.ask_name = ask_name
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)
        self.tree = ttk.Treeview(
            self, columns=[c[0] for c in ACCOUNT_COLUMNS], show="headings", height=12
        )
        for key, title, width in ACCOUNT_COLUMNS:
            self.tree.heading(key, text=title)
            self.tree.column(key, width=width, anchor="w")
        self.tree.grid(row=0, column=0, sticky="nsew")
        row = ttk.Frame(self)
        row.grid(row=1, column=0, sticky="w", pady=(4, 0))
        self.create_button = ttk.Button(row, text="Create…", command=self.on_create)
        self.reset_button = ttk.Button(row, text="Reset password…", command=self.on_reset)
        self.delete_button = ttk.Button(row, text="Delete", command=self.on_delete)
        self.unlock_button = ttk.Button(row, text="Unlock", command=self.on_unlock)
        for button in (self.create_button, self.reset_button, self.delete_button):
            button.pack(side="left", padx=(0, 4))
        self.unlock_button.pack(side="left")

    def refresh(self) -> None:
        try:
            rows = self.model.rows()
        except Exception as exc:
            self.report("Accounts", f"Cannot read the accounts: {exc}")
            return
        selected = self.selected()
        self.tree.delete(*self.tree.get_children())
        for r in rows:
            self.tree.insert("", "end", iid=r.name, values=(r.name, r.created, r.certs, r.state))
        if selected is not None and self.tree.exists(selected):
            self.tree.selection_set(selected)

    def names(self) -> list[str]:
        return [str(self.tree.set(i, "name")) for i in self.tree.get_children()]

    def selected(self) -> str | None:
        sel = self.tree.selection()
        return str(sel[0]) if sel else None

    def _do(self, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception as exc:
            self.report("Accounts", str(exc))
        self.refresh()

    def on_create(self) -> None:
        name = self.ask_name(self)
        if not name:
            return
        password = self.ask_password(self, f"Password for {name}")
        if password is not None:
            self._do(lambda: self.model.create(name.strip(), password))

    def on_reset(self) -> None:
        name = self.selected()
        if name is None:
            return
        password = self.ask_password(self, f"New password for {name}")
        if password is not None:
            self._do(lambda: self.model.reset_password(name, password))

    def on_delete(self) -> None:
        name = self.selected()
        if name is not None:
            self._do(lambda: self.model.delete(name))

    def on_unlock(self) -> None:
        name = self.selected()
        if name is not None:
            self._do(lambda: self.model.unlock(name))
