"""The client side of one IRC connection, without I/O: lines in, events and lines out.

Theory of operation. :class:`Session` is fed parsed :class:`Message` objects with
:meth:`Session.feed`, which returns :mod:`chinwag.client.events` values and queues lines
to send (collect them with :meth:`Session.take_lines`). User actions (``privmsg``,
``join``, ...) queue lines too. One session lives for one TCP connection; a reconnect
makes a new session that rejoins the old one's channels.

Registration (the nickname check, capability negotiation, logging in) lives in
:mod:`chinwag.client.registration`, channel membership in :mod:`chinwag.client.members`
and history requests in :mod:`chinwag.client.history`; each is a mixin of
:class:`Session`, which owns the state, the output queue and the handler table.

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
from dataclasses import dataclass
from datetime import datetime

from chinwag.client import events as ev
from chinwag.client.history import HISTORY_CAPS, HistoryRequests
from chinwag.client.login import Login
from chinwag.client.members import Channel, Membership
from chinwag.client.registration import NickInUseMode as NickInUseMode
from chinwag.client.registration import Registration
from chinwag.client.registration import next_nick_variant as next_nick_variant
from chinwag.proto import numerics as n
from chinwag.proto.casemap import folder
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


# Seconds a labeled message may wait for the server's answer before it shows as failed.
CONFIRM_TIMEOUT = 30.0


@dataclass
class _Sent:
    """A labeled message waiting for the server's answer."""

    conversation: str
    text: str
    kind: str
    private: bool
    at: float = 0.0  # when it was sent (the session's clock)
    failure: str = ""  # an error reply seen so far in its labeled response
    overdue: bool = False  # reported failed for want of an answer; a late one still counts


class Session(Registration, Membership, HistoryRequests):
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
        confirm_timeout: float = CONFIRM_TIMEOUT,
        login: Login | None = None,
        secure: bool = False,
        tls: bool = False,
    ) -> None:
        """``login``: log in (or register) while connecting; ``secure``: the connection
        is encrypted or to this machine (PLAIN may be used); ``tls``: it is encrypted
        (what an ``sts`` policy asks for, :mod:`chinwag.client.sts`)."""
        self.requested_nick = nick
        self.login = login
        self.secure = secure
        self.tls = tls
        self.sts_upgrade: int | None = None  # plain text, and the server wants TLS here
        self.sts_policy: int | None = None  # over TLS: keep the policy this many seconds
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
        self.confirm_timeout = confirm_timeout
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
        self.channels: dict[str, Channel] = {}
        self.away_nicks: set[str] = set()
        self.registered = False  # welcome received
        self.ready = False  # Registered event sent (end of MOTD)
        self.finished = False  # registration gave up; close after sending queued lines
        self.error_reason = ""
        self._out: list[str] = []
        self._events: list[ev.Event] = []
        self._dirty: set[str] = set()
        self._who_pending: set[str] = set()
        self._batches: dict[str, str] = {}  # open BATCH id -> type
        self._batch_labels: dict[str, str] = {}  # open BATCH id -> label it answers
        self._sent: dict[str, _Sent] = {}  # label -> our message awaiting its answer
        self._labels = 0
        self._label = ""  # the label the message being fed answers, if it is one of ours
        self._registration_init(nick)
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

    # -- helpers --------------------------------------------------------------------------

    def is_channel(self, name: str) -> bool:
        return bool(name) and name[0] in self.chantypes

    def is_me(self, nick: str | None) -> bool:
        return nick is not None and self.fold(nick) == self.fold(self.nick)

    def joined_channels(self) -> list[str]:
        return [c.name for c in self.channels.values()]

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

    def _on_fail(self, msg: Message) -> None:
        if msg.param(0).upper() in ("CHATHISTORY", "SEARCH"):
            self._history_failed(msg)
        else:
            self._on_login(msg)

    def _on_filetoken(self, msg: Message) -> None:
        seconds = msg.param(1)
        ttl = int(seconds) if seconds.isascii() and seconds.isdigit() else 0
        self._emit(ev.UploadToken(msg.param(0), ttl, time=self._now))

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
        batch = msg.tags.get("batch", "")
        history = self._batches.get(batch, "") in ("chathistory", "soju.im/search")
        if own and self._label:  # the echo of a message we labeled
            label = self._label
            del self._sent[label]
        elif own and not history and self.is_me(target) and self._awaiting_echo(target, text):
            return  # a note to ourselves: its labeled echo (next) is the one line shown
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

    def confirm_due(self) -> float | None:
        """Seconds until a sent line waits too long for its answer, if any waits."""
        waiting = [s.at for s in self._sent.values() if not s.overdue]
        return max(0.0, min(waiting) + self.confirm_timeout - self.clock()) if waiting else None

    def expire_unconfirmed(self) -> list[ev.Event]:
        """Lines the server has not answered in ``confirm_timeout`` seconds: reported
        failed (not left "sending…" for ever); an answer that still comes confirms them."""
        now = self.clock()
        for label, sent in self._sent.items():
            if not sent.overdue and now - sent.at >= self.confirm_timeout:
                sent.overdue = True
                why = f"the server has not confirmed it after {self.confirm_timeout:g} s"
                self._emit(ev.SendFailed(sent.conversation, label, why, time=now))
        out, self._events = self._events, []
        return out

    def _awaiting_echo(self, conversation: str, text: str) -> bool:
        """Whether a labeled ``text`` to ``conversation`` still waits for its echo."""
        if "echo-message" not in self.caps:
            return False
        key = self.fold(conversation)
        return any(self.fold(s.conversation) == key and s.text == text for s in self._sent.values())

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
                self._sent[label] = _Sent(target, chunk, kind, private, at=self.clock())
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
