"""IRCv3 capabilities the server offers, and the bits that change how lines are serialized.

A recipient's *tag mask* says which tags it may receive; channel fan-out serializes a
message once per distinct mask, not once per recipient.
"""

from __future__ import annotations

# Capabilities offered in CAP LS, with their values (CAP LS 302 shows values).
CAPABILITIES: dict[str, str] = {
    "account-notify": "",
    "account-tag": "",
    "away-notify": "",
    "batch": "",
    "cap-notify": "",
    "draft/account-registration": "before-connect",
    "draft/chathistory": "",
    "draft/event-playback": "",
    "draft/message-redaction": "",
    "draft/read-marker": "",
    "echo-message": "",
    "extended-join": "",
    "invite-notify": "",
    "labeled-response": "",
    "message-tags": "",
    "multi-prefix": "",
    "sasl": "PLAIN,SCRAM-SHA-256,EXTERNAL",
    "server-time": "",
    "setname": "",
    "soju.im/search": "",
    "standard-replies": "",
    "userhost-in-names": "",
}


def offered(sts: tuple[int, int] | None, secure: bool) -> dict[str, str]:
    """What CAP LS lists for one connection: :data:`CAPABILITIES`, plus IRCv3 ``sts``
    when the server has a policy (``sts`` = (TLS port, duration)). On a plain connection
    it names the port to upgrade to; on TLS it is the persistence policy. ``sts`` is
    never requestable, so it stays out of CAPABILITIES (CAP REQ sts earns NAK)."""
    if sts is None:
        return CAPABILITIES
    port, duration = sts
    value = f"duration={duration}" if secure else f"port={port},duration={duration}"
    return {**CAPABILITIES, "sts": value}


# Tag-mask bits.
TAG_TIME = 1  # server-time: the `time` tag
TAG_MESSAGE = 2  # message-tags: msgid and client-only (+) tags
TAG_ACCOUNT = 4  # account-tag: the sender's account


def tag_mask(caps: set[str]) -> int:
    mask = 0
    if "server-time" in caps:
        mask |= TAG_TIME
    if "message-tags" in caps:
        mask |= TAG_MESSAGE
    if "account-tag" in caps:
        mask |= TAG_ACCOUNT
    return mask
