"""The client side of one IRC connection, without I/O: lines in, events and lines out.

Theory of operation. :class:`Session` is fed parsed :class:`Message` objects with
:meth:`Session.feed`, which returns :mod:`chinwag.client.events` values and queues lines
to send (collect them with :meth:`Session.take_lines`). User actions (``privmsg``,
``join``, ...) queue lines too. One session lives for one TCP connection; a reconnect
makes a new session that rejoins the old one's channels.

Registration checks the nickname before committing to it. ``USER`` is held back and the
client sends ``NICK n`` followed by ``CAP LS 302``; servers answer commands in order, so
the reply to ``CAP LS`` (or 421/451 from a server without capabilities) is a barrier: if
``433`` came before it, the nick is taken and the next variant is tried the same way. In
"ask" mode the first free variant is reported as :class:`ConnectFailed` with a
suggestion (and the connection is closed before registering, so nobody sees us come and
go); in "auto" mode (used on reconnect) the free variant is taken.

State is keyed by names folded with the server's CASEMAPPING (from ISUPPORT) and shows
names as the server sent them. IRCv3 capabilities are requested when offered
(server-time, echo-message, multi-prefix, away-notify, extended-join, batch,
labeled-response) and everything works without them: without echo-message the session
reports our own messages itself, without away-notify away state comes from WHO on join,
and without batch, replayed channel history cannot be told apart from new messages.

Labeled responses. With labeled-response, each PRIVMSG we send carries a ``label`` tag
and is reported at once as a *pending* :class:`~chinwag.client.events.ChatMessage`.
The server's answer to that label settles it: the echo (echo-message), or an ``ACK``
(the server had nothing to say), confirms it with a ChatMessage of the same label; an
error numeric (no such nick, cannot send to channel) reports
:class:`~chinwag.client.events.SendFailed` instead of a loose error line. Answers of
several lines arrive in a ``labeled-response`` batch, settled at ``BATCH -id``; other
lines in that batch (an away reply, say) are handled as usual. Without the capability
no tags are sent and messages are never pending.

What this module does not do: sockets, threads, timers, reconnect policy (see
:mod:`chinwag.client.connection`), or deciding how anything is displayed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from chinwag.client import events as ev
from chinwag.client.history import HISTORY_CAPS, HistoryRequests
from chinwag.client.login import Login, Outcome
from chinwag.proto import numerics as n
from chinwag.proto.casemap import CASEMAPPINGS, folder
from chinwag.proto.message import Message

DEFAULT_CAPS = frozenset(
    {
        "server-time",
        "echo-message",
        "multi-prefix",
        "away-notify",
        "extended-join",
        "batch",
        "labeled-response",
        "account-notify",
        *HISTORY_CAPS,
    }
)
# Bytes of text per PRIVMSG line: leaves room in the 512-byte line for the prefix the
# server adds when relaying (nick!user@host, command, target).
TEXT_CHUNK_BYTES = 380
# Nick variants tried before giving up on registration.
MAX_NICK_TRIES = 20

NickInUseMode = Literal["ask", "auto"]


def next_nick_variant(nick: str) -> str:
    """alice -> alice2 -> alice3; bob9 -> bob10."""
    m = re.match(r"^(.*?)(\d+)$", nick)
    if m and m.group(1):
        return f"{m.group(1)}{int(m.group(2)) + 1}"
    return nick + "2"


def parse_server_time(value: str) -> float | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def split_text(text: str, limit: int = TEXT_CHUNK_BYTES) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` UTF-8 bytes, at spaces if possible."""
    out: list[str] = []
    while len(text.encode()) > limit:
        cut = limit
        while len(text[:cut].encode()) > limit:
            cut -= 1
        space = text.rfind(" ", 0, cut)
        if space > cut // 2:
            cut = space
        out.append(text[:cut])
        text = text[cut:].lstrip(" ")
    if text or not out:
        out.append(text)
    return out


@dataclass
class _Sent:
    """A labeled message waiting for the server's answer."""

    conversation: str
    text: str
    kind: str
    private: bool
    failure: str = ""  # an error reply seen so far in its labeled response


@dataclass
class _Channel:
    name: str
    topic: str = ""
    # folded nick -> (display nick, prefix symbols)
    members: dict[str, tuple[str, str]] = field(default_factory=dict)
    names_pending: dict[str, tuple[str, str]] | None = None


