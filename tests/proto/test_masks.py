"""Mask matching, userhost splitting, ban-mask normalising and host-name checks.

The shared vectors are run in test_message.py; these are our own tables.
"""

from __future__ import annotations

import pytest

from chinwag.proto.casemap import folder
from chinwag.proto.masks import (
    CompiledMask,
    compile_mask,
    is_valid_hostname,
    match_mask,
    normalize_mask,
    split_userhost,
)
from tests.support import TIMEOUT

MATCH_TABLE: list[tuple[str, str, bool]] = [
    ("*", "", True),
    ("*", "anything!at@all", True),
    ("?", "", False),
    ("?", "a", True),
    ("??", "a", False),
    ("", "", True),
    ("", "a", False),
    ("abc", "abc", True),
    ("abc", "abcd", False),
    ("abc", "xabc", False),
    ("a*c", "ac", True),
    ("a*c", "abbbc", True),
    ("a*c", "abbbcd", False),
    ("*c", "abc", True),
    ("a*", "abc", True),
    ("a**c", "abc", True),
    ("*a*a*", "aa", True),
    ("*a*a*", "a", False),
    ("*ab*ab", "xabyabab", True),
    ("*ab?", "abab", False),
    ("*ab?", "abxabz", True),
    ("a?c*", "abc", True),
    ("*?*", "", False),
    # Regex and fnmatch specials are plain characters.
    ("a.c", "abc", False),
    ("a.c", "a.c", True),
    ("[x]", "x", False),
    ("[x]", "[x]", True),
    ("a+b", "a+b", True),
    ("(a|b)", "(a|b)", True),
    ("^$", "^$", True),
    # The backslash is a nick character, not an escape.
    ("back\\slash!*@*", "back\\slash!u@h", True),
    ("a\\*", "a\\bc", True),
    ("a\\*", "abc", False),
    # Text may contain newlines or anything else; '*' still spans it.
    ("a*b", "a\nb", True),
    ("a?b", "a\nb", True),
    ("*!*@*.example.com", "n!u@host.example.com", True),
    ("*!*@*.example.com", "n!u@example.com", False),
    ("*!~*@*", "n!~ident@h", True),
    ("*!~*@*", "n!ident@h", False),
]


@pytest.mark.parametrize(("mask", "text", "expected"), MATCH_TABLE)
def test_match_table(mask: str, text: str, expected: bool) -> None:
    assert match_mask(mask, text) is expected
    assert compile_mask(mask).matches(text) is expected


def test_matching_is_case_sensitive_without_a_fold() -> None:
    assert not match_mask("Alice!*@*", "alice!u@h")
    assert match_mask("Alice!*@*", "Alice!u@h")


@pytest.mark.parametrize(
    ("mask", "text", "rfc1459", "ascii"),
    [
        ("ALICE!*@*", "alice!u@h", True, True),
        ("alice!*@*", "ALICE!U@HOST", True, True),
        ("[bot]!*@*", "{BOT}!u@h", True, False),
        ("*!*@HOST.Example", "n!u@host.example", True, True),
        ("x^y*", "X~Y!u@h", True, False),
        ("bob", "alice", False, False),
    ],
)
def test_fold_applies_to_both_sides(mask: str, text: str, rfc1459: bool, ascii: bool) -> None:
    assert match_mask(mask, text, folder("rfc1459")) is rfc1459
    assert match_mask(mask, text, folder("ascii")) is ascii


def test_compiled_masks_are_cached_per_fold() -> None:
    fold = folder("rfc1459")
    first = compile_mask("*!*@cache.test", fold)
    assert compile_mask("*!*@cache.test", fold) is first
    assert compile_mask("*!*@cache.test") is not first
    assert isinstance(first, CompiledMask)
    assert first("n!u@CACHE.TEST")
    assert "cache.test" in repr(first)


@pytest.mark.timeout(6 * TIMEOUT)
def test_many_stars_do_not_backtrack_exponentially() -> None:
    # A naive backtracking glob would run for ages on this; ours is one scan. The
    # timeout only turns a regression into a failure instead of a hang.
    mask = "*a" * 30 + "*b"
    text = "a" * 5000
    assert not match_mask(mask, text)
    assert match_mask(mask, text + "b")


@pytest.mark.parametrize(
    ("source", "parts"),
    [
        ("nick", ("nick", None, None)),
        ("nick!user@host", ("nick", "user", "host")),
        ("nick!user", ("nick", "user", None)),
        ("nick@host", ("nick", None, "host")),
        ("nick!@", ("nick", "", "")),
        ("", ("", None, None)),
        ("irc.example.com", ("irc.example.com", None, None)),
        ("n!u@h@x", ("n", "u", "h@x")),
        ("n!u!v@h", ("n", "u!v", "h")),
        ("n!~u@2001:db8::1", ("n", "~u", "2001:db8::1")),
    ],
)
def test_split_userhost_table(source: str, parts: tuple[str, str | None, str | None]) -> None:
    assert split_userhost(source) == parts


@pytest.mark.parametrize(
    ("mask", "full"),
    [
        ("nick", "nick!*@*"),
        ("nick!user", "nick!user@*"),
        ("user@host", "*!user@host"),
        ("host.example.com", "*!*@host.example.com"),
        ("2001:db8::1", "*!*@2001:db8::1"),
        ("*.example.com", "*!*@*.example.com"),
        ("n!u@h", "n!u@h"),
        ("*!*@*", "*!*@*"),
        ("", "*!*@*"),
        ("!@", "*!*@*"),
        ("nick!", "nick!*@*"),
        ("@host", "*!*@host"),
        ("!user@", "*!user@*"),
        ("ni ck", "nick!*@*"),
        ("*", "*!*@*"),
    ],
)
def test_normalize_mask_table(mask: str, full: str) -> None:
    assert normalize_mask(mask) == full


def test_normalized_ban_catches_the_user() -> None:
    fold = folder("rfc1459")
    assert match_mask(normalize_mask("Troll"), "troll!t@10.0.0.1", fold)
    assert match_mask(normalize_mask("10.0.0.1"), "anyone!x@10.0.0.1", fold)
    assert match_mask(normalize_mask("*@*.lan"), "a!b@pc.lan", fold)
    assert not match_mask(normalize_mask("Troll"), "trolley!t@10.0.0.1", fold)


@pytest.mark.parametrize(
    ("host", "valid"),
    [
        ("chinwag.local", True),
        ("a.b", True),
        ("127.0.0.1", True),
        ("UPPER.CASE", True),
        ("x" * 63 + ".com", True),
        ("x" * 64 + ".com", False),
        (".".join(["abcdefghi"] * 25) + ".ab", True),  # 252 characters
        (".".join(["abcdefghi"] * 25) + ".abcd", False),  # 254 characters
        ("a..b", False),
        (".a.b", False),
        ("a.b..", False),
        (".", False),
        ("a-.b", False),
        ("a.-b", False),
        ("a.b-c", True),
        ("bücher.ch", False),
        ("a.b\n", False),
        ("a.b/c", False),
        ("host:6667.x", False),
    ],
)
def test_is_valid_hostname_table(host: str, valid: bool) -> None:
    assert is_valid_hostname(host) is valid
