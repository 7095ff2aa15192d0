"""The events a client session reports, as immutable values.

Events are what crosses from the network thread to the GUI thread, so each one carries
everything a view needs (a member list is sent as a snapshot, never as a live object).
Every event has ``time``: epoch seconds, from the server's ``time`` tag when the
server-time capability is on, else from the local clock (by default, when it is made).

What this module does not do: decide how an event is shown (see
:mod:`chinwag.client.model`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Member:
    """One member of a channel as a view shows it."""

    nick: str
    prefixes: str = ""  # mode marks, highest first, e.g. "@+" (all of them with multi-prefix)
    away: bool = False
    account: str = ""  # the account they are logged in to, when the server says


@dataclass(frozen=True, slots=True)
class Event:
    # Events the connection makes itself (Disconnected, say) carry the moment they are made.
    time: float = field(default_factory=time.time, kw_only=True)


@dataclass(frozen=True, slots=True)
class Connecting(Event):
    host: str
    port: int
    attempt: int = 1
    tls: bool = False


@dataclass(frozen=True, slots=True)
class Encryption(Event):
    """How the connection that just opened is protected (before registration starts).

    ``tls`` False: plain text, readable by anyone on the network. Otherwise
    ``fingerprint`` is the server certificate's SHA-256 (display form, ``AB:CD:…``) and
    ``trusted_by`` says why it was accepted: "ca" (a certificate authority vouches for
    it), "pin" (the person trusted it before), "announced" (it matches the server's LAN
    announcement; now pinned).
    """

    host: str
    port: int
    tls: bool
    fingerprint: str = ""
    trusted_by: str = ""


@dataclass(frozen=True, slots=True)
class TrustNeeded(Event):
    """A self-signed certificate nobody vouched for: the client has stopped to ask.

    ``status`` "new": a server not seen before; "changed": a pinned server shows another
    certificate (``pinned`` is the old one), which could be someone impersonating it.
    ``fingerprint`` is the display form (``AB:CD:…``) of the certificate's SHA-256; pin
    it with :meth:`chinwag.client.trust.PinStore.pin` to trust it.
    """

    host: str
    port: int
    fingerprint: str
    status: str  # "new" or "changed"
    pinned: str = ""


@dataclass(frozen=True, slots=True)
class ConnectFailed(Event):
    """The first connection did not get us in; the client has stopped.

    ``kind`` is one of "refused", "unknown-host", "timeout", "network", "tls" (the
    encrypted handshake failed), "plain-refused" (only plain text was possible and the
    person refuses it), "nick-in-use", "bad-nick", "bad-password", "server-error", and
    for accounts "wrong-password", "locked", "account-taken", "weak-password",
    "login-unavailable" (see :mod:`chinwag.client.login`).
    ``suggestion`` is a free nickname when ``kind`` is "nick-in-use" (the client checked
    it before giving up).
    """

    kind: str
    message: str
    nick: str = ""
    suggestion: str = ""


@dataclass(frozen=True, slots=True)
class LoggedIn(Event):
    """We are logged in to ``account`` (SASL, or an account just created)."""

    account: str
    created: bool = False


@dataclass(frozen=True, slots=True)
class LoginFailed(Event):
    """A /login or /register after connecting did not work (``kind`` as in
    :mod:`chinwag.client.login`)."""

    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class Registered(Event):
    """We are in: welcome received and the server's features are known."""

    nick: str
    network: str
    server: str
    casemapping: str
    caps: frozenset[str]
    chantypes: str = "#&"
    requested_nick: str = ""
    reconnected: bool = False
    # The server's upload URLs (ISUPPORT draft/FILEHOST, as sent), or "" when it takes
    # no files.
    filehost: str = ""


@dataclass(frozen=True, slots=True)
class Disconnected(Event):
    """The connection is gone. ``retry_in`` is seconds until the next try, or None."""

    reason: str
    retry_in: float | None = None


