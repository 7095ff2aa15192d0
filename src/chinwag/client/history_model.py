"""The history half of the chat model: older pages, a message in its context, search
hits, deleted messages and read markers.

Mixed into :class:`chinwag.client.model.ChatModel`. A read marker says how far the
person has read a conversation (on any of their clients, after a restart too): history
lines after it count as unread, and the view draws a "new messages" line there.

What this module does not do: touch Tk, or talk to the network.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from chinwag.client import events as ev
from chinwag.client.lines import Conversation, Line, Update

MS = 0.000999  # a time tag stands for its whole millisecond


def line_of(e: ev.ChatMessage) -> Line:
    return Line(e.time, e.kind, e.text, nick=e.sender, own=e.own, msgid=e.msgid)


class HistoryModel:
    conversations: dict[str, Conversation]
    current: str
    focused_window: str
    search_hits: tuple[ev.ChatMessage, ...]
    search_query: str
    key: Callable[[str], str]
    _ensure: Callable[[str, str], str]

    # -- queries ------------------------------------------------------------------------

    def oldest(self, key: str) -> tuple[str, float] | None:
        """The msgid (or time) to page back from in ``key``; None when there is nothing
        more to ask for, or a page is on its way."""
        conv = self.conversations.get(key)
        if conv is None or conv.complete or conv.loading or conv.kind == "server":
            return None
        for line in conv.lines:
            if line.msgid:
                return line.msgid, line.time
        return ("", conv.lines[0].time) if conv.lines else None

    def last_read_candidate(self, key: str) -> float | None:
        """The time of the newest message shown in ``key``: what to mark read."""
        conv = self.conversations.get(key)
        if conv is None:
            return None
        for line in reversed(conv.lines):
            if line.msgid:
                if conv.read_at is not None and line.time <= conv.read_at + MS:
                    return None
                return line.time
        return None

    def new_from(self, key: str) -> int:
        """The index of the first line after the read marker (-1: none)."""
        conv = self.conversations.get(key)
        if conv is None or conv.new_line_at is None:
            return -1
        for i, line in enumerate(conv.lines):
            if line.msgid and not line.own and line.time > conv.new_line_at + MS:
                return i
        return -1

    def leave(self, key: str) -> None:
        """The person moved away from ``key``: next time, "new messages" starts from
        where they had read up to."""
        conv = self.conversations.get(key)
        if conv is not None and conv.read_at is not None:
            conv.new_line_at = conv.read_at

    def unread_after_marker(self, key: str, e: ev.ChatMessage) -> bool:
        """Does a history message count as unread (it is newer than the read marker)?"""
        conv = self.conversations[key]
        if e.own or conv.read_at is None or key in (self.current, self.focused_window):
            return False
        return e.time > conv.read_at + MS

    def asked_older(self, key: str) -> None:
        conv = self.conversations.get(key)
        if conv is not None:
            conv.loading = True

    # -- events -------------------------------------------------------------------------

    def _history_key(self, name: str, private: bool) -> str:
        key = self.key(name)
        if key not in self.conversations:
            key = self._ensure(name, "private" if private else "channel")
        return key

    def _on_HistoryPage(self, e: ev.HistoryPage) -> Update:
        private = bool(e.messages) and e.messages[0].private
        key = self._history_key(e.conversation, private or e.conversation[:1] not in "#&")
        conv = self.conversations[key]
        update = Update(redraw={key}, sidebar=True)
        if e.older:
            conv.loading = False
            shown = {line.msgid for line in conv.lines if line.msgid}
            older = [line_of(m) for m in e.messages if m.msgid not in shown]
            if not older:
                conv.complete = True
            conv.lines[:0] = older
            return update
        conv.lines = [line_of(m) for m in e.messages]
        conv.complete = False
        self.current = key
        update.current = True
        update.jump = e.anchor
        return update

    def _on_SearchResults(self, e: ev.SearchResults) -> Update:
        self.search_query = e.query
        self.search_hits = e.hits
        return Update(search=True)

    def _on_MessageDeleted(self, e: ev.MessageDeleted) -> Update:
        key = self.key(e.conversation)
        conv = self.conversations.get(key)
        update = Update()
        if conv is None:
            return update
        for i, line in enumerate(conv.lines):
            if line.msgid == e.msgid:
                conv.lines[i] = dataclasses.replace(line, text="", deleted=True)
                update.redraw.add(key)
        self.search_hits = tuple(h for h in self.search_hits if h.msgid != e.msgid)
        return update

    def _on_ReadMarker(self, e: ev.ReadMarker) -> Update:
        key = self.key(e.conversation)
        conv = self.conversations.get(key)
        if conv is None:
            if e.at is None:
                return Update()
            key = self._ensure(
                e.conversation, "channel" if e.conversation[:1] in "#&" else "private"
            )
            conv = self.conversations[key]
        if e.at is None or (conv.read_at is not None and e.at <= conv.read_at):
            return Update()
        conv.read_at = e.at
        if conv.new_line_at is None and not e.ours:  # the marker as we found it
            conv.new_line_at = e.at
        if key not in (self.current, self.focused_window):
            conv.unread = sum(
                1 for line in conv.lines if line.msgid and not line.own and line.time > e.at + MS
            )
            conv.mentions = min(conv.mentions, conv.unread)
        return Update(sidebar=True, redraw={key})
