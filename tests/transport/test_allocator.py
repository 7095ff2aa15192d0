"""The allocator's thresholds: glibc takes them; another C library is left alone."""

from __future__ import annotations

import os

import pytest

from chinwag.transport import allocator


def test_glibc_takes_the_thresholds() -> None:
    assert allocator.is_glibc()  # Debian, as the project runs on
    assert allocator.tune()


def test_another_c_library_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_glibc(name: str) -> str | None:
        raise ValueError(name)

    monkeypatch.setattr(os, "confstr", not_glibc)
    assert not allocator.is_glibc()
    assert not allocator.tune()
