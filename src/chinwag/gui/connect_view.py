"""The connect dialog: server, port, nickname, account password (and "create an
account"), server password, and servers found on the LAN.

A frame inside the main window (not a modal toplevel), so tests drive it like any other
widget. Checking the fields and wording failures live in :mod:`chinwag.client.form`;
this module only shows them next to the right field.

What this module does not do: connect (the app does, on ``on_connect``).
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Sequence
from tkinter import font as tkfont
from tkinter import ttk
from typing import Any

from chinwag.gui.theme import Palette, style_listbox

FIELDS = ("host", "port", "nick", "account_password", "password")
KEYRING_NOTE = "Saved in your system keyring."
NO_KEYRING_NOTE = "No system keyring here: the password is not saved."


def found_port(server: Any) -> tuple[int, bool]:
    """(port to connect to, encrypted) for a found server: its TLS port when it has one."""
    if getattr(server, "tls", False):
        return int(server.port), True
    tls_port = getattr(server, "tls_port", None)
    if tls_port:
        return int(tls_port), True
    return int(server.port), False


def unique_found(servers: Sequence[Any]) -> list[Any]:
    """One row per server: a server announcing both ``_irc`` and ``_ircs`` is found
    twice, and both lead to the same place (its TLS port)."""
    seen: set[tuple[str, str, int]] = set()
    out = []
    for s in servers:
        key = (str(s.name).lower(), str(s.address), found_port(s)[0])
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


class ConnectView(ttk.Frame):
    def __init__(
        self,
        master: tk.Misc,
        palette: Palette,
        fonts: dict[str, tkfont.Font],
        on_connect: Callable[[], None],
    ) -> None:
        super().__init__(master, padding=24)
        self.on_connect = on_connect
        self.found: list[Any] = []
        self.entries: dict[str, ttk.Entry] = {}
        self.error_labels: dict[str, ttk.Label] = {}

        box = ttk.Frame(self)
        box.place(relx=0.5, rely=0.45, anchor="center")
        ttk.Label(box, text="chinwag", style="Title.TLabel", font=fonts["title"]).grid(
            row=0, column=0, columnspan=2, sticky="w"
        )
        ttk.Label(box, text="Chat with people on your network.", style="Muted.TLabel").grid(
            row=1, column=0, columnspan=2, sticky="w", pady=(0, 14)
        )

        self.found_label = ttk.Label(box, text="", style="Muted.TLabel")
        self.found_label.grid(row=2, column=0, columnspan=2, sticky="w")
        self.found_list = tk.Listbox(box, height=3, exportselection=False)
        self.found_list.grid(row=3, column=0, columnspan=2, sticky="we", pady=(2, 8))
        style_listbox(self.found_list, palette)
        self.found_list.bind("<<ListboxSelect>>", self._on_pick)
        self.found_list.bind("<Double-Button-1>", lambda e: self.on_connect())

        labels = {
            "host": "Server",
            "port": "Port",
            "nick": "Nickname",
            "account_password": "Account password",
            "password": "Server password",
        }
        row = 4
        for name in FIELDS:
            ttk.Label(box, text=labels[name]).grid(
                row=row, column=0, sticky="w", padx=(0, 12), pady=(6, 0)
            )
            entry = ttk.Entry(
                box,
                width=8 if name == "port" else 32,
                show="•" if name.endswith("password") else "",
            )
            entry.grid(row=row, column=1, sticky="w" if name == "port" else "we", pady=(6, 0))
            entry.bind("<Return>", lambda e: self.on_connect())
            entry.bind("<KeyPress>", self._editor(name), add="+")
            self.entries[name] = entry
            err = ttk.Label(box, text="", style="Error.TLabel", font=fonts["small"], wraplength=300)
            err.grid(row=row + 1, column=1, sticky="w")
            self.error_labels[name] = err
            row += 2
            if name == "account_password":
                row = self._account_row(box, fonts, row)
        ttk.Label(box, text="(optional)", style="Muted.TLabel", font=fonts["small"]).grid(
            row=row - 1, column=1, sticky="e"
        )
        # A Checkbutton on a plain Tcl variable name (no tk.Variable: see ChatView).
        self._plain_var = f"chinwag_refuse_plain_{id(self)}"
        self.refuse_plain_check = ttk.Checkbutton(
            box, text="Refuse unencrypted connections", style="Muted.TCheckbutton"
        )
        self.refuse_plain_check["variable"] = self._plain_var
        self.refuse_plain_check.grid(row=row, column=1, sticky="w", pady=(8, 0))
        self.set_refuse_plain(False)
        row += 1
        self.status = ttk.Label(box, text="", style="Error.TLabel", wraplength=360)
        self.status.grid(row=row, column=0, columnspan=2, sticky="w", pady=(10, 0))
        self.button = ttk.Button(
            box, text="Connect", style="Accent.TButton", command=self.on_connect
        )
        self.button.grid(row=row + 1, column=1, sticky="e", pady=(12, 0))
        self._box = box

    def _account_row(self, box: ttk.Frame, fonts: dict[str, tkfont.Font], row: int) -> int:
        """Under the account password: "create an account" and whether it is kept."""
        self._register_var = f"chinwag_register_{id(self)}"
        self.register_check = ttk.Checkbutton(
            box, text="Create an account with this nickname", style="Muted.TCheckbutton"
        )
        self.register_check["variable"] = self._register_var
        self.register_check.grid(row=row, column=1, sticky="w")
        self.setvar(self._register_var, "0")
        self.keyring_note = ttk.Label(box, text="", style="Muted.TLabel", font=fonts["small"])
        self.keyring_note.grid(row=row + 1, column=1, sticky="w")
        return row + 2

    def creating_account(self) -> bool:
        return str(self.getvar(self._register_var)) in ("1", "True", "true")

    def set_register(self, on: bool) -> None:
        self.setvar(self._register_var, "1" if on else "0")

    def set_keyring(self, available: bool) -> None:
        self.keyring_note.configure(text=KEYRING_NOTE if available else NO_KEYRING_NOTE)

    def keyring_text(self) -> str:
        return str(self.keyring_note.cget("text"))

    # -- fields -------------------------------------------------------------------------------

    def values(self) -> dict[str, str]:
        return {name: entry.get() for name, entry in self.entries.items()}

    def fill(self, **values: str) -> None:
        for name, value in values.items():
            self.entries[name].delete(0, "end")
            self.entries[name].insert(0, value)

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, label in self.error_labels.items():
            label.configure(text=errors.get(name, ""))
        for name in FIELDS:
            if name in errors:
                self.entries[name].focus_set()
                self.entries[name].icursor("end")
                break

    def refuse_plain(self) -> bool:
        return str(self.getvar(self._plain_var)) in ("1", "True", "true")

    def set_refuse_plain(self, on: bool) -> None:
        self.setvar(self._plain_var, "1" if on else "0")

    def error_text(self, name: str) -> str:
        return str(self.error_labels[name].cget("text"))

    def set_status(self, text: str, error: bool = True) -> None:
        self.status.configure(text=text, style="Error.TLabel" if error else "Muted.TLabel")

    def status_text(self) -> str:
        return str(self.status.cget("text"))

    def set_busy(self, busy: bool) -> None:
        self.button.state(["disabled"] if busy else ["!disabled"])
        self.button.configure(text="Connecting…" if busy else "Connect")

    def focus_first_empty(self) -> None:
        for name in ("host", "nick"):
            if not self.entries[name].get().strip():
                self.entries[name].focus_set()
                return
        self.entries["nick"].focus_set()

    # -- discovery ----------------------------------------------------------------------------

    def set_found(self, servers: Sequence[Any], searching: bool = True) -> None:
        """Show servers found on the LAN (FoundServer-like: name, address, port, network).

        The list keeps its place and size whether or not anything is found, so servers
        turning up never move the fields under someone typing.
        """
        self.found = unique_found(servers)
        self.found_list.delete(0, "end")
        for s in self.found:
            net = f"  ({s.network})" if getattr(s, "network", "") else ""
            port, tls = found_port(s)
            lock = "  (encrypted)" if tls else ""
            self.found_list.insert("end", f"{s.name}{net} — {s.address}:{port}{lock}")
        if self.found:
            text = "Servers found on your network:"
        elif searching:
            text = "Looking for servers on your network…"
        else:
            text = "No servers found on your network: type an address below."
        self.found_label.configure(text=text)

    def pick_found(self, index: int) -> None:
        server = self.found[index]
        self.found_list.selection_clear(0, "end")
        self.found_list.selection_set(index)
        self.fill(host=server.address, port=str(found_port(server)[0]))

    def _on_pick(self, _event: object) -> None:
        sel = self.found_list.curselection()  # type: ignore[no-untyped-call]
        if sel and int(sel[0]) < len(self.found):
            self.pick_found(int(sel[0]))

    def _editor(self, name: str) -> Callable[[tk.Event[ttk.Entry]], None]:
        """Typing into field ``name`` answers what was said about it: the error goes."""

        def edited(event: tk.Event[ttk.Entry]) -> None:
            if (event.char and event.char.isprintable()) or event.keysym in ("BackSpace", "Delete"):
                self.error_labels[name].configure(text="")
                if str(self.status.cget("style")) == "Error.TLabel":
                    self.set_status("")

        return edited
