"""Account passwords in the system keyring (``keyring``), when there is one.

On a desktop with a keyring service (GNOME Keyring, KWallet, macOS Keychain, Windows
Credential Manager) the password of each (server, account) is kept there; without one
(a bare X session, a container, CI) nothing is saved and :func:`available` says so, so
the connect dialog can tell the person. Passwords never go to the settings file.

What this module does not do: ask for passwords, or cache them in memory.
"""

from __future__ import annotations

import contextlib

SERVICE = "chinwag"


def _keyring() -> object | None:
    try:
        import keyring
        from keyring.backends import fail
    except Exception:  # not installed, or broken: no keyring
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        return None
    return backend


def available() -> bool:
    return _keyring() is not None


def _key(host: str, account: str) -> str:
    return f"{account.lower()}@{host.lower()}"


def load(host: str, account: str) -> str:
    backend = _keyring()
    if backend is None or not account:
        return ""
    with contextlib.suppress(Exception):
        value = backend.get_password(SERVICE, _key(host, account))  # type: ignore[attr-defined]
        return value if isinstance(value, str) else ""
    return ""


def save(host: str, account: str, password: str) -> bool:
    """Keep ``password``; False when there is no keyring (or it refused)."""
    backend = _keyring()
    if backend is None or not account:
        return False
    try:
        backend.set_password(SERVICE, _key(host, account), password)  # type: ignore[attr-defined]
    except Exception:
        return False
    return True