@dataclass(frozen=True, slots=True)
class Stopped(Event):
    """The client has finished (logout, quit, or gave up); nothing more will come."""

    reason: str = ""


@dataclass(frozen=True, slots=True)
class Joined(Event):
    channel: str
    nick: str
    is_me: bool
    account: str = ""
    realname: str = ""


@dataclass(frozen=True, slots=True)
class Parted(Event):
    channel: str
    nick: str
    is_me: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Kicked(Event):
    channel: str
    nick: str
    by: str
    is_me: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Quit(Event):
    """Someone left the network; ``channels`` are the shared channels they were in."""

    nick: str
    reason: str
    channels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NickChanged(Event):
    old: str
    new: str
    is_me: bool
    channels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MembersChanged(Event):
    channel: str
    members: tuple[Member, ...]


@dataclass(frozen=True, slots=True)
class TopicChanged(Event):
    channel: str
    topic: str
    by: str = ""
    initial: bool = False  # True for the topic sent on join (332), not a change


@dataclass(frozen=True, slots=True)
class ChatMessage(Event):
    """A PRIVMSG, CTCP ACTION or NOTICE.

    ``conversation`` is the channel, or the other person's nick for private messages.
    ``kind`` is "message", "action" or "notice". ``history`` marks channel history the
    server replays on join (a chathistory batch): old news, not something to ring for.
    ``label`` is set on our own messages when the server does labeled-response: the
    first report is ``pending`` (sent, not yet answered); a second with the same label
    confirms it (see also :class:`SendFailed`).
    """

    conversation: str
    sender: str
    text: str
    kind: str = "message"
    own: bool = False
    private: bool = False
    mention: bool = False
    history: bool = False
    label: str = ""
    pending: bool = False
    msgid: str = ""  # the server's id for it (message-tags), to page, jump and delete


@dataclass(frozen=True, slots=True)
class SendFailed(Event):
    """The server refused our labeled message ``label`` (``reason`` is its error text)."""

    conversation: str
    label: str
    reason: str


@dataclass(frozen=True, slots=True)
class AwayChanged(Event):
    """Our own away state (RPL_NOWAWAY / RPL_UNAWAY)."""

    away: bool
    message: str = ""


@dataclass(frozen=True, slots=True)
class ServerText(Event):
    """Something from the server for the user to read: MOTD lines, notices, errors.

    ``conversation`` names where it belongs when it is about one (or "" for the server
    view); ``error`` marks replies that say a command failed; ``notice`` marks a notice
    the server (or an operator, through it) sends to people once they are in: something
    everyone should see, wherever they are looking.
    """

    text: str
    conversation: str = ""
    error: bool = False
    notice: bool = False


@dataclass(frozen=True, slots=True)
class UploadToken(Event):
    """The server's answer to FILETOKEN: a token for one upload, valid ``seconds``."""

    token: str
    seconds: int


@dataclass(frozen=True, slots=True)
class HistoryPage(Event):
    """Messages of ``conversation`` the client asked the server for (draft/chathistory),
    oldest first. ``older``: they go above what is shown (scrolling back; empty: there
    is nothing older). Otherwise they replace what is shown, around ``anchor`` (the
    msgid to show: a search hit in its context)."""

    conversation: str
    messages: tuple[ChatMessage, ...]
    older: bool = True
    anchor: str = ""


@dataclass(frozen=True, slots=True)
class SearchResults(Event):
    """The server's answer to a search (soju.im/search), oldest first."""

    query: str
    hits: tuple[ChatMessage, ...]


@dataclass(frozen=True, slots=True)
class MessageDeleted(Event):
    """A message was deleted (draft/message-redaction) by ``by``."""

    conversation: str
    msgid: str
    by: str = ""


@dataclass(frozen=True, slots=True)
class ReadMarker(Event):
    """How far the person has read ``conversation`` (draft/read-marker), on any of their
    clients; ``at`` None: nothing read yet."""

    conversation: str
    at: float | None
    ours: bool = False  # the answer to our own MARKREAD
