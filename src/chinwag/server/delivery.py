"""Output: what handlers say becomes bytes queued on users, written once per turn.

:class:`Delivery` is a mixin of :class:`chinwag.server.core.Server`. Handlers never
write to sockets: ``send``, ``numeric`` and ``deliver`` queue bytes on users
(``User.out``). The first queued line of a turn marks the user dirty and calls
``on_dirty`` once, and the transport answers by calling :meth:`Delivery.flush` soon
after, so every write to a client is coalesced into one ``write`` per turn. A channel
message is serialized once per distinct tag mask (:meth:`Delivery.deliver`), not once
per recipient. While a labeled command runs, its replies are captured instead of
written (``User.capture``). It uses only what :class:`CoreLike` names, so this module
never imports the core.

What this module does not do: sockets (a :class:`~chinwag.server.state.Link` writes),
or decide who gets a message (the handlers do).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from chinwag.proto.limits import LINE_BYTES
from chinwag.server.caps import TAG_TIME
from chinwag.server.outgoing import Outgoing, fit_line, server_time, tag_prefix
from chinwag.server.state import Members, User
from chinwag.server.view import CoreView


class CoreLike(CoreView, Protocol):
    """The part of the core that output uses, besides what every helper sees."""

    capturing: User | None
    turn: int  # flushes so far: a room joins the dirty list once per turn

    def over_mark(self, user: User, unsent: int) -> None: ...

    def _push(self, user: User, data: bytes) -> None: ...

    def _write(
        self,
        user: User,
        command: str,
        params: tuple[str, ...],
        source: str | None,
        tags: dict[str, str],
    ) -> None: ...

    def deliver_to(self, user: User, out: Outgoing) -> None: ...

    def _outgoing_capture(
        self, user: User, out: Outgoing
    ) -> tuple[str, tuple[str, ...], str | None, dict[str, str]]: ...


class Delivery:
    """Queueing replies and messages on users, fan-out, and the once-a-turn flush."""

    def _push(self: CoreLike, user: User, data: bytes) -> None:
        if user.closed:
            return
        if self.backlog and user in self.backlog and self.reading is not None:
            self.hold(self.reading, (user,))
        if not user.out:
            if not self.dirty:
                self.on_dirty()
            self.dirty.append(user)
        user.out.append(data)

    def _write(
        self: CoreLike,
        user: User,
        command: str,
        params: tuple[str, ...],
        source: str | None,
        tags: dict[str, str],
    ) -> None:
        """Write one line to ``user`` now (bypasses label capture)."""
        if user.tagmask & TAG_TIME and "time" not in tags:
            tags = {"time": server_time(), **tags}
        line, _ = fit_line(command, params, source)
        if tags:
            line = tag_prefix(tags) + line
        self._push(user, (line + "\r\n").encode())

    def send(
        self: CoreLike,
        user: User,
        command: str,
        *params: str,
        source: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> None:
        """Send one message to one user (captured for labeled-response when active)."""
        src = self.config.server_name if source is None else (source or None)
        if user.capture is not None:
            user.capture.append((command, params, src, dict(tags or {})))
            return
        self._write(user, command, params, src, dict(tags or {}))

    def numeric(self: CoreLike, user: User, code: str, *params: str) -> None:
        self.send(user, code, user.nick, *params)

    def numeric_list(
        self: CoreLike,
        user: User,
        code: str,
        params: tuple[str, ...],
        items: Iterable[str],
        sep: str = " ",
    ) -> None:
        """Send ``items`` as the last parameter of as many ``code`` lines as it takes for
        each line to fit in 512 bytes (tags apart)."""
        head = " ".join((":" + self.config.server_name, code, user.nick, *params)) + " :"
        room = LINE_BYTES - 2 - len(head.encode())
        batch: list[str] = []
        size = 0
        for item in items:
            length = len(item.encode()) + len(sep)
            if batch and size + length > room:
                self.numeric(user, code, *params, sep.join(batch))
                batch, size = [], 0
            batch.append(item)
            size += length
        if batch:
            self.numeric(user, code, *params, sep.join(batch))

    def fail(self: CoreLike, user: User, command: str, code: str, *context_and_text: str) -> None:
        """A standard reply FAIL (for clients with standard-replies), else a NOTICE."""
        if "standard-replies" in user.caps:
            self.send(user, "FAIL", command, code, *context_and_text)
        else:
            self.send(user, "NOTICE", user.nick, context_and_text[-1])

    def deliver(
        self: CoreLike, users: Iterable[User], out: Outgoing, skip: User | None = None
    ) -> None:
        """Fan one message out to many users: the hot path of the server.

        Each distinct tag mask is serialized once (``Outgoing.line_for``); per recipient
        there is a comparison with the previous recipient's mask (a dict lookup only
        when it differs: members with the same capabilities often come in runs) and one
        list append. The send queue is checked when the output is flushed, not here.
        """
        capturing = self.capturing
        dirty = self.dirty
        if self.backlog and self.reading is not None:  # rare: someone is backlogged
            users = list(users)
            self.hold(self.reading, users)
        lines: dict[int, bytes] = {}
        last_mask = -1
        data = b""
        for u in users:
            if u is skip or u.closed:
                continue
            if u is capturing:
                self.deliver_to(u, out)
                continue
            mask = u.tagmask
            if mask != last_mask:
                got = lines.get(mask)
                if got is None:
                    got = lines[mask] = out.line_for(mask)
                data, last_mask = got, mask
            queue = u.out
            if not queue:
                if not dirty:
                    self.on_dirty()
                dirty.append(u)
            queue.append(data)

    def deliver_room(self: CoreLike, members: Members, out: Outgoing, skip: User | None) -> None:
        """Fan one message out to a whole room: :meth:`deliver` over ``members``, without
        its per-member tests. The room keeps its members' queues grouped by tag mask
        (:class:`~chinwag.server.state.Recipients`, rebuilt after any change to the
        room or to a member's capabilities), so a member costs one append; the sender's
        copy is taken back off its queue (the last thing put there). The whole room
        joins the dirty list once per turn. Falls back to :meth:`deliver` while a
        labeled response is being captured or someone is backlogged."""
        if self.capturing is not None or (self.backlog and self.reading is not None):
            self.deliver(members, out, skip)
            return
        room = members.get_recipients()
        for mask, appends in room.by_mask.items():
            data = out.line_for(mask)
            for append in appends:
                append(data)
        if skip is not None and skip in members:
            skip.out.pop()
        if room.turn != self.turn:
            room.turn = self.turn
            dirty = self.dirty
            if not dirty:
                self.on_dirty()
            dirty.extend(room.users)

    def deliver_direct(self: CoreLike, user: User, out: Outgoing) -> None:
        """Deliver ``out`` as a message, never as part of a labeled response."""
        self._push(user, out.line_for(user.tagmask))

    def deliver_to(self: CoreLike, user: User, out: Outgoing) -> None:
        if user.capture is not None:
            user.capture.append(self._outgoing_capture(user, out))
        else:
            self._push(user, out.line_for(user.tagmask))

    @staticmethod
    def _outgoing_capture(
        user: User, out: Outgoing
    ) -> tuple[str, tuple[str, ...], str | None, dict[str, str]]:
        return (out.command, out.params, out.source, out.tags_for(user.tagmask))

    def flush(self: CoreLike) -> None:
        """Write every user's queued output: one write per user per turn."""
        dirty = self.dirty
        self.dirty: list[User] = []
        self.turn += 1  # rooms join the dirty list again (deliver_room)
        mark = min(self.limits.backpressure_bytes, self.limits.sendq_bytes)
        for user in dirty:
            if user.closed or not user.out:
                user.out.clear()
                continue
            data = b"".join(user.out) if len(user.out) > 1 else user.out[0]
            user.out.clear()
            unsent = user.link.write(data)
            if unsent > mark:
                self.over_mark(user, unsent)
        if self.doomed:
            self._reap()

    def _reap(self: CoreLike) -> None:
        while self.doomed:
            doomed = self.doomed
            self.doomed: list[tuple[User, str]] = []
            for user, reason in doomed:
                self.quit(user, reason)
