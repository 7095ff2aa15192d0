"""The Ban dialog of the admin window: mask, duration and reason, and whom the mask
catches among the people connected now (a ``*!*@address`` mask bans everyone else on
that address too), kept up to date as the mask is edited.

What this module does not do: apply the ban (the window asks the model), or look the
people up itself (it is handed a ``matches`` function).
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from tkinter import ttk

from chinwag.admin.model import BAN_DURATIONS
from chinwag.errors import LocalError

DEFAULT_BAN_DURATION = "1 hour"


@dataclass(frozen=True)
class BanRequest:
    mask: str
    duration_seconds: float | None
    reason: str


class BanDialog(tk.Toplevel):
    """Mask, duration and reason for a ban. ``wait=False`` skips the modal wait (tests)."""

    def __init__(
        self,
        parent: tk.Misc,
        mask: str,
        *,
        matches: Callable[[str], list[str]] | None = None,
        wait: bool = True,
    ) -> None:
        super().__init__(parent)
        self.title("Ban")
        self.transient(parent.winfo_toplevel())
        self.resizable(False, False)
        self.result: BanRequest | None = None
        self.mask_var = tk.StringVar(self, mask)
        self.duration_var = tk.StringVar(self, DEFAULT_BAN_DURATION)
        self.reason_var = tk.StringVar(self, "")
        self.error_var = tk.StringVar(self, "")
        body = ttk.Frame(self, padding=12)
        body.grid(sticky="nsew")
        ttk.Label(body, text="Mask (nick!user@host):").grid(row=0, column=0, sticky="w")
        self.mask_entry = ttk.Entry(body, textvariable=self.mask_var, width=32)
        self.mask_entry.grid(row=0, column=1, sticky="ew", pady=2)
        ttk.Label(body, text="For:").grid(row=1, column=0, sticky="w")
        ttk.Combobox(
            body, textvariable=self.duration_var, values=list(BAN_DURATIONS), state="readonly"
        ).grid(row=1, column=1, sticky="ew", pady=2)
        ttk.Label(body, text="Reason:").grid(row=2, column=0, sticky="w")
        ttk.Entry(body, textvariable=self.reason_var, width=32).grid(
            row=2, column=1, sticky="ew", pady=2
        )
        # Whom the mask catches, kept up to date as it is edited: a *!*@address mask
        # bans everyone else on that address too.
        self.matches = matches
        self.matches_label = ttk.Label(body, text="", wraplength=320, justify="left")
        self.matches_label.grid(row=3, column=0, columnspan=2, sticky="w", pady=(4, 0))
        self.mask_var.trace_add("write", lambda *_: self._show_matches())
        self._show_matches()
        ttk.Label(body, textvariable=self.error_var, foreground="#b00020").grid(
            row=4, column=0, columnspan=2, sticky="w"
        )
        buttons = ttk.Frame(body)
        buttons.grid(row=5, column=0, columnspan=2, sticky="e", pady=(8, 0))
        ttk.Button(buttons, text="Ban", command=self.ok).pack(side="left", padx=4)
        ttk.Button(buttons, text="Cancel", command=self.cancel).pack(side="left")
        self.bind("<Return>", lambda _e: self.ok())
        self.bind("<Escape>", lambda _e: self.cancel())
        self.protocol("WM_DELETE_WINDOW", self.cancel)
        self.mask_entry.focus_set()
        if wait:
            self.wait_visibility()
            self.grab_set()
            self.wait_window(self)

    def _show_matches(self) -> None:
        if self.matches is None:
            return
        try:
            nicks = self.matches(self.mask_var.get().strip())
        except (LocalError, TimeoutError):
            self.matches_label.configure(text="", foreground="")
            return
        if not nicks:
            text = "Matches nobody connected now."
        else:
            who = "1 person" if len(nicks) == 1 else f"{len(nicks)} people"
            text = f"Matches {who} connected now: {', '.join(nicks)}"
        self.matches_label.configure(text=text, foreground="#a05000" if len(nicks) > 1 else "")

    def validate(self) -> BanRequest | str:
        """The request, or a one-line reason it is not acceptable."""
        mask = self.mask_var.get().strip()
        if not mask or " " in mask:
            return "Enter a mask without spaces, e.g. *!*@192.168.1.23"
        duration = self.duration_var.get()
        if duration not in BAN_DURATIONS:
            return "Choose how long the ban lasts"
        return BanRequest(mask, BAN_DURATIONS[duration], self.reason_var.get().strip())

    def ok(self) -> None:
        checked = self.validate()
        if isinstance(checked, str):
            self.error_var.set(checked)
            return
        self.result = checked
        self.destroy()

    def cancel(self) -> None:
        self.result = None
        self.destroy()
