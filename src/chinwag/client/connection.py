"""One IRC connection on its own asyncio thread, with reconnect; events out on a queue.

:class:`Client` owns a daemon thread running an asyncio loop. The loop connects, feeds
each received line to a :class:`~chinwag.client.session.Session`, writes the lines the
session queues, and puts every event on :attr:`Client.events`, a ``queue.Queue`` that
any thread may drain (the GUI drains it with ``after()``). Methods such as
:meth:`Client.say` may be called from any thread: they are handed to the loop with
``call_soon_threadsafe`` so the session is only ever touched on the loop thread.

The first connection either gets us in (``Registered``) or fails with one
``ConnectFailed`` (refused, unknown host, timeout, nick in use...) and the client stops.
Once we have been in, a dropped connection is retried with exponential back-off; the new
session takes a free variant of the nick if ours is still held by our ghost, and rejoins
the channels we were in.

Encryption. Each connection follows :func:`chinwag.client.trust.plan`: TLS first, plain
text only when the TLS port is refused (and never when ``refuse_plain`` is set, nor on a
reconnect once TLS has worked). A certificate that the verifying context accepts (a CA's,
host name checked) is used as is; otherwise the client connects again without
verification and :func:`chinwag.client.trust.judge` compares the certificate's SHA-256
with the pin and the LAN announcement. A certificate nobody vouched for ends the client
with a ``TrustNeeded`` event (the window asks the person and, if they trust it, pins it
and connects again). Every opened connection reports ``Encryption`` before registering;
reconnects check the pin again, silently.

What this module does not do: parse user commands, or know anything about Tk.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable

from chinwag.certs import fingerprint_display, fingerprint_hex
from chinwag.client import events as ev
from chinwag.client.login import Login, is_local
from chinwag.client.session import CONFIRM_TIMEOUT, DEFAULT_CAPS, NickInUseMode, Session
from chinwag.client.sts import StsStore
from chinwag.client.trust import (
    PLAIN_PORT,
    TLS_PORT,
    PinStore,
    Plan,
    client_context,
    judge,
    plan,
    unverified_context,
)
from chinwag.errors import ProtocolError
from chinwag.proto.limits import MAX_INPUT_LINE
from chinwag.proto.message import parse

# Seconds to wait for TCP connect, and then again for the server to welcome us.
CONNECT_TIMEOUT = 10.0
REGISTRATION_TIMEOUT = 20.0
# Seconds we wait for any answer to the nick check (CAP LS) before assuming the server
# silently ignores commands before registration.
PROBE_TIMEOUT = 5.0
# Seconds of silence before we PING the server, and then before we give up on it.
IDLE_PING = 90.0
PING_TIMEOUT = 60.0
# Reconnect back-off: first delay, doubling up to the maximum.
BACKOFF_INITIAL = 1.0
BACKOFF_MAX = 30.0
# Seconds we wait for the server to close after our QUIT before closing ourselves.
QUIT_GRACE = 1.0


def describe_connect_error(
    exc: BaseException, host: str, port: int, timeout: float
) -> ev.ConnectFailed:
    """Turn a connect exception into a message a person can act on."""
    where = f"{host}:{port}"
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or exc.strerror or str(exc)
        return ev.ConnectFailed(
            "tls", f"The encrypted connection to {where} failed ({reason}): is it a TLS port?"
        )
    if isinstance(exc, socket.gaierror):
        return ev.ConnectFailed("unknown-host", f"Unknown host {host!r}: check the server address.")
    if isinstance(exc, ConnectionRefusedError):
        return ev.ConnectFailed(
            "refused", f"Connection refused by {where}: is the chat server running there?"
        )
    if isinstance(exc, TimeoutError):
        return ev.ConnectFailed("timeout", f"No answer from {where} after {timeout:g} seconds.")
    if isinstance(exc, OSError):
        return ev.ConnectFailed("network", f"Cannot reach {where}: {exc.strerror or exc}")
    return ev.ConnectFailed("network", f"Cannot reach {where}: {exc}")


def plain_refused(host: str, port: int, fallback: bool) -> ev.ConnectFailed:
    """Only plain text was left, and the person refuses unencrypted connections."""
    if fallback:
        why = f"{host} offers no encrypted connection (port {port} is plain text)"
    else:
        why = f"{host}:{port} is a plain-text port (encrypted IRC is usually on {TLS_PORT})"
    return ev.ConnectFailed(
        "plain-refused", f"Not connecting: {why}, and unencrypted connections are turned off."
    )


class _Halt(Exception):
    """This connection must not go ahead: post ``event`` and stop, without retrying."""

    def __init__(self, event: ev.Event) -> None:
        super().__init__(event)
        self.event = event


def _peer_fingerprint(writer: asyncio.StreamWriter) -> str:
    ssl_object = writer.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    return fingerprint_hex(der or b"")


class Client:
    """A threaded IRC connection (see the module docstring). Call :meth:`start` once."""

    def __init__(
        self,
        host: str,
        port: int,
        nick: str,
        *,
        password: str | None = None,
        username: str = "chinwag",
        realname: str = "chinwag user",
        want_caps: Iterable[str] = DEFAULT_CAPS,
        nick_in_use: NickInUseMode = "ask",
        reconnect: bool = True,
        connect_timeout: float = CONNECT_TIMEOUT,
        registration_timeout: float = REGISTRATION_TIMEOUT,
        backoff_initial: float = BACKOFF_INITIAL,
        backoff_max: float = BACKOFF_MAX,
        idle_ping: float = IDLE_PING,
        ping_timeout: float = PING_TIMEOUT,
        confirm_timeout: float = CONFIRM_TIMEOUT,
        tls: bool | None = None,
        refuse_plain: bool = False,
        announced_fingerprint: str = "",
        pins: PinStore | None = None,
        sts: StsStore | None = None,
        verify_context: ssl.SSLContext | None = None,
        default_ports: tuple[int, int] = (PLAIN_PORT, TLS_PORT),
        account: tuple[str, str] | None = None,
        register: bool = False,
        rooms: Iterable[str] = (),
    ) -> None:
        """``tls``: None tries TLS first (see :func:`chinwag.client.trust.plan`, which
        ``default_ports`` = (plain, TLS) feeds); ``announced_fingerprint``: what the
        server announces on the LAN; ``verify_context``: the CAs to trust (the system's
        by default); ``account``: (name, password) to log in with (SCRAM-SHA-256, or
        PLAIN over TLS), and ``register`` to create that account first (REGISTER);
        ``rooms``: channels to join once registered (more than the server's own)."""
        self.host = host
        self.port = port
        self.plan: Plan = plan(port, tls, plain_port=default_ports[0], tls_port=default_ports[1])
        self.refuse_plain = refuse_plain
        self.announced_fingerprint = announced_fingerprint
        self.pins = pins if pins is not None else PinStore()
        self.sts = sts if sts is not None else StsStore()
        self.sts_required = False  # a strict-transport-security policy is in force
        self.verify_context = verify_context  # made when first needed (loading CAs takes time)
        self.nick = nick
        self.password = password
        self.account = account
        self.register = register
        self.rooms = list(rooms)
        self.username = username
        self.realname = realname
        self.want_caps = frozenset(want_caps)
        self.nick_in_use: NickInUseMode = nick_in_use
        self.reconnect = reconnect
        self.connect_timeout = connect_timeout
        self.registration_timeout = registration_timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.idle_ping = idle_ping
        self.ping_timeout = ping_timeout
        self.confirm_timeout = confirm_timeout
        self.events: queue.Queue[ev.Event] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._session: Session | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._stopping = False
        self._wake: asyncio.Event | None = None
        self._port_tried = port
        self._tls_port = 0  # the port TLS last worked on

    # -- public, any thread -----------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._thread_main, name="chinwag-client", daemon=True
        )
        self._thread.start()
        self._ready.wait(5.0)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def call(self, fn: Callable[[Session], Iterable[ev.Event] | None]) -> None:
        """Run ``fn(session)`` on the loop thread if connected; post its events, send lines."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._run_call, fn)

    def say(self, target: str, text: str) -> None:
        self.call(lambda s: s.privmsg(target, text))

    def action(self, target: str, text: str) -> None:
        self.call(lambda s: s.privmsg(target, text, action=True))

    def join(self, channel: str) -> None:
        self.call(lambda s: s.join(channel))

    def part(self, channel: str, reason: str = "") -> None:
        self.call(lambda s: s.part(channel, reason))

    def change_nick(self, nick: str) -> None:
        self.call(lambda s: s.change_nick(nick))

    def set_topic(self, channel: str, topic: str) -> None:
        self.call(lambda s: s.set_topic(channel, topic))

    def set_away(self, message: str) -> None:
        self.call(lambda s: s.set_away(message))

    def log_in(self, account: str, password: str, register: bool = False) -> None:
        """/login or /register now; reconnects log in to that account from then on."""
        self.account = (account, password)
        self.call(lambda s: s.login_now(account, password, register=register))

    def raw(self, line: str) -> None:
        self.call(lambda s: s.raw(line))

    def quit(self, message: str = "Leaving") -> None:
        """Say goodbye and stop (no reconnect). Returns at once; see :meth:`close`."""
        self._stopping = True
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._do_quit, message)

    def close(self, timeout: float = 3.0) -> None:
        """Quit if still running and wait (bounded) for the thread to finish."""
        self.quit()
        if self._thread is not None:
            self._thread.join(timeout)

    # -- loop thread --------------------------------------------------------------------------

    def _post(self, event: ev.Event) -> None:
        if isinstance(event, ev.LoggedIn):
            self.register = False  # the account exists now: reconnects log in to it
        self.events.put(event)

    def _flush(self) -> None:
        session, writer = self._session, self._writer
        if session is None or writer is None:
            return
        lines = session.take_lines()
        if lines and not writer.is_closing():
            writer.write(b"".join(line.encode() + b"\r\n" for line in lines))

    def _run_call(self, fn: Callable[[Session], Iterable[ev.Event] | None]) -> None:
        session = self._session
        if session is None or not session.registered:
            self._post(
                ev.ServerText("Not connected: try again when the connection is back.", error=True)
            )
            return
        for event in fn(session) or ():
            self._post(event)
        self._flush()
        due = session.confirm_due()
        if due is not None:  # a labeled line went out: look again when its answer is due
            asyncio.get_running_loop().call_later(due + 0.01, self._expire_unconfirmed, session)

    def _expire_unconfirmed(self, session: Session) -> None:
        """Report the lines of ``session`` that the server never answered."""
        if session is self._session:
            for event in session.expire_unconfirmed():
                self._post(event)

    def _do_quit(self, message: str) -> None:
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        session, writer = self._session, self._writer
        if session is not None and writer is not None and not writer.is_closing():
            session.quit(message)
            self._flush()
            asyncio.get_running_loop().call_later(QUIT_GRACE, writer.close)

    def _thread_main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def _login(self) -> Login | None:
        """A fresh login for the next connection: REGISTER the first time if asked,
        then (once the account exists) SASL on every reconnect."""
        if self.account is None:
            return None
        name, password = self.account
        return Login(name, password, register=self.register)

    async def _sleep(self, delay: float) -> None:
        assert self._wake is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), delay)

    async def _main(self) -> None:
        self._wake = asyncio.Event()
        self._ready.set()
        had_session = False
        rejoin: list[str] = list(self.rooms)
        nick = self.nick
        delay = self.backoff_initial
        attempt = 0
        reason = ""
        while not self._stopping:
            attempt += 1
            self._apply_sts_policy()
            try:
                reader, writer = await self._open(attempt)
            except _Halt as halt:
                self._post(halt.event)
                reason = getattr(halt.event, "message", "The certificate was not trusted.")
                break
            except (OSError, TimeoutError) as exc:
                failure = describe_connect_error(
                    exc, self.host, self._port_tried, self.connect_timeout
                )
                if not had_session or not self.reconnect:
                    self._post(failure)
                    reason = failure.message
                    break
                self._post(ev.Disconnected(failure.message, retry_in=delay))
                await self._sleep(delay)
                delay = min(delay * 2, self.backoff_max)
                continue
            session = Session(
                nick,
                username=self.username,
                realname=self.realname,
                password=self.password,
                want_caps=self.want_caps,
                nick_in_use="auto" if had_session else self.nick_in_use,
                rejoin=rejoin,
                reconnected=had_session,
                login=self._login(),
                confirm_timeout=self.confirm_timeout,
                secure=writer.get_extra_info("ssl_object") is not None or is_local(self.host),
                tls=writer.get_extra_info("ssl_object") is not None,
            )
            self._session, self._writer = session, writer
            writer.write(b"".join(line.encode() + b"\r\n" for line in session.start()))
            try:
                reason = await self._read_loop(reader, session)
            finally:
                self._session = None
                self._writer = None
                writer.close()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(writer.wait_closed(), 1.0)
            if session.ready:
                had_session = True
                if self._tls_port:  # never fall back to plain text once TLS has worked
                    self.plan = [(self._tls_port, True)]
                delay = self.backoff_initial
                rejoin = session.joined_channels()
                nick = session.nick
            if session.sts_upgrade is not None and not self._stopping:
                # Strict transport security: TLS on the port it names, nothing else.
                self.plan, self.sts_required = [(session.sts_upgrade, True)], True
                continue
            if session.finished or self._stopping:
                break
            if not had_session:
                self._post(
                    ev.ConnectFailed(
                        "timeout" if reason.startswith("No welcome") else "server-error",
                        reason,
                        nick=nick,
                    )
                )
                break
            if not self.reconnect:
                self._post(ev.Disconnected(reason))
                break
            self._post(ev.Disconnected(reason, retry_in=delay))
            await self._sleep(delay)
            delay = min(delay * 2, self.backoff_max)
        self._post(ev.Stopped(reason))

    def _apply_sts_policy(self) -> None:
        """A strict-transport-security policy kept for this host: TLS on its port only."""
        policy = self.sts.get(self.host, time.time())  # an unreadable file is no policy
        if policy is not None and not self.sts_required:
            self.plan, self.sts_required = [(policy.port, True)], True

    async def _connect(
        self, port: int, context: ssl.SSLContext | None
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.wait_for(
            asyncio.open_connection(
                self.host, port, limit=4 * MAX_INPUT_LINE, ssl=context,
                ssl_handshake_timeout=self.connect_timeout if context else None,
            ),
            self.connect_timeout,
        )  # fmt: skip

    async def _open(self, attempt: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Connect following the plan; report Connecting and Encryption (module docstring).

        Raises OSError/TimeoutError for the last port tried (``_port_tried``), or _Halt.
        """
        for index, (port, tls) in enumerate(self.plan):
            self._port_tried = port
            if not tls and self.refuse_plain:
                raise _Halt(plain_refused(self.host, port, fallback=index > 0))
            self._post(ev.Connecting(self.host, port, attempt, tls=tls))
            try:
                if tls:
                    return await self._open_tls(port)
                streams = await self._connect(port, None)
            except ConnectionRefusedError:
                if index == len(self.plan) - 1:
                    raise
                continue  # TLS is not offered: fall back to plain text
            self._post(ev.Encryption(self.host, port, False))
            return streams
        raise ConnectionRefusedError  # (an empty plan)

    async def _open_tls(self, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        host = self.host
        try:
            if self.verify_context is None:
                self.verify_context = client_context()
            reader, writer = await self._connect(port, self.verify_context)
            trusted_by = "ca"
            fingerprint = _peer_fingerprint(writer)
        except ssl.SSLCertVerificationError as exc:
            if self.sts_required:  # a policy asks for a certificate that verifies: no TOFU
                message = (
                    f"{host} requires encryption (strict transport security), but its"
                    f" certificate could not be verified: {exc.verify_message}."
                )
                raise _Halt(ev.ConnectFailed("tls", message, nick=self.nick)) from None
            # Self-signed, most likely: judge it ourselves.
            reader, writer = await self._connect(port, unverified_context())
            fingerprint = _peer_fingerprint(writer)
            pinned = self.pins.get(host, port)
            verdict = judge(pinned, self.announced_fingerprint, fingerprint)
            if verdict in ("new", "changed"):
                writer.close()
                pinned_shown = fingerprint_display(pinned) if pinned else ""
                raise _Halt(
                    ev.TrustNeeded(
                        host, port, fingerprint_display(fingerprint), verdict, pinned_shown
                    )
                ) from None
            if verdict == "announced":
                with contextlib.suppress(OSError):
                    self.pins.pin(host, port, fingerprint)
            trusted_by = "pin" if verdict == "pinned" else "announced"
        self._tls_port = port
        self._post(ev.Encryption(host, port, True, fingerprint_display(fingerprint), trusted_by))
        return reader, writer

    async def _read_loop(self, reader: asyncio.StreamReader, session: Session) -> str:
        """Read until the connection ends; return why it ended."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        pinged = False
        while True:
            if not session.registered:
                timeout = self.registration_timeout - (loop.time() - started)
                if timeout <= 0:
                    return f"No welcome from {self.host}:{self._port_tried}: is it an IRC server?"
                if session.probing:
                    timeout = min(timeout, PROBE_TIMEOUT)
            else:
                timeout = self.ping_timeout if pinged else self.idle_ping
            try:
                raw = await asyncio.wait_for(reader.readline(), timeout)
            except TimeoutError:
                if session.probing and loop.time() - started < self.registration_timeout:
                    for event in session.probe_timed_out():
                        self._post(event)
                    self._flush()
                    continue
                if not session.registered:
                    return f"No welcome from {self.host}:{self._port_tried}: is it an IRC server?"
                if pinged:
                    return "The server stopped answering (ping timeout)."
                pinged = True
                session.raw("PING :chinwag")
                self._flush()
                continue
            except (ValueError, asyncio.LimitOverrunError):
                return "The server sent a line that is far too long."
            except OSError as exc:
                return f"Connection lost: {exc.strerror or exc}"
            if not raw:
                return session.error_reason or "The server closed the connection."
            pinged = False
            if not raw.strip():
                continue
            try:
                msg = parse(raw)
            except ProtocolError:
                continue
            for event in session.feed(msg):
                self._post(event)
            self._flush()
            if session.sts_policy is not None:  # over TLS: remember (or forget) it
                with contextlib.suppress(OSError):
                    self.sts.remember(self.host, self._tls_port, session.sts_policy, time.time())
                session.sts_policy = None
            if session.finished:
                writer = self._writer
                if writer is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(writer.drain(), 1.0)
                return "gave up"
