"""Trust on first use, GUI-free: the pin store, the verdicts and the connection plan."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from chinwag.certs import fingerprint_display, fingerprint_hex
from chinwag.client.trust import (
    PinStore,
    announced_fingerprint,
    judge,
    normalize_fingerprint,
    plan,
)

FP_A = "ab" * 32
FP_B = "cd" * 32


def test_fingerprint_forms() -> None:
    assert (
        fingerprint_hex(b"x") == "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
    )
    shown = fingerprint_display(FP_A)
    assert shown == ":".join(["AB"] * 32)
    assert normalize_fingerprint(shown) == FP_A
    assert normalize_fingerprint(shown.lower().replace(":", " ")) == FP_A
    assert normalize_fingerprint("AB:CD") == "" and normalize_fingerprint("zz" * 32) == ""


def test_pins_are_kept_per_server_in_one_atomic_file(tmp_path: Path) -> None:
    pins = PinStore(tmp_path / "cfg" / "known_servers.json")
    assert pins.get("chat.local", 6697) == ""
    pins.pin("Chat.Local", 6697, fingerprint_display(FP_A))
    pins.pin("10.0.0.2", 6697, FP_B)
    pins.pin("::1", 7000, FP_B)
    assert pins.get("chat.local", 6697) == FP_A
    assert pins.get("chat.local", 7000) == ""
    assert pins.get("[::1]", 7000) == FP_B
    stored = json.loads(pins.path.read_text())
    assert stored == {"chat.local:6697": FP_A, "10.0.0.2:6697": FP_B, "[::1]:7000": FP_B}
    assert os.listdir(pins.path.parent) == ["known_servers.json"]  # no temporary file left
    pins.pin("chat.local", 6697, FP_B)  # replacing a pin (the explicit "accept new" path)
    assert PinStore(pins.path).get("chat.local", 6697) == FP_B
    with pytest.raises(ValueError):
        pins.pin("chat.local", 6697, "not a fingerprint")


def test_a_broken_pin_file_is_no_pins(tmp_path: Path) -> None:
    path = tmp_path / "known_servers.json"
    path.write_text("{broken")
    assert PinStore(path).get("h", 1) == ""
    path.write_text(json.dumps({"h:1": "nonsense", "h:2": FP_A}))
    assert PinStore(path).get("h", 1) == "" and PinStore(path).get("h", 2) == FP_A


@pytest.mark.parametrize(
    ("pinned", "announced", "seen", "verdict"),
    [
        ("", "", FP_A, "new"),
        ("", FP_B, FP_A, "new"),
        ("", fingerprint_display(FP_A), FP_A, "announced"),
        (FP_A, "", FP_A, "pinned"),
        (FP_A, FP_B, FP_A, "pinned"),
        (FP_A, "", FP_B, "changed"),
        (FP_A, FP_B, FP_B, "changed"),  # a pin wins over what the LAN announces
    ],
)
def test_judge(pinned: str, announced: str, seen: str, verdict: str) -> None:
    assert judge(pinned, announced, seen) == verdict


@pytest.mark.parametrize(
    ("port", "tls", "steps"),
    [
        (6667, None, [(6697, True), (6667, False)]),  # no port typed: TLS first
        (6697, None, [(6697, True)]),
        (7000, None, [(7000, False)]),
        (6667, True, [(6697, True)]),
        (7000, True, [(7000, True)]),
        (6667, False, [(6667, False)]),
        (6697, False, [(6697, False)]),
    ],
)
def test_plan(port: int, tls: bool | None, steps: list[tuple[int, bool]]) -> None:
    assert plan(port, tls) == steps


def test_announced_fingerprint_matches_by_address_or_name() -> None:
    found = [
        SimpleNamespace(host="other.local.", addresses=("10.0.0.9",), fingerprint=FP_B),
        SimpleNamespace(host="kitchen.local.", addresses=("10.0.0.2",), fingerprint=FP_A),
        SimpleNamespace(host="plain.local.", addresses=("10.0.0.3",)),
    ]
    assert announced_fingerprint(found, "10.0.0.2") == FP_A
    assert announced_fingerprint(found, "kitchen.local") == FP_A
    assert announced_fingerprint(found, "10.0.0.3") == ""
    assert announced_fingerprint(found, "10.0.0.4") == ""
