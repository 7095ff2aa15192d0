"""Registration: the nickname check, IRCv3 capability negotiation and logging in.

:class:`Registration` is mixed into :class:`chinwag.client.session.Session`.

Registration checks the nickname before committing to it. ``USER`` is held back and the
client sends ``NICK n`` followed by ``CAP LS 302``; servers answer commands in order, so
the reply to ``CAP LS`` (or 421/451 from a server without capabilities) is a barrier: if
``433`` came before it, the nick is taken and the next variant is tried the same way. In
"ask" mode the first free variant is reported as :class:`ConnectFailed` with a
suggestion (and the connection is closed before registering, so nobody sees us come and
go); in "auto" mode (used on reconnect) the free variant is taken.

Once capabilities are agreed, a :class:`~chinwag.client.login.Login` (SASL, or
REGISTER) runs before ``CAP END`` if one was asked for; ``/login`` runs one later.
ISUPPORT sets the casemapping and the channel and prefix syntax; the end of the MOTD
reports :class:`~chinwag.client.events.Registered` and rejoins channels.

What this module does not do: sockets, timers, or anything after registration other
than logging in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from chinwag.client import events as ev
from chinwag.client.login import Login, Outcome
from chinwag.client.sts import sts_duration, sts_port
from chinwag.proto import numerics as n
from chinwag.proto.casemap import CASEMAPPINGS, folder
from chinwag.proto.message import Message

# Nick variants tried before giving up on registration.
MAX_NICK_TRIES = 20

NickInUseMode = Literal["ask", "auto"]
Phase = Literal["probe", "caps", "login", "welcome", "done"]


def next_nick_variant(nick: str) -> str:
    """alice -> alice2 -> alice3; bob9 -> bob10."""
    m = re.match(r"^(.*?)(\d+)$", nick)
    if m and m.group(1):
        return f"{m.group(1)}{int(m.group(2)) + 1}"
    return nick + "2"


class Registration:
    """The registration half of a session (see the module docstring)."""

    requested_nick: str
    nick: str
    username: str
    realname: str
    password: str | None
    login: Login | None
    secure: bool
    tls: bool
    sts_upgrade: int | None
    sts_policy: int | None
    error_reason: str
    account: str
    want_caps: frozenset[str]
    nick_in_use: NickInUseMode
    rejoin: list[str]
    reconnected: bool
    clock: Callable[[], float]
    caps: set[str]
    offered_caps: dict[str, str]
    isupport: dict[str, str]
    casemapping: str
    fold: Callable[[str], str]
    prefix_modes: str
    prefix_symbols: str
    chanmodes: tuple[str, str, str, str]
    chantypes: str
    network: str
    server_name: str
    registered: bool
    ready: bool
    finished: bool
    _now: float
    _out: list[str]
    _events: list[ev.Event]
    _send: Callable[..., None]
    take_lines: Callable[[], list[str]]
    _emit: Callable[[ev.Event], None]
    _on_numeric: Callable[[Message], None]
    _history_after_connect: Callable[[], None]

    def _registration_init(self, nick: str) -> None:
        self._phase: Phase = "probe"
        self._probe_nick = nick
        self._probe_failed = False
        self._tries = 0
        self._cap_ls: list[str] = []
        self._cap_supported = False

    def start(self) -> list[str]:
        """The opening lines: PASS, NICK, and the CAP LS barrier (USER comes later)."""
        if self.password:
            self._send("PASS", self.password)
        self._send("NICK", self.nick)
        self._send("CAP", "LS", "302")
        return self.take_lines()

    def _fail(self, kind: str, message: str, suggestion: str = "") -> None:
        self._emit(
            ev.ConnectFailed(
                kind, message, nick=self.requested_nick, suggestion=suggestion, time=self._now
            )
        )
        self._send("QUIT", "nickname check")
        self.finished = True

    def _barrier(self) -> None:
        """The server answered everything up to our last CAP LS (see module docstring)."""
        if self._phase != "probe":
            return
        if self._probe_failed:
            self._tries += 1
            if self._tries >= MAX_NICK_TRIES:
                self._fail("nick-in-use", f"The nickname {self.requested_nick} is in use.")
                return
            self._probe_nick = next_nick_variant(self._probe_nick)
            self._probe_failed = False
            self._send("NICK", self._probe_nick)
            self._send("CAP", "LS", "302")
            return
        if self._probe_nick != self.requested_nick and self.nick_in_use == "ask":
            self._fail(
                "nick-in-use",
                f"The nickname {self.requested_nick} is in use.",
                suggestion=self._probe_nick,
            )
            return
        self.nick = self._probe_nick
        request = sorted(self.want_caps & self.offered_caps.keys())
        if self._cap_supported and request:
            self._send("CAP", "REQ", " ".join(request))
            self._phase = "caps"
        else:
            if self._cap_supported:
                self._send("CAP", "END")
            self._phase = "welcome"
        self._send("USER", self.username, "0", "*", self.realname)

    @property
    def probing(self) -> bool:
        """True while the nick check waits for its barrier reply."""
        return self._phase == "probe"

    def probe_timed_out(self) -> list[ev.Event]:
        """The server ignored CAP LS before registration: go on as if it had said 421."""
        self._now = self.clock()
        if self._phase == "probe":
            self._cap_supported = False
            self._barrier()
        out, self._events = self._events, []
        return out

    def _on_cap(self, msg: Message) -> None:
        sub = msg.param(1).upper()
        if sub == "LS":
            more = msg.param(2) == "*" and len(msg.params) > 3
            self._cap_ls.extend(msg.params[-1].split())
            if more:
                return
            self._cap_supported = True
            self.offered_caps = {}
            for item in self._cap_ls:
                name, _, value = item.partition("=")
                self.offered_caps[name] = value
            self._cap_ls = []
            if "sts" in self.offered_caps and self._sts(self.offered_caps["sts"]):
                return  # no further on plain text: the connection reconnects with TLS
            self._barrier()
        elif sub == "ACK":
            for cap in msg.params[-1].split():
                if cap.startswith("-"):
                    self.caps.discard(cap[1:])
                else:
                    self.caps.add(cap)
            if self._phase == "caps":
                self._caps_settled()
        elif sub == "NAK":
            if self._phase == "caps":
                self._caps_settled()
        elif sub == "NEW":
            for item in msg.params[-1].split():
                name, _, value = item.partition("=")
                if name == "sts" and self.tls:  # a policy (re)announced over TLS
                    self._sts(value)
            offered = {c.partition("=")[0] for c in msg.params[-1].split()}
            request = sorted((self.want_caps & offered) - self.caps)
            if request:
                self._send("CAP", "REQ", " ".join(request))
        elif sub == "DEL":
            for cap in msg.params[-1].split():
                self.caps.discard(cap)

    def _sts(self, value: str) -> bool:
        """An ``sts`` policy (:mod:`chinwag.client.sts`); True when this plain-text
        connection must stop here for one with TLS."""
        if self.tls:
            self.sts_policy = sts_duration(value)
            return False
        port = sts_port(value)
        if port is None:
            return False
        self.sts_upgrade = port
        self.error_reason = f"The server asks for encryption: reconnecting with TLS on port {port}."
        self._emit(ev.ServerText(self.error_reason, time=self._now))
        self.finished = True
        return True

    def _caps_settled(self) -> None:
        """Capabilities are agreed: log in first if asked to, then end negotiation."""
        if self.login is not None and self.login.done is None:
            lines, outcome = self.login.begin(self.offered_caps, self.secure)
            self._login_lines(lines, outcome)
            if outcome is None:
                self._phase = "login"
            return
        self._send("CAP", "END")
        self._phase = "welcome"

    def _login_lines(self, lines: list[Message], outcome: Outcome | None) -> None:
        self._out.extend(line.to_line() for line in lines)
        if outcome is None:
            return
        login = self.login
        self.login = None
        if outcome.account:
            self.account = outcome.account
            created = login is not None and login.register
            self._emit(ev.LoggedIn(outcome.account, created, time=self._now))
        elif not self.registered:
            self._fail(outcome.kind, outcome.message)
            return
        else:
            self._emit(ev.LoginFailed(outcome.kind, outcome.message, time=self._now))
        if not self.registered and self._phase == "login":
            self._send("CAP", "END")
            self._phase = "welcome"

    def _on_login(self, msg: Message) -> None:
        """AUTHENTICATE, 900-908, REGISTER and FAIL REGISTER: the login in progress."""
        if msg.command == n.RPL_LOGGEDIN:
            self.account = msg.param(2)
            return
        if self.login is None:
            return
        try:
            lines, outcome = self.login.feed(msg)
        except Exception:  # a SCRAM server that could not prove it knows our keys
            lines, outcome = [], Outcome(None, "login-unavailable", "The server's proof was wrong.")
        self._login_lines(lines, outcome)

    def login_now(self, account: str, password: str, *, register: bool = False) -> None:
        """/login or /register once connected (the server allows SASL after registering)."""
        self.login = Login(account, password, register=register)
        lines, outcome = self.login.begin(self.offered_caps, self.secure)
        self._login_lines(lines, outcome)

    def _on_welcome(self, msg: Message) -> None:
        self.registered = True
        self._phase = "done"
        self.nick = msg.param(0, self.nick)
        self.server_name = msg.source or ""

    def _on_isupport(self, msg: Message) -> None:
        for token in msg.params[1:-1]:
            key, _, value = token.partition("=")
            self.isupport[key.upper()] = value
            if key.upper() == "CASEMAPPING" and value in CASEMAPPINGS:
                self.casemapping = value
                self.fold = folder(value)
            elif key.upper() == "PREFIX":
                m = re.match(r"^\((\w*)\)(.*)$", value)
                if m and len(m.group(1)) == len(m.group(2)):
                    self.prefix_modes, self.prefix_symbols = m.group(1), m.group(2)
            elif key.upper() == "CHANMODES":
                parts = value.split(",")
                if len(parts) >= 4:
                    self.chanmodes = (parts[0], parts[1], parts[2], parts[3])
            elif key.upper() == "CHANTYPES" and value:
                self.chantypes = value
            elif key.upper() == "NETWORK":
                self.network = value

    def _on_end_of_motd(self, msg: Message) -> None:
        if self.ready:
            return
        self.ready = True
        self._emit(
            ev.Registered(
                self.nick,
                self.network or self.server_name,
                self.server_name,
                self.casemapping,
                frozenset(self.caps),
                chantypes=self.chantypes,
                requested_nick=self.requested_nick,
                reconnected=self.reconnected,
                filehost=self.isupport.get("DRAFT/FILEHOST", ""),
                time=self._now,
            )
        )
        for channel in self.rejoin:
            self._send("JOIN", channel)
        self.rejoin = []
        self._history_after_connect()

    def _on_nick_error(self, msg: Message) -> None:
        if self._phase == "probe":
            if msg.command == n.ERR_NICKNAMEINUSE:
                self._probe_failed = True
            else:
                self._fail(
                    "bad-nick",
                    f"The server does not accept {self._probe_nick!r}: "
                    f"{msg.params[-1] if msg.params else 'erroneous nickname'}",
                )
            return
        if not self.registered:
            # The server checked the nick only after USER: no barrier to probe with.
            if msg.command == n.ERR_NICKNAMEINUSE and self.nick_in_use == "auto":
                self._probe_nick = self.nick = next_nick_variant(self.nick)
                self._send("NICK", self.nick)
            elif msg.command == n.ERR_NICKNAMEINUSE:
                self._fail(
                    "nick-in-use",
                    f"The nickname {self.requested_nick} is in use.",
                    suggestion=next_nick_variant(self.nick),
                )
            else:
                self._fail("bad-nick", f"The server does not accept {self.nick!r}.")
            return
        self._emit(ev.ServerText(f"{msg.param(1)}: {msg.params[-1]}", error=True, time=self._now))

    def _on_not_registered(self, msg: Message) -> None:
        if self._phase == "probe":  # a server without CAP answered our barrier
            self._cap_supported = False
            self._barrier()
        else:
            self._on_numeric(msg)
