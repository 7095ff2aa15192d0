"""Fixtures for the server tests: alice's credentials, hashed once per session."""

from __future__ import annotations

import pytest

from chinwag.auth.credentials import Credentials, make_credentials
from tests.server.harness import ALICE_PASSWORD


@pytest.fixture(scope="session")
def creds() -> Credentials:
    return make_credentials(ALICE_PASSWORD)
