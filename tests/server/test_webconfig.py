"""[web] and [files] in the config file, and the --http/--https/--no-http flags."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from chinwag.errors import ConfigError
from chinwag.server.config import ServerConfig, config_from_args, load_config_file
from chinwag.server.webconfig import DEFAULT_HTTP, DEFAULT_HTTPS, FilesConfig, WebConfig
from tests.server.test_config import parse_args, write

REPO = Path(__file__).resolve().parents[2]


class TestFile:
    def test_web_and_files_tables(self, tmp_path: Path) -> None:
        cfg = load_config_file(
            write(
                tmp_path,
                '[web]\nhttp = ["127.0.0.1:8000", ":8001"]\nhttps = []\n'
                "[files]\nmax_file_bytes = 1000\nanonymous = true\n"
                'refused_types = ["text/html"]\n',
            )
        )
        assert cfg.web.http == (("127.0.0.1", 8000), ("0.0.0.0", 8001))
        assert cfg.web.https == ()
        assert cfg.web.files.max_file_bytes == 1000 and cfg.web.files.anonymous
        assert cfg.web.files.refused_types == ("text/html",)
        assert cfg.web.files.retention_days == FilesConfig().retention_days

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("[web]\nport = 1\n", "web.port"),
            ('[web]\nhttp = "0.0.0.0:80"\n', "web.http"),
            ('[web]\nhttp = ["x:y"]\n', "bad listen address"),
            ("[files]\nmax_size = 1\n", "files.max_size"),
            ("[files]\nmax_file_bytes = -1\n", "files.max_file_bytes"),
            ('[files]\nanonymous = "yes"\n', "files.anonymous"),
            ("[files]\nretention_days = true\n", "files.retention_days"),
            ("[files]\nrefused_types = [1]\n", "files.refused_types"),
            ("web = 1\n", "[web]"),
        ],
    )
    def test_bad_values_are_one_line_errors(self, tmp_path: Path, text: str, message: str) -> None:
        with pytest.raises(ConfigError, match=re.escape(message)):
            load_config_file(write(tmp_path, text))

    @pytest.mark.parametrize("path", ["chinwag.example.toml", "src/chinwag/chinwag.example.toml"])
    def test_the_example_documents_every_files_key_with_its_default(self, path: str) -> None:
        cfg = load_config_file(REPO / path)
        assert cfg.web == WebConfig(http=DEFAULT_HTTP, https=DEFAULT_HTTPS)
        text = (REPO / path).read_text()
        for f in dataclasses.fields(FilesConfig):
            assert re.search(rf"^{f.name} = ", text, re.M), f.name

    def test_the_library_default_opens_no_web_port(self) -> None:
        assert not ServerConfig().web.enabled


class TestArgs:
    def test_the_command_line_default_is_8080_and_8443(self) -> None:
        cfg = config_from_args(parse_args())
        assert (cfg.web.http, cfg.web.https) == (DEFAULT_HTTP, DEFAULT_HTTPS)

    def test_flags_repeat_and_win_over_the_file(self, tmp_path: Path) -> None:
        path = write(tmp_path, '[web]\nhttp = ["0.0.0.0:9000"]\n')
        cfg = config_from_args(
            parse_args(
                *("--config", str(path), "--http", "127.0.0.1:1", "--http", "[::1]:2"),
                *("--https", "127.0.0.1:3"),
            )
        )
        assert cfg.web.http == (("127.0.0.1", 1), ("::1", 2))
        assert cfg.web.https == (("127.0.0.1", 3),)

    def test_no_http_turns_both_off(self) -> None:
        cfg = config_from_args(parse_args("--no-http", "--http", "127.0.0.1:1"))
        assert not cfg.web.enabled
