"""Files in the chat window: the upload bar, pictures inline, the picture viewer.

:class:`UploadBar` shows a running upload (name, progress, Cancel). :class:`InlineFiles`
puts what a link to this server's files holds under the message: a picture's thumbnail
(click it to open :class:`Viewer`), or for other files their name, size and a Save link.
Everything is fetched and decoded on worker threads (Pillow turns it into PNG, which Tk
reads natively); :meth:`InlineFiles.poll`, called from the app's ``after()`` loop, puts
the results into the views. So many pictures never make the window stutter.

What this module does not do: talk IRC, or decide what is a link (the model does).
"""

from __future__ import annotations

import concurrent.futures
import io
import queue
import threading
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from tkinter import filedialog, ttk

from PIL import Image

from chinwag.client.files import FileHost, FileInfo, fetch, file_info, human_size
from chinwag.errors import LocalError

WORKERS = 2  # fetches at once: enough to fill a screen quickly, never a stampede
VIEWER_MAX = (1000, 750)  # the viewer fits the picture in this


def ask_save_path(parent: tk.Misc, name: str) -> str:
    """Where to save ``name`` (one small function, so tests can replace it)."""
    return str(filedialog.asksaveasfilename(parent=parent, initialfile=name) or "")


def ask_open_path(parent: tk.Misc) -> str:
    """Which file to send (replaced by tests)."""
    return str(filedialog.askopenfilename(parent=parent, title="Send a file") or "")


def png_of(data: bytes, fit: tuple[int, int] | None = None) -> tuple[bytes, tuple[int, int]]:
    """Any picture Pillow reads as PNG bytes (what Tk shows), fitted into ``fit``."""
    with Image.open(io.BytesIO(data)) as img:
        img.seek(0)
        pic = img.convert("RGBA")
    if fit is not None:
        pic.thumbnail(fit)
    out = io.BytesIO()
    pic.save(out, "PNG")
    return out.getvalue(), pic.size


class UploadBar(ttk.Frame):
    """Name, progress and Cancel for the upload in progress, just above ``above`` (a
    conversation's entry row) while shown; hidden when there is none."""

    def __init__(self, master: tk.Misc, cancel: Callable[[], None] | None, above: tk.Misc) -> None:
        super().__init__(master, padding=(10, 4, 10, 0))
        self.above = above
        self.label = ttk.Label(self, text="")
        self.label.pack(side="left", padx=(0, 6))
        self.bar = ttk.Progressbar(self, mode="determinate", maximum=100, length=220)
        self.bar.pack(side="left", fill="x", expand=True)
        self.cancel_button = ttk.Button(self, text="Cancel", command=cancel or (lambda: None))
        self.cancel_button.pack(side="right", padx=(6, 0))

    def show(self, shown: bool) -> UploadBar:
        if shown and not self.winfo_ismapped():
            self.pack(side="bottom", fill="x", after=self.above)
        elif not shown:
            self.pack_forget()
        return self

    def started(self, name: str) -> None:
        self.label.configure(text=f"Sending {name}…")
        self.bar["value"] = 0

    def progress(self, sent: int, total: int) -> None:
        self.bar["value"] = 100 * sent / total if total else 100

    @property
    def percent(self) -> float:
        return float(self.bar["value"])


@dataclass
class _Spot:
    """Where a file's preview goes: after the text tagged ``mark`` in ``text``; the
    preview carries ``tags`` (those of its message line)."""

    text: tk.Text
    mark: str
    tags: tuple[str, ...]


