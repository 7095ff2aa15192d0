"""Casemapping: rfc1459 (the default) and ascii folding, as tables."""

from __future__ import annotations

import pytest

from chinwag.proto.casemap import CASEMAPPINGS, fold, folder


@pytest.mark.parametrize(
    ("name", "rfc1459", "ascii"),
    [
        ("Alice", "alice", "alice"),
        ("NICK[]\\~", "nick{}|^", "nick[]\\~"),
        ("nick{}|^", "nick{}|^", "nick{}|^"),
        ("#Lobby", "#lobby", "#lobby"),
        ("ÉCOLE", "École", "École"),
        ("", "", ""),
        ("123-_`", "123-_`", "123-_`"),
    ],
)
def test_fold_table(name: str, rfc1459: str, ascii: str) -> None:
    assert fold(name) == fold(name, "rfc1459") == rfc1459
    assert fold(name, "ascii") == ascii


def test_non_ascii_letters_are_left_alone() -> None:
    # Only ASCII folds: a server cannot know how every client would fold Unicode.
    assert fold("ÄÖÜ") == "ÄÖÜ"
    assert fold("ÄÖÜ", "ascii") == "ÄÖÜ"


@pytest.mark.parametrize("casemapping", sorted(CASEMAPPINGS))
def test_folder_agrees_with_fold(casemapping: str) -> None:
    f = folder(casemapping)
    # ASCII names take folder's bytes table, the others the str table: both agree.
    for name in ["Alice", "[Bot]", "x~Y\\z", "#Chan^", "ÉCOLE[X]", "", "\x7f~"]:
        assert f(name) == fold(name, casemapping)
        # Folding is idempotent: a folded name is its own key.
        assert f(f(name)) == f(name)


def test_rfc1459_treats_bracket_pairs_as_one_name() -> None:
    assert fold("[bot]") == fold("{BOT}")
    assert fold("a\\b") == fold("A|B")
    assert fold("x~") == fold("X^")
    assert fold("[bot]", "ascii") != fold("{BOT}", "ascii")


def test_unknown_casemapping_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        folder("rfc7613")
    with pytest.raises(KeyError):
        fold("x", "strict-rfc1459-typo")
