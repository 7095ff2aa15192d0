"""The dialog that asks whether to trust a server's certificate (trust on first use).

Two faces, from the client's ``TrustNeeded`` event:

* a server seen for the first time: its fingerprint, a sentence saying where to compare
  it (the server's log or admin window), and Trust (the default) or Cancel;
* a pinned server showing another certificate: a warning that someone may be
  impersonating it, both fingerprints, Cancel as the default, and an explicit
  "Accept the new certificate" that is never the default.

The dialog never waits: the answer goes to ``on_answer(trusted)`` and the window closes,
so tests press its buttons like a person would. The app reaches it through one callable,
its ``ask`` argument (:data:`AskTrust`), which a test may replace.

What this module does not do: save the pin or connect (the app does, on the answer).
"""

from __future__ import annotations

import contextlib
import tkinter as tk
from collections.abc import Callable
from tkinter import font as tkfont
from tkinter import ttk

from chinwag.client import events as ev
from chinwag.gui.theme import Palette

NEW_TITLE = "Trust this server?"
CHANGED_TITLE = "Warning: the server's certificate has changed"


def fingerprint_lines(fingerprint: str) -> str:
    """The 32 pairs of a SHA-256 fingerprint on two lines of 16, easy to compare."""
    pairs = fingerprint.split(":")
    return "\n".join(":".join(pairs[i : i + 16]) for i in range(0, len(pairs), 16))


def explanation(need: ev.TrustNeeded) -> str:
    where = f"{need.host}:{need.port}"
    if need.status == "changed":
        return (
            f"The server at {where} shows a different certificate from the one you "
            "trusted before. Someone on the network may be pretending to be it to read "
            "your messages. Or the server was set up again and made a new certificate.\n\n"
            "Ask the person who runs the server: accept the new certificate only if its "
            "fingerprint matches the one their server's log or admin window shows."
        )
    return (
        f"The server at {where} uses its own certificate, which no authority vouches for. "
        "Compare this fingerprint with the one the server's log or admin window shows. "
        "If they match, your messages are private between you and that server."
    )


class TrustDialog(tk.Toplevel):
    def __init__(
        self,
        master: tk.Misc,
        palette: Palette,
        fonts: dict[str, tkfont.Font],
        need: ev.TrustNeeded,
        on_answer: Callable[[bool], None],
    ) -> None:
        super().__init__(
            master, background=palette.bg, highlightthickness=1,
            highlightbackground=palette.border, highlightcolor=palette.border,
        )  # fmt: skip
        self.need = need
        self.on_answer = on_answer
        self.answered = False
        changed = need.status == "changed"
        self.title(CHANGED_TITLE if changed else NEW_TITLE)
        self.transient(master)  # type: ignore[call-overload]
        self.resizable(False, False)
        self.protocol("WM_DELETE_WINDOW", self.cancel)

        box = ttk.Frame(self, padding=20)
        box.pack(fill="both", expand=True)
        heading = CHANGED_TITLE if changed else f"Trust {need.host}:{need.port}?"
        self.heading = ttk.Label(
            box, text=heading, font=fonts["topic"], wraplength=520,
            style="Error.TLabel" if changed else "Title.TLabel",
        )  # fmt: skip
        self.heading.pack(anchor="w")
        self.message = ttk.Label(box, text=explanation(need), wraplength=520, justify="left")
        self.message.pack(anchor="w", pady=(10, 12))
        rows = [("New certificate" if changed else "Fingerprint (SHA-256)", need.fingerprint)]
        if changed and need.pinned:
            rows.append(("Trusted before", need.pinned))
        for caption, fingerprint in rows:
            ttk.Label(box, text=caption, style="Muted.TLabel", font=fonts["small"]).pack(anchor="w")
            shown = tk.Text(
                box, height=2, width=48, font="TkFixedFont", relief="flat", borderwidth=0,
                background=palette.text_bg, foreground=palette.fg, padx=8, pady=6,
            )  # fmt: skip
            shown.insert("1.0", fingerprint_lines(fingerprint))
            shown.configure(state="disabled")  # selectable and copyable, not editable
            shown.pack(anchor="w", fill="x", pady=(2, 10))

        buttons = ttk.Frame(box)
        buttons.pack(fill="x", pady=(6, 0))
        if changed:
            self.cancel_button = ttk.Button(
                buttons, text="Cancel", style="Accent.TButton", command=self.cancel
            )
            self.cancel_button.pack(side="right")
            self.trust_button = ttk.Button(
                buttons, text="Accept the new certificate", command=self.trust
            )
            self.trust_button.pack(side="left")
            default = self.cancel_button
        else:
            self.trust_button = ttk.Button(
                buttons, text="Trust", style="Accent.TButton", command=self.trust
            )
            self.trust_button.pack(side="right")
            self.cancel_button = ttk.Button(buttons, text="Cancel", command=self.cancel)
            self.cancel_button.pack(side="right", padx=(0, 8))
            default = self.trust_button
        self.default_button = default
        self.bind("<Return>", lambda e: default.invoke())
        self.bind("<Escape>", lambda e: self.cancel())
        default.focus_set()
        self.after_idle(self._place)

    def _place(self) -> None:
        """Centre over the main window, and keep the person's input here until answered."""
        with contextlib.suppress(tk.TclError):
            self.update_idletasks()
            master = self.master
            x = master.winfo_rootx() + (master.winfo_width() - self.winfo_reqwidth()) // 2
            y = master.winfo_rooty() + (master.winfo_height() - self.winfo_reqheight()) // 3
            self.geometry(f"+{max(x, 0)}+{max(y, 0)}")
        with contextlib.suppress(tk.TclError):  # not viewable yet, or another grab
            self.grab_set()

    def texts(self) -> str:
        """Everything the dialog says (for tests and screen readers alike)."""
        return f"{self.title()}\n{self.heading.cget('text')}\n{self.message.cget('text')}"

    def trust(self) -> None:
        self._answer(True)

    def cancel(self) -> None:
        self._answer(False)

    def _answer(self, trusted: bool) -> None:
        if self.answered:
            return
        self.answered = True
        with contextlib.suppress(tk.TclError):
            self.grab_release()
            self.destroy()
        self.on_answer(trusted)


# How the app asks (TrustDialog itself by default; a test may pass another).
AskTrust = Callable[
    [tk.Misc, Palette, dict[str, tkfont.Font], ev.TrustNeeded, Callable[[bool], None]],
    TrustDialog | None,
]
