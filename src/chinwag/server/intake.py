"""Input: bytes from a connection become dispatched lines.

:class:`Intake` is a mixin of :class:`chinwag.server.core.Server`. It splits lines,
enforces the input limits (512 bytes plus tags, ``417`` for longer lines, the connection
lives), throttles a flooding client (a token bucket; throttled lines wait, up to
``recvq_bytes``), repairs invalid UTF-8 (and says so) and hands each parsed line to
:meth:`Server.dispatch`. It uses only what :class:`CoreLike` names, so this module never
imports the core. It does not read sockets: the transport calls ``receive``.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Protocol

from chinwag.errors import ProtocolError
from chinwag.proto import numerics as N
from chinwag.proto.limits import CLIENT_TAG_BYTES, LINE_BYTES, TAG_BYTES
from chinwag.proto.message import Message, parse
from chinwag.server.state import User
from chinwag.server.view import CoreView


class CoreLike(CoreView, Protocol):
    """The part of the core that input handling uses, besides what every helper sees."""

    throttled: set[User]

    def dispatch(self, user: User, msg: Message, raw: bytes = b"") -> None: ...

    def flush(self) -> None: ...

    def relay_direct(self, user: User, text: str) -> bool: ...

    def receive(self, user: User, data: bytes) -> None: ...

    def handle_line(self, user: User, line: bytes) -> None: ...

    def _consume(self, user: User, line: bytes) -> None: ...

    def _queue_pending(self, user: User, line: bytes) -> None: ...

    def _drain_pending(self, user: User, now: float) -> None: ...


# Input at least this big from one read is followed by a flush of its output at once,
# not at the end of the event-loop turn: the loop may hand us several reads of one
# sender in one turn (libuv reads up to 32 times), and backpressure (which learns who is
# backlogged when output is flushed) must see between them.
FLUSH_AFTER_BYTES = 64 * 1024


def _is_closed(user: User) -> bool:
    """Read ``user.closed`` afresh (a handler may have closed it; keeps mypy honest)."""
    return user.closed


def _is_paused(user: User) -> bool:
    """Read ``user.paused`` afresh (handling a line may have paused it)."""
    return user.paused


class Intake:
    """Line splitting, input limits, flood control and decoding."""

    def receive(self: CoreLike, user: User, data: bytes) -> None:
        if user.closed:
            return
        if user.paused:  # held by backpressure: keep it for when it is read again
            user.inbuf += data
            return
        buf = user.inbuf + data if user.inbuf else data
        start = 0
        limit = LINE_BYTES + TAG_BYTES + 1
        flood = self.limits.flood_limit
        while True:
            nl = buf.find(b"\n", start)
            if nl == -1:
                break
            line = buf[start:nl]
            start = nl + 1
            if user.skip_to_newline:
                user.skip_to_newline = False
                continue
            if user.pending is not None:
                self._queue_pending(user, line)
            elif flood and user.registered:
                self._consume(user, line)
            else:
                self.handle_line(user, line)
            if _is_closed(user):
                return
            if _is_paused(user):  # backpressure: the rest waits until it is read again
                user.inbuf = buf[start:]
                return
        rest = buf[start:]
        if len(rest) > limit:
            # A line with no end in sight: answer once, drop it, keep the connection.
            if not user.skip_to_newline:
                self.numeric(user, N.ERR_INPUTTOOLONG, "Input line was too long")
            user.skip_to_newline = True
            rest = b""
        user.inbuf = rest
        if len(data) >= FLUSH_AFTER_BYTES and self.dirty:
            self.flush()

    def _consume(self: CoreLike, user: User, line: bytes) -> None:
        """A line from a registered user under flood control: handled, or throttled."""
        now = time.monotonic()
        user.tokens = min(
            float(self.limits.flood_burst),
            user.tokens + (now - user.tokens_at) / self.limits.flood_interval,
        )
        user.tokens_at = now
        if user.tokens < 1.0:
            user.pending = deque()
            user.pending_bytes = 0
            self.throttled.add(user)
            self._queue_pending(user, line)
            return
        user.tokens -= 1.0
        self.handle_line(user, line)

    def _queue_pending(self: CoreLike, user: User, line: bytes) -> None:
        assert user.pending is not None
        user.pending.append(line)
        user.pending_bytes += len(line)
        if user.pending_bytes > self.limits.recvq_bytes:
            self.quit(user, "Excess Flood")

    def _drain_pending(self: CoreLike, user: User, now: float) -> None:
        pending = user.pending
        if pending is None:
            self.throttled.discard(user)
            return
        user.tokens = min(
            float(self.limits.flood_burst),
            user.tokens + (now - user.tokens_at) / self.limits.flood_interval,
        )
        user.tokens_at = now
        while pending and user.tokens >= 1.0 and not user.closed and not user.paused:
            user.tokens -= 1.0
            line = pending.popleft()
            user.pending_bytes -= len(line)
            self.handle_line(user, line)
        if not pending:
            user.pending = None
            user.pending_bytes = 0
            self.throttled.discard(user)

    def handle_line(self: CoreLike, user: User, line: bytes) -> None:
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line or line.isspace():
            return
        body_start = 0
        if line[:1] == b"@":
            sp = line.find(b" ")
            if sp == -1 or sp > CLIENT_TAG_BYTES + 1:
                self.numeric(user, N.ERR_INPUTTOOLONG, "Input line was too long")
                return
            body_start = sp + 1
        if len(line) - body_start > LINE_BYTES - 2:
            self.numeric(user, N.ERR_INPUTTOOLONG, "Input line was too long")
            return
        user.last_recv = time.monotonic()
        user.ping_sent = 0.0
        try:
            text = line.decode()
            mangled = False
        except UnicodeDecodeError:
            # UTF8ONLY: nothing that is not UTF-8 is relayed; bad bytes become U+FFFD (and a
            # channel name with one is refused: see join_channel).
            text = line.decode("utf-8", "replace")
            mangled = True
        if not mangled and text[:1] in ("P", "N") and self.relay_direct(user, text):
            return  # a plain private message, relayed without parsing (fastpath.py)
        try:
            msg = parse(text)
        except ProtocolError:
            return  # no command, or a CR/LF inside the line: nothing to answer
        if mangled:  # IRCv3 UTF8ONLY: say so, whether or not standard-replies was asked for
            self.send(
                user,
                "WARN",
                msg.command.upper(),
                "INVALID_UTF8",
                "Your message was not correctly encoded as UTF-8 and had to be modified",
            )
        self.dispatch(user, msg, line)
