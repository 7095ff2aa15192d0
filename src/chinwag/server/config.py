"""Server configuration: one frozen snapshot, built from defaults, a TOML file and flags.

Precedence: built-in defaults < config file (``--config``) < command-line flags. The
commented example ``chinwag.example.toml`` (shipped in the package and at the repository
root) is the reference for every key. Validation happens here, on load, and a bad
config is a :class:`~chinwag.errors.ConfigError` with a one-line message.

This module reads the config file it is pointed at; it opens no sockets and starts
nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chinwag.errors import ConfigError
from chinwag.paths import default_data_dir
from chinwag.proto.casemap import CASEMAPPINGS
from chinwag.proto.limits import Limits
from chinwag.server.webconfig import DEFAULT_HTTP, DEFAULT_HTTPS, WebConfig, web_from_mapping

DEFAULT_PORT = 6667
DEFAULT_TLS_PORT = 6697
# IRCv3 sts: how long (seconds) a client keeps to TLS after seeing the policy.
DEFAULT_STS_DURATION = 30 * 24 * 3600
DEFAULT_MOTD = (
    "Welcome to chinwag, chat for your local network.\n"
    "Everyone starts in #lobby. /join #room opens another room; /msg nick talks privately."
)
LOG_LEVELS = ("debug", "info", "warning", "error")
REGISTRATION_MODES = ("open", "admin", "closed")
NICK_ENFORCEMENT = ("grace", "strict", "off")


@dataclass(frozen=True, slots=True)
class OperBlock:
    """An operator login: OPER <name> <password>. ``password_hash`` is argon2."""

    name: str
    password_hash: str
    hostmask: str = "*"


@dataclass(frozen=True, slots=True)
class AccountsConfig:
    """``[accounts]``: who may register, how names are protected, login throttling."""

    registration: str = "open"  # open | admin (operators, CLI, admin window) | closed
    required: bool = False  # only logged-in people may connect
    nick_enforcement: str = "grace"  # grace | strict | off
    nick_grace: float = 30.0  # seconds to log in before being renamed (grace mode)
    guest_prefix: str = "Guest"
    plain_over_plaintext: bool = False  # SASL PLAIN / REGISTER over plain TCP (not loopback)
    throttle_first_delay: float = 1.0
    throttle_max_delay: float = 30.0
    lockout_after: int = 10
    lockout_seconds: float = 900.0


@dataclass(frozen=True, slots=True)
class ServerConfig:
    listen: tuple[tuple[str, int], ...] = (("0.0.0.0", DEFAULT_PORT),)
    # Embedded/test default: no TLS; ``chinwag server`` adds 0.0.0.0:6697 (config_from_args).
    tls_listen: tuple[tuple[str, int], ...] = ()
    plaintext: bool = True  # listen on ``listen`` too (False: TLS only)
    tls_cert: Path | None = None  # None: a self-signed one under data_dir/tls
    tls_key: Path | None = None  # None with tls_cert: the key is in the cert file
    sts_duration: int = DEFAULT_STS_DURATION
    # CA bundle that decides whether the certificate is "publicly trusted" (sts); None:
    # the system's. Not a config-file key: tests point it at a test CA.
    tls_trust_store: Path | None = None
    server_name: str = "chinwag.local"
    network: str = "chinwag"
    data_dir: Path | None = None
    log_level: str = "info"
    lobby: str | None = "#lobby"
    password: str | None = None
    motd: str = DEFAULT_MOTD
    advertise: bool = True
    log_messages: bool = False
    casemapping: str = "rfc1459"
    opers: tuple[OperBlock, ...] = ()
    # Accounts that hold operator status in the lobby (when logged in to them).
    lobby_operators: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    # The web service (uploads, health, the browser client); off unless given addresses.
    web: WebConfig = field(default_factory=WebConfig)
    accounts: AccountsConfig = field(default_factory=AccountsConfig)

    def replace(self, **changes: Any) -> ServerConfig:
        return dataclasses.replace(self, **changes)


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT``, ``:PORT``, ``PORT`` or ``[V6]:PORT`` -> (host, port)."""
    text = value.strip()
    host = "0.0.0.0"
    port_text = text
    if text.startswith("["):
        end = text.find("]")
        if end == -1:
            raise ConfigError(f"bad listen address {value!r}: missing ']'")
        host = text[1:end]
        port_text = text[end + 1 :].lstrip(":")
    elif ":" in text:
        host_part, _, port_text = text.rpartition(":")
        host = host_part or host
    try:
        port = int(port_text)
    except ValueError:
        raise ConfigError(f"bad listen address {value!r}: expected HOST:PORT") from None
    if not 0 <= port <= 65535:
        raise ConfigError(f"bad listen address {value!r}: port out of range")
    return host, port


