"""Server configuration: TOML files with every key, validation errors as one-line
ConfigErrors, parse_listen, and the precedence defaults < file < flags."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from chinwag.errors import ConfigError, LocalError
from chinwag.paths import default_data_dir
from chinwag.proto.limits import Limits
from chinwag.server.config import (
    OperBlock,
    ServerConfig,
    add_server_arguments,
    config_from_args,
    config_from_mapping,
    load_config_file,
    parse_listen,
)

REPO = Path(__file__).resolve().parents[2]
HASH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("pw")

FULL = f"""
[server]
listen = ["127.0.0.1:7000", "[::1]:7001", ":7002"]
server_name = "irc.office.lan"
network = "office"
data_dir = "/var/lib/chinwag"
log_level = "debug"
lobby = "#general"
password = "let-me-in"
motd = "hello"
advertise = false
log_messages = true
casemapping = "ascii"
lobby_operators = ["alice", "Bob"]

[limits]
nicklen = 20
channellen = 40
topiclen = 300
kicklen = 200
awaylen = 100
userlen = 12
modes = 3
max_targets = 5
chanlimit = 30
sendq_bytes = 100000
backpressure_bytes = 20000
backpressure_seconds = 3.5
recvq_bytes = 9000
registration_timeout = 10
ping_interval = 90.5
ping_timeout = 30.0
flood_limit = false
flood_burst = 5
flood_interval = 1.5
connections_per_ip = 0
monitor = 50
whowas = 20
maxbans = 60
history_replay = 0
replay_window = 60
chathistory = 50
keep_history = false
private_history = false
history_days = 30
private_history_days = 7
history_queue = 1000

[[oper]]
name = "admin"
password_hash = "{HASH}"
hostmask = "*!*@10.*"

[[oper]]
name = "second"
password_hash = "{HASH}"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "chinwag.toml"
    path.write_text(text, encoding="utf-8")
    return path


class TestFile:
    def test_every_key(self, tmp_path: Path) -> None:
        cfg = load_config_file(write(tmp_path, FULL))
        assert cfg.listen == (("127.0.0.1", 7000), ("::1", 7001), ("0.0.0.0", 7002))
        assert cfg.server_name == "irc.office.lan"
        assert cfg.network == "office"
        assert cfg.data_dir == Path("/var/lib/chinwag")
        assert cfg.log_level == "debug"
        assert cfg.lobby == "#general"
        assert cfg.password == "let-me-in"
        assert cfg.motd == "hello"
        assert cfg.advertise is False
        assert cfg.log_messages is True
        assert cfg.casemapping == "ascii"
        assert cfg.lobby_operators == ("alice", "Bob")
        assert cfg.limits == Limits(
            nicklen=20,
            channellen=40,
            topiclen=300,
            kicklen=200,
            awaylen=100,
            userlen=12,
            modes=3,
            max_targets=5,
            chanlimit=30,
            sendq_bytes=100000,
            backpressure_bytes=20000,
            backpressure_seconds=3.5,
            recvq_bytes=9000,
            registration_timeout=10.0,
            ping_interval=90.5,
            ping_timeout=30.0,
            flood_limit=False,
            flood_burst=5,
            flood_interval=1.5,
            connections_per_ip=0,
            monitor=50,
            whowas=20,
            maxbans=60,
            history_replay=0,
            replay_window=60,
            chathistory=50,
            keep_history=False,
            private_history=False,
            history_days=30,
            private_history_days=7,
            history_queue=1000,
        )
        assert isinstance(cfg.limits.registration_timeout, float)
        assert cfg.opers == (
            OperBlock("admin", HASH, "*!*@10.*"),
            OperBlock("second", HASH, "*"),
        )

    def test_every_limit_field_is_covered_above(self) -> None:
        for f in dataclasses.fields(Limits):
            assert f"\n{f.name} = " in FULL, f.name

    def test_empty_file_gives_defaults(self, tmp_path: Path) -> None:
        assert load_config_file(write(tmp_path, "")) == ServerConfig()

    @pytest.mark.parametrize("path", ["chinwag.example.toml", "src/chinwag/chinwag.example.toml"])
    def test_the_example_config_loads_and_matches_the_defaults(self, path: str) -> None:
        cfg = load_config_file(REPO / path)
        assert cfg.limits == Limits()
        defaults = ServerConfig()
        assert cfg.listen == defaults.listen
        assert cfg.lobby == defaults.lobby
        assert cfg.casemapping == defaults.casemapping
        assert cfg.motd.strip() == defaults.motd.strip()

    def test_data_dir_expands_user(self, tmp_path: Path) -> None:
        cfg = load_config_file(write(tmp_path, '[server]\ndata_dir = "~/chat"\n'))
        assert cfg.data_dir == Path("~/chat").expanduser()

    @pytest.mark.parametrize(
        ("value", "lobby"), [("false", None), ('""', None), ("true", "#lobby"), ('"#x"', "#x")]
    )
    def test_lobby_values(self, tmp_path: Path, value: str, lobby: str | None) -> None:
        cfg = load_config_file(write(tmp_path, f"[server]\nlobby = {value}\n"))
        assert cfg.lobby == lobby

    def test_base_is_kept_for_missing_keys(self, tmp_path: Path) -> None:
        base = ServerConfig(network="base", limits=Limits(nicklen=9))
        cfg = load_config_file(write(tmp_path, "[limits]\ntopiclen = 10\n"), base)
        assert cfg.network == "base"
        assert (cfg.limits.nicklen, cfg.limits.topiclen) == (9, 10)


