"""Settings persist as JSON in the config directory (CHINWAG_CONFIG_DIR in tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chinwag.client.settings import ENV_CONFIG_DIR, Settings, rooms_key, settings_path


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(ENV_CONFIG_DIR, str(tmp_path / "cfg"))
    return tmp_path / "cfg"


def test_round_trip(config_dir: Path) -> None:
    Settings(host="chat.local", port=7000, nick="alice", theme="dark", private_windows=True).save()
    assert settings_path() == config_dir / "client.json"
    assert Settings.load() == Settings("chat.local", 7000, "alice", "dark", True)


def test_missing_or_broken_files_give_defaults(config_dir: Path) -> None:
    assert Settings.load() == Settings()
    config_dir.mkdir()
    (config_dir / "client.json").write_text("{not json")
    assert Settings.load() == Settings()
    (config_dir / "client.json").write_text('{"port": "x", "theme": "neon", "nick": "bo"}')
    assert Settings.load() == Settings(nick="bo")
    (config_dir / "client.json").write_text('{"port": true, "private_windows": 1}')
    assert Settings.load() == Settings()


def test_rooms_are_kept_per_server_and_nick(config_dir: Path) -> None:
    settings = Settings()
    settings.rooms[rooms_key("Chat.local", 6667, "Alice")] = ["#lobby", "#side"]
    settings.save()
    loaded = Settings.load()
    assert loaded.rooms_for("chat.local", 6667, "alice") == ("#lobby", "#side")
    assert loaded.rooms_for("chat.local", 6668, "alice") == ()
    assert loaded.rooms_for("chat.local", 6667, "bob") == ()
    (config_dir / "client.json").write_text('{"rooms": {"a": ["#x", 3], "b": "#y", "c": 1}}')
    assert Settings.load().rooms == {"a": ["#x"]}
