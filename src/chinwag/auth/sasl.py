"""SASL mechanisms as small state machines: decoded client data in, a step out.

A mechanism never looks anything up and never verifies a password itself; it says what
it needs (:class:`CheckPassword`, :class:`CheckCertificate`) or, for SCRAM, is handed a
function that returns an account's stored keys. The server core turns steps into
``AUTHENTICATE`` lines and numerics, and runs the slow password check off its loop.

Mechanisms: ``PLAIN`` (RFC 4616), ``EXTERNAL`` (RFC 4422 appendix A: the TLS client
certificate), ``SCRAM-SHA-256`` (RFC 5802 / 7677, through scramp, without channel
binding). What this module does not do: base64 and 400-byte chunking (that is IRC's
framing, done by the command handler).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chinwag.auth.credentials import ScramKeys

MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "EXTERNAL")


@dataclass(frozen=True, slots=True)
class Challenge:
    """Send this to the client and wait for its answer."""

    data: bytes


@dataclass(frozen=True, slots=True)
class CheckPassword:
    """PLAIN: verify ``password`` for ``account`` (slow), then report the result."""

    account: str
    password: str

    def __repr__(self) -> str:
        return f"CheckPassword({self.account!r}, <hidden>)"


@dataclass(frozen=True, slots=True)
class CheckCertificate:
    """EXTERNAL: log in the account that holds the connection's certificate
    (``account`` names the one the client asked for, or is None for any)."""

    account: str | None


@dataclass(frozen=True, slots=True)
class Success:
    """The client proved it holds ``account``; ``final`` is a last message for it."""

    account: str
    final: bytes | None = None


@dataclass(frozen=True, slots=True)
class Failure:
    reason: str
    account: str | None = None  # who the attempt was against, when known


Step = Challenge | CheckPassword | CheckCertificate | Success | Failure


class Mechanism:
    name = ""

    def step(self, data: bytes) -> Step:
        raise NotImplementedError


class Plain(Mechanism):
    name = "PLAIN"

    def step(self, data: bytes) -> Step:
        try:
            authzid, authcid, password = data.decode().split("\0")
        except (UnicodeDecodeError, ValueError):
            return Failure("malformed PLAIN message")
        if not authcid or not password:
            return Failure("malformed PLAIN message")
        if authzid and authzid != authcid:
            return Failure("cannot act as another account", authcid)
        return CheckPassword(authcid, password)


class External(Mechanism):
    name = "EXTERNAL"

    def step(self, data: bytes) -> Step:
        try:
            authzid = data.decode()
        except UnicodeDecodeError:
            return Failure("malformed EXTERNAL message")
        return CheckCertificate(authzid or None)


class UnknownAccount(Exception):
    pass


class ScramSha256(Mechanism):
    """``lookup(name)`` returns the stored keys of an account, or None."""

    name = "SCRAM-SHA-256"

    def __init__(self, lookup: Callable[[str], ScramKeys | None]) -> None:
        from scramp import ScramMechanism  # imports ssl (channel binding): load on use

        self.lookup = lookup
        self.account: str | None = None
        self.server: Any = ScramMechanism(self.name).make_server(self._auth_info)
        self.state = 0

    def _auth_info(self, username: str) -> tuple[bytes, bytes, bytes, int]:
        self.account = username
        keys = self.lookup(username)
        if keys is None or not keys.stored_key:
            raise UnknownAccount(username)
        return keys.salt, keys.stored_key, keys.server_key, keys.iterations

    def step(self, data: bytes) -> Step:
        from scramp import ScramException

        try:
            text = data.decode()
            if self.state == 0:
                self.state = 1
                self.server.set_client_first(text)
                return Challenge(self.server.get_server_first().encode())
            if self.state == 1:
                self.state = 2
                self.server.set_client_final(text)
                return Success(str(self.account), self.server.get_server_final().encode())
        except UnknownAccount:
            return Failure("no such account", self.account)
        except (ScramException, UnicodeDecodeError, ValueError):
            return Failure("SCRAM authentication failed", self.account)
        return Failure("unexpected SCRAM message", self.account)


def start(name: str, lookup: Callable[[str], ScramKeys | None]) -> Mechanism | None:
    """A fresh mechanism by its (upper-case) name, or None when it is not offered."""
    if name == "PLAIN":
        return Plain()
    if name == "EXTERNAL":
        return External()
    if name == "SCRAM-SHA-256":
        return ScramSha256(lookup)
    return None
