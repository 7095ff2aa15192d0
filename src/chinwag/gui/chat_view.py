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

from chinwag.client.lines import Update
from chinwag.client.model import ChatModel
from chinwag.gui.files_view import UploadBar
from chinwag.gui.message_view import MessageView, input_row
from chinwag.gui.theme import Palette, style_listbox


class ChatView(ttk.Frame):
    def __init__(
        self,
        master: tk.Misc,
        model: ChatModel,
        palette: Palette,
        fonts: dict[str, tkfont.Font],
        *,
        on_send: Callable[[str], bool],
        on_select: Callable[[str], None],
        on_member: Callable[[str], None],
        on_clear: Callable[[], None],
        on_logout: Callable[[], None],
        on_theme: Callable[[bool], None],
        on_private_windows: Callable[[bool], None],
        open_url: Callable[[str], None],
        on_mute: Callable[[str, bool], None] = lambda key, on: None,
        alerts: Callable[[], dict[str, bool]] = dict,
        on_alert: Callable[[str], None] = lambda name: None,
        on_attach: Callable[[], None] | None = None,
        on_cancel_upload: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(master)
        self.on_mute = on_mute
        self.alerts = alerts
        self.on_alert = on_alert
        self.model = model
        self.palette = palette
        self.fonts = fonts
        self.on_send = on_send
        self.on_select = on_select
        self.on_member = on_member
        self.open_url = open_url
        self._sidebar_keys: list[str] = []
        self._member_nicks: list[str] = []

        top = ttk.Frame(self, padding=(10, 8, 10, 6))
        top.pack(side="top", fill="x")
        # Buttons first: pack gives them their room, and a long heading wraps instead.
        self.logout_button = ttk.Button(top, text="Logout", command=on_logout)
        self.logout_button.pack(side="right")
        self.clear_button = ttk.Button(top, text="Clear Chat", command=on_clear)
        self.clear_button.pack(side="right", padx=(0, 6))
        # A button, not a Checkbutton: Tk variables must not be collected on other threads.
        self.theme_button = ttk.Button(
            top, text="", command=lambda: on_theme(not self.palette.dark)
        )
        self.theme_button.pack(side="right", padx=(0, 6))
        self.heading = ttk.Label(top, text="", style="Topic.TLabel", font=fonts["topic"])
        self.heading.pack(side="left", fill="x", expand=True)
        wrap_to_width(self.heading)
        # A room's topic has the full width under that row, and wraps there.
        self._top = top
        self._topic_row = ttk.Frame(self, padding=(10, 0, 10, 6))
        self.topic = ttk.Label(self._topic_row, text="")
        self.topic.pack(fill="x", expand=True)
        wrap_to_width(self.topic)

        # The status has the bottom line to itself (it can be long, and then it wraps);
        # the lock and the checkbox sit on the row above it.
        status_line = ttk.Frame(self, padding=(10, 0, 10, 4))
        status_line.pack(side="bottom", fill="x")
        self.status = ttk.Label(status_line, text="", style="Muted.TLabel")
        self.status.pack(side="left", fill="x", expand=True)
        wrap_to_width(self.status)
        status_row = ttk.Frame(self, padding=(10, 0, 10, 0))
        status_row.pack(side="bottom", fill="x")
        # A Checkbutton on a plain Tcl variable name (no tk.Variable object, see above).
        self._windows_var = f"chinwag_private_windows_{id(self)}"
        self.windows_check = ttk.Checkbutton(
            status_row,
            text="Private chats in their own windows",
            style="Muted.TCheckbutton",
            command=lambda: on_private_windows(self.private_windows_on()),
        )
        self.windows_check["variable"] = self._windows_var
        self.windows_check.pack(side="right")
        self.setvar(self._windows_var, "1" if model.private_windows else "0")
        # The lock: always in view, so nobody types into a plain-text connection unawares.
        self.lock_icon = tk.Canvas(status_row, width=12, height=14, highlightthickness=0)
        self.lock_icon.pack(side="left", padx=(0, 4))
        self.lock = ttk.Label(status_row, text="")
        self.lock.pack(side="left", fill="x", expand=True, padx=(0, 14))
        wrap_to_width(self.lock)

        bottom = ttk.Frame(self, padding=(10, 6, 10, 4))
        bottom.pack(side="bottom", fill="x")
        self.entry, self.send_button = input_row(
            bottom, fonts["text"], lambda: self._send(None), on_attach
        )
        self.attach_button = bottom.nametowidget("attach") if on_attach else None
        self.upload_bar = UploadBar(self, on_cancel_upload, above=bottom)

        panes = ttk.PanedWindow(self, orient="horizontal")
        panes.pack(side="top", fill="both", expand=True)

        side = ttk.Frame(panes, style="Panel.TFrame", padding=(0, 6, 0, 0))
        ttk.Label(side, text="  CONVERSATIONS", style="Panel.TLabel", font=fonts["small"]).pack(
            anchor="w"
        )
        self.sidebar = tk.Listbox(side, exportselection=False, width=20, font=fonts["ui"])
        self.sidebar.pack(fill="both", expand=True, pady=(4, 0))
        self.sidebar.bind("<<ListboxSelect>>", self._on_sidebar)
        # Right-click a conversation: mute it, or switch notifications and sound.
        self.menu = tk.Menu(self, tearoff=0)
        self.sidebar.bind("<Button-3>", self._on_menu)
        panes.add(side, weight=0)

        self.messages = MessageView(panes, palette, fonts, open_url)
        self.text = self.messages.text
        panes.add(self.messages, weight=1)

        people = ttk.Frame(panes, style="Panel.TFrame", padding=(0, 6, 0, 0))
        self.members_label = ttk.Label(
            people, text="  MEMBERS", style="Panel.TLabel", font=fonts["small"]
        )
        self.members_label.pack(anchor="w")
        self.members = tk.Listbox(people, exportselection=False, width=18, font=fonts["ui"])
        self.members.pack(fill="both", expand=True, pady=(4, 0))
        self.members.bind("<Double-Button-1>", self._on_member)
        panes.add(people, weight=0)
        # A click in a list must not take the keyboard from the entry (Tk's own binding
        # would): typed text would be lost, and a space would pick whichever row the list
        # thinks is active. So a press only selects the row under the pointer.
        for listbox in (self.sidebar, self.members):
            listbox.configure(takefocus=0)
            listbox.bind("<ButtonPress-1>", self._on_press)
        # Ctrl+Page Up/Down step through the conversations from the keyboard.
        self.entry.bind("<Control-Prior>", lambda _e: self._step(-1))
        self.entry.bind("<Control-Next>", lambda _e: self._step(1))

        self.restyle(palette)

    # -- look ---------------------------------------------------------------------------------

    def restyle(self, palette: Palette) -> None:
        self.palette = p = palette
        self.theme_button.configure(text="Light mode" if p.dark else "Dark mode")
        style_listbox(self.sidebar, p)
        style_listbox(self.members, p)
        self.messages.restyle(p)
        self.redraw_members()
        self.redraw_security()

    # -- drawing ------------------------------------------------------------------------------

    def show(self, update: Update) -> None:
        """Redraw what ``update`` says changed."""
        current = self.model.current
        if update.current:
            self.redraw_all()
            return
        if update.sidebar:
            self.redraw_sidebar()
        if current in update.redraw:
            self.messages.redraw(self.model.conversation().lines, self.model.new_from(current))
        else:
            if current in update.restate:
                self.messages.restate(update.restate[current])
            if current in update.lines:
                self.messages.append(update.lines[current])
        if current in update.members:
            self.redraw_members()
        if current in update.topic:
            self.redraw_topic()
        if update.status:
            self.status.configure(text=self.model.status)
            self.redraw_security()

    def redraw_all(self) -> None:
        self.redraw_sidebar()
        self.redraw_topic()
        self.redraw_members()
        current = self.model.current
        self.messages.redraw(self.model.conversation().lines, self.model.new_from(current))
        self.status.configure(text=self.model.status)
        self.redraw_security()

    def redraw_security(self) -> None:
        """The lock: closed for TLS, open and in the error colour for plain text."""
        text, warning = self.model.security()
        self.lock.configure(text=text, style="Error.TLabel" if warning else "TLabel")
        icon, p = self.lock_icon, self.palette
        icon.delete("all")
        icon.configure(background=p.bg)
        if not text:
            return
        colour = p.error if warning else p.fg
        # A shackle over a body; open (lifted, one leg free) for plain text.
        lift = 2 if warning else 0
        shackle = [3, 7 - lift, 3, 2 - lift, 9, 2 - lift, 9, 4 if warning else 7]
        icon.create_line(shackle, fill=colour, width=2)
        icon.create_rectangle(1, 7, 11, 13, fill=colour, outline=colour)

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
        heading, topic = self.model.header()
        self.heading.configure(text=heading)
        self.topic.configure(text=topic)
        if topic and not self._topic_row.winfo_manager():
            self._topic_row.pack(side="top", fill="x", after=self._top)
        elif not topic:
            self._topic_row.pack_forget()

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

    # -- reading back (used by tests and the app) ----------------------------------------------

    def header_text(self) -> str:
        """The heading and the topic under it, as one line."""
        topic = str(self.topic.cget("text"))
        return str(self.heading.cget("text")) + (f"   {topic}" if topic else "")

    def message_text(self) -> str:
        return self.messages.contents()

    def private_windows_on(self) -> bool:
        return str(self.getvar(self._windows_var)) in ("1", "True", "true")

    def sidebar_labels(self) -> list[str]:
        return [str(x).strip() for x in self.sidebar.get(0, "end")]

    def member_labels(self) -> list[str]:
        return [str(x).strip() for x in self.members.get(0, "end")]

    def show_upload_bar(self, shown: bool) -> UploadBar:
        return self.upload_bar.show(shown)

    def focus_entry(self) -> None:
        self.entry.focus_set()

    # -- input --------------------------------------------------------------------------------

    def _send(self, _event: object) -> str:
        text = self.entry.get()
        if text.strip() and self.on_send(text) and self.entry.winfo_exists():
            self.entry.delete(0, "end")
        if self.entry.winfo_exists():  # /quit has taken the chat window away
            self.entry.focus_set()
        return "break"

    def _on_sidebar(self, _event: object) -> None:
        sel = self.sidebar.curselection()  # type: ignore[no-untyped-call]
        if sel and int(sel[0]) < len(self._sidebar_keys):
            self.on_select(self._sidebar_keys[int(sel[0])])

    def _on_press(self, event: tk.Event[tk.Listbox]) -> str:
        listbox = event.widget
        index = int(listbox.nearest(event.y))  # type: ignore[no-untyped-call]
        if index >= 0:
            listbox.selection_clear(0, "end")
            listbox.selection_set(index)
            listbox.event_generate("<<ListboxSelect>>")
        return "break"

    def _on_menu(self, event: tk.Event[tk.Listbox]) -> str:
        row = int(self.sidebar.nearest(event.y))  # type: ignore[no-untyped-call]
        self.open_menu(row).tk_popup(event.x_root, event.y_root)
        return "break"

    def open_menu(self, row: int) -> tk.Menu:
        """Fill the sidebar's menu for the conversation in ``row`` (tests invoke it)."""
        menu = self.menu
        menu.delete(0, "end")
        if 0 <= row < len(self._sidebar_keys):
            key = self._sidebar_keys[row]
            conv = self.model.conversations[key]
            name = conv.name if conv.kind != "server" else (self.model.network or "server")
            muted = key in self.model.muted
            menu.add_command(
                label=f"{'Unmute' if muted else 'Mute'} {name}",
                command=lambda: self.on_mute(key, not muted),
            )
            menu.add_separator()
        for name, on in self.alerts().items():
            var = f"chinwag_alert_{len(name)}_{id(self)}"  # a plain Tcl variable (see above)
            self.setvar(var, "1" if on else "0")
            menu.add_checkbutton(label=name, command=self._alert_toggler(name))
            menu.entryconfigure("end", variable=var)
        return menu

    def _alert_toggler(self, name: str) -> Callable[[], None]:
        return lambda: self.on_alert(name)

    def _step(self, delta: int) -> str:
        keys = self._sidebar_keys
        if self.model.current in keys:
            self.on_select(keys[(keys.index(self.model.current) + delta) % len(keys)])
        return "break"

    def _on_member(self, event: tk.Event[tk.Listbox]) -> None:
        index: int | None = None
        if event.type == tk.EventType.ButtonPress:
            index = int(self.members.nearest(event.y))  # type: ignore[no-untyped-call]
        if index is None:
            sel = self.members.curselection()  # type: ignore[no-untyped-call]
            index = int(sel[0]) if sel else None
        if index is not None and 0 <= index < len(self._member_nicks):
            self.on_member(self._member_nicks[index])


def wrap_to_width(label: ttk.Label) -> None:
    """Let ``label`` (packed to fill its room) wrap its text at whatever width it gets."""
    label.configure(justify="left")
    # (less a little: the label draws a few pixels of padding around the text)
    label.bind("<Configure>", lambda e: label.configure(wraplength=max(1, e.width - 8)), add="+")
