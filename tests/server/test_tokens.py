"""Upload tokens: issued by FILETOKEN, valid for a while, unguessable, bounded."""

from __future__ import annotations

import pytest

from chinwag.server import tokens
from chinwag.server.tokens import UploadTokens


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_token_is_valid_until_it_expires() -> None:
    clock = Clock()
    book = UploadTokens(60, clock)
    token, grant = book.issue("alice", "alice")
    assert book.check(token) == grant and grant.expires == 1060.0
    clock.now = 1059.9
    assert book.check(token) is not None
    clock.now = 1060.0
    assert book.check(token) is None
    assert token not in book.grants


def test_tokens_are_distinct_and_unknown_ones_fail() -> None:
    book = UploadTokens(60)
    issued = {book.issue("bob", None)[0] for _ in range(100)}
    assert len(issued) == 100 and all(len(t) >= 32 for t in issued)
    assert book.check("guess") is None and book.check("") is None


def test_the_book_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "MAX_TOKENS", 5)
    book = UploadTokens(60)
    first = book.issue("a", None)[0]
    for _ in range(10):
        book.issue("b", None)
    assert len(book.grants) == 5 and book.check(first) is None