class Session(HistoryRequests):
    """IRC client state for one connection (see the module docstring)."""

    def __init__(
        self,
        nick: str,
        *,
        username: str = "chinwag",
        realname: str = "chinwag user",
        password: str | None = None,
        want_caps: Iterable[str] = DEFAULT_CAPS,
        nick_in_use: NickInUseMode = "ask",
        rejoin: Iterable[str] = (),
        reconnected: bool = False,
        clock: Callable[[], float] = time.time,
        login: Login | None = None,
        secure: bool = False,
    ) -> None:
        """``login``: log in (or register) while connecting; ``secure``: the connection
        is encrypted or to this machine (PLAIN may be used)."""
        self.requested_nick = nick
        self.login = login
        self.secure = secure
        self.account = ""  # the account we are logged in to
        self.accounts: dict[str, str] = {}  # folded nick -> account, as far as we know
        if login is not None and not login.register:
            want_caps = {*want_caps, "sasl"}
        self.nick = nick
        self.username = username
        self.realname = realname
        self.password = password
        self.want_caps = frozenset(want_caps)
        self.nick_in_use = nick_in_use
        self.rejoin = list(rejoin)
        self.reconnected = reconnected
        self.clock = clock
        self.caps: set[str] = set()
        self.offered_caps: dict[str, str] = {}
        self.isupport: dict[str, str] = {}
        self.casemapping = "rfc1459"
        self.fold: Callable[[str], str] = folder("rfc1459")
        self.prefix_modes = "ov"
        self.prefix_symbols = "@+"
        self.chanmodes = ("b", "k", "l", "imnpst")
        self.chantypes = "#&"
        self.network = ""
        self.server_name = ""
        self.channels: dict[str, _Channel] = {}
        self.away_nicks: set[str] = set()
        self.registered = False  # welcome received
        self.ready = False  # Registered event sent (end of MOTD)
        self.finished = False  # registration gave up; close after sending queued lines
        self.error_reason = ""
        self._phase: Literal["probe", "caps", "login", "welcome", "done"] = "probe"
        self._probe_nick = nick
        self._probe_failed = False
        self._tries = 0
        self._cap_ls: list[str] = []
        self._cap_supported = False
        self._out: list[str] = []
        self._events: list[ev.Event] = []
        self._dirty: set[str] = set()
        self._who_pending: set[str] = set()
        self._batches: dict[str, str] = {}  # open BATCH id -> type
        self._batch_labels: dict[str, str] = {}  # open BATCH id -> label it answers
        self._sent: dict[str, _Sent] = {}  # label -> our message awaiting its answer
        self._labels = 0
        self._label = ""  # the label the message being fed answers, if it is one of ours
        self._history_init()

    # -- output ---------------------------------------------------------------------------

    def _send(self, command: str, *params: str, tags: dict[str, str] | None = None) -> None:
        self._out.append(Message.of(command, *params, tags=tags).to_line())

    def take_lines(self) -> list[str]:
        """Lines queued for the server (without CRLF); the queue is emptied."""
        out, self._out = self._out, []
        return out

    def _emit(self, event: ev.Event) -> None:
        self._events.append(event)

    def start(self) -> list[str]:
        """The opening lines: PASS, NICK, and the CAP LS barrier (USER comes later)."""
        if self.password:
            self._send("PASS", self.password)
        self._send("NICK", self.nick)
        self._send("CAP", "LS", "302")
        return self.take_lines()

    # -- helpers --------------------------------------------------------------------------

    def is_channel(self, name: str) -> bool:
        return bool(name) and name[0] in self.chantypes

    def is_me(self, nick: str | None) -> bool:
        return nick is not None and self.fold(nick) == self.fold(self.nick)

    def joined_channels(self) -> list[str]:
        return [c.name for c in self.channels.values()]

    def members(self, channel: str) -> tuple[ev.Member, ...]:
        ch = self.channels.get(self.fold(channel))
        if ch is None:
            return ()
        return self._snapshot(ch)

    def _snapshot(self, ch: _Channel) -> tuple[ev.Member, ...]:
        return tuple(
            ev.Member(nick, prefixes, key in self.away_nicks, self.accounts.get(key, ""))
            for key, (nick, prefixes) in ch.members.items()
        )

    def _sort_prefixes(self, prefixes: str) -> str:
        return "".join(sorted(set(prefixes), key=self.prefix_symbols.index))

    def _split_prefixes(self, name: str) -> tuple[str, str]:
        i = 0
        while i < len(name) and name[i] in self.prefix_symbols:
            i += 1
        nick = name[i:].split("!", 1)[0]
        return nick, self._sort_prefixes(name[:i])

    def mentions_me(self, text: str) -> bool:
        pattern = r"(?<![\w\-\[\]\\`^{}|])" + re.escape(self.nick) + r"(?![\w\-\[\]\\`^{}|])"
        return re.search(pattern, text, re.IGNORECASE) is not None

    def _time(self, msg: Message) -> float:
        value = msg.tags.get("time")
        if value:
            t = parse_server_time(value)
            if t is not None:
                return t
        return self.clock()

    # -- input ----------------------------------------------------------------------------

    def feed(self, msg: Message) -> list[ev.Event]:
        """Process one message from the server; return the events it caused."""
        self._now = self._time(msg)
        label = msg.tags.get("label") or self._batch_labels.get(msg.tags.get("batch", ""), "")
        self._label = label if label in self._sent else ""
        command = msg.command.upper()
        handler = _HANDLERS.get(command)
        if handler is not None:
            handler(self, msg)
        elif msg.command.isdigit():
            self._on_numeric(msg)
        if command != "BATCH" and "label" in msg.tags:
            self._settle(msg.tags["label"])  # a single-line labeled answer, or ACK
        self._label = ""
        for key in sorted(self._dirty):
            ch = self.channels.get(key)
            if ch is not None:
                self._emit(ev.MembersChanged(ch.name, self._snapshot(ch), time=self._now))
        self._dirty.clear()
        out, self._events = self._events, []
        return out

    def _mark_nick(self, key: str) -> None:
        for ckey, ch in self.channels.items():
            if key in ch.members:
                self._dirty.add(ckey)

    # -- registration ---------------------------------------------------------------------

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
            offered = {c.partition("=")[0] for c in msg.params[-1].split()}
            request = sorted((self.want_caps & offered) - self.caps)
            if request:
                self._send("CAP", "REQ", " ".join(request))
        elif sub == "DEL":
            for cap in msg.params[-1].split():
                self.caps.discard(cap)

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

    def _on_fail(self, msg: Message) -> None:
        if msg.param(0).upper() in ("CHATHISTORY", "SEARCH"):
            self._history_failed(msg)
        else:
            self._on_login(msg)

    def _on_account(self, msg: Message) -> None:
        """account-notify: someone logged in (or out, ``*``)."""
        nkey = self.fold(msg.nick or "")
        account = msg.param(0)
        if account in ("*", ""):
            self.accounts.pop(nkey, None)
        else:
            self.accounts[nkey] = account
        self._mark_nick(nkey)

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

    def _on_filetoken(self, msg: Message) -> None:
        seconds = msg.param(1)
        ttl = int(seconds) if seconds.isascii() and seconds.isdigit() else 0
        self._emit(ev.UploadToken(msg.param(0), ttl, time=self._now))

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

    # -- messages -------------------------------------------------------------------------

    def _on_ping(self, msg: Message) -> None:
        self._send("PONG", *msg.params[:1])

    def _on_error(self, msg: Message) -> None:
        self.error_reason = msg.param(0, "closed by the server")
        if not self.registered:
            text = self.error_reason
            kind = "server-error"
            low = text.lower()
            if "password" in low or "access denied" in low:
                kind = "bad-password"
            self._emit(ev.ConnectFailed(kind, text, nick=self.requested_nick, time=self._now))
            self.finished = True
        else:
            self._emit(
                ev.ServerText(f"Server closed the connection: {text_or(msg)}", time=self._now)
            )

    def _on_privmsg(self, msg: Message) -> None:
        target, text = msg.param(0), msg.param(1)
        sender = msg.nick or ""
        kind = "message" if msg.command.upper() == "PRIVMSG" else "notice"
        if text.startswith("\x01"):
            body = text.strip("\x01")
            verb, _, rest = body.partition(" ")
            verb = verb.upper()
            if verb == "ACTION":
                kind, text = "action", rest
            else:
                if kind == "message" and not self.is_me(sender):
                    if verb == "VERSION":
                        self._send("NOTICE", sender, "\x01VERSION chinwag\x01")
                    elif verb == "PING":
                        self._send("NOTICE", sender, f"\x01PING {rest}\x01")
                return
        bare_target = target.lstrip(self.prefix_symbols)
        from_server = msg.source is None or ("!" not in msg.source and "." in msg.source)
        if from_server or not self.registered:
            self._emit(ev.ServerText(text, notice=self.registered, time=self._now))
            return
        own = self.is_me(sender)
        label = ""
        if own and self._label:  # the echo of a message we labeled
            label = self._label
            del self._sent[label]
        batch = msg.tags.get("batch", "")
        history = self._batches.get(batch, "") in ("chathistory", "soju.im/search")
        if self.is_channel(bare_target):
            conversation, private = bare_target, False
        else:
            conversation, private = (target if own else sender), True
        message = ev.ChatMessage(
            conversation,
            sender,
            text,
            kind=kind,
            own=own,
            private=private,
            mention=not own and self.mentions_me(text),
            history=history,
            label=label,
            msgid=msg.tags.get("msgid", ""),
            time=self._now,
        )
        if not self._history_collects(message, batch):
            self._emit(message)

    # BATCH +<id> <type> [params...]  |  BATCH -<id>
    def _on_batch(self, msg: Message) -> None:
        ref = msg.param(0)
        if ref.startswith("+"):
            self._batches[ref[1:]] = msg.param(1).lower()
            self._history_batch_opened(ref[1:], msg.param(1).lower(), msg.params[2:])
            if self._label:  # a labeled-response batch, or one nested in it
                self._batch_labels[ref[1:]] = self._label
        elif ref.startswith("-"):
            self._batches.pop(ref[1:], None)
            self._history_batch_closed(ref[1:])
            label = self._batch_labels.pop(ref[1:], "")
            if label and label not in self._batch_labels.values():
                self._settle(label)

    def _settle(self, label: str) -> None:
        """The server has answered labeled message ``label`` in full."""
        sent = self._sent.pop(label, None)
        if sent is None:
            return  # already confirmed by its echo, or not ours
        if sent.failure:
            self._emit(ev.SendFailed(sent.conversation, label, sent.failure, time=self._now))
            return
        self._emit(
            ev.ChatMessage(
                sent.conversation, self.nick, sent.text, kind=sent.kind, own=True,
                private=sent.private, label=label, time=self._now,
            )
        )  # fmt: skip

    # ACK: a labeled command that had nothing to answer (settled in feed)
    def _on_ack(self, msg: Message) -> None:
        pass

    def _on_join(self, msg: Message) -> None:
        channel = msg.param(0)
        nick = msg.nick or ""
        key = self.fold(channel)
        account = msg.param(1) if "extended-join" in self.caps else ""
        realname = msg.param(2) if "extended-join" in self.caps else ""
        if self.is_me(nick):
            self.channels[key] = _Channel(channel)
            if "WHOX" in self.isupport:  # with accounts: who is logged in
                self._send("WHO", channel, "%tcnfa,1")
            else:
                self._send("WHO", channel)
            self._who_pending.add(key)
            self._emit(ev.Joined(channel, nick, True, time=self._now))
            self._history_after_join(channel)
            return
        ch = self.channels.get(key)
        if ch is None:
            return
        ch.members[self.fold(nick)] = (nick, "")
        if account and account != "*":
            self.accounts[self.fold(nick)] = account
        self._dirty.add(key)
        self._emit(
            ev.Joined(
                ch.name,
                nick,
                False,
                account=account if account != "*" else "",
                realname=realname,
                time=self._now,
            )
        )

    def _on_part(self, msg: Message) -> None:
        key = self.fold(msg.param(0))
        ch = self.channels.get(key)
        if ch is None:
            return
        nick = msg.nick or ""
        reason = msg.param(1)
        if self.is_me(nick):
            del self.channels[key]
            self._emit(ev.Parted(ch.name, nick, True, reason, time=self._now))
            return
        ch.members.pop(self.fold(nick), None)
        self._dirty.add(key)
        self._emit(ev.Parted(ch.name, nick, False, reason, time=self._now))

    def _on_kick(self, msg: Message) -> None:
        key = self.fold(msg.param(0))
        ch = self.channels.get(key)
        if ch is None:
            return
        nick = msg.param(1)
        is_me = self.is_me(nick)
        if is_me:
            del self.channels[key]
        else:
            ch.members.pop(self.fold(nick), None)
            self._dirty.add(key)
        self._emit(ev.Kicked(ch.name, nick, msg.nick or "", is_me, msg.param(2), time=self._now))

    def _on_quit(self, msg: Message) -> None:
        nick = msg.nick or ""
        nkey = self.fold(nick)
        shared = []
        for key, ch in self.channels.items():
            if ch.members.pop(nkey, None) is not None:
                shared.append(ch.name)
                self._dirty.add(key)
        self.away_nicks.discard(nkey)
        self._emit(ev.Quit(nick, msg.param(0), tuple(shared), time=self._now))

    def _on_nick(self, msg: Message) -> None:
        old, new = msg.nick or "", msg.param(0)
        okey, nkey = self.fold(old), self.fold(new)
        is_me = self.is_me(old)
        if is_me:
            self.nick = new
        shared = []
        for key, ch in self.channels.items():
            entry = ch.members.pop(okey, None)
            if entry is not None:
                ch.members[nkey] = (new, entry[1])
                shared.append(ch.name)
                self._dirty.add(key)
        if okey in self.away_nicks:
            self.away_nicks.discard(okey)
            self.away_nicks.add(nkey)
        self._emit(ev.NickChanged(old, new, is_me, tuple(shared), time=self._now))

    def _on_mode(self, msg: Message) -> None:
        target = msg.param(0)
        if not self.is_channel(target):
            return
        key = self.fold(target)
        ch = self.channels.get(key)
        if ch is None or len(msg.params) < 2:
            return
        args = list(msg.params[2:])
        adding = True
        always_arg = self.chanmodes[0] + self.chanmodes[1]
        for letter in msg.params[1]:
            if letter in "+-":
                adding = letter == "+"
                continue
            if letter in self.prefix_modes:
                if not args:
                    break
                nick = args.pop(0)
                nkey = self.fold(nick)
                if nkey in ch.members:
                    shown, prefixes = ch.members[nkey]
                    symbol = self.prefix_symbols[self.prefix_modes.index(letter)]
                    if adding:
                        prefixes = self._sort_prefixes(prefixes + symbol)
                    else:
                        prefixes = prefixes.replace(symbol, "")
                    ch.members[nkey] = (shown, prefixes)
                    self._dirty.add(key)
            elif (letter in always_arg or (adding and letter in self.chanmodes[2])) and args:
                args.pop(0)
        by = msg.nick or msg.source or ""
        self._emit(
            ev.ServerText(
                f"{by} sets mode {' '.join(msg.params[1:])}", conversation=ch.name, time=self._now
            )
        )

    def _on_topic(self, msg: Message) -> None:
        ch = self.channels.get(self.fold(msg.param(0)))
        if ch is None:
            return
        ch.topic = msg.param(1)
        self._emit(ev.TopicChanged(ch.name, ch.topic, by=msg.nick or "", time=self._now))

    def _on_rpl_topic(self, msg: Message) -> None:
        ch = self.channels.get(self.fold(msg.param(1)))
        if ch is None:
            return
        ch.topic = msg.param(2) if msg.command == n.RPL_TOPIC else ""
        self._emit(ev.TopicChanged(ch.name, ch.topic, initial=True, time=self._now))

    def _on_names(self, msg: Message) -> None:
        ch = self.channels.get(self.fold(msg.param(2)))
        if ch is None:
            return
        if ch.names_pending is None:
            ch.names_pending = {}
        for item in msg.params[-1].split():
            nick, prefixes = self._split_prefixes(item)
            if nick:
                ch.names_pending[self.fold(nick)] = (nick, prefixes)

    def _on_end_of_names(self, msg: Message) -> None:
        key = self.fold(msg.param(1))
        ch = self.channels.get(key)
        if ch is None:
            return
        if ch.names_pending is not None:
            ch.members = ch.names_pending
            ch.names_pending = None
        self._dirty.add(key)

    def _on_whox_reply(self, msg: Message) -> None:
        # <me> 1 <channel> <nick> <flags> <account>  (our WHO %tcnfa,1)
        if msg.param(1) != "1" or len(msg.params) < 6:
            return
        nkey = self.fold(msg.param(3))
        if msg.param(5) not in ("0", ""):
            self.accounts[nkey] = msg.param(5)
        self._who_member(msg.param(2), msg.param(3), msg.param(4))

    def _on_who_reply(self, msg: Message) -> None:
        if len(msg.params) < 7:
            return
        self._who_member(msg.param(1), msg.param(5), msg.param(6))

    def _who_member(self, channel: str, nick: str, flags: str) -> None:
        nkey = self.fold(nick)
        if flags.startswith("G"):
            self.away_nicks.add(nkey)
        elif flags.startswith("H"):
            self.away_nicks.discard(nkey)
        ch = self.channels.get(self.fold(channel))
        if ch is not None and nkey in ch.members:
            prefixes = self._sort_prefixes("".join(c for c in flags if c in self.prefix_symbols))
            ch.members[nkey] = (ch.members[nkey][0], prefixes)

    def _on_end_of_who(self, msg: Message) -> None:
        key = self.fold(msg.param(1))
        if key in self._who_pending:
            self._who_pending.discard(key)
            if key in self.channels:
                self._dirty.add(key)
            return
        self._dirty.update(self.channels)

    def _on_away(self, msg: Message) -> None:
        nick = msg.nick or ""
        nkey = self.fold(nick)
        if msg.params and msg.param(0):
            self.away_nicks.add(nkey)
        else:
            self.away_nicks.discard(nkey)
        self._mark_nick(nkey)

    def _on_rpl_away(self, msg: Message) -> None:
        nick = msg.param(1)
        nkey = self.fold(nick)
        if nkey not in self.away_nicks:
            self.away_nicks.add(nkey)
            self._mark_nick(nkey)
        self._emit(
            ev.ServerText(f"{nick} is away: {msg.param(2)}", conversation=nick, time=self._now)
        )

    def _on_own_away(self, msg: Message) -> None:
        away = msg.command == n.RPL_NOWAWAY
        me = self.fold(self.nick)
        if away:
            self.away_nicks.add(me)
        else:
            self.away_nicks.discard(me)
        self._mark_nick(me)
        self._emit(ev.AwayChanged(away, msg.params[-1] if msg.params else "", time=self._now))

    def _on_numeric(self, msg: Message) -> None:
        code = msg.command
        if code in _QUIET_NUMERICS:
            return
        error = code[0] in "45"
        if error and not self.registered and code in (n.ERR_PASSWDMISMATCH, n.ERR_YOUREBANNEDCREEP):
            kind = "bad-password" if code == n.ERR_PASSWDMISMATCH else "server-error"
            self._fail(kind, msg.params[-1] if msg.params else "refused")
            return
        params = msg.params[1:]
        if error and self._label:  # the answer to a message we sent: it did not go
            self._sent[self._label].failure = params[-1] if params else code
            return
        conversation = ""
        if error and len(params) >= 2 and self.is_channel(params[0]):
            conversation = params[0]
        text = f"{params[0]}: {params[-1]}" if error and len(params) >= 2 else " ".join(params)
        self._emit(ev.ServerText(text, conversation=conversation, error=error, time=self._now))

    # -- user actions (call from the connection's thread) ----------------------------------

    def privmsg(self, target: str, text: str, *, action: bool = False) -> list[ev.Event]:
        """Send a message (or a /me action).

        Returns our own line: pending until the server answers its label
        (labeled-response), at once without echo-message, else nothing (the echo will
        report it).
        """
        out: list[ev.Event] = []
        kind = "action" if action else "message"
        private = not self.is_channel(target)
        for chunk in split_text(text):
            body = f"\x01ACTION {chunk}\x01" if action else chunk
            label = ""
            if "labeled-response" in self.caps:
                self._labels += 1
                label = f"cw{self._labels}"
                self._sent[label] = _Sent(target, chunk, kind, private)
                self._send("PRIVMSG", target, body, tags={"label": label})
            else:
                self._send("PRIVMSG", target, body)
            if label or "echo-message" not in self.caps:
                out.append(
                    ev.ChatMessage(
                        target, self.nick, chunk, kind=kind, own=True, private=private,
                        label=label, pending=bool(label), time=self.clock(),
                    )
                )  # fmt: skip
        return out

    def join(self, channel: str, key: str = "") -> None:
        if key:
            self._send("JOIN", channel, key)
        else:
            self._send("JOIN", channel)

    def part(self, channel: str, reason: str = "") -> None:
        if reason:
            self._send("PART", channel, reason)
        else:
            self._send("PART", channel)

    def change_nick(self, nick: str) -> None:
        self._send("NICK", nick)

    def set_topic(self, channel: str, topic: str) -> None:
        self._send("TOPIC", channel, topic)

    def set_away(self, message: str) -> None:
        if message:
            self._send("AWAY", message)
        else:
            self._send("AWAY")

    def quit(self, message: str) -> None:
        self._send("QUIT", message)

    def raw(self, line: str) -> None:
        self._out.append(line)