class TestErrors:
    @pytest.mark.parametrize(
        ("text", "fragment"),
        [
            ("bogus = 1", "bogus"),
            ("[serv]\nx = 1", "serv"),
            ("[server]\nport = 6667", "server.port"),
            ("[limits]\nlinelen = 1", "limits.linelen"),
            ('[server]\nlisten = "0.0.0.0:6667"', "server.listen"),
            ("[server]\nnetwork = 5", "server.network"),
            ('[server]\nadvertise = "yes"', "server.advertise"),
            ("[server]\nlobby = 1", "server.lobby"),
            ('[limits]\nnicklen = "30"', "limits.nicklen"),
            ("[limits]\nnicklen = 3.5", "limits.nicklen"),
            ("[limits]\nnicklen = true", "limits.nicklen"),
            ("[limits]\nnicklen = -1", "limits.nicklen"),
            ("[limits]\nping_timeout = 0", "limits.ping_timeout"),
            ("[limits]\nping_timeout = false", "limits.ping_timeout"),
            ("[limits]\nflood_limit = 1", "limits.flood_limit"),
            ('[server]\nlog_level = "loud"', "log_level"),
            ('[server]\ncasemapping = "unicode"', "casemapping"),
            ('[server]\nlobby = "lobby"', "lobby"),
            ('[server]\nlobby = "#a b"', "lobby"),
            ('[server]\nserver_name = "two words"', "server_name"),
            ('[server]\nnetwork = ""', "network"),
            ("[server]\nlisten = []", "listen"),
            ('[server]\nlisten = ["host:notaport"]', "host:notaport"),
            ('[server]\nlisten = ["host:70000"]', "70000"),
            ('[[oper]]\nname = "a"', "oper #1"),
            ('[[oper]]\nname = "a"\npassword_hash = "plain"', "argon2"),
            ('server = "x"', "[server]"),
            ('limits = "x"', "[limits]"),
            ('oper = "x"', "[[oper]]"),
            ("[server\nx=1", "chinwag.toml"),
        ],
    )
    def test_one_line_config_error(self, tmp_path: Path, text: str, fragment: str) -> None:
        with pytest.raises(ConfigError) as info:
            load_config_file(write(tmp_path, text + "\n"))
        message = str(info.value)
        assert fragment in message
        assert "\n" not in message.strip()
        assert isinstance(info.value, LocalError)

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="not found"):
            load_config_file(tmp_path / "nope.toml")

    def test_unreadable_path(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="cannot read"):
            load_config_file(tmp_path)  # a directory

    def test_mapping_api(self) -> None:
        data: dict[str, Any] = {"server": {"network": "n"}, "limits": {"modes": 2}}
        cfg = config_from_mapping(data)
        assert cfg.network == "n" and cfg.limits.modes == 2
        with pytest.raises(ConfigError):
            config_from_mapping({"limits": {"modes": "2"}})


