"""History the client asks the server for: older pages, search, read markers, deleting.

:class:`HistoryRequests` is mixed into :class:`chinwag.client.session.Session`. It
speaks IRCv3 ``draft/chathistory`` (LATEST on join and for the private conversations
TARGETS finds after connecting, BEFORE when scrolling back, AROUND to show a message in
context), ``soju.im/search`` (SEARCH), ``draft/read-marker`` (MARKREAD) and
``draft/message-redaction`` (REDACT).

Answers are matched to requests by order: a server answers commands in the order it
gets them, and each answer is a batch naming its type (and, for chathistory, its
target). A chathistory batch nobody asked for (the join replay of a server, or LATEST)
flows as ordinary history messages; one we asked for is collected and reported whole,
as :class:`~chinwag.client.events.HistoryPage` or
:class:`~chinwag.client.events.SearchResults`.

What this module does not do: sockets, or deciding how anything is shown.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chinwag.client import events as ev
from chinwag.proto.message import Message

HISTORY_CAPS = frozenset(
    {
        "message-tags",
        "draft/chathistory",
        "soju.im/search",
        "draft/read-marker",
        "draft/message-redaction",
    }
)
PAGE = 50  # messages per history request
TARGETS_DAYS = 30  # how far back TARGETS looks for private conversations after connecting


def stamp(t: float) -> str:
    """A server-time timestamp for ``t``."""
    ms = int(t * 1000 + 1e-3)
    whole = datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{whole}.{ms % 1000:03d}Z"


@dataclass
class _Request:
    kind: str  # "older", "around" or "search"
    target: str
    anchor: str = ""
    got: list[ev.ChatMessage] = field(default_factory=list)


class HistoryRequests:
    """The history half of a session (see the module docstring)."""

    caps: set[str]
    fold: Callable[[str], str]
    _now: float
    _send: Callable[..., None]
    _emit: Callable[[ev.Event], None]
    is_channel: Callable[[str], bool]
    is_me: Callable[[str | None], bool]

    def _history_init(self) -> None:
        self._asked: list[_Request] = []  # requests not yet answered, in order
        self._collecting: dict[str, _Request] = {}  # batch id -> the request it answers
        self._marking: set[str] = set()  # targets whose MARKREAD we sent, awaiting the answer

    @property
    def has_history(self) -> bool:
        return "draft/chathistory" in self.caps

    # -- asking ---------------------------------------------------------------------------

    def load_older(self, target: str, before_msgid: str = "", before: float = 0.0) -> bool:
        """Ask for the page before a message (or a time); False without chathistory."""
        if not self.has_history:
            return False
        selector = f"msgid={before_msgid}" if before_msgid else f"timestamp={stamp(before)}"
        self._asked.append(_Request("older", target))
        self._send("CHATHISTORY", "BEFORE", target, selector, str(PAGE))
        return True

    def load_around(self, target: str, msgid: str) -> bool:
        """Ask for ``msgid`` in its context (a search hit to jump to)."""
        if not self.has_history:
            return False
        self._asked.append(_Request("around", target, anchor=msgid))
        self._send("CHATHISTORY", "AROUND", target, f"msgid={msgid}", str(PAGE))
        return True

    def search(self, text: str, target: str = "") -> bool:
        """Search the server's history (soju.im/search); False when it cannot."""
        if "soju.im/search" not in self.caps or not text.strip():
            return False
        attrs = "text=" + _escape(text.strip())
        if target:
            attrs += ";in=" + _escape(target)
        self._asked.append(_Request("search", text.strip()))
        self._send("SEARCH", attrs)
        return True

    def mark_read(self, target: str, at: float) -> None:
        if "draft/read-marker" in self.caps and target:
            self._marking.add(self.fold(target))
            self._send("MARKREAD", target, "timestamp=" + stamp(at))

    def redact(self, target: str, msgid: str) -> bool:
        if "draft/message-redaction" not in self.caps or not msgid:
            return False
        self._send("REDACT", target, msgid)
        return True

    def _history_after_join(self, channel: str) -> None:
        if self.has_history:
            self._send("CHATHISTORY", "LATEST", channel, "*", str(PAGE))

    def _history_after_connect(self) -> None:
        """Find private conversations with something new (TARGETS), their markers and
        their latest messages: unread counts survive a restart."""
        if not self.has_history:
            return
        now = time.time()
        since = "timestamp=" + stamp(now - TARGETS_DAYS * 86400)
        self._send("CHATHISTORY", "TARGETS", "timestamp=" + stamp(now + 60), since, str(PAGE))

    # -- answers --------------------------------------------------------------------------

    def _history_batch_opened(self, ident: str, kind: str, params: tuple[str, ...]) -> None:
        if kind not in ("chathistory", "soju.im/search") or not self._asked:
            return
        want = "search" if kind == "soju.im/search" else ""
        first = self._asked[0]
        if want == "search" and first.kind != "search":
            return
        if not want and (
            first.kind == "search" or not params or self.fold(params[0]) != self.fold(first.target)
        ):
            return
        self._collecting[ident] = self._asked.pop(0)

    def _history_collects(self, message: ev.ChatMessage, batch: str) -> bool:
        """Keep ``message`` for the answer it belongs to; False if it is not in one."""
        request = self._collecting.get(batch)
        if request is None:
            return False
        request.got.append(message)
        return True

    def _history_batch_closed(self, ident: str) -> None:
        request = self._collecting.pop(ident, None)
        if request is None:
            return
        got = tuple(sorted(request.got, key=lambda m: m.time))
        if request.kind == "search":
            self._emit(ev.SearchResults(request.target, got, time=self._now))
        else:
            self._emit(
                ev.HistoryPage(
                    request.target, got, older=request.kind == "older",
                    anchor=request.anchor, time=self._now,
                )
            )  # fmt: skip

    def _on_chathistory(self, msg: Message) -> None:
        # CHATHISTORY TARGETS <name> <timestamp>: a conversation with news
        if msg.param(0).upper() != "TARGETS":
            return
        name = msg.param(1)
        if name and not self.is_channel(name):
            self._send("MARKREAD", name)
            self._send("CHATHISTORY", "LATEST", name, "*", str(PAGE))

    def _on_markread(self, msg: Message) -> None:
        value = msg.param(1)
        at = _parse_stamp(value[len("timestamp=") :]) if value.startswith("timestamp=") else None
        key = self.fold(msg.param(0))
        ours = key in self._marking
        self._marking.discard(key)
        self._emit(ev.ReadMarker(msg.param(0), at, ours=ours, time=self._now))

    def _on_redact(self, msg: Message) -> None:
        target, msgid = msg.param(0), msg.param(1)
        nick = msg.nick or ""
        conversation = target if self.is_channel(target) or not self.is_me(target) else nick
        self._emit(ev.MessageDeleted(conversation, msgid, by=nick, time=self._now))

    def _history_failed(self, msg: Message) -> None:
        """FAIL CHATHISTORY/SEARCH: that request will get no batch."""
        command = msg.param(0).upper()
        for i, request in enumerate(self._asked):
            if (request.kind == "search") == (command == "SEARCH"):
                del self._asked[i]
                return


def _escape(value: str) -> str:
    """Tag-style escaping for SEARCH attributes."""
    return (
        value.replace("\\", "\\\\").replace(";", "\\:").replace(" ", "\\s")
        .replace("\r", "\\r").replace("\n", "\\n")
    )  # fmt: skip


def _parse_stamp(value: str) -> float | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
