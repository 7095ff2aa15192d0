"""The admin window: a thin ttk view over :class:`chinwag.admin.model.AdminModel`.

Everything shown is computed by the model; this module lays out widgets, copies the
model's rows into them, and turns clicks into model calls. Server events reach the log
view through the model's queue, drained every ``DRAIN_MS`` with ``after()``; the tables
and counters are refreshed every ``REFRESH_MS``. Nothing here waits on the network for
longer than the model's ``call_timeout``.

Modal dialogs and file pickers are reached through one small module-level function each
(:func:`ask_kick_reason`, :func:`ask_ban`, :func:`confirm_stop`, :func:`ask_save_path`,
:func:`ask_directory`, :func:`show_error`), looked up at call time, so tests replace them
with monkeypatch. The Ban dialog itself is :mod:`chinwag.admin.ban_dialog`.

What it deliberately does not do: talk to the server itself, or keep settings between
runs (the fields are filled from ``chinwag admin``'s flags each time).
"""

from __future__ import annotations

import contextlib
import dataclasses
import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from tkinter import filedialog, messagebox, simpledialog, ttk
from tkinter import font as tkfont

from chinwag.admin.accounts import AccountsModel, AccountsPanel
from chinwag.admin.ban_dialog import BanDialog, BanRequest
from chinwag.admin.files_tab import FilesPanel
from chinwag.admin.model import (
    AdminModel,
    PersonRow,
    event_matches,
    format_event,
)
from chinwag.errors import ConfigError, LocalError
from chinwag.server.config import ServerConfig
from chinwag.server.events import ServerEvent

DRAIN_MS = 100
REFRESH_MS = 1000
STOP_REASON = "Server stopped by the admin"
CLOSE_REASON = "Server shutting down"

# The widest thing a column shows, so it is made wide enough for it in any font.
COLUMN_SAMPLES = {"idle": "23h 59m"}
PEOPLE_COLUMNS = (
    ("nick", "Nick", 90),
    ("address", "Address", 125),
    ("since", "Connected", 85),
    ("idle", "Idle", 55),
    ("rooms", "Rooms", 140),
)
BAN_COLUMNS = (("mask", "Mask", 160), ("expires", "Expires", 100), ("reason", "Reason", 180))
# Where the event text starts in a log line: "HH:MM:SS kind---- " (see format_event).
LOG_TEXT_COLUMN = 18
LOG_COLOURS = {"error": "#b00020", "kill": "#a05000", "ban": "#a05000", "start": "#006020"}


# -- dialogs: one small function each, replaceable in tests ---------------------------------


def ask_kick_reason(parent: tk.Misc, nick: str) -> str | None:
    """Ask why ``nick`` is being kicked; None = cancelled."""
    return simpledialog.askstring(
        "Kick", f"Disconnect {nick}. Reason:", parent=parent, initialvalue="Please behave"
    )


def ask_ban(parent: tk.Misc, mask: str, matches: Callable[[str], list[str]]) -> BanRequest | None:
    """Ask for a ban's mask, duration and reason, showing whom the mask would catch
    (``matches``); None = cancelled."""
    return BanDialog(parent, mask, matches=matches).result


def confirm_stop(parent: tk.Misc, people: int) -> bool:
    """Ask before stopping a server ``people`` are connected to; True = stop."""
    who = "1 person is" if people == 1 else f"{people} people are"
    return bool(
        messagebox.askokcancel(
            "Stop the server?",
            f"{who} connected. Stopping the server disconnects everyone.",
            parent=parent,
            icon="warning",
        )
    )


def ask_save_path(parent: tk.Misc) -> str | None:
    path = filedialog.asksaveasfilename(
        parent=parent,
        title="Save log",
        defaultextension=".log",
        initialfile="chinwag-admin.log",
        filetypes=[("Log files", "*.log"), ("Text files", "*.txt"), ("All files", "*")],
    )
    return path or None