class TestParseListen:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("127.0.0.1:6667", ("127.0.0.1", 6667)),
            ("0.0.0.0:0", ("0.0.0.0", 0)),
            (":7000", ("0.0.0.0", 7000)),
            ("7000", ("0.0.0.0", 7000)),
            (" 7000 ", ("0.0.0.0", 7000)),
            ("[::1]:6697", ("::1", 6697)),
            ("[::]:6667", ("::", 6667)),
            ("localhost:65535", ("localhost", 65535)),
        ],
    )
    def test_valid(self, text: str, expected: tuple[str, int]) -> None:
        assert parse_listen(text) == expected

    @pytest.mark.parametrize(
        "text", ["", "host", "host:", "host:port", "[::1:6667", "1.2.3.4:65536", "1.2.3.4:-1"]
    )
    def test_invalid(self, text: str) -> None:
        with pytest.raises(ConfigError, match="bad listen address"):
            parse_listen(text)


def parse_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="chinwag server")
    add_server_arguments(parser)
    return parser.parse_args(list(argv))


class TestArgs:
    def test_defaults(self) -> None:
        cfg = config_from_args(parse_args())
        assert cfg.listen == (("0.0.0.0", 6667),)
        assert cfg.data_dir == default_data_dir()
        assert cfg.lobby == "#lobby"
        assert cfg.limits.flood_limit is True
        assert cfg.advertise is True
        assert cfg.log_messages is False
        assert cfg.log_level == "info"

    def test_every_flag(self, tmp_path: Path) -> None:
        cfg = config_from_args(
            parse_args(
                "--listen",
                "127.0.0.1:7000",
                "--listen",
                "[::1]:7001",
                "--data-dir",
                str(tmp_path),
                "--log-level",
                "warning",
                "--no-lobby",
                "--no-flood-limit",
                "--no-advertise",
                "--log-messages",
            )
        )
        assert cfg.listen == (("127.0.0.1", 7000), ("::1", 7001))
        assert cfg.data_dir == tmp_path
        assert cfg.log_level == "warning"
        assert cfg.lobby is None
        assert cfg.limits.flood_limit is False
        assert cfg.advertise is False
        assert cfg.log_messages is True

    def test_file_over_defaults_and_flags_over_file(self, tmp_path: Path) -> None:
        path = write(
            tmp_path,
            '[server]\nlisten = ["127.0.0.1:7000"]\nlog_level = "debug"\nnetwork = "filenet"\n'
            'data_dir = "from-file"\nlobby = "#file"\n[limits]\nflood_burst = 3\n',
        )
        from_file = config_from_args(parse_args("--config", str(path)))
        assert from_file.listen == (("127.0.0.1", 7000),)
        assert from_file.log_level == "debug"
        assert from_file.network == "filenet"
        assert from_file.data_dir == Path("from-file")
        assert from_file.lobby == "#file"
        assert from_file.limits.flood_burst == 3
        both = config_from_args(
            parse_args(
                "--config",
                str(path),
                "--listen",
                ":7100",
                "--log-level",
                "error",
                "--data-dir",
                "flagdir",
                "--no-lobby",
                "--no-flood-limit",
            )
        )
        assert both.listen == (("0.0.0.0", 7100),)
        assert both.log_level == "error"
        assert both.data_dir == Path("flagdir")
        assert both.lobby is None
        assert both.limits.flood_limit is False
        assert both.limits.flood_burst == 3  # the file's other limits survive the flag
        assert both.network == "filenet"  # no flag for it: the file wins

    def test_bad_flag_values(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="bad listen address"):
            config_from_args(parse_args("--listen", "x:y"))
        with pytest.raises(SystemExit):
            parse_args("--log-level", "loud")
        with pytest.raises(ConfigError, match="not found"):
            config_from_args(parse_args("--config", str(tmp_path / "missing.toml")))

    def test_every_flag_is_documented_with_its_config_key(self) -> None:
        parser = argparse.ArgumentParser(prog="chinwag server")
        add_server_arguments(parser)
        text = parser.format_help()
        for flag in (
            "--listen",
            "--config",
            "--data-dir",
            "--log-level",
            "--no-lobby",
            "--no-flood-limit",
            "--no-advertise",
            "--log-messages",
        ):
            assert flag in text
        for action in parser._actions:
            if action.option_strings and action.dest not in ("help", "config"):
                assert action.help and "config:" in action.help, action.dest


