"""What the core's own helpers see of it: :class:`CoreView`, a Protocol of the
:class:`~chinwag.server.core.Server` members that accounts, rooms, history and the fast
path use, and that the core's input and output mixins build their own views on.

Those modules are imported by the core, so they must not import it back (not even for
type hints: the import graph has no cycles, STYLE.md habit 13). They type their
``server`` against this view instead; mypy checks that the real ``Server`` fits it
wherever the core hands itself over.

What this module does not do: anything at run time (it only declares).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chinwag.proto.limits import Limits
    from chinwag.server.config import ServerConfig
    from chinwag.server.fanout import Fanout
    from chinwag.server.outgoing import Outgoing
    from chinwag.server.state import Channel, User
    from chinwag.storage.base import Storage


class CoreView(Protocol):
    """The members of the server core that its helper modules use."""

    config: ServerConfig
    limits: Limits
    storage: Storage | None
    fold: Callable[[str], str]
    on_dirty: Callable[[], None]
    by_nick: dict[str, User]  # folded nick -> registered user
    channels: dict[str, Channel]
    dirty: list[User]
    doomed: list[tuple[User, str]]
    reading: User | None
    # backlogged user -> (monotonic time of its last progress, bytes unsent then)
    backlog: dict[User, tuple[float, int]]
    messages: int
    fanout: Fanout
    guest_seen: dict[tuple[str, str], float]
    lobby_key: str | None

    def emit(
        self, kind: str, text: str, *, level: int = logging.INFO, **fields: str | None
    ) -> None: ...

    def find_user(self, nick: str) -> User | None: ...

    def quit(self, user: User, reason: str) -> None: ...

    def new_msgid(self) -> str: ...

    def send(
        self,
        user: User,
        command: str,
        *params: str,
        source: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> None: ...

    def numeric(self, user: User, code: str, *params: str) -> None: ...

    def deliver(self, users: Iterable[User], out: Outgoing, skip: User | None = None) -> None: ...

    def hold(self, sender: User, recipients: Iterable[User]) -> None: ...

    def record_message(
        self,
        channel: Channel,
        user: User,
        command: str,
        text: str,
        msgid: str,
        at: float | None = None,
        tags: str = "",
        *,
        store: bool = True,
        source: str | None = None,
    ) -> None: ...

    def _reap(self) -> None: ...
