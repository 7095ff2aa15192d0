"""The main chat window: conversations, messages, topic, members, entry.

It draws what :class:`chinwag.client.model.ChatModel` holds and reports what the person
does (typed a line, chose a conversation, double-clicked a member) through callbacks;
it keeps no chat state of its own.

What this module does not do: decide what events mean, or send anything.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import font as tkfont
from tkinter import ttk

from chinwag.client.model import ChatModel, Line, Update, format_time, nick_colour, split_links
from chinwag.gui.theme import Palette, style_listbox


class ChatView(ttk.Frame):
    def __init__(
        self,
        master: tk.Misc,
        model: ChatModel,
        palette: Palette,
        fonts: dict[str, tkfont.Font],
        *,
        on_send: Callable[[str], None],
        on_select: Callable[[str], None],
        on_member: Callable[[str], None],
        on_clear: Callable[[], None],
        on_logout: Callable[[], None],
        on_theme: Callable[[bool], None],
        open_url: Callable[[str], None],
    ) -> None:
        super().__init__(master)
        self.model = model
        self.palette = palette
        self.fonts = fonts
        self.on_send = on_send
        self.on_select = on_select
        self.on_member = on_member
        self.open_url = open_url
        self._sidebar_keys: list[str] = []
        self._member_nicks: list[str] = []
        self._links: dict[str, str] = {}
        self._nick_tags: set[str] = set()

        top = ttk.Frame(self, padding=(10, 8, 10, 6))
        top.pack(side="top", fill="x")
        self.topic = ttk.Label(top, text="", style="Topic.TLabel", font=fonts["topic"], anchor="w")
        self.topic.pack(side="left", fill="x", expand=True)
        self.logout_button = ttk.Button(top, text="Logout", command=on_logout)
        self.logout_button.pack(side="right")
        self.clear_button = ttk.Button(top, text="Clear Chat", command=on_clear)
        self.clear_button.pack(side="right", padx=(0, 6))
        # A button, not a Checkbutton: Tk variables must not be collected on other threads.
        self.theme_button = ttk.Button(
            top, text="", command=lambda: on_theme(not self.palette.dark)
        )
        self.theme_button.pack(side="right", padx=(0, 6))

        self.status = ttk.Label(self, text="", style="Muted.TLabel", padding=(10, 2))
        self.status.pack(side="bottom", fill="x")

        bottom = ttk.Frame(self, padding=(10, 6, 10, 4))
        bottom.pack(side="bottom", fill="x")
        self.entry = ttk.Entry(bottom, font=fonts["text"])
        self.entry.pack(side="left", fill="x", expand=True, ipady=3)
        self.entry.bind("<Return>", self._send)
        self.entry.bind("<KP_Enter>", self._send)
        self.send_button = ttk.Button(
            bottom, text="Send", style="Accent.TButton", command=lambda: self._send(None)
        )
        self.send_button.pack(side="right", padx=(6, 0))

        panes = ttk.PanedWindow(self, orient="horizontal")
        panes.pack(side="top", fill="both", expand=True)

        side = ttk.Frame(panes, style="Panel.TFrame", padding=(0, 6, 0, 0))
        ttk.Label(side, text="  CONVERSATIONS", style="Panel.TLabel", font=fonts["small"]).pack(
            anchor="w"
        )
        self.sidebar = tk.Listbox(side, exportselection=False, width=20, font=fonts["ui"])
        self.sidebar.pack(fill="both", expand=True, pady=(4, 0))
        self.sidebar.bind("<<ListboxSelect>>", self._on_sidebar)
        panes.add(side, weight=0)

        centre = ttk.Frame(panes)
        self.text = tk.Text(
            centre, wrap="word", state="disabled", font=fonts["text"], borderwidth=0,
            highlightthickness=0, padx=10, pady=8, spacing1=2, spacing3=2, cursor="arrow",
        )  # fmt: skip
        scroll = ttk.Scrollbar(centre, orient="vertical", command=self.text.yview)
        self.text.configure(yscrollcommand=scroll.set)
        scroll.pack(side="right", fill="y")
        self.text.pack(side="left", fill="both", expand=True)
        panes.add(centre, weight=1)

        people = ttk.Frame(panes, style="Panel.TFrame", padding=(0, 6, 0, 0))
        self.members_label = ttk.Label(
            people, text="  MEMBERS", style="Panel.TLabel", font=fonts["small"]
        )
        self.members_label.pack(anchor="w")
        self.members = tk.Listbox(people, exportselection=False, width=18, font=fonts["ui"])
        self.members.pack(fill="both", expand=True, pady=(4, 0))
        self.members.bind("<Double-Button-1>", self._on_member)
        self.members.bind("<Return>", self._on_member)
        panes.add(people, weight=0)

        self.restyle(palette)

    # -- look ---------------------------------------------------------------------------------

    def restyle(self, palette: Palette) -> None:
        self.palette = p = palette
        self.theme_button.configure(text="Light mode" if p.dark else "Dark mode")
        style_listbox(self.sidebar, p)
        style_listbox(self.members, p)
        self.text.configure(
            background=p.text_bg, foreground=p.fg, insertbackground=p.fg,
            selectbackground=p.accent, selectforeground=p.accent_fg,
        )  # fmt: skip
        t = self.text
        t.tag_configure("time", foreground=p.muted, font=self.fonts["small"])
        # Wrapped lines hang under the text, not under the time stamp.
        t.tag_configure("body", lmargin2=self.fonts["small"].measure("00:00  ") + 4)
        t.tag_configure("nick", font=self.fonts["bold"])
        t.tag_configure("own", background=p.own_bg)
        t.tag_configure("mention", background=p.mention_bg)
        t.tag_configure("event", foreground=p.muted, font=self.fonts["italic"])
        t.tag_configure("info", foreground=p.muted)
        t.tag_configure("error", foreground=p.error)
        t.tag_configure("notice", foreground=p.muted)
        t.tag_configure("link", foreground=p.link, underline=True)
        t.tag_raise("link")
        for tag in self._nick_tags:
            t.tag_configure(tag, foreground=nick_colour(tag[5:], p.dark))
        self.redraw_members()

    # -- drawing ------------------------------------------------------------------------------

    def show(self, update: Update) -> None:
        """Redraw what ``update`` says changed."""
        current = self.model.current
        if update.current:
            self.redraw_all()
            return
        if update.sidebar:
            self.redraw_sidebar()
        if current in update.lines:
            self._append(update.lines[current])
        if current in update.members:
            self.redraw_members()
        if current in update.topic:
            self.redraw_topic()
        if update.status:
            self.status.configure(text=self.model.status)

    def redraw_all(self) -> None:
        self.redraw_sidebar()
        self.redraw_topic()
        self.redraw_members()
        self.text.configure(state="normal")
        self.text.delete("1.0", "end")
        self.text.configure(state="disabled")
        self._links.clear()
        self._append(self.model.conversation().lines)
        self.status.configure(text=self.model.status)

    def redraw_sidebar(self) -> None:
        rows = self.model.sidebar()
        self._sidebar_keys = [key for key, _ in rows]
        self.sidebar.delete(0, "end")
        for i, (key, label) in enumerate(rows):
            self.sidebar.insert("end", "  " + label)
            conv = self.model.conversations[key]
            if conv.mentions:
                self.sidebar.itemconfigure(i, foreground=self.palette.error)
            elif conv.unread:
                self.sidebar.itemconfigure(i, foreground=self.palette.link)
        if self.model.current in self._sidebar_keys:
            index = self._sidebar_keys.index(self.model.current)
            self.sidebar.selection_clear(0, "end")
            self.sidebar.selection_set(index)
            self.sidebar.see(index)

    def redraw_topic(self) -> None:
        conv = self.model.conversation()
        if conv.kind == "channel":
            text = f"{conv.name}   {conv.topic}" if conv.topic else f"{conv.name}   (no topic)"
        elif conv.kind == "private":
            text = f"Private chat with {conv.name}"
        else:
            text = f"{self.model.network or 'Server'} messages"
        self.topic.configure(text=text)

    def redraw_members(self) -> None:
        rows = self.model.member_rows()
        self._member_nicks = [r.nick for r in rows]
        self.members.delete(0, "end")
        for i, row in enumerate(rows):
            self.members.insert("end", "  " + row.label)
            if row.away:
                self.members.itemconfigure(i, foreground=self.palette.muted)
        count = f" — {len(rows)}" if rows else ""
        self.members_label.configure(text=f"  MEMBERS{count}")

    def _nick_tag(self, nick: str) -> str:
        tag = "nick:" + nick
        if tag not in self._nick_tags:
            self._nick_tags.add(tag)
            self.text.tag_configure(tag, foreground=nick_colour(nick, self.palette.dark))
        return tag

    def _append(self, lines: list[Line]) -> None:
        if not lines:
            return
        t = self.text
        at_end = t.yview()[1] >= 0.999
        t.configure(state="normal")
        for line in lines:
            base: tuple[str, ...] = ("body",)
            if line.own:
                base = ("body", "own")
            elif line.mention:
                base = ("body", "mention")
            t.insert("end", format_time(line.time) + "  ", ("time", *base))
            if line.kind == "message":
                t.insert("end", line.nick, ("nick", self._nick_tag(line.nick), *base))
                t.insert("end", "  ", base)
                self._insert_text(line.text, base)
            elif line.kind == "action":
                t.insert("end", "* ", base)
                t.insert("end", line.nick, ("nick", self._nick_tag(line.nick), *base))
                t.insert("end", " ", base)
                self._insert_text(line.text, base)
            elif line.kind == "notice":
                t.insert("end", f"-{line.nick}- ", ("notice", *base))
                self._insert_text(line.text, ("notice", *base))
            else:
                self._insert_text(line.text, (line.kind, "body"))
            t.insert("end", "\n", base)
        t.configure(state="disabled")
        if at_end:
            t.see("end")

    def _insert_text(self, text: str, tags: tuple[str, ...]) -> None:
        for piece, url in split_links(text):
            if url is None:
                self.text.insert("end", piece, tags)
                continue
            tag = f"url{len(self._links)}"
            self._links[tag] = url
            self.text.insert("end", piece, (*tags, "link", tag))
            self.text.tag_bind(tag, "<Button-1>", self._opener(url))
            self.text.tag_bind(tag, "<Enter>", lambda e: self.text.configure(cursor="hand2"))
            self.text.tag_bind(tag, "<Leave>", lambda e: self.text.configure(cursor="arrow"))

    def _opener(self, url: str) -> Callable[[tk.Event[tk.Text]], None]:
        def open_it(_event: tk.Event[tk.Text]) -> None:
            self.open_url(url)

        return open_it

    # -- reading back (used by tests and the app) ----------------------------------------------

    def message_text(self) -> str:
        return str(self.text.get("1.0", "end-1c"))

    def sidebar_labels(self) -> list[str]:
        return [str(x).strip() for x in self.sidebar.get(0, "end")]

    def member_labels(self) -> list[str]:
        return [str(x).strip() for x in self.members.get(0, "end")]

    def focus_entry(self) -> None:
        self.entry.focus_set()

    # -- input --------------------------------------------------------------------------------

    def _send(self, _event: object) -> str:
        text = self.entry.get()
        if text.strip():
            self.entry.delete(0, "end")
            self.on_send(text)
        self.entry.focus_set()
        return "break"

    def _on_sidebar(self, _event: object) -> None:
        sel = self.sidebar.curselection()  # type: ignore[no-untyped-call]
        if sel and int(sel[0]) < len(self._sidebar_keys):
            self.on_select(self._sidebar_keys[int(sel[0])])

    def _on_member(self, event: tk.Event[tk.Listbox]) -> None:
        index: int | None = None
        if event.type == tk.EventType.ButtonPress:
            index = int(self.members.nearest(event.y))  # type: ignore[no-untyped-call]
        if index is None:
            sel = self.members.curselection()  # type: ignore[no-untyped-call]
            index = int(sel[0]) if sel else None
        if index is not None and 0 <= index < len(self._member_nicks):
            self.on_member(self._member_nicks[index])
