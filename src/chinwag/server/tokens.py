"""Short-lived upload tokens, for people who logged in some way HTTP cannot repeat.

``FILETOKEN`` over IRC hands a registered user a random token; the web service accepts
it (``Authorization: Bearer``, or as the password of HTTP Basic) for
``token_seconds``, on behalf of that user's account, or of their nick when they have
none. Tokens live in memory only: a restart forgets them, which is the point.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

TOKEN_BYTES = 24  # 192 random bits, URL-safe base64: unguessable, short enough to paste
MAX_TOKENS = 10_000  # issued and unexpired; past it the oldest go first


@dataclass(frozen=True, slots=True)
class Grant:
    """Who a token uploads as: ``uploader`` counts against quotas and is shown."""

    uploader: str
    account: str | None
    expires: float


class UploadTokens:
    def __init__(self, ttl: float, clock: Callable[[], float] = time.time) -> None:
        self.ttl = ttl
        self.clock = clock
        self.grants: dict[str, Grant] = {}  # insertion order is issue order

    def issue(self, uploader: str, account: str | None) -> tuple[str, Grant]:
        now = self.clock()
        self.sweep(now)
        while len(self.grants) >= MAX_TOKENS:
            del self.grants[next(iter(self.grants))]
        token = secrets.token_urlsafe(TOKEN_BYTES)
        grant = Grant(uploader, account, now + self.ttl)
        self.grants[token] = grant
        return token, grant

    def check(self, token: str) -> Grant | None:
        """The grant of a valid, unexpired token, else None."""
        grant = self.grants.get(token)
        if grant is None:
            return None
        if grant.expires <= self.clock():
            del self.grants[token]
            return None
        return grant

    def sweep(self, now: float) -> None:
        for token in [t for t, g in self.grants.items() if g.expires <= now]:
            del self.grants[token]
