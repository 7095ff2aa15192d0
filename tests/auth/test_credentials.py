"""Credentials: argon2id hashes that verify only the right password, SCRAM keys that a
real SCRAM client (scramp's) agrees with, and no password in any representation."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from scramp import ScramClient, ScramMechanism

from chinwag.auth import credentials as C
from chinwag.auth.credentials import make_credentials, password_problem, verify_password

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def creds() -> C.Credentials:
    return make_credentials(PASSWORD)


def test_argon2id_with_the_stated_parameters(creds: C.Credentials) -> None:
    assert not PasswordHasher(
        time_cost=C.ARGON2_TIME_COST,
        memory_cost=C.ARGON2_MEMORY_KIB,
        parallelism=C.ARGON2_PARALLELISM,
    ).check_needs_rehash(creds.password_hash)
    assert creds.password_hash.startswith("$argon2id$")
    assert f"m={C.ARGON2_MEMORY_KIB},t={C.ARGON2_TIME_COST},p={C.ARGON2_PARALLELISM}" in (
        creds.password_hash
    )


def test_verify_right_and_wrong(creds: C.Credentials) -> None:
    assert verify_password(creds.password_hash, PASSWORD)
    assert not verify_password(creds.password_hash, PASSWORD + "!")
    assert not verify_password("not a hash", PASSWORD)


def test_no_password_in_representations(creds: C.Credentials) -> None:
    for text in (repr(creds), str(creds), creds.password_hash, repr(creds.scram)):
        assert PASSWORD not in text
    assert PASSWORD.encode() not in creds.scram.stored_key + creds.scram.server_key


def test_scram_keys_work_with_a_real_scram_client(creds: C.Credentials) -> None:
    s = creds.scram
    assert s.iterations == C.SCRAM_ITERATIONS and len(s.salt) == C.SCRAM_SALT_BYTES
    server = ScramMechanism("SCRAM-SHA-256").make_server(
        lambda _user: (s.salt, s.stored_key, s.server_key, s.iterations)
    )
    client = ScramClient(["SCRAM-SHA-256"], "alice", PASSWORD)
    server.set_client_first(client.get_client_first())
    client.set_server_first(server.get_server_first())
    server.set_client_final(client.get_client_final())
    client.set_server_final(server.get_server_final())  # raises if the server is wrong


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least"),
        ("x" * 301, "at most"),
        ("tab\tinside!", "control"),
        ("fine pass", None),
    ],
)
def test_password_problem(password: str, problem: str | None) -> None:
    found = password_problem(password)
    assert (found is None) if problem is None else (found is not None and problem in found)