def _expect(table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = table[key]
    if isinstance(value, bool) and kind in (int, float, (int, float)):
        raise ConfigError(f"{where}.{key}: expected a number, got {value!r}")
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ConfigError(f"{where}.{key}: expected {names}, got {value!r}")
    return value


_SERVER_KEYS: dict[str, type | tuple[type, ...]] = {
    "listen": list,
    "server_name": str,
    "network": str,
    "data_dir": str,
    "log_level": str,
    "lobby": (str, bool),
    "password": str,
    "motd": str,
    "advertise": bool,
    "log_messages": bool,
    "casemapping": str,
    "plaintext": bool,
    "lobby_operators": list,
}

_TLS_KEYS: dict[str, type | tuple[type, ...]] = {
    "listen": list,
    "cert": str,
    "key": str,
    "sts_duration": int,
}


def config_from_mapping(data: dict[str, Any], base: ServerConfig | None = None) -> ServerConfig:
    """Validate a parsed TOML document and apply it over ``base``."""
    cfg = base or ServerConfig()
    changes: dict[str, Any] = {}
    known_tables = {"server", "tls", "limits", "oper", "web", "files", "accounts"}
    for key in data:
        if key not in known_tables:
            raise ConfigError(f"unknown config section or key {key!r}")
    server = _table(data, "server", _SERVER_KEYS)
    if "listen" in server:
        changes["listen"] = tuple(parse_listen(str(v)) for v in server["listen"])
    for key in ("server_name", "network", "log_level", "motd", "casemapping", "password"):
        if key in server:
            changes[key] = server[key]
    for key in ("advertise", "log_messages", "plaintext"):
        if key in server:
            changes[key] = server[key]
    if "lobby_operators" in server:
        names = server["lobby_operators"]
        if not all(isinstance(n, str) and n and " " not in n for n in names):
            raise ConfigError("server.lobby_operators: expected a list of account names")
        changes["lobby_operators"] = tuple(names)
    if server.get("data_dir"):  # (empty: the default, the per-user data folder)
        changes["data_dir"] = Path(server["data_dir"]).expanduser()
    if "lobby" in server:
        lobby = server["lobby"]
        changes["lobby"] = None if lobby is False or lobby == "" else lobby
        if lobby is True:
            changes["lobby"] = "#lobby"
    changes.update(_tls_changes(_table(data, "tls", _TLS_KEYS)))
    limits = data.get("limits", {})
    if not isinstance(limits, dict):
        raise ConfigError("[limits] must be a table")
    lim_fields = {f.name: f for f in dataclasses.fields(Limits)}
    lim_changes: dict[str, Any] = {}
    for key, value in limits.items():
        if key not in lim_fields:
            raise ConfigError(f"unknown key limits.{key}")
        default = getattr(Limits(), key)
        if isinstance(default, bool):
            _expect(limits, key, bool, "limits")
        elif isinstance(default, int):
            _expect(limits, key, int, "limits")
            if value < 0:
                raise ConfigError(f"limits.{key}: must not be negative")
        else:
            _expect(limits, key, (int, float), "limits")
            if value <= 0:
                raise ConfigError(f"limits.{key}: must be positive")
            value = float(value)
        lim_changes[key] = value
    if lim_changes:
        changes["limits"] = dataclasses.replace(cfg.limits, **lim_changes)
    if "accounts" in data:
        changes["accounts"] = _accounts_table(data["accounts"], cfg.accounts)
    opers = data.get("oper", [])
    if not isinstance(opers, list):
        raise ConfigError("[[oper]] must be an array of tables")
    blocks = []
    for i, block in enumerate(opers):
        if not isinstance(block, dict) or "name" not in block or "password_hash" not in block:
            raise ConfigError(f"oper #{i + 1}: needs name and password_hash")
        if not str(block["password_hash"]).startswith("$argon2"):
            raise ConfigError(
                f"oper {block['name']!r}: password_hash must be an argon2 hash "
                "(make one with: chinwag server --hash-password)"
            )
        blocks.append(
            OperBlock(
                str(block["name"]), str(block["password_hash"]), str(block.get("hostmask", "*"))
            )
        )
    if opers:
        changes["opers"] = tuple(blocks)
    changes["web"] = web_from_mapping(data, cfg.web, parse_listen)
    return validate(cfg.replace(**changes))


def _accounts_table(table: Any, base: AccountsConfig) -> AccountsConfig:
    if not isinstance(table, dict):
        raise ConfigError("[accounts] must be a table")
    kinds = {f.name: type(getattr(base, f.name)) for f in dataclasses.fields(AccountsConfig)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        kind = kinds.get(key)
        if kind is None:
            raise ConfigError(f"unknown key accounts.{key}")
        value = _expect(table, key, (int, float) if kind is float else kind, "accounts")
        if kind in (int, float) and value < 0:
            raise ConfigError(f"accounts.{key}: must not be negative")
        values[key] = float(value) if kind is float else value
    accounts = dataclasses.replace(base, **values)
    if accounts.registration not in REGISTRATION_MODES:
        raise ConfigError(f"accounts.registration must be one of {', '.join(REGISTRATION_MODES)}")
    if accounts.nick_enforcement not in NICK_ENFORCEMENT:
        raise ConfigError(f"accounts.nick_enforcement must be one of {', '.join(NICK_ENFORCEMENT)}")
    if not accounts.guest_prefix or not accounts.guest_prefix[0].isalpha():
        raise ConfigError("accounts.guest_prefix must start with a letter")
    return accounts


def _table(
    data: dict[str, Any], name: str, keys: dict[str, type | tuple[type, ...]]
) -> dict[str, Any]:
    """The ``[name]`` table, every key known and of its type."""
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"[{name}] must be a table")
    for key in table:
        if key not in keys:
            raise ConfigError(f"unknown key {name}.{key}")
        _expect(table, key, keys[key], name)
    return table


def _tls_changes(tls: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if "listen" in tls:
        changes["tls_listen"] = tuple(parse_listen(str(v)) for v in tls["listen"])
    if "cert" in tls:
        changes["tls_cert"] = Path(tls["cert"]).expanduser()
    if "key" in tls:
        changes["tls_key"] = Path(tls["key"]).expanduser()
    if "sts_duration" in tls:
        if tls["sts_duration"] < 0:
            raise ConfigError("tls.sts_duration: must not be negative")
        changes["sts_duration"] = tls["sts_duration"]
    return changes


def validate(cfg: ServerConfig) -> ServerConfig:
    if cfg.log_level not in LOG_LEVELS:
        raise ConfigError(
            f"log_level must be one of {', '.join(LOG_LEVELS)}, not {cfg.log_level!r}"
        )
    if cfg.casemapping not in CASEMAPPINGS:
        raise ConfigError(f"casemapping must be one of {', '.join(CASEMAPPINGS)}")
    if cfg.lobby is not None and (
        not cfg.lobby.startswith("#") or " " in cfg.lobby or "," in cfg.lobby
    ):
        raise ConfigError(f"lobby must be a channel name starting with '#', not {cfg.lobby!r}")
    if not (cfg.listen and cfg.plaintext) and not cfg.tls_listen:
        raise ConfigError("at least one listen address is needed (plain or TLS)")
    if cfg.tls_key is not None and cfg.tls_cert is None:
        raise ConfigError("a TLS key needs its certificate too (--tls-cert)")
    if not cfg.server_name or " " in cfg.server_name:
        raise ConfigError("server_name must be one word")
    if not cfg.network or " " in cfg.network:
        raise ConfigError("network must be one word")
    return cfg


def load_config_file(path: Path, base: ServerConfig | None = None) -> ServerConfig:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    return config_from_mapping(data, base)


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``chinwag server`` (and ``chinwag admin``). Each has a config key."""
    g = parser.add_argument_group("server")
    g.add_argument(
        "--listen",
        action="append",
        metavar="HOST:PORT",
        help="address to listen on; repeat for several (config: server.listen; "
        f"default 0.0.0.0:{DEFAULT_PORT})",
    )
    g.add_argument(
        "--config", metavar="FILE", type=Path, help="TOML config file (see chinwag.example.toml)"
    )
    g.add_argument(
        "--data-dir",
        metavar="DIR",
        type=Path,
        help="where the SQLite database lives (config: server.data_dir; default: your "
        "per-user data folder, e.g. ~/.local/share/chinwag)",
    )
    g.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        help="log verbosity (config: server.log_level; default info)",
    )
    g.add_argument(
        "--no-lobby",
        action="store_true",
        default=None,
        help="do not auto-join clients to the lobby channel (config: server.lobby = false)",
    )
    g.add_argument(
        "--no-flood-limit",
        action="store_true",
        default=None,
        help="turn flood control off, for benchmarks and conformance suites "
        "(config: limits.flood_limit = false)",
    )
    g.add_argument(
        "--no-advertise",
        action="store_true",
        default=None,
        help="do not announce the server on the LAN with mDNS (config: server.advertise = false)",
    )
    g.add_argument(
        "--tls",
        action="append",
        metavar="HOST:PORT",
        help="address to listen on with TLS; repeat for several (config: tls.listen; "
        f"default 0.0.0.0:{DEFAULT_TLS_PORT})",
    )
    g.add_argument(
        "--no-tls",
        action="store_true",
        default=None,
        help="do not listen with TLS (config: tls.listen = [])",
    )
    g.add_argument(
        "--no-plaintext",
        action="store_true",
        default=None,
        help="listen with TLS only, not on the --listen addresses "
        "(config: server.plaintext = false)",
    )
    g.add_argument(
        "--tls-cert",
        metavar="FILE",
        type=Path,
        help="PEM certificate (chain) to serve instead of the self-signed one made in the "
        "data dir (config: tls.cert)",
    )
    g.add_argument(
        "--tls-key",
        metavar="FILE",
        type=Path,
        help="PEM private key of --tls-cert (config: tls.key)",
    )
    g.add_argument(
        "--log-messages",
        action="store_true",
        default=None,
        help="log channel messages too (config: server.log_messages = true)",
    )
    w = parser.add_argument_group("web service")
    w.add_argument(
        "--http",
        action="append",
        metavar="HOST:PORT",
        help="plain HTTP address of the web service (uploads, browser client), repeatable "
        "(config: web.http; default 0.0.0.0:8080)",
    )
    w.add_argument(
        "--https",
        action="append",
        metavar="HOST:PORT",
        help="HTTPS address of the web service, with the server's certificate, repeatable "
        "(config: web.https; default 0.0.0.0:8443)",
    )
    w.add_argument(
        "--no-http",
        action="store_true",
        default=None,
        help="no web service at all (config: web.http = [] and web.https = [])",
    )


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    """Defaults, then ``--config``, then flags. Raises ConfigError."""
    cfg = ServerConfig(
        data_dir=default_data_dir(),
        tls_listen=(("0.0.0.0", DEFAULT_TLS_PORT),),
        web=WebConfig(http=DEFAULT_HTTP, https=DEFAULT_HTTPS),
    )
    if getattr(args, "config", None):
        cfg = load_config_file(args.config, cfg)
    changes: dict[str, Any] = {}
    if getattr(args, "listen", None):
        changes["listen"] = tuple(parse_listen(v) for v in args.listen)
    if getattr(args, "data_dir", None):
        changes["data_dir"] = args.data_dir
    if getattr(args, "tls", None):
        changes["tls_listen"] = tuple(parse_listen(v) for v in args.tls)
    if getattr(args, "no_tls", None):
        changes["tls_listen"] = ()
    if getattr(args, "no_plaintext", None):
        changes["plaintext"] = False
    if getattr(args, "tls_cert", None):
        changes["tls_cert"] = args.tls_cert
        changes["tls_key"] = getattr(args, "tls_key", None)
    elif getattr(args, "tls_key", None):
        changes["tls_key"] = args.tls_key
    if getattr(args, "log_level", None):
        changes["log_level"] = args.log_level
    if getattr(args, "no_lobby", None):
        changes["lobby"] = None
    if getattr(args, "no_advertise", None):
        changes["advertise"] = False
    if getattr(args, "log_messages", None):
        changes["log_messages"] = True
    if getattr(args, "no_flood_limit", None):
        changes["limits"] = dataclasses.replace(cfg.limits, flood_limit=False)
    web = cfg.web
    if getattr(args, "http", None):
        web = dataclasses.replace(web, http=tuple(parse_listen(v) for v in args.http))
    if getattr(args, "https", None):
        web = dataclasses.replace(web, https=tuple(parse_listen(v) for v in args.https))
    if getattr(args, "no_http", None):
        web = dataclasses.replace(web, http=(), https=())
    changes["web"] = web
    return validate(cfg.replace(**changes))
