"""A private chat in a window of its own (for people who prefer that to the sidebar).

:class:`PrivateWindow` is a ``Toplevel`` with the conversation's messages, a Clear
button, and an entry where Enter (or Send) sends, with an Attach button beside it and
the upload bar above it while a file goes to this person. It shows the model's
conversation and reports what the person does through callbacks, keyed by the
conversation's key.

:func:`sync_windows` opens, closes, renames and fills the windows so they match the
model's ``windows`` set after an update.

What this module does not do: decide when a window opens or closes (the model's
``windows`` set does), or send anything.
"""

from __future__ import annotations

import contextlib
import tkinter as tk
from collections.abc import Callable, Iterable
from tkinter import font as tkfont
from tkinter import ttk

from chinwag.client.lines import Conversation, Line, Update
from chinwag.client.model import ChatModel
from chinwag.gui.files_view import UploadBar
from chinwag.gui.message_view import MessageView, input_row
from chinwag.gui.theme import Palette


class PrivateWindow(tk.Toplevel):
    def __init__(
        self,
        master: tk.Misc,
        model: ChatModel,
        key: str,
        palette: Palette,
        fonts: dict[str, tkfont.Font],
        *,
        on_send: Callable[[str, str], bool],
        on_clear: Callable[[str], None],
        on_close: Callable[[str], None],
        on_focus: Callable[[str], None],
        open_url: Callable[[str], None],
        on_attach: Callable[[str], None] | None = None,
        on_cancel_upload: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(master)
        self.model = model
        self.key = key
        self.conversation: Conversation = model.conversations[key]
        self.on_send = on_send
        self.geometry("560x420")
        self.minsize(360, 240)
        self.protocol("WM_DELETE_WINDOW", lambda: on_close(self.key))
        self._focus_when_mapped = False
        self.bind("<Map>", self._on_map)
        self.bind("<FocusIn>", lambda e: on_focus(self.key))
        self.bind("<FocusOut>", lambda e: on_focus(""))

        top = ttk.Frame(self, padding=(10, 8, 10, 6))
        top.pack(side="top", fill="x")
        self.heading = ttk.Label(top, text="", style="Topic.TLabel", font=fonts["topic"])
        self.heading.pack(side="left", fill="x", expand=True)
        self.clear_button = ttk.Button(top, text="Clear Chat", command=lambda: on_clear(self.key))
        self.clear_button.pack(side="right")

        bottom = ttk.Frame(self, padding=(10, 6, 10, 8))
        bottom.pack(side="bottom", fill="x")
        attach = (lambda: on_attach(self.key)) if on_attach is not None else None
        self.entry, self.send_button = input_row(
            bottom, fonts["text"], lambda: self._send(None), attach
        )
        self.attach_button = bottom.nametowidget("attach") if attach else None
        self.upload_bar = UploadBar(self, on_cancel_upload, above=bottom)

        self.messages = MessageView(self, palette, fonts, open_url)
        self.messages.pack(side="top", fill="both", expand=True)
        self.text = self.messages.text
        self.restyle(palette)
        self.redraw()

    def restyle(self, palette: Palette) -> None:
        self.configure(background=palette.bg)
        self.messages.restyle(palette)

    def redraw(self) -> None:
        self.refresh_title()
        self.messages.redraw(self.conversation.lines)

    def refresh_title(self) -> None:
        title = self.model.window_title(self.key)
        if self.title() != title:
            self.title(title)
        self.heading.configure(text=self.model.header(self.key)[0])

    def show_upload_bar(self, shown: bool) -> UploadBar:
        return self.upload_bar.show(shown)

    def append(self, lines: list[Line]) -> None:
        self.messages.append(lines)

    def message_text(self) -> str:
        return self.messages.contents()

    def bring_up(self) -> None:
        """Show the window on top, with the keyboard in its entry (once it is on screen:
        X refuses the focus to a window that is not mapped yet)."""
        self.deiconify()
        self.lift()
        if self.winfo_ismapped():
            self.entry.focus_force()
        else:
            self._focus_when_mapped = True

    def _on_map(self, event: tk.Event[tk.Misc]) -> None:
        if event.widget is self and self._focus_when_mapped:
            self._focus_when_mapped = False
            self.entry.focus_force()

    def _send(self, _event: object) -> str:
        text = self.entry.get()
        with contextlib.suppress(tk.TclError):  # the line may have closed the window
            if text.strip() and self.on_send(self.key, text):
                self.entry.delete(0, "end")
            self.entry.focus_set()
        return "break"


def sync_windows(
    windows: dict[str, PrivateWindow],
    model: ChatModel,
    update: Update,
    open_window: Callable[[str], PrivateWindow],
) -> None:
    """Make ``windows`` (conversation key -> its window) match ``model.windows`` after
    ``update``: open the new ones, destroy the closed ones, move a window renamed by a
    nick change to its new key, and give each the update's lines for it."""
    wanted = {key: model.conversations[key] for key in model.windows}
    for key, window in list(windows.items()):
        # A conversation renamed by a nick change keeps its window under the new key.
        new_key = next((k for k, c in wanted.items() if c is window.conversation), None)
        del windows[key]
        if new_key is None:
            window.destroy()
            continue
        windows[new_key] = window
        window.key = new_key
        if new_key != key:
            window.refresh_title()
    for key in wanted:
        existing = windows.get(key)
        if existing is None:
            windows[key] = open_window(key)
        elif key in update.redraw:
            existing.redraw()
        else:
            if key in update.restate:
                existing.messages.restate(update.restate[key])
            if key in update.lines:
                existing.append(update.lines[key])
            existing.refresh_title()  # its unread count
    if update.focus_window in windows:
        windows[update.focus_window].bring_up()


def destroy_all(windows: Iterable[PrivateWindow]) -> None:
    """Destroy these windows; one already gone with its Tk root is no error."""
    for window in windows:
        with contextlib.suppress(tk.TclError):
            window.destroy()
