"""Backpressure: stop reading from a sender while its recipients are backlogged.

:class:`Backpressure` is a mixin of :class:`chinwag.server.core.Server`. When a flush
leaves more than ``limits.backpressure_bytes`` unsent on a user's link, that user is
*backlogged*. A message from a sender to a backlogged user (the core knows the sender:
``reading``, the user whose line is being handled) *holds* the sender: its link stops
reading (``Link.pause_reading``) and the rest of what it already sent waits in its input
buffer. When every recipient holding it has drained to half the mark (the transport
says so through :meth:`drained`, or the periodic check sees it), it is read again.

So a fast sender goes at the pace of its slowest reader, and with flood control off
nothing is lost to "SendQ exceeded" merely because receivers are slower than senders.
A reader that takes nothing at all for ``limits.backpressure_seconds`` is *stuck*: it
holds nobody any more, and it is cut off ("SendQ exceeded") once it has more than
``sendq_bytes`` unsent, so one dead reader never stalls a room for longer than that.
A reader far over its send queue (by ``TURN_ALLOWANCE``) is cut off at once.

What this module does not do: read or write sockets (the transport pauses and resumes
reading when asked), or hold a sender for messages to itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Protocol

from chinwag.server.state import User
from chinwag.server.view import CoreView

# One event-loop turn can queue a whole read's worth of lines (up to 256 KiB with
# uvloop, plus the prefixes we add) from each of a few senders for a reader before they
# are held; a reader this far over its send queue is cut off at once all the same.
TURN_ALLOWANCE = 1024 * 1024


class CoreLike(CoreView, Protocol):
    """The part of the core that backpressure uses, besides what every helper sees."""

    held: dict[User, set[User]]  # backlogged user -> senders it holds
    holds: dict[User, set[User]]  # held sender -> backlogged users holding it
    stuck: set[User]

    def _release(self, user: User) -> None: ...

    def drained(self, user: User) -> None: ...


class Backpressure:
    """Holding senders of backlogged users, releasing them when those drain."""

    def over_mark(self: CoreLike, user: User, unsent: int) -> None:
        """A flush left ``unsent`` bytes, over the mark or the send queue, on ``user``'s
        link. Over the send queue it is cut off when it is stuck, when backpressure is
        off (the mark is not below the send queue), or past TURN_ALLOWANCE over it; else it
        is backlogged and holds its senders until it drains or is found stuck."""
        lim = self.limits
        if unsent > lim.sendq_bytes and (
            user in self.stuck
            or lim.backpressure_bytes >= lim.sendq_bytes
            or unsent > lim.sendq_bytes + TURN_ALLOWANCE
        ):
            self.doomed.append((user, "SendQ exceeded"))
        elif user not in self.backlog:
            self.backlog[user] = (time.monotonic(), unsent)

    def hold(self: CoreLike, sender: User, recipients: Iterable[User]) -> None:
        """``sender`` is writing to ``recipients``: stop reading it if one is backlogged."""
        backlog = self.backlog
        stuck = self.stuck
        for r in recipients:
            if r is sender or r not in backlog or r in stuck or r.closed:
                continue
            self.held.setdefault(r, set()).add(sender)
            self.holds.setdefault(sender, set()).add(r)
            if not sender.paused and not sender.closed:
                sender.paused = True
                sender.link.pause_reading()

    def drained(self: CoreLike, user: User) -> None:
        """``user`` is no longer backlogged (it read, or it left): release its senders."""
        self.backlog.pop(user, None)
        self.stuck.discard(user)
        self._release(user)

    def _release(self: CoreLike, user: User) -> None:
        for sender in self.held.pop(user, ()):
            holding = self.holds.get(sender)
            if holding is not None:
                holding.discard(user)
                if holding:
                    continue
                del self.holds[sender]
            if sender.paused and not sender.closed:
                sender.paused = False
                sender.link.resume_reading()

    def forget(self: CoreLike, user: User) -> None:
        """``user`` left: it holds nobody, and nobody holds it."""
        if user in self.backlog or user in self.held:
            self.drained(user)
        for r in self.holds.pop(user, ()):
            senders = self.held.get(r)
            if senders is not None:
                senders.discard(user)
                if not senders:
                    del self.held[r]
        user.paused = False

    def check_backlog(self: CoreLike, now: float) -> None:
        """Periodic: release the senders of users that drained (links that cannot say
        so themselves) or that have taken nothing for ``backpressure_seconds``."""
        low = self.limits.backpressure_bytes // 2
        for user, (since, unsent) in list(self.backlog.items()):
            left = 0 if user.closed else user.link.buffered()
            if left <= low:
                self.drained(user)
            elif left < unsent:  # it reads: it may hold senders (again)
                self.backlog[user] = (now, left)
                self.stuck.discard(user)
            elif now - since > self.limits.backpressure_seconds and user not in self.stuck:
                self.stuck.add(user)
                self._release(user)
                if left > self.limits.sendq_bytes:
                    self.doomed.append((user, "SendQ exceeded"))
