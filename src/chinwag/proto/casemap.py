"""Casemapping: how nicknames and channel names fold for comparison.

``rfc1459`` (the default, as most servers) folds A-Z to a-z and also []\\~ to {}|^.
``ascii`` folds only A-Z. The server advertises its choice as ISUPPORT CASEMAPPING and
folds every name once, at the edge; state is keyed by the folded name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

CasemappingName = Literal["rfc1459", "ascii"]

_ASCII_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ASCII_LOWER = "abcdefghijklmnopqrstuvwxyz"
_ASCII_TABLE = str.maketrans(_ASCII_UPPER, _ASCII_LOWER)
_RFC1459_TABLE = str.maketrans(_ASCII_UPPER + "[]\\~", _ASCII_LOWER + "{}|^")

CASEMAPPINGS: dict[str, dict[int, int]] = {
    "ascii": _ASCII_TABLE,
    "rfc1459": _RFC1459_TABLE,
}


def fold(name: str, casemapping: str = "rfc1459") -> str:
    """Fold ``name`` under ``casemapping`` for comparison and as a state key."""
    return name.translate(CASEMAPPINGS[casemapping])


# The same tables for ASCII bytes: bytes.translate is a table lookup per byte, several
# times faster than str.translate's dict lookups (names are folded on every message).
_BYTE_TABLES: dict[str, bytes] = {
    "ascii": bytes.maketrans(_ASCII_UPPER.encode(), _ASCII_LOWER.encode()),
    "rfc1459": bytes.maketrans((_ASCII_UPPER + "[]\\~").encode(), (_ASCII_LOWER + "{}|^").encode()),
}


def folder(casemapping: str) -> Callable[[str], str]:
    """A one-argument folding function for ``casemapping`` (raises KeyError if unknown)."""
    table = CASEMAPPINGS[casemapping]
    byte_table = _BYTE_TABLES[casemapping]

    def _fold(name: str) -> str:
        if name.isascii():
            return name.encode().translate(byte_table).decode()
        return name.translate(table)

    return _fold
