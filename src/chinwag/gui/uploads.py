"""Sharing files from the chat window: the attach button, ``/upload``, the upload bar.

:class:`FileSharing` belongs to the app while it shows the chat. To send a file it asks
the server for a token (FILETOKEN), then hands the file to a
:class:`~chinwag.client.files.Upload` thread; progress and the outcome come back on a
queue that :meth:`FileSharing.poll` drains from the app's ``after()`` loop. When the
upload is done the link is said in the conversation it was started from; a failure (or
a server that takes no files) is explained there instead. One upload at a time.
"""

from __future__ import annotations

import queue
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from chinwag.client import events as ev
from chinwag.client.files import FileHost, Finished, Progress, Upload, human_size
from chinwag.client.lines import Update
from chinwag.client.model import ChatModel
from chinwag.gui import files_view
from chinwag.gui.files_view import InlineFiles, UploadBar


class Connection(Protocol):
    def say(self, target: str, text: str) -> None: ...
    def raw(self, line: str) -> None: ...


@dataclass
class _Pending:
    path: Path
    key: str


class FileSharing:
    def __init__(
        self,
        model: Callable[[], ChatModel],
        client: Callable[[], Connection | None],
        show: Callable[[Update], None],
        bar: Callable[[bool, str], UploadBar | None],
        inline: InlineFiles,
    ) -> None:
        self.model_of = model  # the app makes a new model per connection
        self.client = client
        self.show = show
        # bar(True, key) shows the upload bar of the window conversation key is shown in
        # and returns it; bar(False, key) hides it.
        self.bar = bar
        self.inline = inline
        self.host: FileHost | None = None
        self.fingerprint = ""
        self.pending: _Pending | None = None
        self.upload: Upload | None = None
        self.upload_key = ""  # the conversation the running upload's link goes to
        self.reports: queue.Queue[Progress | Finished] = queue.Queue()

    @property
    def model(self) -> ChatModel:
        return self.model_of()

    # -- what the connection told us ---------------------------------------------------------

    def handle(self, event: ev.Event) -> None:
        if isinstance(event, ev.Encryption):
            self.fingerprint = event.fingerprint if event.tls else ""
        elif isinstance(event, ev.Registered):
            self.host = FileHost.from_isupport(event.filehost, self.fingerprint)
            self.inline.host = self.host
        elif isinstance(event, ev.UploadToken):
            self._token(event.token)

    # -- starting and stopping ---------------------------------------------------------------

    def choose(self, key: str | None = None, parent: tk.Misc | None = None) -> None:
        """The attach button: pick a file (the dialog over ``parent``, else the main
        window), then send it."""
        path = files_view.ask_open_path(parent or self.inline.root)
        if path:
            self.start(path, key, parent)

    def start(self, path_text: str, key: str | None = None, parent: tk.Misc | None = None) -> bool:
        """Send the file at ``path_text`` to conversation ``key`` (the current one)."""
        key = self.model.current if key is None else key
        if not path_text:
            self.choose(key, parent)
            return True
        path = Path(path_text).expanduser()
        problem = ""
        if self.host is None:
            problem = "This server does not take files."
        elif self.upload is not None or self.pending is not None:
            problem = "A file is already being sent: wait for it, or Cancel it."
        elif not path.is_file():
            problem = f"There is no file at {path}."
        elif self.model.conversation(key).kind == "server":
            problem = "Choose a room or a person to send the file to first."
        client = self.client()
        if not problem and client is None:
            problem = "Not connected."
        if problem:
            self.show(self.model.add_info(problem, key, kind="error"))
            return False
        assert client is not None
        self.pending = _Pending(path, key)
        client.raw("FILETOKEN")
        bar = self.bar(True, key)
        if bar is not None:
            bar.started(path.name)
        return True

    def _token(self, token: str) -> None:
        pending, self.pending = self.pending, None
        if pending is None or self.host is None:
            return
        self.upload = Upload(self.host, pending.path, token, self.reports.put)
        self.upload_key = pending.key
        self.upload.start()

    def cancel(self) -> None:
        if self.upload is not None:
            self.upload.cancel()
        elif self.pending is not None:
            key, self.pending = self.pending.key, None
            self.bar(False, key)

    # -- progress and the outcome (Tk thread) --------------------------------------------

    def poll(self) -> None:
        self.inline.poll()
        while True:
            try:
                report = self.reports.get_nowait()
            except queue.Empty:
                break
            upload = self.upload
            if upload is None:
                continue
            if isinstance(report, Progress):
                bar = self.bar(True, self.upload_key)
                if bar is not None:
                    bar.progress(report.sent, report.total)
                continue
            self.upload = None
            self.bar(False, self.upload_key)
            self._finished(upload, report)
        while True:
            try:
                text = self.inline.failures.get_nowait()
            except queue.Empty:
                return
            self.show(self.model.add_info(text, None, kind="error"))

    def _finished(self, upload: Upload, report: Finished) -> None:
        key = self.upload_key
        conv = self.model.conversation(key)
        client = self.client()
        if report.url is not None and client is not None:
            client.say(conv.name, report.url)
            return
        if report.error == "cancelled":
            text = f"Sending {upload.path.name} was cancelled."
        else:
            size = human_size(upload.path.stat().st_size) if upload.path.exists() else ""
            text = f"{upload.path.name} ({size}) was not sent. {report.error}"
        self.show(self.model.add_info(text, key, kind="error"))

    def close(self) -> None:
        if self.upload is not None:
            self.upload.cancel()
        self.inline.close()
