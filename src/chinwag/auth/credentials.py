"""Password credentials: an argon2id hash for PLAIN (and REGISTER, the CLI, HTTP), and
SCRAM-SHA-256 keys derived from the same password at the same time.

The clear password lives only as long as the call that receives it; what is kept is a
:class:`Credentials` value. Verifying a password costs one argon2 hash, which is slow on
purpose (see :data:`ARGON2_TIME_COST`): callers that serve many people hand it to a
worker (the server core does, through its ``Worker`` seam) rather than run it inline.

What this module does not do: store anything, or decide who may try (that is
:mod:`chinwag.auth.throttle`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2id parameters. OWASP's first recommendation (19 MiB, 2 passes, 1 lane): one
# verification measured 24 ms of CPU on the 2-core development machine (shared with
# other work), inside the 50 ms budget per login; see docs/benchmarks.md.
ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_PARALLELISM = 1
# PBKDF2 rounds for SCRAM-SHA-256: the minimum of RFC 7677 (the client pays them).
SCRAM_ITERATIONS = 4096
SCRAM_SALT_BYTES = 16
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 300  # an AUTHENTICATE payload is at most a few hundred bytes

_hasher = PasswordHasher(
    time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_PARALLELISM
)


@dataclass(frozen=True, slots=True)
class ScramKeys:
    """What a SCRAM-SHA-256 server keeps (RFC 5802 section 3): never the password."""

    salt: bytes
    stored_key: bytes
    server_key: bytes
    iterations: int


@dataclass(frozen=True, slots=True)
class Credentials:
    password_hash: str  # argon2id, PHC string
    scram: ScramKeys

    def __repr__(self) -> str:  # keep even the hash out of casual logs
        return "Credentials(<hidden>)"


def password_problem(password: str) -> str | None:
    """Why ``password`` is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Passwords must be at least {MIN_PASSWORD_LENGTH} characters long"
    if len(password.encode()) > MAX_PASSWORD_LENGTH:
        return f"Passwords must be at most {MAX_PASSWORD_LENGTH} bytes long"
    if any(unicodedata.category(ch) == "Cc" for ch in password):
        return "Passwords must not contain control characters"
    return None


def scram_keys(
    password: str, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS
) -> ScramKeys:
    """SCRAM-SHA-256 keys for ``password`` (RFC 5802: SaltedPassword, StoredKey, ServerKey).

    The password is normalised the way scramp's client does (SASLprep), so a client
    library and this server derive the same keys.
    """
    from scramp import ScramMechanism  # imports ssl (for channel binding): load on use

    salt = os.urandom(SCRAM_SALT_BYTES) if salt is None else salt
    _, stored, server, count = ScramMechanism("SCRAM-SHA-256").make_auth_info(
        password, iteration_count=iterations, salt=salt
    )
    return ScramKeys(salt, stored, server, count)


def make_credentials(password: str) -> Credentials:
    """Hash a new password (slow: one argon2 hash plus one PBKDF2)."""
    return Credentials(_hasher.hash(password), scram_keys(password))


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches the argon2 hash (slow: one argon2 hash)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def same_secret(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(hashlib.sha256(a).digest(), hashlib.sha256(b).digest())