def text_or(msg: Message) -> str:
    return msg.param(0) or "no reason given"


_QUIET_NUMERICS = {
    n.RPL_CREATIONTIME,
    n.RPL_TOPICWHOTIME,
    n.RPL_CHANNELMODEIS,
    n.RPL_ENDOFWHO,
    n.RPL_WHOREPLY,
    n.RPL_ISUPPORT,
    n.RPL_ENDOFNAMES,
    n.RPL_NAMREPLY,
    "250",
    n.RPL_LOCALUSERS,
    n.RPL_GLOBALUSERS,
    n.RPL_LUSERUNKNOWN,
    n.RPL_LUSERCHANNELS,
    n.RPL_LUSERME,
    n.RPL_LUSEROP,
    n.RPL_MYINFO,
    n.RPL_UMODEIS,
}

_HANDLERS: dict[str, Callable[[Session, Message], None]] = {
    "PING": Session._on_ping,
    "ERROR": Session._on_error,
    "CAP": Session._on_cap,
    "PRIVMSG": Session._on_privmsg,
    "NOTICE": Session._on_privmsg,
    "JOIN": Session._on_join,
    "PART": Session._on_part,
    "KICK": Session._on_kick,
    "QUIT": Session._on_quit,
    "NICK": Session._on_nick,
    "MODE": Session._on_mode,
    "TOPIC": Session._on_topic,
    "AWAY": Session._on_away,
    "BATCH": Session._on_batch,
    "ACK": Session._on_ack,
    "FILETOKEN": Session._on_filetoken,
    n.RPL_WELCOME: Session._on_welcome,
    n.RPL_ISUPPORT: Session._on_isupport,
    n.RPL_ENDOFMOTD: Session._on_end_of_motd,
    n.ERR_NOMOTD: Session._on_end_of_motd,
    n.ERR_NICKNAMEINUSE: Session._on_nick_error,
    n.ERR_ERRONEUSNICKNAME: Session._on_nick_error,
    n.ERR_NOTREGISTERED: Session._on_not_registered,
    n.ERR_UNKNOWNCOMMAND: Session._on_not_registered,
    n.RPL_TOPIC: Session._on_rpl_topic,
    n.RPL_NOTOPIC: Session._on_rpl_topic,
    n.RPL_NAMREPLY: Session._on_names,
    n.RPL_ENDOFNAMES: Session._on_end_of_names,
    n.RPL_WHOREPLY: Session._on_who_reply,
    n.RPL_WHOSPCRPL: Session._on_whox_reply,
    "ACCOUNT": Session._on_account,
    "AUTHENTICATE": Session._on_login,
    "REGISTER": Session._on_login,
    "FAIL": Session._on_fail,
    "CHATHISTORY": Session._on_chathistory,
    "MARKREAD": Session._on_markread,
    "REDACT": Session._on_redact,
    n.RPL_LOGGEDIN: Session._on_login,
    n.RPL_SASLSUCCESS: Session._on_login,
    n.ERR_SASLFAIL: Session._on_login,
    n.ERR_SASLTOOLONG: Session._on_login,
    n.ERR_SASLABORTED: Session._on_login,
    n.ERR_SASLALREADY: Session._on_login,
    n.RPL_ENDOFWHO: Session._on_end_of_who,
    n.RPL_AWAY: Session._on_rpl_away,
    n.RPL_NOWAWAY: Session._on_own_away,
    n.RPL_UNAWAY: Session._on_own_away,
}
