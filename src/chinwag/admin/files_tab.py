"""The admin window's Files tab: what people uploaded, how much room it takes, Delete.

It reads the data folder's file store directly (SQLite and the files/ folder, as the
running server does; both sides may use it at once) on the Tk thread: the listing is
one indexed query, bounded to the newest :data:`LISTED` files. Deleting a file removes
its row, and its bytes once no other upload has them; links to it then answer 404.

What this module does not do: upload, or change any limit (that is the config file's).
"""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from tkinter import messagebox, ttk

from chinwag.client.files import human_size
from chinwag.errors import LocalError
from chinwag.server.webconfig import FilesConfig
from chinwag.storage.files import FileRecord, FileStore

LISTED = 500
COLUMNS = (
    ("name", "Name", 200),
    ("size", "Size", 70),
    ("type", "Type", 110),
    ("uploader", "Uploader", 100),
    ("when", "Uploaded", 120),
)


def confirm_delete(parent: tk.Misc, name: str) -> bool:
    """Ask before deleting (replaced by tests)."""
    return bool(
        messagebox.askyesno("Delete file", f"Delete {name}? Its link stops working.", parent=parent)
    )


def row_values(rec: FileRecord) -> tuple[str, ...]:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(rec.uploaded))
    return (rec.name, human_size(rec.size), rec.mime, rec.uploader, when)


def quota_text(total: int, files: int, rules: FilesConfig) -> str:
    used = f"{human_size(total)} in {files} file{'s' if files != 1 else ''}"
    if rules.total_quota_bytes:
        pct = 100 * total / rules.total_quota_bytes
        used += f" of {human_size(rules.total_quota_bytes)} ({pct:.0f}%)"
    per = human_size(rules.account_quota_bytes) if rules.account_quota_bytes else "no limit"
    return f"Stored: {used}. Per person: {per}; per file: {human_size(rules.max_file_bytes)}."


class FilesPanel(ttk.Frame):
    """A list of uploads with Delete and the quota in use, for one data folder."""

    def __init__(self, master: tk.Misc, data_dir: Callable[[], Path | None], rules: FilesConfig):
        super().__init__(master, padding=4)
        self.data_dir = data_dir
        self.rules = rules
        self.store: FileStore | None = None
        self.store_dir: Path | None = None
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)
        self.tree = ttk.Treeview(
            self, columns=[c for c, _, _ in COLUMNS], show="headings", height=12
        )
        for cid, title, width in COLUMNS:
            self.tree.heading(cid, text=title)
            self.tree.column(cid, width=width, stretch=cid == "name")
        self.tree.grid(row=0, column=0, sticky="nsew")
        scroll = ttk.Scrollbar(self, orient="vertical", command=self.tree.yview)
        scroll.grid(row=0, column=1, sticky="ns")
        self.tree.configure(yscrollcommand=scroll.set)
        self.tree.bind("<<TreeviewSelect>>", lambda _e: self._buttons())
        row = ttk.Frame(self)
        row.grid(row=1, column=0, columnspan=2, sticky="ew", pady=(4, 0))
        self.delete_button = ttk.Button(row, text="Delete", command=self.on_delete)
        self.delete_button.pack(side="left")
        self.refresh_button = ttk.Button(row, text="Refresh", command=self.refresh)
        self.refresh_button.pack(side="left", padx=4)
        self.quota = ttk.Label(self, text="", wraplength=460)
        self.quota.grid(row=2, column=0, columnspan=2, sticky="w", pady=(4, 0))
        self._buttons()

    def _open(self) -> FileStore | None:
        folder = self.data_dir()
        if folder != self.store_dir:
            self.close()
            self.store_dir = folder
            if folder is not None and (folder / "files").is_dir():
                try:
                    self.store = FileStore(folder)
                except LocalError:
                    self.store = None
        return self.store

    def refresh(self) -> None:
        store = self._open()
        if store is None:
            self.tree.delete(*self.tree.get_children())
            self.quota.configure(text="No uploads yet (or no data folder).")
            self._buttons()
            return
        records = store.index.listing(LISTED)
        keep = {r.id for r in records}
        for item in self.tree.get_children():
            if item not in keep:
                self.tree.delete(item)
        for i, rec in enumerate(records):
            if self.tree.exists(rec.id):
                self.tree.item(rec.id, values=row_values(rec))
            else:
                self.tree.insert("", i, iid=rec.id, values=row_values(rec))
        self.quota.configure(text=quota_text(store.index.usage(), len(records), self.rules))
        self._buttons()

    def rows(self) -> list[tuple[str, ...]]:
        return [tuple(self.tree.item(i, "values")) for i in self.tree.get_children()]

    def _buttons(self) -> None:
        self.delete_button.state(["!disabled"] if self.tree.selection() else ["disabled"])

    def on_delete(self) -> None:
        store = self._open()
        selection = self.tree.selection()
        if store is None or not selection:
            return
        name = str(self.tree.item(selection[0], "values")[0])
        if not confirm_delete(self, name):
            return
        for file_id in selection:
            store.delete(str(file_id))
        self.refresh()

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None
