"""Desktop notifications behind one small interface, for the chat client.

:class:`Notifier` is what the client needs: ``notify(title, body)`` that returns at
once, and ``close()``. :class:`DesktopNotifications` does it with `desktop-notifier`
(D-Bus ``org.freedesktop.Notifications`` on Linux, the notification centre on macOS and
Windows) on a thread of its own with its own asyncio loop, so the Tk loop never waits.
Where the desktop has no notification service (no session bus, a bare X server), a
notification is dropped quietly: the window's urgency hint and the unread counts still
tell the person. Tests pass a fake notifier that records what it was given.

What this module does not do: decide when to notify (the chat model and the app do),
or touch Tk.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from typing import Any, Protocol

APP_NAME = "chinwag"
# Seconds a notification may take to reach the notification service before it is given up.
SEND_TIMEOUT = 5.0


class Notifier(Protocol):
    def notify(self, title: str, body: str) -> None: ...
    def close(self) -> None: ...


class DesktopNotifications:
    """Notifications through desktop-notifier, sent from a private asyncio thread.

    The thread starts with the first notification. ``delivered`` counts the ones the
    notification service accepted; ``last`` is the future of the latest send (tests
    wait on it).
    """

    def __init__(self, app_name: str = APP_NAME) -> None:
        self.app_name = app_name
        self.delivered = 0
        self.last: concurrent.futures.Future[bool] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._notifier: Any = None
        self._lock = threading.Lock()

    def notify(self, title: str, body: str) -> None:
        loop = self._start()
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):  # closed meanwhile
            self.last = asyncio.run_coroutine_threadsafe(self._send(title, body), loop)

    def close(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(SEND_TIMEOUT)

    def _start(self) -> asyncio.AbstractEventLoop | None:
        with self._lock:
            if self._loop is None:
                try:
                    from desktop_notifier import DesktopNotifier
                except ImportError:  # not installed: no notifications, no fuss
                    return None
                # desktop-notifier logs a warning with a traceback for every notification
                # that finds no service; a desktop without one is normal, not an error.
                logging.getLogger("desktop_notifier").setLevel(logging.ERROR)
                self._notifier = DesktopNotifier(app_name=self.app_name)
                loop = asyncio.new_event_loop()
                self._thread = threading.Thread(
                    target=_run_forever, args=(loop,), name="chinwag-notify", daemon=True
                )
                self._thread.start()
                self._loop = loop
            return self._loop

    async def _send(self, title: str, body: str) -> bool:
        dispatched = asyncio.Event()
        try:
            await asyncio.wait_for(
                self._notifier.send(title=title, message=body, on_dispatched=dispatched.set),
                SEND_TIMEOUT,
            )
        except Exception:  # no bus, no service, a slow one: the notification is dropped
            return False
        if dispatched.is_set():
            self.delivered += 1
        return dispatched.is_set()


def _run_forever(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        loop.close()
