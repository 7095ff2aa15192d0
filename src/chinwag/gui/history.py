"""History in the desktop client: scrolling back, searching, jumping to a hit, deleting
your own message, and telling the server how far you have read.

:class:`HistoryControls` joins the chat window's message view to the session's history
requests (:mod:`chinwag.client.history`), which run on the network thread through
``client.call``. The search window (Ctrl+F) lists the server's hits; a double-click (or
Enter) shows the hit in its context. Nothing here blocks the Tk loop.

What this module does not do: decide what a conversation holds (the model does).
"""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Callable
from tkinter import font as tkfont
from tkinter import ttk
from typing import TYPE_CHECKING

from chinwag.client import events as ev
from chinwag.client.lines import Update, format_time
from chinwag.client.model import ChatModel

if TYPE_CHECKING:
    from chinwag.client.session import Session
    from chinwag.gui.chat_view import ChatView

Call = Callable[[Callable[["Session"], object]], None]


def hit_label(hit: ev.ChatMessage) -> str:
    day = time.strftime("%d %b", time.localtime(hit.time))
    return f"{day} {format_time(hit.time)}  {hit.conversation}  <{hit.sender}> {hit.text}"


class SearchWindow(tk.Toplevel):
    """Ctrl+F: a query, the server's hits, and a way to jump to one."""

    def __init__(
        self,
        master: tk.Misc,
        fonts: dict[str, tkfont.Font],
        on_search: Callable[[str], None],
        on_jump: Callable[[ev.ChatMessage], None],
    ) -> None:
        super().__init__(master)
        self.title("Search messages")
        self.on_search = on_search
        self.on_jump = on_jump
        self.hits: tuple[ev.ChatMessage, ...] = ()
        row = ttk.Frame(self, padding=8)
        row.pack(fill="x")
        self.entry = ttk.Entry(row, font=fonts["text"])
        self.entry.pack(side="left", fill="x", expand=True)
        self.entry.bind("<Return>", lambda _e: self.search())
        ttk.Button(row, text="Search", command=self.search).pack(side="right", padx=(6, 0))
        self.status = ttk.Label(self, text="Type words to find, then Enter.", padding=(8, 0))
        self.status.pack(fill="x")
        self.list = tk.Listbox(self, font=fonts["text"], width=70, height=12, activestyle="none")
        self.list.pack(fill="both", expand=True, padx=8, pady=8)
        self.list.bind("<Double-Button-1>", lambda _e: self.jump())
        self.list.bind("<Return>", lambda _e: self.jump())
        self.bind("<Escape>", lambda _e: self.withdraw())
        self.entry.focus_set()

    def search(self) -> None:
        query = self.entry.get().strip()
        if query:
            self.status.configure(text="Searching…")
            self.on_search(query)

    def show_hits(self, query: str, hits: tuple[ev.ChatMessage, ...]) -> None:
        self.hits = tuple(reversed(hits))  # newest first
        self.list.delete(0, "end")
        for hit in self.hits:
            self.list.insert("end", hit_label(hit))
        found = f"{len(hits)} message{'s' if len(hits) != 1 else ''}"
        self.status.configure(text=f"{found} with “{query}”. Double-click one to see it.")
        if self.hits:
            self.list.selection_set(0)

    def jump(self, index: int | None = None) -> None:
        chosen = self.list.curselection()  # type: ignore[no-untyped-call]
        i = index if index is not None else (chosen[0] if chosen else -1)
        if 0 <= i < len(self.hits):
            self.on_jump(self.hits[i])


class HistoryControls:
    def __init__(
        self,
        root: tk.Misc,
        model: ChatModel,
        chat: ChatView,
        fonts: dict[str, tkfont.Font],
        call: Call,
        focused: Callable[[], bool],
    ) -> None:
        self.root = root
        self.model = model
        self.chat = chat
        self.fonts = fonts
        self.call = call
        self.focused = focused
        self.search_window: SearchWindow | None = None
        self._keep_top: dict[str, str] = {}  # key -> msgid to keep at the top after a page
        self._marked: dict[str, float] = {}  # key -> the read marker we last sent
        chat.messages.on_top = self.older
        chat.messages.on_delete = self.delete
        root.bind_all("<Control-f>", lambda _e: self.open_search())

    # -- actions --------------------------------------------------------------------------

    def older(self) -> None:
        key = self.model.current
        where = self.model.oldest(key)
        if where is None:
            return
        msgid, before = where
        name = self.model.conversation(key).name
        self.model.asked_older(key)
        self._keep_top[key] = msgid
        self.call(lambda s: s.load_older(name, msgid, before))

    def delete(self, msgid: str) -> None:
        name = self.model.conversation().name
        self.call(lambda s: s.redact(name, msgid))

    def open_search(self) -> SearchWindow:
        if self.search_window is None or not self.search_window.winfo_exists():
            self.search_window = SearchWindow(self.root, self.fonts, self.search, self.jump)
        else:
            self.search_window.deiconify()
            self.search_window.lift()
        return self.search_window

    def search(self, query: str) -> None:
        self.call(lambda s: s.search(query))

    def jump(self, hit: ev.ChatMessage) -> None:
        self.call(lambda s: s.load_around(hit.conversation, hit.msgid))

    # -- after each update ------------------------------------------------------------------

    def shown(self, update: Update) -> None:
        """Follow up an update the chat view has drawn."""
        key = self.model.current
        keep = self._keep_top.get(key)
        if keep and key in update.redraw:
            del self._keep_top[key]
            self.chat.messages.top_at(keep)
        if update.jump:
            self.chat.messages.show_msgid(update.jump)
        if update.search and self.search_window is not None:
            self.search_window.show_hits(self.model.search_query, self.model.search_hits)
        self.mark_read()

    def mark_read(self) -> None:
        """Tell the server how far the person has read what they are looking at."""
        if not self.focused():
            return
        key = self.model.current
        at = self.model.last_read_candidate(key)
        if at is None or self._marked.get(key, 0.0) >= at:
            return
        self._marked[key] = at
        name = self.model.conversation(key).name
        self.call(lambda s: s.mark_read(name, at))