def ask_directory(parent: tk.Misc, initial: str) -> str | None:
    path = filedialog.askdirectory(parent=parent, title="Data folder", initialdir=initial or ".")
    return path or None


def show_error(parent: tk.Misc, title: str, text: str) -> None:
    messagebox.showerror(title, text, parent=parent)


class AdminWindow:
    """The admin window inside ``root`` (a Tk or Toplevel); ``config`` fills the fields."""

    def __init__(self, root: tk.Tk | tk.Toplevel, model: AdminModel, config: ServerConfig) -> None:
        self.root = root
        self.model = model
        self.base_config = config
        self.closed = False
        self._jobs: dict[str, str] = {}
        self._log_lines = 0
        host, port = config.listen[0]
        self.host_var = tk.StringVar(root, host)
        self.port_var = tk.StringVar(root, str(port))
        self.data_dir_var = tk.StringVar(root, str(config.data_dir or ""))
        self.log_messages_var = tk.BooleanVar(root, config.log_messages)
        self.status_var = tk.StringVar(root, "Stopped.")
        self.certificate_var = tk.StringVar(root, "")
        self.counters_var = tk.StringVar(root, "")
        self.filter_var = tk.StringVar(root, "")
        self.notice_var = tk.StringVar(root, "")
        root.title("chinwag admin")
        root.geometry("1180x720")
        root.minsize(900, 560)
        self._build()
        self.filter_var.trace_add("write", lambda *_: self.render_log())
        root.protocol("WM_DELETE_WINDOW", self.on_close)
        self._update_controls()
        self._schedule("drain", DRAIN_MS, self._drain_tick)
        self._schedule("refresh", REFRESH_MS, self._refresh_tick)

    # -- layout ------------------------------------------------------------------------

    def _build(self) -> None:
        root = self.root
        root.columnconfigure(0, weight=1)
        root.rowconfigure(2, weight=1)

        server = ttk.LabelFrame(root, text="Server", padding=(8, 4))
        server.grid(row=0, column=0, sticky="ew", padx=8, pady=(8, 4))
        ttk.Label(server, text="Listen on").grid(row=0, column=0, padx=(0, 4))
        self.host_entry = ttk.Entry(server, textvariable=self.host_var, width=15)
        self.host_entry.grid(row=0, column=1)
        ttk.Label(server, text="Port").grid(row=0, column=2, padx=(10, 4))
        self.port_entry = ttk.Entry(server, textvariable=self.port_var, width=6)
        self.port_entry.grid(row=0, column=3)
        ttk.Label(server, text="Data folder").grid(row=0, column=4, padx=(10, 4))
        self.data_dir_entry = ttk.Entry(server, textvariable=self.data_dir_var, width=28)
        self.data_dir_entry.grid(row=0, column=5, sticky="ew")
        self.browse_button = ttk.Button(server, text="Browse…", command=self.on_browse)
        self.browse_button.grid(row=0, column=6, padx=(4, 0))
        self.log_messages_check = ttk.Checkbutton(
            server, text="Log messages", variable=self.log_messages_var
        )
        self.log_messages_check.grid(row=0, column=7, padx=(10, 0))
        server.columnconfigure(5, weight=1)
        server.columnconfigure(8, weight=1)
        self.start_button = ttk.Button(server, text="Start", command=self.on_start)
        self.start_button.grid(row=0, column=9, padx=(10, 4))
        self.stop_button = ttk.Button(server, text="Stop", command=self.on_stop)
        self.stop_button.grid(row=0, column=10)

        status = ttk.Frame(root, padding=(10, 0))
        status.grid(row=1, column=0, sticky="ew")
        status.columnconfigure(0, weight=1)
        self.status_label = ttk.Label(status, textvariable=self.status_var, font="TkHeadingFont")
        self.status_label.grid(row=0, column=0, sticky="w")
        ttk.Label(status, textvariable=self.counters_var).grid(row=0, column=1, sticky="e")
        # What people compare when their client asks whether to trust this server.
        self.certificate_label = ttk.Label(
            status, textvariable=self.certificate_var, font="TkFixedFont"
        )
        self.certificate_label.grid(row=1, column=0, columnspan=2, sticky="w")

        panes = ttk.PanedWindow(root, orient="horizontal")
        panes.grid(row=2, column=0, sticky="nsew", padx=8, pady=4)
        self.tabs = ttk.Notebook(panes)
        left = ttk.Frame(self.tabs)
        right = ttk.Frame(panes)
        self.tabs.add(left, text="People")
        self.accounts_panel = AccountsPanel(
            self.tabs, AccountsModel(self.config_from_fields), self._report_text
        )
        self.tabs.add(self.accounts_panel, text="Accounts")
        self.tabs.bind("<<NotebookTabChanged>>", lambda _e: self._on_tab())
        panes.add(self.tabs, weight=3)
        panes.add(right, weight=2)
        left.columnconfigure(0, weight=1)
        left.rowconfigure(0, weight=3)
        left.rowconfigure(1, weight=1)

        people = ttk.LabelFrame(left, text="People", padding=4)
        people.grid(row=0, column=0, sticky="nsew")
        self.people_tree = self._tree(people, PEOPLE_COLUMNS, height=12)
        self.people_tree.bind("<<TreeviewSelect>>", lambda _e: self._update_controls())
        row = ttk.Frame(people)
        row.grid(row=1, column=0, columnspan=2, sticky="w", pady=(4, 0))
        self.kick_button = ttk.Button(row, text="Kick…", command=self.on_kick)
        self.kick_button.pack(side="left")
        self.ban_button = ttk.Button(row, text="Ban…", command=self.on_ban)
        self.ban_button.pack(side="left", padx=4)
        self.op_button = ttk.Button(row, text="Give room operator", command=self.on_give_op)
        self.op_button.pack(side="left")

        bans = ttk.LabelFrame(left, text="Bans", padding=4)
        bans.grid(row=1, column=0, sticky="nsew", pady=(4, 0))
        self.bans_tree = self._tree(bans, BAN_COLUMNS, height=4)
        self.bans_tree.bind("<<TreeviewSelect>>", lambda _e: self._update_controls())
        self.lift_button = ttk.Button(bans, text="Lift ban", command=self.on_lift)
        self.lift_button.grid(row=1, column=0, sticky="w", pady=(4, 0))

        # The log and the Files tab share the right-hand side.
        self.notebook = ttk.Notebook(right)
        self.notebook.pack(fill="both", expand=True, padx=(4, 0))
        logf = ttk.Frame(self.notebook, padding=4)
        self.notebook.add(logf, text="Log")
        self.files_panel = FilesPanel(self.notebook, self._data_dir, self.base_config.web.files)
        self.notebook.add(self.files_panel, text="Files")
        self.notebook.bind("<<NotebookTabChanged>>", lambda _e: self._refresh_files())
        logf.columnconfigure(1, weight=1)
        logf.rowconfigure(1, weight=1)
        ttk.Label(logf, text="Filter").grid(row=0, column=0, padx=(0, 4))
        self.filter_entry = ttk.Entry(logf, textvariable=self.filter_var)
        self.filter_entry.grid(row=0, column=1, sticky="ew")
        self.save_button = ttk.Button(logf, text="Save…", command=self.on_save)
        self.save_button.grid(row=0, column=2, padx=(4, 0))
        text_frame = ttk.Frame(logf)
        text_frame.grid(row=1, column=0, columnspan=3, sticky="nsew", pady=(4, 0))
        text_frame.columnconfigure(0, weight=1)
        text_frame.rowconfigure(0, weight=1)
        self.log_text = tk.Text(
            text_frame, wrap="word", height=20, width=76, state="disabled", font="TkFixedFont"
        )
        # Wrapped lines hang under the text, clear of the time and kind columns.
        indent = tkfont.nametofont("TkFixedFont").measure("0" * LOG_TEXT_COLUMN)
        self.log_text.tag_configure("entry", lmargin2=indent)
        self.log_text.grid(row=0, column=0, sticky="nsew")
        scroll = ttk.Scrollbar(text_frame, orient="vertical", command=self.log_text.yview)
        scroll.grid(row=0, column=1, sticky="ns")
        self.log_text.configure(yscrollcommand=scroll.set)
        for kind, colour in LOG_COLOURS.items():
            self.log_text.tag_configure(kind, foreground=colour)

        notice = ttk.LabelFrame(root, text="Server notice to everyone", padding=(8, 4))
        notice.grid(row=3, column=0, sticky="ew", padx=8, pady=(4, 8))
        notice.columnconfigure(0, weight=1)
        self.notice_entry = ttk.Entry(notice, textvariable=self.notice_var)
        self.notice_entry.grid(row=0, column=0, sticky="ew")
        self.notice_entry.bind("<Return>", lambda _e: self.on_notice())
        self.notice_button = ttk.Button(notice, text="Send", command=self.on_notice)
        self.notice_button.grid(row=0, column=1, padx=(4, 0))

    def _tree(
        self,
        parent: ttk.Frame | ttk.LabelFrame,
        columns: tuple[tuple[str, str, int], ...],
        height: int,
    ) -> ttk.Treeview:
        parent.columnconfigure(0, weight=1)
        parent.rowconfigure(0, weight=1)
        tree = ttk.Treeview(
            parent,
            columns=[c[0] for c in columns],
            show="headings",
            height=height,
            selectmode="browse",
        )
        for name, heading, width in columns:
            tree.heading(name, text=heading, anchor="w")
            # The last column takes up whatever room is left.
            stretch = name == columns[-1][0]
            if name in COLUMN_SAMPLES:
                width = max(
                    width, tkfont.nametofont("TkDefaultFont").measure(COLUMN_SAMPLES[name]) + 12
                )
            tree.column(name, width=width, minwidth=40, anchor="w", stretch=stretch)
        tree.grid(row=0, column=0, sticky="nsew")
        scroll = ttk.Scrollbar(parent, orient="vertical", command=tree.yview)
        scroll.grid(row=0, column=1, sticky="ns")
        tree.configure(yscrollcommand=scroll.set)
        return tree

    # -- timers ------------------------------------------------------------------------

    def _schedule(self, name: str, ms: int, fn: Callable[[], object]) -> None:
        if not self.closed:
            self._jobs[name] = self.root.after(ms, fn)

    def _drain_tick(self) -> None:
        self._jobs.pop("drain", None)
        self.append_events(self.model.drain_events())
        self._schedule("drain", DRAIN_MS, self._drain_tick)

    def _refresh_tick(self) -> None:
        self._jobs.pop("refresh", None)
        self.refresh_now()
        self._schedule("refresh", REFRESH_MS, self._refresh_tick)

    # -- showing the model ---------------------------------------------------------------

    def _data_dir(self) -> Path | None:
        text = self.data_dir_var.get().strip()
        return Path(text).expanduser() if text else None

    def _refresh_files(self) -> None:
        """The Files tab, when it is the one showing (one indexed query)."""
        if not self.closed and self.files_panel.winfo_ismapped():
            self.files_panel.refresh()

    def refresh_now(self) -> None:
        """Copy status, counters, people and bans from the model into the widgets."""
        if self.closed:
            return
        self._refresh_files()
        try:
            people = self.model.people()
            bans = self.model.bans()
            counters = self.model.counters()
        except (LocalError, TimeoutError):
            # The server stopped under us or is busy: show what we know, try again later.
            people, bans, counters = [], [], None
        self._sync_tree(self.people_tree, [(p.nick, _person_values(p)) for p in people])
        self._sync_tree(self.bans_tree, [(b.mask, (b.mask, b.expires, b.reason)) for b in bans])
        self.status_var.set(self.model.status())
        self.certificate_var.set(self.model.certificate())
        if counters is None or not self.model.running:
            self.counters_var.set("")
        else:
            self.counters_var.set(
                f"Users {counters.users}    Rooms {counters.rooms}    "
                f"Messages/min {counters.messages_per_minute:.0f}"
            )
        self._update_controls()

    @staticmethod
    def _sync_tree(tree: ttk.Treeview, rows: list[tuple[str, tuple[str, ...]]]) -> None:
        """Make ``tree`` show ``rows`` (iid, values) in order, keeping the selection."""
        wanted = {iid for iid, _ in rows}
        for iid in tree.get_children():
            if iid not in wanted:
                tree.delete(iid)
        for index, (iid, values) in enumerate(rows):
            if tree.exists(iid):
                if tuple(tree.item(iid, "values")) != values:
                    tree.item(iid, values=values)
                tree.move(iid, "", index)
            else:
                tree.insert("", index, iid=iid, values=values)

    def append_events(self, events: list[ServerEvent]) -> None:
        shown = [e for e in events if event_matches(e, self.filter_var.get())]
        if not shown:
            return
        self.log_text.configure(state="normal")
        for event in shown:
            self.log_text.insert("end", format_event(event) + "\n", ("entry", event.kind))
        self._log_lines += len(shown)
        excess = self._log_lines - (self.model.log.maxlen or self._log_lines)
        if excess > 0:
            self.log_text.delete("1.0", f"{excess + 1}.0")
            self._log_lines -= excess
        self.log_text.configure(state="disabled")
        self.log_text.see("end")

    def render_log(self) -> None:
        """Redraw the log view from the model's log with the current filter."""
        self.log_text.configure(state="normal")
        self.log_text.delete("1.0", "end")
        self.log_text.configure(state="disabled")
        self._log_lines = 0
        self.append_events(list(self.model.log))

    def log_view_text(self) -> str:
        return self.log_text.get("1.0", "end-1c")

    def _update_controls(self) -> None:
        running = self.model.running
        field_state = "disabled" if running else "normal"
        for widget in (
            self.host_entry,
            self.port_entry,
            self.data_dir_entry,
            self.browse_button,
            self.log_messages_check,
            self.start_button,
        ):
            widget.configure(state=field_state)
        self.stop_button.configure(state="normal" if running else "disabled")
        person = running and bool(self.people_tree.selection())
        self.kick_button.configure(state="normal" if person else "disabled")
        self.op_button.configure(state="normal" if person else "disabled")
        self.ban_button.configure(state="normal" if running else "disabled")
        ban = running and bool(self.bans_tree.selection())
        self.lift_button.configure(state="normal" if ban else "disabled")
        self.notice_button.configure(state="normal" if running else "disabled")
        self.notice_entry.configure(state="normal" if running else "disabled")

    # -- fields --------------------------------------------------------------------------

    def config_from_fields(self) -> ServerConfig:
        """The base config with the window's fields applied. Raises ConfigError."""
        host = self.host_var.get().strip() or "0.0.0.0"
        try:
            port = int(self.port_var.get().strip())
        except ValueError:
            raise ConfigError("the port must be a number, e.g. 6667") from None
        if not 0 <= port <= 65535:
            raise ConfigError("the port must be between 0 and 65535")
        data_dir_text = self.data_dir_var.get().strip()
        data_dir = Path(data_dir_text).expanduser() if data_dir_text else None
        listen = ((host, port), *self.base_config.listen[1:])
        return dataclasses.replace(
            self.base_config,
            listen=listen,
            data_dir=data_dir,
            log_messages=bool(self.log_messages_var.get()),
        )

    def selected_person(self) -> PersonRow | None:
        selection = self.people_tree.selection()
        if not selection:
            return None
        nick = selection[0]
        try:
            people = self.model.people()
        except (LocalError, TimeoutError):
            return None
        return next((p for p in people if p.nick == nick), None)

    # -- actions -------------------------------------------------------------------------

    def _on_tab(self) -> None:
        if str(self.tabs.tk.call(self.tabs, "select")) == str(self.accounts_panel):
            self.accounts_panel.refresh()

    def _report_text(self, title: str, text: str) -> None:
        show_error(self.root, title, text)

    def _report(self, title: str, exc: Exception) -> None:
        show_error(self.root, title, str(exc) or type(exc).__name__)

    def on_start(self) -> None:
        try:
            self.model.start(self.config_from_fields())
        except (ConfigError, LocalError) as exc:
            self._report("Cannot start the server", exc)
        self.refresh_now()

    def _may_stop(self) -> bool:
        """True when nobody is connected, or the operator agrees to disconnect them."""
        try:
            people = len(self.model.people())
        except (LocalError, TimeoutError):
            people = 0
        return not people or confirm_stop(self.root, people)

    def on_stop(self) -> None:
        if not self._may_stop():
            return
        self.model.stop(STOP_REASON)
        self.refresh_now()

    def on_close(self) -> None:
        """The window manager's close button: asks first, as Stop does, then closes."""
        if self._may_stop():
            self.close()

    def on_browse(self) -> None:
        path = ask_directory(self.root, self.data_dir_var.get())
        if path:
            self.data_dir_var.set(path)

    def on_kick(self) -> None:
        person = self.selected_person()
        if person is None:
            return
        reason = ask_kick_reason(self.root, person.nick)
        if reason is None:
            return
        try:
            self.model.kick(person.nick, reason)
        except (LocalError, TimeoutError) as exc:
            self._report("Kick failed", exc)
        self.refresh_now()

    def on_give_op(self) -> None:
        """Make the selected person an operator of the lobby (+o, set by the server)."""
        person = self.selected_person()
        if person is None:
            return
        try:
            if not self.model.give_lobby_op(person.nick):
                show_error(
                    self.root, "Not given", f"{person.nick} is not in the lobby (or there is none)"
                )
        except (LocalError, TimeoutError) as exc:
            self._report("Giving operator status failed", exc)
        self.refresh_now()

    def on_ban(self) -> None:
        person = self.selected_person()
        request = ask_ban(
            self.root, person.suggested_mask if person else "*!*@", self.model.matching
        )
        if request is None:
            return
        try:
            self.model.ban(request.mask, request.duration_seconds, request.reason)
        except (LocalError, TimeoutError) as exc:
            self._report("Ban failed", exc)
        self.refresh_now()

    def on_lift(self) -> None:
        for mask in self.bans_tree.selection():
            try:
                self.model.unban(mask)
            except (LocalError, TimeoutError) as exc:
                self._report("Lifting the ban failed", exc)
        self.refresh_now()

    def on_notice(self) -> None:
        text = self.notice_var.get()
        if not text.strip() or not self.model.running:
            return
        try:
            self.model.notice(text)
        except (LocalError, TimeoutError) as exc:
            self._report("Notice failed", exc)
            return
        self.notice_var.set("")

    def on_save(self) -> None:
        path = ask_save_path(self.root)
        if not path:
            return
        try:
            self.model.save_log(path, self.filter_var.get())
        except OSError as exc:
            self._report("Cannot save the log", exc)

    def close(self) -> None:
        """Stop the server (clients get an ERROR line), cancel timers, destroy the window."""
        if self.closed:
            return
        self.closed = True
        for job in self._jobs.values():
            with contextlib.suppress(tk.TclError):
                self.root.after_cancel(job)
        self._jobs.clear()
        self.files_panel.close()
        try:
            self.model.stop(CLOSE_REASON)
        finally:
            with contextlib.suppress(tk.TclError):  # already destroyed
                self.root.destroy()


def _person_values(p: PersonRow) -> tuple[str, ...]:
    return (p.nick, p.address, p.since, p.idle, p.rooms)
