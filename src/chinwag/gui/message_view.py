"""The scrolling message view shared by the main window and private chat windows.

:class:`MessageView` draws :class:`chinwag.client.model.Line` values into a read-only
``tk.Text``: time stamp, nick in its colour, own lines and mentions highlighted, quiet
events in italics, clickable links, wrapped lines hanging under the text. Our own line
that the server has not confirmed yet is drawn faint with "sending…", and redrawn in
place when the model settles it (delivered, or "not sent" and why).

What this module does not do: decide which lines belong to which conversation, or keep
any chat state (the model does).
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Iterable
from tkinter import font as tkfont
from tkinter import ttk

from chinwag.client.lines import LIVE, Line, format_day, format_time, nick_colour, split_links
from chinwag.gui.files_view import InlineFiles
from chinwag.gui.theme import Palette


class MessageView(ttk.Frame):
    def __init__(
        self,
        master: tk.Misc,
        palette: Palette,
        fonts: dict[str, tkfont.Font],
        open_url: Callable[[str], None],
    ) -> None:
        super().__init__(master)
        self.palette = palette
        self.fonts = fonts
        self.open_url = open_url
        self._links: dict[str, str] = {}
        self._nick_tags: set[str] = set()
        # Previews of links to the server's own files (pictures inline), when it has any.
        self.inline: InlineFiles | None = None
        self._last_day = ""  # the day of the last line drawn: a new day gets a separator
        # History: called when the person scrolls to the very top (load older lines), and
        # with the msgid of their own line they chose to delete.
        self.on_top: Callable[[], None] | None = None
        self.on_delete: Callable[[str], None] | None = None
        self.text = tk.Text(
            self, wrap="word", state="disabled", font=fonts["text"], borderwidth=0,
            highlightthickness=0, padx=10, pady=8, spacing1=2, spacing3=2, cursor="arrow",
        )  # fmt: skip
        scroll = ttk.Scrollbar(self, orient="vertical", command=self._scrolled)
        self.text.configure(yscrollcommand=scroll.set)
        scroll.pack(side="right", fill="y")
        self.text.pack(side="left", fill="both", expand=True)
        for sequence in ("<MouseWheel>", "<Button-4>", "<Prior>"):
            self.text.bind(sequence, lambda _e: self.after_idle(self._check_top), add="+")
        self.text.bind("<Button-3>", self._on_menu)
        self.restyle(palette)

    # -- history: the top, deleting, jumping -----------------------------------------------

    def _scrolled(self, *args: str) -> None:
        self.text.yview(*args)
        self._check_top()

    def _check_top(self) -> None:
        if self.on_top is not None and self.text.yview()[0] <= 0.0:
            self.on_top()

    def msgid_at(self, index: str) -> tuple[str, bool]:
        """The msgid of the line at ``index``, and whether it is our own."""
        tags = self.text.tag_names(index)
        msgid = next((t[2:] for t in tags if t.startswith("m:")), "")
        return msgid, "own" in tags and "deleted" not in tags

    def delete_menu(self, msgid: str) -> tk.Menu:
        menu = tk.Menu(self, tearoff=False)
        menu.add_command(label="Delete message", command=lambda: self._delete(msgid))
        return menu

    def _delete(self, msgid: str) -> None:
        if self.on_delete is not None:
            self.on_delete(msgid)

    def _on_menu(self, event: tk.Event[tk.Text]) -> None:
        msgid, own = self.msgid_at(f"@{event.x},{event.y}")
        if msgid and own and self.on_delete is not None:
            self.delete_menu(msgid).tk_popup(event.x_root, event.y_root)

    def show_msgid(self, msgid: str) -> bool:
        """Scroll to the line with ``msgid`` and mark it; False if it is not shown."""
        ranges = self.text.tag_ranges("m:" + msgid)
        if not ranges:
            return False
        self.text.tag_remove("found", "1.0", "end")
        self.text.tag_add("found", ranges[0], ranges[-1])
        self.text.see(ranges[0])
        return True

    def top_at(self, msgid: str) -> None:
        """Put the line with ``msgid`` at the top (after older lines came in above it)."""
        ranges = self.text.tag_ranges("m:" + msgid)
        if ranges:
            self.text.yview(ranges[0])

    def restyle(self, palette: Palette) -> None:
        self.palette = p = palette
        t = self.text
        t.configure(
            background=p.text_bg, foreground=p.fg, insertbackground=p.fg,
            selectbackground=p.accent, selectforeground=p.accent_fg,
        )  # fmt: skip
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
        t.tag_configure("announce", foreground=p.fg, background=p.mention_bg,
                        font=self.fonts["bold"])  # fmt: skip
        t.tag_configure("link", foreground=p.link, underline=True)
        t.tag_configure("pending", foreground=p.muted)
        t.tag_configure("state", foreground=p.muted, font=self.fonts["small"])
        t.tag_configure("failed", foreground=p.error, font=self.fonts["small"])
        t.tag_configure("deleted", foreground=p.muted, font=self.fonts["italic"])
        t.tag_configure("found", background=p.mention_bg)
        t.tag_configure("day", foreground=p.muted, font=self.fonts["small"], justify="center")
        t.tag_configure("new", foreground=p.error, font=self.fonts["small"], justify="center")
        t.tag_raise("link")
        for tag in self._nick_tags:
            t.tag_configure(tag, foreground=nick_colour(tag[5:], p.dark))

    # -- drawing ------------------------------------------------------------------------------

    def redraw(self, lines: Iterable[Line], new_from: int = -1) -> None:
        """Show exactly ``lines``; a "new messages" line goes before ``lines[new_from]``."""
        self.text.configure(state="normal")
        self.text.delete("1.0", "end")
        self.text.configure(state="disabled")
        self._links.clear()
        self._last_day = ""
        lines = list(lines)
        if 0 <= new_from < len(lines):
            self.append(lines[:new_from])
            self.text.configure(state="normal")
            self.text.insert("end", "—— new messages ——\n", ("new",))
            self.text.configure(state="disabled")
            self.append(lines[new_from:])
        else:
            self.append(lines)

    def append(self, lines: list[Line]) -> None:
        """Add ``lines`` at the end; follow them if the view was scrolled to the end."""
        if not lines:
            return
        t = self.text
        at_end = t.yview()[1] >= 0.999
        t.configure(state="normal")
        for line in lines:
            self._render(line, "end")
        t.configure(state="disabled")
        if at_end:
            t.see("end")

    def restate(self, lines: list[Line]) -> None:
        """Draw again, in place, lines the model has changed: pending lines it has
        settled, live lines it has rewritten (matched by label)."""
        t = self.text
        at_end = t.yview()[1] >= 0.999
        t.configure(state="normal")
        for line in lines:
            tag = "label:" + line.label
            ranges = t.tag_ranges(tag)
            if not ranges:
                continue  # cleared meanwhile
            start, end = ranges[0], ranges[-1]
            t.mark_set("restate", start)
            t.mark_gravity("restate", "right")  # stays after the text inserted at it
            t.delete(start, end)
            t.tag_delete(tag)
            self._render(line, "restate")
            t.mark_unset("restate")
        t.configure(state="disabled")
        if at_end:  # a reason for not sending may have made the last line longer
            t.see("end")

    def _nick_tag(self, nick: str) -> str:
        tag = "nick:" + nick
        if tag not in self._nick_tags:
            self._nick_tags.add(tag)
            self.text.tag_configure(tag, foreground=nick_colour(nick, self.palette.dark))
        return tag

    def _render(self, line: Line, at: str) -> None:
        """Insert one line at index or mark ``at`` (a right-gravity mark moves along)."""
        t = self.text
        day = format_day(line.time)
        if day != self._last_day and at == "end":
            if self._last_day or line.msgid:  # history has days; a fresh session starts today
                t.insert(at, f"—— {day} ——\n", ("day",))
            self._last_day = day
        base: tuple[str, ...] = ("body",)
        if line.own:
            base = ("body", "own")
        elif line.mention:
            base = ("body", "mention")
        if line.state in ("pending", LIVE):  # marked so that restate() can find it
            base = (*base, "label:" + line.label)
        if line.msgid:
            base = (*base, "m:" + line.msgid)
        if line.deleted:
            t.insert(at, format_time(line.time) + "  ", ("time", *base))
            t.insert(at, f"{line.nick}: message deleted\n", ("deleted", *base))
            return
        said = (*base, "pending") if line.state == "pending" else base
        t.insert(at, format_time(line.time) + "  ", ("time", *base))
        if line.kind == "message":
            t.insert(at, line.nick, ("nick", self._nick_tag(line.nick), *base))
            t.insert(at, "  ", base)
            self._insert_text(line.text, said, at)
        elif line.kind == "action":
            t.insert(at, "* ", base)
            t.insert(at, line.nick, ("nick", self._nick_tag(line.nick), *base))
            t.insert(at, " ", base)
            self._insert_text(line.text, said, at)
        elif line.kind == "announce":
            t.insert(at, f"Notice from {line.nick}: ", ("announce", *base))
            self._insert_text(line.text, ("announce", *base), at)
        elif line.kind == "notice":
            t.insert(at, f"-{line.nick}- ", ("notice", *base))
            self._insert_text(line.text, ("notice", *base), at)
        else:
            self._insert_text(line.text, (line.kind, *base), at)
        if line.state == "pending":
            t.insert(at, "   sending…", ("state", *base))
        elif line.state == "failed":
            t.insert(at, f"   ✗ not sent: {line.note}", ("failed", *base))
        t.insert(at, "\n", base)
        inline = self.inline
        if inline is not None and inline.host is not None and line.kind in ("message", "action"):
            for _, url in split_links(line.text):
                if url is not None and inline.is_ours(url):
                    inline.place(t, url, at, base)

    def _insert_text(self, text: str, tags: tuple[str, ...], at: str) -> None:
        for piece, url in split_links(text):
            if url is None:
                self.text.insert(at, piece, tags)
                continue
            tag = f"url{len(self._links)}"
            self._links[tag] = url
            self.text.insert(at, piece, (*tags, "link", tag))
            self.text.tag_bind(tag, "<Button-1>", self._opener(url))
            self.text.tag_bind(tag, "<Enter>", lambda e: self.text.configure(cursor="hand2"))
            self.text.tag_bind(tag, "<Leave>", lambda e: self.text.configure(cursor="arrow"))

    def _opener(self, url: str) -> Callable[[tk.Event[tk.Text]], None]:
        def open_it(_event: tk.Event[tk.Text]) -> None:
            self.open_url(url)

        return open_it

    def contents(self) -> str:
        return str(self.text.get("1.0", "end-1c"))


def input_row(
    parent: tk.Misc,
    font: tkfont.Font | tuple[str, int] | str,
    send: Callable[[], object],
    attach: Callable[[], object] | None = None,
) -> tuple[ttk.Entry, ttk.Button]:
    """The entry and Send button under a conversation: Enter (or keypad Enter) sends;
    with ``attach``, a paper-clip button before Send picks a file to share."""

    def on_enter(_event: object) -> str:
        send()
        return "break"

    entry = ttk.Entry(parent, font=font)
    entry.pack(side="left", fill="x", expand=True, ipady=3)
    entry.bind("<Return>", on_enter)
    entry.bind("<KP_Enter>", on_enter)
    button = ttk.Button(parent, text="Send", style="Accent.TButton", command=send)
    button.pack(side="right", padx=(6, 0))
    if attach is not None:
        clip = ttk.Button(parent, text="Attach…", command=attach, name="attach")
        clip.pack(side="right", padx=(6, 0))
    return entry, button
