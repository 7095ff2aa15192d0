"""The client application: one Tk window that shows the connect dialog or the chat.

:class:`App` owns the settings, the :class:`~chinwag.client.connection.Client` and the
:class:`~chinwag.client.model.ChatModel`. Events from the client's thread (and server
lists from LAN discovery) arrive on queues that :meth:`App.pump` drains every
``POLL_MS`` with ``after()``; nothing blocks the Tk loop. Private chats open in their
own :class:`~chinwag.gui.private_window.PrivateWindow` when the person prefers that; the
app keeps one window per conversation in the model's ``windows`` set. Things that reach outside the
window (LAN discovery, opening a link, making a client) are constructor arguments, so
tests can replace them.

What this module does not do: parse commands (:mod:`chinwag.client.commands`) or decide
what events mean (:mod:`chinwag.client.model`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import threading
import tkinter as tk
import webbrowser
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol

from chinwag.client import events as ev
from chinwag.client import secrets
from chinwag.client.commands import (
    KEPT_WHILE_DISCONNECTED,
    needs_connection,
    run_input,
    upload_request,
)
from chinwag.client.connection import Client
from chinwag.client.form import ConnectRequest, explain_failure, validate
from chinwag.client.lines import Notification, Update
from chinwag.client.model import ChatModel
from chinwag.client.notify import DesktopNotifications, Notifier
from chinwag.client.session import Session
from chinwag.client.settings import Settings, rooms_key
from chinwag.client.trust import PinStore, announced_fingerprint, announced_tls
from chinwag.gui import theme
from chinwag.gui.chat_view import ChatView
from chinwag.gui.connect_view import ConnectView
from chinwag.gui.files_view import InlineFiles, UploadBar
from chinwag.gui.history import HistoryControls
from chinwag.gui.private_window import PrivateWindow, destroy_all, sync_windows
from chinwag.gui.trust_dialog import AskTrust, TrustDialog
from chinwag.gui.uploads import FileSharing
from chinwag.gui.urgency import set_urgent

POLL_MS = 40
# Events handled per poll, so a flood of lines cannot freeze the window.
EVENTS_PER_POLL = 200
LOGOUT_MESSAGE = "Logged out"
CLOSE_MESSAGE = "Window closed"


class Closable(Protocol):
    def close(self) -> None: ...


# discover(on_change) starts looking for servers and returns something to close, or None
# when discovery cannot run here (no zeroconf, no multicast): the dialog works without it.
Discover = Callable[[Callable[[Sequence[Any]], None]], Closable | None]


def lan_discovery(on_change: Callable[[Sequence[Any]], None]) -> Closable | None:
    try:
        from chinwag.discovery import DiscoveryBrowser

        browser = DiscoveryBrowser(on_change)
        browser.start()
    except Exception:  # any failure to start mDNS just means no list of servers
        return None
    return browser


def make_client(request: ConnectRequest) -> Client:
    username = request.nick.lower()[:10] or "chinwag"
    account = (request.nick, request.account_password) if request.account_password else None
    return Client(
        request.host, request.port, request.nick, password=request.password,
        username=username, realname=request.nick, tls=request.tls,
        announced_fingerprint=request.fingerprint, refuse_plain=request.refuse_plain,
        account=account, register=request.register, rooms=request.rooms,
    )  # fmt: skip


def open_in_browser(url: str) -> None:
    webbrowser.open(url)


class App:
    def __init__(
        self,
        root: tk.Tk,
        settings: Settings,
        *,
        discover: Discover | None = lan_discovery,
        open_url: Callable[[str], None] = open_in_browser,
        client_factory: Callable[[ConnectRequest], Client] = make_client,
        notifier: Notifier | Literal["desktop"] | None = "desktop",
        save_settings: bool = True,
        tls: bool | None = None,
        ask: AskTrust = TrustDialog,
        pins: PinStore | None = None,
    ) -> None:
        self.root = root
        self.tls = tls  # --tls / --no-tls; None: TLS first
        self.ask_trust = ask
        self.pins = pins if pins is not None else PinStore()
        self.trust_dialog: TrustDialog | None = None
        self.settings = settings
        self.open_url = open_url
        self.client_factory = client_factory
        self.notifier = DesktopNotifications() if notifier == "desktop" else notifier
        self.urgent = False  # the window's urgency hint is set
        self.save_settings = save_settings
        self.palette = theme.PALETTES.get(settings.theme, theme.LIGHT)
        self.fonts = theme.setup_fonts(root)
        theme.apply(root, self.palette)
        root.title("chinwag")
        root.geometry("1000x640")
        root.minsize(640, 420)
        root.protocol("WM_DELETE_WINDOW", self.close)
        root.bind("<FocusIn>", self._on_focus, add="+")
        self.client: Client | None = None
        self.request: ConnectRequest | None = None
        self.model = self._new_model()
        self.chat: ChatView | None = None
        self.history: HistoryControls | None = None
        self.windows: dict[str, PrivateWindow] = {}  # conversation key -> its own window
        self.found: queue.Queue[list[Any]] = queue.Queue()
        self.notifications: list[str] = []
        self.closed = False
        self.connect_view = ConnectView(root, self.palette, self.fonts, self.connect)
        self.connect_view.fill(
            host=settings.host, port=str(settings.port), nick=settings.nick, password=""
        )
        self.connect_view.set_refuse_plain(settings.refuse_plain)
        self.connect_view.set_keyring(secrets.available())
        self.connect_view.fill(account_password=secrets.load(settings.host, settings.nick))
        self.connect_view.pack(fill="both", expand=True)
        self.connect_view.focus_first_empty()
        self._browser: Closable | None = None
        if discover is not None:
            self._browser = discover(lambda servers: self.found.put(list(servers)))
        self.connect_view.set_found([], searching=self._browser is not None)
        self.files = self._new_files()
        self._after: str | None = root.after(POLL_MS, self._tick)

    # -- connect dialog -------------------------------------------------------------------------

    def connect(self) -> None:
        if self.client is not None:
            return
        view = self.connect_view
        values = view.values()
        request, errors = validate(values["host"], values["port"], values["nick"],
                                   values["password"], values["account_password"],
                                   view.creating_account())  # fmt: skip
        view.show_errors(errors)
        if request is None:
            view.set_status("")
            return
        found = view.found
        tls = self.tls
        if tls is None and announced_tls(found, request.host, request.port):
            tls = True
        request = dataclasses.replace(
            request, tls=tls, refuse_plain=view.refuse_plain(),
            fingerprint=announced_fingerprint(found, request.host),
            rooms=self.settings.rooms_for(request.host, request.port, request.nick),
        )  # fmt: skip
        if request.refuse_plain != self.settings.refuse_plain:
            self.settings.refuse_plain = request.refuse_plain
            self._save()
        view.set_status(f"Connecting to {request.host}:{request.port}…", error=False)
        view.set_busy(True)
        self.request = request
        self.model = self._new_model()
        self.client = self.client_factory(request)
        self.client.start()

    def _connect_failed(self, failure: ev.ConnectFailed) -> None:
        self._drop_client()
        view = self.connect_view
        field, message = explain_failure(failure)
        view.set_busy(False)
        view.set_status(message)
        if failure.kind == "nick-in-use" and failure.suggestion:
            view.fill(nick=failure.suggestion)
        if field:
            view.entries[field].focus_set()
            view.entries[field].select_range(0, "end")

    def _trust_needed(self, need: ev.TrustNeeded) -> None:
        """A certificate nobody vouched for: ask the person (see trust_dialog)."""
        if self.chat is not None:  # it changed while we were in: back to the dialog
            self.logout("Certificate changed")
        self._drop_client()
        view = self.connect_view
        view.set_busy(False)
        view.set_status(f"Check the certificate of {need.host}:{need.port}.", error=False)
        self.trust_dialog = self.ask_trust(
            self.root, self.palette, self.fonts, need, lambda ok: self._trusted(need, ok)
        )

    def _trusted(self, need: ev.TrustNeeded, trusted: bool) -> None:
        self.trust_dialog = None
        if self.closed:
            return
        if not trusted:
            self.connect_view.set_status(
                f"Not connected: you did not trust the certificate of {need.host}:{need.port}."
            )
            return
        try:
            self.pins.pin(need.host, need.port, need.fingerprint)
        except OSError as exc:
            self.connect_view.set_status(
                f"Not connected: the certificate could not be remembered "
                f"({exc.strerror or exc}) in {self.pins.path.parent}."
            )
            return
        self.connect()

    def _new_files(self) -> FileSharing:
        return FileSharing(
            lambda: self.model,
            lambda: self.client,
            self._show,
            self._upload_bar,
            InlineFiles(self.root, self.open_url),
        )

    def _upload_bar(self, shown: bool, key: str) -> UploadBar | None:
        """The upload bar of the window conversation ``key`` is shown in."""
        window = self.windows.get(key)
        if window is not None:
            return window.show_upload_bar(shown)
        return self.chat.show_upload_bar(shown) if self.chat is not None else None

    def _new_model(self) -> ChatModel:
        return ChatModel(private_windows=self.settings.private_windows, muted=self.settings.muted)

    def _drop_client(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            client.quit()

    # -- chat window ----------------------------------------------------------------------------

    def _show_chat(self) -> None:
        self.connect_view.pack_forget()
        self._stop_discovery()
        self.chat = ChatView(
            self.root, self.model, self.palette, self.fonts,
            on_send=self.send, on_select=self.select, on_member=self.open_private,
            on_clear=self.clear, on_logout=self.logout, on_theme=self.set_dark,
            on_private_windows=self.set_private_windows, open_url=self.open_url,
            on_mute=self.set_muted, alerts=self.alerts, on_alert=self.toggle_alert,
            on_attach=lambda: self.files.choose(), on_cancel_upload=lambda: self.files.cancel(),
        )  # fmt: skip
        self.chat.messages.inline = self.files.inline
        self.chat.pack(fill="both", expand=True)
        self.history = HistoryControls(
            self.root, self.model, self.chat, self.fonts, self._call, self.has_focus
        )
        self.chat.redraw_all()
        self.chat.focus_entry()

    def _call(self, fn: Callable[[Session], object]) -> None:
        """Run ``fn`` with the session on the network thread (nothing if disconnected)."""
        if self.client is not None:
            self.client.call(lambda session: (fn(session), None)[1])

    def _stop_discovery(self) -> None:
        """Stop LAN discovery off the Tk thread (zeroconf's goodbye takes a moment)."""
        browser, self._browser = self._browser, None
        if browser is not None:
            threading.Thread(target=_close_quietly, args=(browser,), daemon=True).start()

    def _show(self, update: Update) -> None:
        if self.chat is not None:
            self.chat.show(update)
            self._show_windows(update)
            if self.history is not None:
                self.history.shown(update)
        self.root.title(self.model.title())
        if update.notify:
            self.notify(update.notify)

    def _show_windows(self, update: Update) -> None:
        """Open, close and fill private windows so they match the model's ``windows``."""
        sync_windows(self.windows, self.model, update, self._open_window)

    def _open_window(self, key: str) -> PrivateWindow:
        window = PrivateWindow(
            self.root, self.model, key, self.palette, self.fonts,
            on_send=self.send_to, on_clear=self.clear, on_close=self.close_window,
            on_focus=self.window_focus, open_url=self.open_url,
            on_attach=lambda key: self.files.choose(key, self.windows.get(key)),
            on_cancel_upload=lambda: self.files.cancel(),
        )  # fmt: skip
        window.messages.inline = self.files.inline
        return window

    def _close_windows(self) -> None:
        windows, self.windows = self.windows, {}
        destroy_all(windows.values())

    def has_focus(self) -> bool:
        """Whether the keyboard is in one of this app's windows."""
        try:
            return self.root.focus_displayof() is not None
        except tk.TclError:  # destroyed
            return False

    def notify(self, n: Notification) -> None:
        """A private message, a mention or a notice to everyone: ring (if the sound is on)
        unless it is where the person is looking; when the window does not have the focus,
        a desktop notification (if on) and the window's urgency hint too."""
        self.notifications.append(n.body)
        focused = self.has_focus()
        if self.settings.sound and (not focused or update_is_elsewhere(self.model)):
            self.root.bell()
        if focused:
            return
        if self.settings.notifications and self.notifier is not None:
            self.notifier.notify(n.title, n.body)
        self.urgent = set_urgent(self.root, True) or self.urgent

    def set_muted(self, key: str, on: bool) -> None:
        self._show(self.model.set_muted(key, on))
        self.settings.muted = sorted(self.model.muted)
        self._save()

    def alerts(self) -> dict[str, bool]:
        """The notification switches, by the name the sidebar's menu shows."""
        return {"Desktop notifications": self.settings.notifications, "Sound": self.settings.sound}

    def toggle_alert(self, name: str) -> None:
        if name == "Sound":
            self.settings.sound = not self.settings.sound
        else:
            self.settings.notifications = not self.settings.notifications
        self._save()

    def send(self, text: str) -> bool:
        """A line typed into the main window."""
        return self.send_to(None, text)

    def send_to(self, key: str | None, text: str) -> bool:
        """A line typed into conversation ``key``'s window (None: the main window).

        False when the line was not taken (the connection is down): it stays in the box.
        """
        if self.client is None:
            return False
        if not self.model.connected and needs_connection(text):
            self._show(self.model.add_info(KEPT_WHILE_DISCONNECTED, key, kind="error"))
            return False
        path = upload_request(text)
        if path is not None:
            return self.files.start(path, key, self.windows.get(key) if key else None)
        outcome, update = run_input(text, self.model, self.client, key)
        self._show(update)
        if outcome == "logout":
            quit_message = text.strip().partition(" ")[2] if text.startswith("/") else ""
            self.logout(quit_message or LOGOUT_MESSAGE)
        return True

    def select(self, key: str) -> None:
        self._show_and_focus(self.model.select(key))

    def open_private(self, nick: str) -> None:
        if self.model.key(nick) == self.model.key(self.model.nick):
            return
        self._show_and_focus(self.model.open_private(nick))

    def _show_and_focus(self, update: Update) -> None:
        """Show a conversation the person chose, ready to type into (main window or own)."""
        self._show(update)
        if self.chat is not None and not update.focus_window:
            self.chat.focus_entry()

    def clear(self, key: str | None = None) -> None:
        """Clear Chat in the main window, or (``key``) in a private window."""
        self._show(self.model.clear(key))
        window = self.windows.get(key) if key is not None else None
        if window is not None:
            window.entry.focus_set()
        elif self.chat is not None:
            self.chat.focus_entry()

    def close_window(self, key: str) -> None:
        """A private window was closed: only the window goes."""
        self._show(self.model.close_window(key))

    def window_focus(self, key: str) -> None:
        """A private window got (``key``) or lost ("") the keyboard focus."""
        if key != self.model.focused_window:
            self._show(self.model.window_focus(key))

    def set_private_windows(self, on: bool) -> None:
        self._show(self.model.set_private_windows(on))
        self.settings.private_windows = on
        self._save()

    def set_dark(self, dark: bool) -> None:
        self.palette = theme.DARK if dark else theme.LIGHT
        theme.apply(self.root, self.palette)
        if self.chat is not None:
            self.chat.restyle(self.palette)
            self.chat.redraw_all()
        for window in self.windows.values():
            window.restyle(self.palette)
            window.redraw()
        self.settings.theme = self.palette.name
        self._save()

    def _keep_rooms(self) -> None:
        """Leaving the server: remember its rooms, to join them again next time."""
        if self.request is not None and self.chat is not None:
            request = self.request
            key = rooms_key(request.host, request.port, request.nick)
            self.settings.rooms[key] = self.model.joined_rooms()
            self._save()

    def logout(self, message: str = LOGOUT_MESSAGE) -> None:
        self._keep_rooms()
        client, self.client = self.client, None
        if client is not None:
            client.quit(message)
        self._close_windows()
        if self.chat is not None:
            self.chat.destroy()
            self.chat = None
            self.history = None
        self.model = self._new_model()
        self.files.cancel()
        self.root.title("chinwag")
        view = self.connect_view
        view.set_busy(False)
        view.set_status("You have logged out.", error=False)
        view.show_errors({})
        view.pack(fill="both", expand=True)
        view.focus_first_empty()

    def _on_focus(self, _event: object) -> None:
        self.root.title(self.model.title() if self.chat is not None else "chinwag")
        if self.urgent:  # the person is here: the window no longer asks for attention
            self.urgent = False
            set_urgent(self.root, False)

    # -- events -------------------------------------------------------------------------------

    def _tick(self) -> None:
        self._after = None
        if self.closed:
            return
        try:
            self.pump()
        finally:
            if not self.closed:
                self._after = self.root.after(POLL_MS, self._tick)

    def pump(self) -> None:
        """Handle whatever the client thread and discovery have queued."""
        servers: list[Any] | None = None
        while True:
            try:
                servers = self.found.get_nowait()
            except queue.Empty:
                break
        if servers is not None and self.chat is None:
            self._found(servers)
        self.files.poll()
        for _ in range(EVENTS_PER_POLL):
            client = self.client
            if client is None:
                return
            try:
                event = client.events.get_nowait()
            except queue.Empty:
                return
            self.handle(event)

    def _found(self, servers: list[Any]) -> None:
        view = self.connect_view
        view.set_found(servers)
        host = view.values()["host"].strip()
        if len(servers) == 1 and host in ("", "localhost"):
            view.pick_found(0)

    def handle(self, event: ev.Event) -> None:
        self.files.handle(event)
        if isinstance(event, ev.TrustNeeded):
            self._trust_needed(event)
            return
        if isinstance(event, ev.LoggedIn):
            self._keep_password(event.account)
        if self.chat is None:
            if isinstance(event, ev.ConnectFailed):
                self._connect_failed(event)
                return
            if isinstance(event, ev.Stopped):
                if self.client is not None:
                    self._drop_client()
                    self.connect_view.set_busy(False)
                return
            self.model.apply(event)
            if isinstance(event, ev.Registered):
                self._remember()
                self._show_chat()
            elif isinstance(event, ev.Connecting):
                self.connect_view.set_status(self.model.status, error=False)
            return
        self._show(self.model.apply(event))

    def _keep_password(self, account: str) -> None:
        """Logged in: keep the password in the system keyring, if there is one."""
        request = self.request
        if request is not None and request.account_password:
            secrets.save(request.host, account, request.account_password)
        if request is not None and request.register:  # next time: log in, not register
            self.connect_view.set_register(False)

    def _remember(self) -> None:
        request = self.request
        if request is None:
            return
        self.settings.host = request.host
        self.settings.port = request.port
        self.settings.nick = request.nick
        self._save()

    def _save(self) -> None:
        if self.save_settings:
            self.settings.save()

    def close(self) -> None:
        """Window closed: say goodbye, stop discovery, destroy the window. Never blocks long."""
        if self.closed:
            return
        self.closed = True
        self._keep_rooms()
        if self._after is not None:
            with contextlib.suppress(tk.TclError):
                self.root.after_cancel(self._after)
        client, self.client = self.client, None
        if client is not None:
            client.quit(CLOSE_MESSAGE)
        self._stop_discovery()
        self.files.close()
        with contextlib.suppress(tk.TclError):
            self.root.destroy()
        if self.notifier is not None:
            self.notifier.close()
        if client is not None:
            client.close(timeout=2.0)


def _close_quietly(thing: Closable) -> None:
    with contextlib.suppress(Exception):
        thing.close()


def update_is_elsewhere(model: ChatModel) -> bool:
    """True when some conversation other than the current one has unread messages."""
    return any(c.unread for k, c in model.conversations.items() if k != model.current)
