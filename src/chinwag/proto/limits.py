"""Named limits, each with why it is what it is. Config can override the server ones.

The protocol limits come from the modern IRC documents and IRCv3; the rest are
resource limits that keep one client from hurting the others.
"""

from __future__ import annotations

from dataclasses import dataclass

# A line without tags: 512 bytes including the CRLF (RFC 1459, modern IRC docs).
LINE_BYTES = 512
# IRCv3 message-tags: a client may send up to 4094 bytes of tags (including '@' and the
# space); the whole tags section of a line we accept is capped at 8191 bytes.
CLIENT_TAG_BYTES = 4094
TAG_BYTES = 8191
# Hosts shown in nick!user@host are the peer's IP address: at most 45 characters (an
# IPv6 address with an IPv4 tail), so 64 (HOSTLEN) is always true.
HOSTLEN = 64
# Longest line we will buffer before deciding it is too long: tags + body.
MAX_INPUT_LINE = LINE_BYTES + TAG_BYTES


@dataclass(frozen=True, slots=True)
class Limits:
    """Server-side limits; every field is overridable in config under [limits]."""

    # Nicknames: 30 is common among modern servers and roomy for real names.
    nicklen: int = 30
    # Channel names, including the '#'.
    channellen: int = 64
    topiclen: int = 390
    kicklen: int = 390
    awaylen: int = 390
    # Usernames, including the "~" added to an ident the server did not check.
    userlen: int = 16
    # Parameters per MODE line that take an argument.
    modes: int = 4
    # Targets per PRIVMSG/NOTICE/JOIN/etc. (TARGMAX).
    max_targets: int = 4
    # Channels a user may be in at once (CHANLIMIT).
    chanlimit: int = 100
    # Bytes queued for one client before it is disconnected ("SendQ exceeded"): enough
    # for a long burst of history, small enough that a stuck client costs little.
    sendq_bytes: int = 256 * 1024
    # Backpressure: while a recipient has more than this many bytes unsent, the server
    # stops reading from whoever sends to it, and reads on once it is down to half. A
    # quarter of the send queue: a burst still fits, and memory stays bounded.
    backpressure_bytes: int = 64 * 1024
    # A recipient that takes nothing for this long stops holding its senders back (one
    # stuck reader must not stall a room); it is cut off at sendq_bytes as before.
    backpressure_seconds: float = 2.0
    # Bytes read but not yet processed (a client that floods faster than we throttle).
    recvq_bytes: int = 16 * 1024
    # Seconds a connection may take to register before it is dropped.
    registration_timeout: float = 30.0
    # Seconds of silence before we PING, and before we give up after that.
    ping_interval: float = 120.0
    ping_timeout: float = 60.0
    # Flood control: a client may send `flood_burst` lines at once, then one line per
    # `flood_interval` seconds (like the classic 2-second penalty, but gentler).
    flood_limit: bool = True
    flood_burst: int = 10
    flood_interval: float = 0.5
    # Open connections from one IP address; 0 means unlimited.
    connections_per_ip: int = 64
    # Entries in a MONITOR list, and in WHOWAS history.
    monitor: int = 100
    whowas: int = 1000
    # Bans per channel (MAXLIST b).
    maxbans: int = 100
    # Lines of channel history replayed on join (0 turns replay off); only lines this
    # person has not been shown before, and none to clients that use draft/chathistory.
    history_replay: int = 20
    # Keep chat history at all (false: nothing is stored; CHATHISTORY, SEARCH and the
    # join replay find nothing; offline messages still wait for their account).
    keep_history: bool = True
    # Messages one CHATHISTORY or SEARCH request returns at most (ISUPPORT CHATHISTORY).
    chathistory: int = 100
    # Keep private conversations in history (only when a party is logged in).
    private_history: bool = True
    # Days history is kept, for rooms and for private conversations (0: forever).
    history_days: int = 0
    private_history_days: int = 0
    # History writes held in memory while the disk refuses them; past it, the oldest
    # are dropped (and counted in the log).
    history_queue: int = 100_000
    # Seconds a nick (without an account) is remembered with its address for the join
    # replay, so a reconnect within it does not see the same lines again.
    replay_window: int = 3600


# -- files (the web service) -----------------------------------------------------------
MIB = 1024 * 1024
# One uploaded file: big enough for phone photos, short videos and documents, small
# enough that a LAN box's disk is not filled by one person by accident.
UPLOAD_BYTES = 25 * MIB
# Everything one account (or, without accounts, one nick) may have stored at once.
ACCOUNT_QUOTA_BYTES = 500 * MIB
# Everything the server stores; uploads past it get 507 Insufficient Storage.
TOTAL_QUOTA_BYTES = 10 * 1024 * MIB
# Days a file is kept before it is deleted (0: forever).
RETENTION_DAYS = 30
# Seconds an upload token fetched over IRC (FILETOKEN) stays valid.
UPLOAD_TOKEN_SECONDS = 600
# Longest side of a thumbnail, in pixels.
THUMBNAIL_PIXELS = 320
