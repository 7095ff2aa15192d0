"""Nickname and channel-name validation, as tables."""

from __future__ import annotations

import pytest

from chinwag.proto.limits import Limits
from chinwag.proto.validate import is_valid_channel, is_valid_nick

VALID_NICKS = [
    "alice",
    "Alice",
    "a",
    "a1",
    "a-b",
    "[bot]",
    "{x}",
    "x|y",
    "_under",
    "`tick",
    "^caret",
    "back\\slash",
    "z" * 30,
]

INVALID_NICKS = [
    "",
    "1abc",
    "-abc",
    "with space",
    "a,b",
    "a*",
    "a?",
    "a!b",
    "a@b",
    "a.b",
    "#chan",
    "&chan",
    ":colon",
    "$mask",
    "a:b",
    "a#b",
    "café",
    "a\tb",
    "a\x00",
    "a\r",
    "a\n",
    "a\x03b",
    "z" * 31,
    "~tilde",
    "a~",
    "a+b",
    "a/b",
    "a%b",
]


@pytest.mark.parametrize("nick", VALID_NICKS)
def test_valid_nicks(nick: str) -> None:
    assert is_valid_nick(nick, 30)


@pytest.mark.parametrize("nick", INVALID_NICKS)
def test_invalid_nicks(nick: str) -> None:
    assert not is_valid_nick(nick, 30)


def test_nicklen_is_honoured() -> None:
    assert is_valid_nick("abcd", 4)
    assert not is_valid_nick("abcde", 4)
    assert not is_valid_nick("a", 0)
    # The default is the server's default limit.
    assert is_valid_nick("n" * Limits().nicklen)
    assert not is_valid_nick("n" * (Limits().nicklen + 1))


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("#lobby", True),
        ("#a", True),
        ("#Lobby-2", True),
        ("#ünïcödé", True),
        ("##double", True),
        ("#a:b", True),
        ("#[x]", True),
        ("#", False),
        ("", False),
        ("lobby", False),
        ("&local", False),
        ("#a b", False),
        ("#a,b", False),
        ("#a\x07b", False),
        ("#a\x00b", False),
        ("#a\rb", False),
        ("#a\nb", False),
    ],
)
def test_channel_names(name: str, valid: bool) -> None:
    assert is_valid_channel(name) is valid


def test_chantypes_are_the_servers() -> None:
    assert is_valid_channel("&local", chantypes="#&")
    assert not is_valid_channel("#x", chantypes="&")
    assert not is_valid_channel("#x", chantypes="")


def test_channellen_counts_utf8_bytes() -> None:
    assert is_valid_channel("#" + "a" * 9, channellen=10)
    assert not is_valid_channel("#" + "a" * 10, channellen=10)
    # 'é' is two bytes in UTF-8: 1 + 2*4 = 9 fits, 1 + 2*5 = 11 does not.
    assert is_valid_channel("#" + "é" * 4, channellen=10)
    assert not is_valid_channel("#" + "é" * 5, channellen=10)
    assert is_valid_channel("#" + "x" * (Limits().channellen - 1))
    assert not is_valid_channel("#" + "x" * Limits().channellen)
