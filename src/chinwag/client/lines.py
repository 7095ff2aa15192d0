"""The values a chat window shows: lines, conversations, member rows, what changed.

:class:`Line` is one line of a conversation, :class:`Conversation` one room, private
chat or the server view, :class:`Update` what one event changed (so a view redraws just
that), :class:`Notification` something to tell the person about. Helpers here decide
nick colours, time stamps and where the links are in a line.

What this module does not do: turn events into these (:mod:`chinwag.client.model`
does), or touch Tk.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from chinwag.client import events as ev

SERVER = ""  # the key of the server conversation
# How many recent lines are searched for a replayed history line (or a line to settle).
HISTORY_LOOKBACK = 200

# Nick colours chosen to be readable on the light and on the dark background.
LIGHT_NICK_COLOURS = (
    "#b3261e", "#1f6f43", "#1d4ed8", "#9a3412", "#7e22ce", "#0f766e",
    "#a21caf", "#4d7c0f", "#b45309", "#be123c", "#0369a1", "#854d0e",
)  # fmt: skip
DARK_NICK_COLOURS = (
    "#ff8a80", "#69f0ae", "#82b1ff", "#ffab40", "#ea80fc", "#64ffda",
    "#ff80ab", "#b2ff59", "#ffd740", "#ff9e80", "#80d8ff", "#e6c07b",
)  # fmt: skip

_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)


def nick_colour(nick: str, dark: bool = False) -> str:
    """A stable colour for ``nick`` (the same in every conversation and every run)."""
    palette = DARK_NICK_COLOURS if dark else LIGHT_NICK_COLOURS
    # A position-weighted sum of code points: cheap, stable, and it spreads the short,
    # similar names people pick better than a CRC does.
    weight = sum((i + 1) * ord(c) for i, c in enumerate(nick.lower()))
    return palette[weight % len(palette)]


def format_time(t: float) -> str:
    return time.strftime("%H:%M", time.localtime(t))


def format_day(t: float) -> str:
    """The day a line belongs to, for the separators between days: Monday 30 November 2026."""
    return time.strftime("%A %d %B %Y", time.localtime(t))


def split_links(text: str) -> list[tuple[str, str | None]]:
    """Split text into (piece, url-or-None); trailing punctuation stays out of links."""
    out: list[tuple[str, str | None]] = []
    pos = 0
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(".,;:!?)]}'\"")
        if not url:
            continue
        start, end = m.start(), m.start() + len(url)
        if start > pos:
            out.append((text[pos:start], None))
        out.append((url, url if "://" in url else "http://" + url))
        pos = end
    if pos < len(text):
        out.append((text[pos:], None))
    return out


# The state of a line that is rewritten in place (see Line).
LIVE = "live"


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a conversation.

    ``kind``: "message", "action", "notice" (someone said something), "event" (join,
    part, nick, topic: shown quietly), "info" (from the client or server), "error",
    "announce" (a notice from the server or an operator to everyone: stands out).
    ``state`` of our own labeled lines: "pending" (sent, the server has not answered),
    "failed" (``note`` says why), or "" (delivered, or nothing to track). A "live" line
    (the one line an outage gets) is rewritten in place, found by its ``label``, as the
    reconnect attempts go on.
    """

    time: float
    kind: str
    text: str
    nick: str = ""
    own: bool = False
    mention: bool = False
    label: str = ""
    state: str = ""
    note: str = ""
    msgid: str = ""  # the server's id (to page back, jump to, delete)
    deleted: bool = False


@dataclass
class Conversation:
    name: str
    kind: str  # "server", "channel" or "private"
    lines: list[Line] = field(default_factory=list)
    unread: int = 0
    mentions: int = 0
    topic: str = ""
    members: tuple[ev.Member, ...] = ()
    joined: bool = True
    cleared_at: float = 0.0  # the time of the last line cleared away: replays stop there
    read_at: float | None = None  # the read marker: lines after it are new
    new_line_at: float | None = None  # where "new messages" is drawn: the marker as it was
    # when the conversation was last opened (reading it does not move the line away)
    complete: bool = False  # the server has nothing older (scrolling back stops)
    loading: bool = False  # an older page has been asked for


@dataclass(frozen=True, slots=True)
class MemberRow:
    nick: str
    label: str
    away: bool


@dataclass(frozen=True, slots=True)
class Notification:
    """Something to tell the person about when they are not looking at the window: a
    private message, a mention, a notice to everyone. ``key`` is its conversation."""

    key: str
    title: str
    body: str


@dataclass
class Update:
    """What one event changed (keys are conversation keys)."""

    lines: dict[str, list[Line]] = field(default_factory=dict)
    sidebar: bool = False
    members: set[str] = field(default_factory=set)
    topic: set[str] = field(default_factory=set)
    status: bool = False
    current: bool = False  # another conversation was selected: redraw everything
    notify: Notification | None = None  # a private message, a mention, a notice to all
    redraw: set[str] = field(default_factory=set)  # conversations to draw again from scratch
    restate: dict[str, list[Line]] = field(default_factory=dict)  # lines to redraw in place
    focus_window: str = ""  # the private window to open or raise, and type into
    jump: str = ""  # the msgid to scroll to and show (a search hit in its context)
    search: bool = False  # new search results

    def merge(self, other: Update) -> None:
        for key, lines in other.lines.items():
            self.lines.setdefault(key, []).extend(lines)
        self.sidebar |= other.sidebar
        self.members |= other.members
        self.topic |= other.topic
        self.status |= other.status
        self.current |= other.current
        self.notify = other.notify or self.notify
        self.redraw |= other.redraw
        for key, lines in other.restate.items():
            self.restate.setdefault(key, []).extend(lines)
        self.focus_window = other.focus_window or self.focus_window