class TestTLS:
    def test_chinwag_server_listens_with_tls_on_6697_by_default(self) -> None:
        cfg = config_from_args(parse_args())
        assert cfg.tls_listen == (("0.0.0.0", 6697),)
        assert cfg.plaintext is True
        assert cfg.tls_cert is None and cfg.tls_key is None
        assert ServerConfig().tls_listen == ()  # embedded/test default: no TLS

    def test_tls_table_and_plaintext_key(self, tmp_path: Path) -> None:
        path = write(
            tmp_path,
            '[server]\nplaintext = false\n[tls]\nlisten = ["127.0.0.1:7443", ":7444"]\n'
            'cert = "~/c.pem"\nkey = "k.pem"\nsts_duration = 60\n',
        )
        cfg = load_config_file(path)
        assert cfg.tls_listen == (("127.0.0.1", 7443), ("0.0.0.0", 7444))
        assert cfg.plaintext is False
        assert cfg.tls_cert == Path("~/c.pem").expanduser()
        assert cfg.tls_key == Path("k.pem")
        assert cfg.sts_duration == 60

    def test_flags_win_over_the_file(self, tmp_path: Path) -> None:
        path = write(
            tmp_path, '[tls]\nlisten = ["127.0.0.1:7443"]\ncert = "a.pem"\nkey = "a.key"\n'
        )
        cfg = config_from_args(
            parse_args(
                "--config",
                str(path),
                "--tls",
                "127.0.0.1:8443",
                "--tls",
                "[::1]:8444",
                "--tls-cert",
                "b.pem",
                "--no-plaintext",
            )
        )
        assert cfg.tls_listen == (("127.0.0.1", 8443), ("::1", 8444))
        assert (cfg.tls_cert, cfg.tls_key) == (Path("b.pem"), None)
        assert cfg.plaintext is False
        off = config_from_args(parse_args("--config", str(path), "--no-tls"))
        assert off.tls_listen == () and off.tls_cert == Path("a.pem")

    @pytest.mark.parametrize(
        ("text", "fragment"),
        [
            ("[tls]\nport = 1", "tls.port"),
            ('[tls]\nlisten = "0.0.0.0:6697"', "tls.listen"),
            ("[tls]\nsts_duration = -1", "sts_duration"),
            ('[tls]\nkey = "k.pem"', "needs its certificate"),
            ("[server]\nplaintext = false\n[tls]\nlisten = []", "at least one listen"),
            ('[tls]\nlisten = ["x:y"]', "bad listen address"),
        ],
    )
    def test_errors(self, tmp_path: Path, text: str, fragment: str) -> None:
        with pytest.raises(ConfigError, match=fragment):
            load_config_file(write(tmp_path, text))

    @pytest.mark.parametrize("path", ["chinwag.example.toml", "src/chinwag/chinwag.example.toml"])
    def test_the_example_documents_every_tls_key(self, path: str) -> None:
        from chinwag.server.config import _SERVER_KEYS, _TLS_KEYS

        text = (REPO / path).read_text()
        tls_part = text[text.index("\n[tls]\n") : text.index("\n[limits]\n")]
        for key in _TLS_KEYS:
            assert f"{key} = " in tls_part, key
        for key in _SERVER_KEYS:
            assert f"{key} = " in text[: text.index("\n[tls]\n")], key
        cfg = load_config_file(REPO / path)
        assert cfg.tls_listen == (("0.0.0.0", 6697),) and cfg.plaintext
