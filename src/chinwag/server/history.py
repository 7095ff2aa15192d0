"""History rules the core and the command families share.

* What is kept: ordinary PRIVMSG and NOTICE text and ACTIONs (:func:`replayable`), never
  STATUSMSG (``@#room``) or other CTCP; TAGMSGs that carry a tag worth keeping
  (:func:`keeps_tagmsg`: a reaction or a reply, not typing notifications); private
  messages only when a party is logged in.
* Who someone is for history (:func:`party`): the folded account name when logged in,
  else ``~`` and the folded nick. Reading private history needs an account: a guest's
  nick can be taken by anyone once they leave.
* What the join replay has shown someone (:func:`last_seen`, :func:`mark_seen`): per
  account in storage (it survives restarts), per nick and address in memory for
  ``limits.replay_window`` seconds for guests.
* Times: the millisecond of the ``time`` tag plus a microsecond count that orders
  messages within it (:func:`now_ms`). A ``timestamp=`` selector stands for its whole
  millisecond (:data:`MS`); a ``msgid=`` one for its message exactly.

Nothing here does I/O: storage is the interface the core was handed.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chinwag.proto.message import parse_tags
from chinwag.server.outgoing import server_time
from chinwag.server.state import User
from chinwag.storage.base import REPLAY_MARK, StoredMessage, conversation_key

if TYPE_CHECKING:
    from chinwag.server.view import CoreView

MS = 0.000999  # a timestamp covers [T, T + MS]: the rest of its millisecond
# Client tags that make a TAGMSG part of history (IRCv3 react and reply, draft and final
# names). Anything else a TAGMSG carries (+typing above all) is of the moment: relayed,
# never stored.
KEPT_TAGMSG_TAGS = frozenset(("+draft/react", "+react", "+draft/reply", "+reply"))
GUEST_MARKS_MAX = 10_000  # remembered guest replay marks before old ones are swept


_last_stamp = 0.0


def now_ms() -> float:
    """A message's time: now in whole milliseconds (what the time tag shows) plus a
    count of microseconds that makes every stamp unique and increasing, so messages
    have one order even within a millisecond (msgid selectors need it). The count
    starts at 1 µs, which keeps the time tag's millisecond exact."""
    global _last_stamp
    stamp = math.floor(time.time() * 1000) / 1000 + 1e-6
    if stamp <= _last_stamp:
        stamp = _last_stamp + 1e-6
    _last_stamp = stamp
    return stamp


def parse_timestamp(value: str) -> float | None:
    """``YYYY-MM-DDThh:mm:ss.sssZ`` (server-time) -> unix seconds in whole ms, else None."""
    if not value.endswith("Z") or len(value) < 20:
        return None
    try:
        stamp = datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    frac = value[19:-1]
    if frac and (frac[0] != "." or not frac[1:].isdigit() or not frac[1:].isascii()):
        return None
    ms = int((frac[1:] + "000")[:3]) if frac else 0
    return (int(stamp.timestamp()) * 1000 + ms) / 1000


def replayable(text: str) -> bool:
    """May ``text`` be replayed to whoever joins later? Plain text and ACTION yes; a CTCP
    request or reply (VERSION, PING, DCC...) no, or clients would answer it on every join."""
    return (
        not text.startswith("\x01")
        or text[1:8] == "ACTION "
        or text[1:] in ("ACTION", "ACTION\x01")
    )


def keeps_tagmsg(client_tags: dict[str, str] | None) -> bool:
    """Is a TAGMSG with these client tags kept in history?"""
    return bool(client_tags) and not KEPT_TAGMSG_TAGS.isdisjoint(client_tags or ())


def party(server: CoreView, user: User) -> str:
    return server.fold(user.account) if user.account else "~" + user.folded


def private_keys(server: CoreView, me: User, name: str) -> list[str]:
    """The conversation keys between ``me`` (logged in) and whoever ``name`` is or was:
    the account of that name, the guest of that nick, and whoever holds the nick now."""
    mine = party(server, me)
    folded = server.fold(name)
    keys = {conversation_key(mine, folded), conversation_key(mine, "~" + folded)}
    other = server.find_user(name)
    if other is not None:
        keys.add(conversation_key(mine, party(server, other)))
    return sorted(keys)


def other_party(key: str, mine: str) -> str:
    """The other side of a conversation key, as a name to show."""
    a, _, b = key.partition(" ")
    other = b if a == mine else a
    return other.removeprefix("~")


def record_private(server: CoreView, user: User, other: User, stored: StoredMessage) -> None:
    """Keep a private message when private history is on and a party is logged in."""
    lim = server.limits
    if server.storage is None or not lim.private_history or not lim.keep_history:
        return
    if user.account is None and other.account is None:
        return
    parties = (party(server, user), party(server, other))
    server.storage.append(conversation_key(*parties), stored, parties)


def _replay_who(server: CoreView, user: User) -> tuple[str, bool]:
    if user.account:
        return server.fold(user.account), True
    return f"~{user.folded}@{user.ip}", False


def last_seen(server: CoreView, user: User, key: str) -> float | None:
    """When the join replay last brought ``user`` up to date on ``key`` (None: never)."""
    who, persistent = _replay_who(server, user)
    if persistent:
        return server.storage.get_mark(REPLAY_MARK, who, key) if server.storage else None
    seen = server.guest_seen.get((who, key))
    if seen is None or time.time() - seen > server.limits.replay_window:
        return None
    return seen


def mark_seen(server: CoreView, user: User, key: str) -> None:
    """``user`` has seen everything in ``key`` up to now (a replay, or leaving a room)."""
    who, persistent = _replay_who(server, user)
    at = now_ms()
    if persistent:
        if server.storage is not None:
            server.storage.set_mark(REPLAY_MARK, who, key, at)
        return
    marks = server.guest_seen
    marks[(who, key)] = at
    if len(marks) > GUEST_MARKS_MAX:
        cutoff = time.time() - server.limits.replay_window
        for k in [k for k, v in marks.items() if v < cutoff]:
            del marks[k]


def stored_tags(user: User, m: StoredMessage) -> dict[str, str]:
    """The tags a stored message is sent again with: its original time, its msgid and
    client-only tags (each to the clients that asked for them)."""
    tags: dict[str, str] = {"time": server_time(m.time)} if "server-time" in user.caps else {}
    if "message-tags" in user.caps:
        if m.tags:
            tags.update(parse_tags(m.tags))
        tags["msgid"] = m.msgid
    if "account-tag" in user.caps and m.account:
        tags["account"] = m.account
    return tags


def deliver_offline(server: CoreView, user: User) -> None:
    """Hand over the private messages that waited for ``user``'s account, with their
    original time (in the text too, for clients without server-time)."""
    if server.storage is None or not user.account:
        return
    waiting = server.storage.take_offline(server.fold(user.account))
    has_time = "server-time" in user.caps
    for m in waiting:
        tags = stored_tags(user, m)
        text = m.text
        if not has_time and not text.startswith("\x01"):
            text = f"[{datetime.fromtimestamp(m.time).strftime('%Y-%m-%d %H:%M')}] {text}"
        server.send(user, m.kind, user.nick, text, source=m.sender, tags=tags)
