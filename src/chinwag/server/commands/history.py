"""History: IRCv3 ``draft/chathistory`` (CHATHISTORY), the join replay for clients without
it, and offline messages handed over at login.

Only what the asker may see: a room's history to its current members; a private
conversation's to a party that is logged in (see :mod:`chinwag.server.history`). A
target the asker may not read gets the same ``INVALID_TARGET`` as one that does not
exist, so its existence does not leak.

Selectors are exclusive and compare times in whole milliseconds (``msgid=`` resolves to
its message's time). PRIVMSG and NOTICE are returned to everyone; kept TAGMSGs
(reactions, replies: see :func:`chinwag.server.history.keeps_tagmsg`) only to clients
with ``draft/event-playback`` and ``message-tags``, as the chathistory spec asks; the
join replay never sends them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from chinwag.proto.message import Message
from chinwag.server.commands.table import command, number
from chinwag.server.history import (
    MS,
    last_seen,
    mark_seen,
    other_party,
    parse_timestamp,
    party,
    private_keys,
    replayable,
    stored_tags,
)
from chinwag.server.outgoing import server_time
from chinwag.server.state import Channel, User
from chinwag.storage.base import StoredMessage, Window

if TYPE_CHECKING:
    from chinwag.server.core import Server

SUBCOMMANDS = ("LATEST", "BEFORE", "AFTER", "AROUND", "BETWEEN", "TARGETS")


def send_messages(
    server: Server,
    user: User,
    messages: Iterable[StoredMessage],
    batch_type: str,
    *batch_params: str,
    batch: bool = True,
    stamp_text: bool = False,
) -> None:
    """Send stored messages as they were sent, with their time and msgid, in a batch of
    ``batch_type`` (when the client has ``batch``). ``stamp_text`` writes the time into
    the text for clients without server-time (the join replay)."""
    ident = server.new_batch_id() if batch and "batch" in user.caps else None
    if ident:
        server.send(user, "BATCH", "+" + ident, batch_type, *batch_params)
    has_time = "server-time" in user.caps
    for m in messages:
        tags = stored_tags(user, m)
        if ident:
            tags["batch"] = ident
        if m.kind == "TAGMSG":
            server.send(user, m.kind, m.target, source=m.sender, tags=tags)
            continue
        text = m.text
        if stamp_text and not has_time and not text.startswith("\x01"):
            text = f"[{datetime.fromtimestamp(m.time).strftime('%H:%M')}] {text}"
        server.send(user, m.kind, m.target, text, source=m.sender, tags=tags)
    if ident:
        server.send(user, "BATCH", "-" + ident)


def readable_keys(server: Server, user: User, target: str) -> tuple[list[str], str] | None:
    """The history keys ``user`` may read for ``target``, and its canonical name; None
    when they may not (or it does not exist)."""
    if target.startswith("#"):
        channel = server.find_channel(target)
        if channel is None or user not in channel.members:
            return None
        return [channel.folded], channel.name
    if not user.account or not target or target == "*":
        return None
    other = server.find_user(target)
    return private_keys(server, user, target), other.nick if other is not None else target


# -- the join replay -------------------------------------------------------------------


def replay_on_join(server: Server, user: User, channel: Channel) -> None:
    """Replay what this person has not been shown yet; nothing to chathistory clients
    (they ask for what they want)."""
    count = server.limits.history_replay
    if server.storage is None:
        return
    if count > 0 and "draft/chathistory" not in user.caps:
        seen = last_seen(server, user, channel.folded)
        lines = server.storage.history([channel.folded], Window(after=seen, limit=count))
        lines = [m for m in lines if replayable(m.text)]  # kept before CTCP was left out
        if lines:
            send_messages(server, user, lines, "chathistory", channel.name, stamp_text=True)
    mark_seen(server, user, channel.folded)


# -- CHATHISTORY -------------------------------------------------------------------------


# Half the microsecond that orders messages within a millisecond: a bound just before a
# message's time, and (at about 2 float steps at today's epoch) never equal to it.
HALF_US = 5e-7
Span = tuple[float, float]  # the times a selector stands for (lo, hi)


def _selector(server: Server, value: str, keys: list[str], star: bool = False) -> Span | str:
    """The span of a selector: a timestamp covers its millisecond, a msgid its message.
    ``"*"`` for ``*`` (when allowed); ``""`` for a msgid not in these keys (an empty
    answer); ``"?"`` when it cannot be parsed."""
    if value == "*" and star:
        return "*"
    kind, _, arg = value.partition("=")
    if kind == "timestamp":
        at = parse_timestamp(arg)
        return "?" if at is None else (at, at + MS)
    if kind == "msgid" and arg and server.storage is not None:
        found = server.storage.find(arg)
        if found is None or found[0] not in keys or found[1].deleted:
            return ""
        return found[1].time, found[1].time
    return "?"


def _windows(sub: str, first: Span | str, second: Span, limit: int) -> list[Window]:
    if first == "*":
        return [Window(limit=limit)]
    assert not isinstance(first, str)
    lo, hi = first
    if sub == "LATEST":
        return [Window(after=hi, limit=limit)]
    if sub == "BEFORE":
        return [Window(before=lo, limit=limit)]
    if sub == "AFTER":
        return [Window(after=hi, limit=limit, newest=False)]
    if sub == "AROUND":
        half = limit // 2
        return [
            Window(before=lo, limit=half),
            Window(after=lo - HALF_US, limit=limit - half, newest=False),
        ]
    # BETWEEN: counted from the first selector, forwards or backwards in time
    if lo <= second[0]:
        return [Window(after=hi, before=second[0], limit=limit, newest=False)]
    return [Window(after=second[1], before=lo, limit=limit, newest=True)]


# CHATHISTORY <subcommand> <target> <selector> [<selector>] <limit>
# CHATHISTORY TARGETS <timestamp> <timestamp> <limit>
@command("CHATHISTORY", 1)
def handle_chathistory(server: Server, user: User, msg: Message) -> None:
    sub = msg.params[0].upper()
    if sub not in SUBCOMMANDS:
        server.fail(user, "CHATHISTORY", "INVALID_PARAMS", msg.params[0], "Unknown command")
        return
    need = 5 if sub == "BETWEEN" else 4
    if len(msg.params) < need:
        server.fail(user, "CHATHISTORY", "INVALID_PARAMS", sub, "Insufficient parameters")
        return
    if len(msg.params) > need:
        server.fail(user, "CHATHISTORY", "INVALID_PARAMS", sub, "Too many parameters")
        return
    limit = number(msg.params[-1])
    if limit is None or limit == 0:
        server.fail(user, "CHATHISTORY", "INVALID_PARAMS", sub, msg.params[-1], "Invalid limit")
        return
    limit = min(limit, server.limits.chathistory) if server.limits.chathistory else limit
    if sub == "TARGETS":
        _targets(server, user, msg.params[1], msg.params[2], limit)
        return
    target = msg.params[1]
    readable = readable_keys(server, user, target)
    if readable is None or server.storage is None:
        server.fail(
            user, "CHATHISTORY", "INVALID_TARGET", sub, target, "Messages could not be retrieved"
        )
        return
    keys, name = readable
    first = _selector(server, msg.params[2], keys, star=sub == "LATEST")
    second = _selector(server, msg.params[3], keys) if sub == "BETWEEN" else (0.0, 0.0)
    for value, given in ((first, msg.params[2]), (second, msg.param(3))):
        if value == "?":
            server.fail(user, "CHATHISTORY", "INVALID_PARAMS", sub, given, "Invalid selector")
            return
    rows: list[StoredMessage] = []
    events = "draft/event-playback" in user.caps and "message-tags" in user.caps
    if first != "" and not isinstance(second, str):
        try:
            for window in _windows(sub, first, second, limit):
                rows += server.storage.history(keys, dataclasses.replace(window, tagmsg=events))
        except Exception:
            server.fail(
                user, "CHATHISTORY", "MESSAGE_ERROR", sub, target, "Messages could not be retrieved"
            )
            return
    rows = sorted({m.msgid: m for m in rows}.values(), key=lambda m: m.time)
    send_messages(server, user, rows, "chathistory", name)


def _targets(server: Server, user: User, a: str, b: str, limit: int) -> None:
    first, second = (parse_timestamp(v.removeprefix("timestamp=")) for v in (a, b))
    for value, given in ((first, a), (second, b)):
        if value is None or not given.startswith("timestamp="):
            server.fail(
                user, "CHATHISTORY", "INVALID_PARAMS", "TARGETS", given, "Invalid timestamp"
            )
            return
    assert first is not None and second is not None
    low, high = sorted((first, second))
    keys = [c.folded for c in user.channels.values()]
    mine = party(server, user)
    if user.account and server.storage is not None:
        keys += server.storage.conversations(mine)
    window = Window(after=low, before=high, limit=limit, newest=first > second)
    found = server.storage.activity(keys, window) if server.storage is not None else []
    ident = server.new_batch_id() if "batch" in user.caps else None
    if ident:
        server.send(user, "BATCH", "+" + ident, "draft/chathistory-targets")
    tags = {"batch": ident} if ident else {}
    for item in found:
        channel = server.channels.get(item.key)
        name = channel.name if channel is not None else other_party(item.key, mine)
        server.send(user, "CHATHISTORY", "TARGETS", name, server_time(item.latest), tags=tags)
    if ident:
        server.send(user, "BATCH", "-" + ident)
