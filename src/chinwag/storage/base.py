"""The storage interface the server core talks to, and the records it returns.

History rows are keyed by a *target key*: a channel's folded name (it starts with ``#``),
or for a private conversation the two parties' identities, sorted and joined by a space
(see :func:`conversation_key`). A party's identity is its folded account name when it is
logged in, else ``~`` and its folded nick (a guest's messages never land under an
account's name).

Writes are queued: the append and mark methods return at once, and a writer (see
:mod:`chinwag.storage.writer`) commits the queue on a thread of its own, so the hot
message path never waits on the disk. Every read sees queued writes too.

Accounts (:class:`Account`) are read and written at once, never cached: the server looks
an account up at login time, so ``chinwag accounts`` changes made while it runs count at
the next login. Room snapshots (:class:`Room`) are queued like messages and written by
the next flush; :meth:`Storage.load_rooms` is called once, at start.

This module is pure data and Protocols: it imports no sqlite3, so the sans-I/O server
core may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from chinwag.auth.credentials import Credentials
from chinwag.proto.casemap import folder

rfc1459_fold = folder("rfc1459")

KINDS = ("PRIVMSG", "NOTICE", "TAGMSG")
# Kinds of per-account marks: how far someone has read, and how far the join replay
# has already shown them.
READ_MARK = "read"
REPLAY_MARK = "replay"


def conversation_key(a: str, b: str) -> str:
    """The target key of a private conversation between identities ``a`` and ``b``."""
    return " ".join(sorted((a, b)))


def is_channel_key(key: str) -> bool:
    return key.startswith("#")


@dataclass(slots=True)  # not frozen: made once per message on the hot path, never changed
class StoredMessage:
    msgid: str
    time: float  # unix seconds
    target: str  # as sent: the channel's name, or the recipient's nick
    sender: str  # nick!user@host
    account: str | None  # the sender's account, if logged in
    kind: str  # PRIVMSG, NOTICE or TAGMSG
    tags: str  # the client-only tags, serialized without the '@'
    text: str
    deleted: bool = False

    @property
    def nick(self) -> str:
        return self.sender.split("!", 1)[0]


@dataclass(frozen=True, slots=True)
class Window:
    """A slice of one or more targets' history.

    ``after``/``before`` are exclusive bounds (unix seconds, None: open); ``newest``
    picks the ``limit`` rows nearest ``before`` instead of those nearest ``after``;
    ``tagmsg`` includes TAGMSG rows (reactions and the like), which only clients with
    ``draft/event-playback`` are sent. Results always come back oldest first.
    """

    after: float | None = None
    before: float | None = None
    limit: int = 100
    newest: bool = True
    tagmsg: bool = False


@dataclass(frozen=True, slots=True)
class TargetActivity:
    key: str
    name: str  # channel name, or the other party's name in a conversation
    latest: float


@dataclass(frozen=True, slots=True)
class Account:
    """An account: its name as registered, its credentials, certificate fingerprints
    (lower-case hex SHA-256, for SASL EXTERNAL) and the end of any lock-out (unix time)."""

    name: str
    credentials: Credentials
    created: float
    locked_until: float = 0.0
    certfps: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Room:
    """What survives of a channel across restarts."""

    name: str
    founder: str | None  # account name
    topic: str = ""
    topic_by: str = ""
    topic_at: int = 0
    modes: str = "nt"  # flag modes without parameters
    key: str | None = None
    limit: int | None = None
    bans: tuple[tuple[str, str, int], ...] = ()  # (mask, set by, set at)
    ops: tuple[str, ...] = ()  # accounts the founder gave operator status to
    created: int = 0


class AccountStore(Protocol):
    """The account half of storage. Names are matched with the server's casemapping."""

    def get_account(self, name: str) -> Account | None: ...

    def account_name(self, name: str) -> str | None:
        """The name of the account ``name`` matches, as it was registered; None if
        there is none (cheaper than :meth:`get_account`: no credentials)."""
        ...

    def account_by_certfp(self, fingerprint: str) -> Account | None: ...

    def add_account(self, name: str, credentials: Credentials, at: float) -> bool:
        """False when the name is taken."""
        ...

    def set_credentials(self, name: str, credentials: Credentials) -> bool: ...

    def delete_account(self, name: str) -> bool: ...

    def list_accounts(self) -> list[Account]: ...

    def set_locked_until(self, name: str, until: float) -> bool: ...

    def add_certfp(self, name: str, fingerprint: str) -> bool:
        """False when the account is unknown or the fingerprint belongs to another."""
        ...

    def del_certfp(self, name: str, fingerprint: str) -> bool: ...


class Storage(AccountStore, Protocol):
    def append(self, key: str, msg: StoredMessage, parties: tuple[str, str] | None = None) -> None:
        """Queue ``msg`` under ``key``; ``parties`` names a conversation's two identities."""
        ...

    def history(self, keys: list[str], window: Window) -> list[StoredMessage]:
        """Messages not deleted under any of ``keys`` in ``window``, oldest first."""
        ...

    def find(self, msgid: str) -> tuple[str, StoredMessage] | None:
        """(key, message) of a stored message, deleted or not."""
        ...

    def search(
        self,
        keys: list[str],
        text: str | None,
        sender: str | None,
        window: Window,
    ) -> list[StoredMessage]:
        """Full-text search over ``keys``; ``sender`` is a folded nick."""
        ...

    def activity(self, keys: list[str], window: Window) -> list[TargetActivity]:
        """The latest message time of each key with messages in ``window``."""
        ...

    def conversations(self, identity: str) -> list[str]:
        """The target keys of every private conversation ``identity`` is party to."""
        ...

    def redact(self, msgid: str) -> None: ...

    def get_mark(self, kind: str, who: str, key: str) -> float | None: ...

    def set_mark(self, kind: str, who: str, key: str, at: float) -> None: ...

    def add_offline(self, account: str, msg: StoredMessage) -> None: ...

    def take_offline(self, account: str) -> list[StoredMessage]:
        """The messages waiting for ``account``, oldest first; they are then forgotten."""
        ...

    def save_room(self, room: Room) -> None:
        """Queue a room's snapshot (replacing any earlier one) for the next flush."""
        ...

    def delete_room(self, name: str) -> None: ...

    def load_rooms(self) -> list[Room]: ...

    def flush(self) -> int: ...

    def close(self) -> None: ...
