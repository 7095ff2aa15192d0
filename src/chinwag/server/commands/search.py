"""Search: the ``soju.im/search`` extension (SEARCH) on SQLite full-text search.

``SEARCH <attributes>`` takes tag-style ``key=value;...`` attributes: ``in`` (a room
or a nick), ``from`` (a nick), ``text`` (words, all of which must appear), ``after``
and ``before`` (server-time timestamps, inclusive), ``limit``. Only what the asker may
see: rooms they are in, and (logged in) their own conversations. The newest matches
come back (the oldest after ``after``, when given), in time order, in a
``soju.im/search`` batch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chinwag.errors import ProtocolError
from chinwag.proto.message import Message, parse_tags
from chinwag.server.commands.history import HALF_US, readable_keys, send_messages
from chinwag.server.commands.table import command, number
from chinwag.server.history import MS, parse_timestamp, party
from chinwag.server.state import User
from chinwag.storage.base import Window

if TYPE_CHECKING:
    from chinwag.server.core import Server

ATTRIBUTES = frozenset({"in", "from", "text", "after", "before", "limit"})


def _invalid(server: Server, user: User, *params: str) -> None:
    server.fail(user, "SEARCH", "INVALID_PARAMS", *params, "Invalid parameters")


# SEARCH <attributes>
@command("SEARCH", 1)
def handle_search(server: Server, user: User, msg: Message) -> None:
    try:
        attrs = parse_tags(msg.params[0])
    except ProtocolError:
        _invalid(server, user, msg.params[0])
        return
    unknown = sorted(set(attrs) - ATTRIBUTES)
    if unknown:
        _invalid(server, user, unknown[0])
        return
    bounds: dict[str, float | None] = {}
    for name in ("after", "before"):
        bounds[name] = parse_timestamp(attrs[name]) if name in attrs else None
        if name in attrs and bounds[name] is None:
            _invalid(server, user, name)
            return
    cap = server.limits.chathistory or 1000
    limit = number(attrs["limit"]) if "limit" in attrs else cap
    if limit is None or limit == 0:
        _invalid(server, user, "limit")
        return
    target = attrs.get("in")
    if target:
        readable = readable_keys(server, user, target)
        keys = readable[0] if readable is not None else []
    else:
        keys = [c.folded for c in user.channels.values()]
        if user.account and server.storage is not None:
            keys += server.storage.conversations(party(server, user))
    after, before = bounds["after"], bounds["before"]
    window = Window(
        after=None if after is None else after - HALF_US,  # inclusive: the whole millisecond
        before=None if before is None else before + MS + HALF_US,
        limit=min(limit, cap),
        newest=after is None,
    )
    found = []
    if keys and server.storage is not None:
        try:
            found = server.storage.search(keys, attrs.get("text"), attrs.get("from"), window)
        except Exception:
            server.fail(user, "SEARCH", "INTERNAL_ERROR", "The search could not be run")
            return
    send_messages(server, user, found, "soju.im/search")
