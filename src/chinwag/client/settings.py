"""The client's settings file: last server, nickname, theme, where private chats open,
whether to refuse unencrypted connections, how to be told about messages (desktop
notifications, sound, muted conversations), and the rooms each server and nick was in
(joined again at the next start, so their unread counts come back), as JSON.

It lives in the user's config directory (platformdirs), or in ``$CHINWAG_CONFIG_DIR``
when that is set (tests point it at a temporary directory). A missing or broken file
gives the defaults; saving writes a temporary file and renames it over the old one.

What this module does not do: store passwords.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

ENV_CONFIG_DIR = "CHINWAG_CONFIG_DIR"
DEFAULT_PORT = 6667
THEMES = ("light", "dark")


def config_dir() -> Path:
    override = os.environ.get(ENV_CONFIG_DIR)
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir("chinwag", appauthor=False))


def settings_path() -> Path:
    return config_dir() / "client.json"


def read_json_object(path: Path) -> dict[str, Any]:
    """A JSON object from a file of the config directory; {} when it is missing,
    unreadable or not an object (a damaged file is as good as none)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` so that a reader sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class Settings:
    host: str = "localhost"
    port: int = DEFAULT_PORT
    nick: str = ""
    theme: str = "light"
    private_windows: bool = False  # private chats in their own windows, not the sidebar
    notifications: bool = True  # desktop notifications for private messages and mentions
    sound: bool = True  # ring the bell for them
    muted: list[str] = field(default_factory=list)  # conversations (folded names) kept quiet
    refuse_plain: bool = False  # never connect without encryption
    # The rooms joined when the app last left a server, by rooms_key(host, port, nick).
    rooms: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        data = read_json_object(path or settings_path())
        settings = cls()
        for f in fields(cls):
            value = data.get(f.name)
            if type(value) is type(getattr(settings, f.name)):  # (True is an int too)
                setattr(settings, f.name, value)
        settings.muted = [name for name in settings.muted if isinstance(name, str)]
        settings.rooms = {
            k: [r for r in v if isinstance(r, str)]
            for k, v in settings.rooms.items()
            if isinstance(v, list)
        }
        if settings.theme not in THEMES:
            settings.theme = "light"
        return settings

    def rooms_for(self, host: str, port: int, nick: str) -> tuple[str, ...]:
        return tuple(self.rooms.get(rooms_key(host, port, nick), ()))

    def save(self, path: Path | None = None) -> None:
        with contextlib.suppress(OSError):
            write_json_atomically(path or settings_path(), asdict(self))


def rooms_key(host: str, port: int, nick: str) -> str:
    """Where :attr:`Settings.rooms` keeps the rooms of ``nick`` on a server."""
    return f"{host.lower()}:{port}/{nick.lower()}"
