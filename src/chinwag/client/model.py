"""What the chat window shows, computed from client events without any display.

:class:`ChatModel` turns :mod:`chinwag.client.events` into conversations (the server
view, channels, private chats), each with its lines, unread count, topic and member
list. :meth:`ChatModel.apply` returns an :class:`~chinwag.client.lines.Update` saying
what changed, so a view can redraw just that (the values themselves, and the helpers for
nick colours, time stamps and links, are in :mod:`chinwag.client.lines`). It also
decides member labels, headers and titles, and which messages notify. The connection
state (connecting, login, outages) is in :mod:`chinwag.client.status_model` and the
history in :mod:`chinwag.client.history_model`, both mixed into :class:`ChatModel`.

Private chats live in the main window's sidebar, or, when the person prefers
(``private_windows``), each in a window of its own. The model decides which private
conversations have a window open (:attr:`ChatModel.windows`): double-clicking someone,
``/msg`` or an incoming private message opens one; closing it only closes the window,
and the conversation stays in the sidebar until the next message opens it again.
Messages count as unread unless they land where the person is looking: the main
window's conversation, or the private window that has the keyboard focus.

What this module does not do: touch Tk, or talk to the network.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable

from chinwag.client import events as ev
from chinwag.client.history_model import HistoryModel
from chinwag.client.lines import (
    HISTORY_LOOKBACK,
    Conversation,
    Line,
    MemberRow,
    Notification,
    Update,
)
from chinwag.client.lines import SERVER as SERVER
from chinwag.client.status_model import PLAIN_WARNING as PLAIN_WARNING
from chinwag.client.status_model import Outage, StatusModel
from chinwag.proto.casemap import folder

# Lines kept per conversation; older ones are dropped.
MAX_LINES = 2000
# How close (in seconds) a replayed history line's time must be to count as the same
# line (searched among the last HISTORY_LOOKBACK lines).
HISTORY_TIME_SLACK = 1.0


class ChatModel(StatusModel, HistoryModel):
    """Conversations and their contents, fed by :meth:`apply` (see module docstring)."""

    def __init__(
        self,
        max_lines: int = MAX_LINES,
        *,
        private_windows: bool = False,
        muted: Iterable[str] = (),
    ) -> None:
        self.max_lines = max_lines
        self.private_windows = private_windows  # the person's preference
        self.windows: set[str] = set()  # private conversations shown in their own window
        self.focused_window = ""  # the private window with the keyboard focus, if any
        self.nick = ""
        self.account = ""  # the account we are logged in to
        self.network = ""
        self.casemapping = "rfc1459"
        self.fold: Callable[[str], str] = folder("rfc1459")
        self.muted = {self.fold(name) for name in muted}  # conversations that never notify
        self.chantypes = "#&"
        self.connected = False
        self.status = "Not connected"
        self.encryption: ev.Encryption | None = None  # how the last connection was protected
        self.away = False
        self.conversations: dict[str, Conversation] = {SERVER: Conversation("server", "server")}
        self.current = SERVER
        self.switch_to: str | None = None  # a channel the user asked to join
        self.prefix_order = "~&@%+"
        self.outage: Outage | None = None
        self._outages = 0
        self.search_hits: tuple[ev.ChatMessage, ...] = ()
        self.search_query = ""

    # -- queries -------------------------------------------------------------------------------

    def key(self, name: str) -> str:
        return self.fold(name)

    def is_channel(self, name: str) -> bool:
        return bool(name) and name[0] in self.chantypes

    def conversation(self, key: str | None = None) -> Conversation:
        return self.conversations[self.current if key is None else key]

    def sidebar(self) -> list[tuple[str, str]]:
        """(key, label) for each conversation in sidebar order: server, channels, people."""
        rows: list[tuple[str, str]] = []
        order = {"server": 0, "channel": 1, "private": 2}
        items = sorted(
            self.conversations.items(), key=lambda kv: (order[kv[1].kind], kv[1].name.lower())
        )
        for key, conv in items:
            label = (self.network or "server") if conv.kind == "server" else conv.name
            if conv.kind == "channel" and not conv.joined:
                label += " (left)"
            if key in self.muted:
                label += " (muted)"
            if conv.unread:
                label += f"  ({conv.unread})"
            rows.append((key, label))
        return rows

    def joined_rooms(self) -> list[str]:
        """The channels we are in, by name (what to join again at the next start)."""
        return [c.name for c in self.conversations.values() if c.kind == "channel" and c.joined]

    def member_rows(self, key: str | None = None) -> list[MemberRow]:
        """Members by rank (ops, then voiced, then the rest), then name."""
        conv = self.conversation(key)

        def rank(m: ev.Member) -> tuple[int, str]:
            first = m.prefixes[:1]
            r = self.prefix_order.index(first) if first and first in self.prefix_order else 99
            return (r, m.nick.lower())

        rows = []
        for m in sorted(conv.members, key=rank):
            label = f"{m.prefixes[:1]}{m.nick}"
            if m.account:
                label += " ✓"  # logged in to an account
            if m.away:
                label += "  (away)"
            rows.append(MemberRow(m.nick, label, m.away))
        return rows

    def is_away(self, nick: str) -> bool:
        """Whether ``nick`` is marked away, as far as the rooms we share with them tell."""
        folded = self.fold(nick)
        return any(
            m.away and self.fold(m.nick) == folded
            for conv in self.conversations.values()
            for m in conv.members
        )

    def header(self, key: str | None = None) -> tuple[str, str]:
        """What heads a conversation: (its name, or whom you talk to; a room's topic)."""
        conv = self.conversation(key)
        if conv.kind == "channel":
            return conv.name, conv.topic or "No topic set."
        if conv.kind == "private":
            away = " (away)" if self.is_away(conv.name) else ""
            return f"Private chat with {conv.name}{away}", ""
        return f"{self.network or 'Server'} messages", ""

    def window_title(self, key: str) -> str:
        """The title of a private conversation's own window."""
        conv = self.conversations[key]
        head = f"({conv.unread}) " if conv.unread else ""
        who = f"{self.nick} — " if self.nick else ""
        return f"{head}{who}{conv.name} (private) — chinwag"

    def title(self) -> str:
        if not self.nick:  # not in (yet): the connect dialog
            return "chinwag"
        unread = sum(c.unread for c in self.conversations.values())
        conv = self.conversation()
        where = conv.name if conv.kind != "server" else (self.network or "server")
        head = f"({unread}) " if unread else ""
        who = f"{self.nick} — " if self.nick else ""
        return f"{head}{who}{where} — chinwag"

    # -- user-side changes ---------------------------------------------------------------------

    def select(self, key: str) -> Update:
        """Show ``key``: in the main window, or (private, with windows preferred) its own."""
        if key not in self.conversations:
            return Update()
        conv = self.conversations[key]
        conv.unread = 0
        conv.mentions = 0
        if self.private_windows and conv.kind == "private":
            self.windows.add(key)
            return Update(sidebar=True, focus_window=key)
        if key != self.current:
            self.leave(self.current)
        self.current = key
        return Update(sidebar=True, current=True)

    def is_muted(self, name: str) -> bool:
        return self.key(name) in self.muted

    def set_muted(self, key: str, on: bool) -> Update:
        """Mute (or unmute) conversation ``key``: it still counts unread, it never notifies."""
        if on:
            self.muted.add(key)
        else:
            self.muted.discard(key)
        return Update(sidebar=True)

    def open_private(self, nick: str) -> Update:
        key = self._ensure(nick, "private")
        update = self.select(key)
        update.sidebar = True
        return update

    def close_window(self, key: str) -> Update:
        """The person closed a private window; the conversation stays."""
        self.windows.discard(key)
        if self.focused_window == key:
            self.focused_window = ""
        return Update()

    def window_focus(self, key: str) -> Update:
        """Private window ``key`` got the keyboard focus ("": none has it); it is read."""
        self.focused_window = key
        conv = self.conversations.get(key) if key in self.windows else None
        if conv is None or not (conv.unread or conv.mentions):
            return Update()
        conv.unread = conv.mentions = 0
        return Update(sidebar=True)

    def set_private_windows(self, on: bool) -> Update:
        """Change the preference; turning it off closes the windows (not the chats)."""
        self.private_windows = on
        if not on:
            self.windows.clear()
        return Update()

    def close(self, key: str) -> Update:
        if key == SERVER or key not in self.conversations:
            return Update()
        del self.conversations[key]
        self.windows.discard(key)
        update = Update(sidebar=True)
        if self.current == key:
            update.merge(self.select(SERVER))
        return update

    def clear(self, key: str | None = None) -> Update:
        key = self.current if key is None else key
        conv = self.conversations[key]
        conv.cleared_at = max([conv.cleared_at, *(line.time for line in conv.lines)])
        conv.lines.clear()
        return Update(current=key == self.current, redraw={key})

    def add_info(self, text: str, key: str | None = None, kind: str = "info") -> Update:
        key = self.current if key is None else key
        return self._add(key, Line(time.time(), kind, text))

    # -- events --------------------------------------------------------------------------------

    def _ensure(self, name: str, kind: str) -> str:
        key = self.key(name)
        conv = self.conversations.get(key)
        if conv is None:
            self.conversations[key] = Conversation(name, kind)
        elif kind == "channel":
            conv.joined = True
        return key

    def _add(self, key: str, line: Line, update: Update | None = None) -> Update:
        update = update or Update()
        conv = self.conversations[key]
        conv.lines.append(line)
        if len(conv.lines) > self.max_lines:
            del conv.lines[: len(conv.lines) - self.max_lines]
        update.lines.setdefault(key, []).append(line)
        return update

    def _restate(
        self,
        key: str,
        label: str,
        update: Update,
        *,
        state: str,
        note: str = "",
        confirmed: ev.ChatMessage | None = None,
    ) -> bool:
        """Settle our pending line ``label`` in ``key``; False if it is no longer there.

        ``confirmed`` is the server's version of the line (its time and text win).
        """
        conv = self.conversations.get(key)
        if conv is None:
            return False
        for i in range(len(conv.lines) - 1, -1, -1):
            old = conv.lines[i]
            if old.label == label:
                line = dataclasses.replace(old, state=state, note=note)
                if confirmed is not None:
                    line = dataclasses.replace(
                        line, time=confirmed.time, text=confirmed.text, msgid=confirmed.msgid
                    )
                conv.lines[i] = line
                update.restate.setdefault(key, []).append(line)
                return True
        return False

    def _event_line(self, key: str, t: float, text: str, update: Update) -> None:
        if key in self.conversations:
            self._add(key, Line(t, "event", text), update)

    def apply(self, event: ev.Event) -> Update:
        handler = getattr(self, "_on_" + type(event).__name__, None)
        if handler is None:
            return Update()
        update: Update = handler(event)
        return update

    def _on_Joined(self, e: ev.Joined) -> Update:
        update = Update()
        if e.is_me:
            key = self._ensure(e.channel, "channel")
            update.sidebar = True
            self._event_line(key, e.time, f"You joined {e.channel}", update)
            if self.switch_to == key or self.current == SERVER:
                self.switch_to = None
                update.merge(self.select(key))
            return update
        self._event_line(self.key(e.channel), e.time, f"→ {e.nick} joined", update)
        return update

    def _on_Parted(self, e: ev.Parted) -> Update:
        key = self.key(e.channel)
        update = Update()
        if e.is_me:
            if key in self.conversations:
                update.merge(self.close(key))
            return update
        reason = f" ({e.reason})" if e.reason else ""
        self._event_line(key, e.time, f"← {e.nick} left{reason}", update)
        return update

    def _on_Kicked(self, e: ev.Kicked) -> Update:
        key = self.key(e.channel)
        update = Update()
        who = "You were" if e.is_me else f"{e.nick} was"
        reason = f" ({e.reason})" if e.reason else ""
        self._event_line(key, e.time, f"{who} removed by {e.by}{reason}", update)
        if e.is_me and key in self.conversations:
            self.conversations[key].joined = False
            self.conversations[key].members = ()
            update.sidebar = True
            update.members.add(key)
        return update

    def _on_Quit(self, e: ev.Quit) -> Update:
        update = Update()
        reason = f" ({e.reason})" if e.reason else ""
        keys = [self.key(c) for c in e.channels]
        if self.key(e.nick) in self.conversations:
            keys.append(self.key(e.nick))
        for key in keys:
            self._event_line(key, e.time, f"← {e.nick} quit{reason}", update)
        return update

    def _on_NickChanged(self, e: ev.NickChanged) -> Update:
        update = Update()
        if e.is_me:
            self.nick = e.new
            update.status = True
            self.status = f"Connected to {self.network} as {e.new}"
        text = f"You are now known as {e.new}" if e.is_me else f"{e.old} is now {e.new}"
        for channel in e.channels:
            self._event_line(self.key(channel), e.time, text, update)
        old_key, new_key = self.key(e.old), self.key(e.new)
        conv = self.conversations.get(old_key)
        if conv is not None and conv.kind == "private" and new_key not in self.conversations:
            del self.conversations[old_key]
            conv.name = e.new
            self.conversations[new_key] = conv
            if self.current == old_key:
                self.current = new_key
            if old_key in self.windows:
                self.windows.discard(old_key)
                self.windows.add(new_key)
            if self.focused_window == old_key:
                self.focused_window = new_key
            update.sidebar = True
            update.topic.add(new_key)
            self._event_line(new_key, e.time, text, update)
        return update

    def _on_MembersChanged(self, e: ev.MembersChanged) -> Update:
        key = self.key(e.channel)
        conv = self.conversations.get(key)
        if conv is None:
            return Update()
        conv.members = e.members
        update = Update(members={key})
        # Someone in this room may be someone we talk to privately: their away state.
        nicks = {self.fold(m.nick) for m in e.members}
        update.topic |= {k for k, c in self.conversations.items()
                         if c.kind == "private" and k in nicks}  # fmt: skip
        return update

    def _on_TopicChanged(self, e: ev.TopicChanged) -> Update:
        key = self.key(e.channel)
        conv = self.conversations.get(key)
        if conv is None:
            return Update()
        conv.topic = e.topic
        update = Update(topic={key})
        if not e.initial:
            text = f"{e.by} set the topic: {e.topic}" if e.topic else f"{e.by} cleared the topic"
            self._event_line(key, e.time, text, update)
        return update

    def _on_ChatMessage(self, e: ev.ChatMessage) -> Update:
        update = Update()
        if e.private and e.kind == "notice" and self.key(e.conversation) not in self.conversations:
            key = self.current
        elif e.private:
            key = self._ensure(e.conversation, "private")
            incoming = not e.own and not e.history and e.kind != "notice"
            if self.private_windows and incoming and key != self.current:
                self.windows.add(key)  # opens the window again if it was closed
        else:
            key = self.key(e.conversation)
            if key not in self.conversations:
                key = self._ensure(e.conversation, "channel")
        update.sidebar = True
        state = "pending" if e.pending else ""
        confirming = e.label and not e.pending  # the server's answer to our pending line
        if confirming and self._restate(key, e.label, update, state="", confirmed=e):
            return update
        line = Line(e.time, e.kind, e.text, nick=e.sender, own=e.own, mention=e.mention,
                    label=e.label, state=state, msgid=e.msgid)  # fmt: skip
        conv = self.conversations[key]
        if e.history and (e.time <= conv.cleared_at or _already_shown(conv, line)):
            return update  # cleared away, or replayed again after a reconnect
        self._add(key, line, update)
        if e.history and self.unread_after_marker(key, e):
            conv.unread += 1
            update.sidebar = True
        if not e.own and not e.history:
            if key != self.current and key != self.focused_window:
                conv.unread += 1
                if e.mention or e.private:
                    conv.mentions += 1
            if (e.mention or (e.private and e.kind != "notice")) and key not in self.muted:
                title = e.sender if e.private else f"{e.sender} in {conv.name}"
                body = f"* {e.sender} {e.text}" if e.kind == "action" else e.text
                update.notify = Notification(key, title, body)
        return update

    def _on_SendFailed(self, e: ev.SendFailed) -> Update:
        update = Update()
        key = self.key(e.conversation)
        if not self._restate(key, e.label, update, state="failed", note=e.reason):
            self._add(self.current, Line(e.time, "error", f"Not sent: {e.reason}"), update)
        return update

    def _on_AwayChanged(self, e: ev.AwayChanged) -> Update:
        self.away = e.away
        text = "You are marked as away." if e.away else "You are back."
        return self._add(self.current, Line(e.time, "info", text), Update(status=True))

    def _on_ServerText(self, e: ev.ServerText) -> Update:
        if e.notice:  # for everyone: in the server view and where the person is looking
            line = Line(e.time, "announce", e.text, nick=self.network or "server")
            update = self._add(SERVER, line)
            if self.current != SERVER:
                self._add(self.current, line, update)
            if SERVER not in self.muted:
                update.notify = Notification(SERVER, f"Notice from {line.nick}", e.text)
            return update
        key = self.key(e.conversation) if e.conversation else SERVER
        if key not in self.conversations:
            key = SERVER
        if e.error and key == SERVER:
            key = self.current
        return self._add(key, Line(e.time, "error" if e.error else "info", e.text))


def _already_shown(conv: Conversation, line: Line) -> bool:
    if line.msgid and any(old.msgid == line.msgid for old in conv.lines):
        return True
    for old in conv.lines[-HISTORY_LOOKBACK:]:
        if (
            old.text == line.text
            and old.nick == line.nick
            and old.kind == line.kind
            and abs(old.time - line.time) <= HISTORY_TIME_SLACK
        ):
            return True
    return False