class InlineFiles:
    """Previews of this server's files under the messages that link to them."""

    def __init__(self, root: tk.Misc, open_url: Callable[[str], None]) -> None:
        self.root = root
        self.open_url = open_url
        self.host: FileHost | None = None
        self.pool = concurrent.futures.ThreadPoolExecutor(WORKERS, "chinwag-files")
        self.results: queue.Queue[tuple[_Spot, str, FileInfo | None, bytes | str]] = queue.Queue()
        self.images: dict[str, tk.PhotoImage] = {}  # kept alive while shown
        self.cache: dict[str, tuple[FileInfo | None, bytes | str]] = {}
        self.next_mark = 0
        self.viewers: list[Viewer] = []

    def is_ours(self, url: str) -> bool:
        return self.host is not None and self.host.file_id(url) is not None

    def place(self, text: tk.Text, url: str, at: str, tags: tuple[str, ...]) -> None:
        """Leave room at ``at`` (a Text index or mark) for ``url``'s preview, and fetch it.

        The room is one space tagged with a name of its own: if the line is drawn again
        or cleared meanwhile, the tag is gone and the late preview is dropped."""
        spot_tag = f"file{self.next_mark}"
        self.next_mark += 1
        text.insert(at, " ", (*tags, spot_tag), "\n", tags)
        spot = _Spot(text, spot_tag, tags)
        if url in self.cache:
            self.results.put((spot, url, *self.cache[url]))
            return
        host = self.host
        assert host is not None
        self.pool.submit(self._load, host, spot, url)

    def _load(self, host: FileHost, spot: _Spot, url: str) -> None:  # worker thread
        try:
            info = file_info(host, url)
            if info.thumbnail:
                png, _ = png_of(fetch(host, info.thumbnail))
                result: tuple[FileInfo | None, bytes | str] = (info, png)
            else:
                result = (info, "")
        except (OSError, LocalError, ValueError, KeyError) as exc:
            result = (None, f"(could not load the file: {exc})")
        self.results.put((spot, url, *result))

    def poll(self) -> None:
        """Tk thread: put finished previews in place."""
        while True:
            try:
                spot, url, info, data = self.results.get_nowait()
            except queue.Empty:
                return
            self.cache[url] = (info, data)
            self._show(spot, url, info, data)

    def _show(self, spot: _Spot, url: str, info: FileInfo | None, data: bytes | str) -> None:
        t = spot.text
        if not t.winfo_exists():
            return
        ranges = t.tag_ranges(spot.mark)
        if not ranges:
            return  # the line was drawn again or cleared: its new room has its own tag
        where = str(ranges[-1])
        t.configure(state="normal")
        if info is not None and isinstance(data, bytes) and data:
            image = self.images.get(url) or tk.PhotoImage(master=t, data=data)
            self.images[url] = image
            name = t.image_create(where, image=image, padx=4, pady=4)
            tag = f"{spot.mark}-open"
            t.tag_add(tag, name)
            t.tag_add(spot.mark, name)
            t.tag_bind(tag, "<Button-1>", lambda _e: self.view(url, info))
            t.tag_bind(tag, "<Enter>", lambda _e: t.configure(cursor="hand2"))
            t.tag_bind(tag, "<Leave>", lambda _e: t.configure(cursor="arrow"))
        elif info is not None:
            tag = f"{spot.mark}-save"
            t.insert(
                where,
                f"▪ {info.name} · {human_size(info.size)}  ", (*spot.tags, "info"),
                "Save", (*spot.tags, "link", tag),
            )  # fmt: skip
            t.tag_bind(tag, "<Button-1>", lambda _e: self.save(url, info))
        else:
            t.insert(where, str(data), (*spot.tags, "info"))
        t.configure(state="disabled")

    def view(self, url: str, info: FileInfo) -> Viewer:
        viewer = Viewer(self.root, info, self)
        self.viewers.append(viewer)
        return viewer

    def save(self, url: str, info: FileInfo, path: str | None = None) -> threading.Thread | None:
        """Save the file (asking where, unless ``path``), on a worker thread."""
        target = path if path is not None else ask_save_path(self.root, info.name)
        host = self.host
        if not target or host is None:
            return None

        def run() -> None:
            try:
                Path(target).write_bytes(fetch(host, info.url, 1 << 31))
            except (OSError, LocalError) as exc:
                self.failures.put(f"Could not save {info.name}: {exc}")

        thread = threading.Thread(target=run, name="chinwag-save", daemon=True)
        thread.start()
        return thread

    failures: queue.Queue[str] = queue.Queue()

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        for viewer in self.viewers:
            if viewer.winfo_exists():
                viewer.destroy()


class Viewer(tk.Toplevel):
    """A window with one picture, fitted to the screen; loads off the Tk thread."""

    def __init__(self, root: tk.Misc, info: FileInfo, files: InlineFiles) -> None:
        super().__init__(root)
        self.title(info.name)
        self.info = info
        self.label = ttk.Label(self, text="Loading…", anchor="center")
        self.label.pack(fill="both", expand=True, padx=8, pady=8)
        self.image: tk.PhotoImage | None = None
        self.bind("<Escape>", lambda _e: self.destroy())
        self.done: queue.Queue[tuple[bytes, tuple[int, int]] | str] = queue.Queue()
        host = files.host
        assert host is not None

        def load() -> None:
            try:
                self.done.put(png_of(fetch(host, info.url), VIEWER_MAX))
            except (OSError, LocalError, ValueError) as exc:
                self.done.put(f"Could not show {info.name}: {exc}")

        files.pool.submit(load)
        self.after(30, self._poll)

    def _poll(self) -> None:
        if not self.winfo_exists():
            return
        try:
            result = self.done.get_nowait()
        except queue.Empty:
            self.after(30, self._poll)
            return
        if isinstance(result, str):
            self.label.configure(text=result)
            return
        data, size = result
        self.image = tk.PhotoImage(master=self, data=data)
        self.label.configure(image=self.image, text="")
        self.geometry(f"{size[0] + 16}x{size[1] + 16}")

    @property
    def shown(self) -> bool:
        return self.image is not None
