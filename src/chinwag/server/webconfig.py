"""The web service's part of the configuration: its listeners and the file limits.

``[web]`` names the HTTP and HTTPS addresses; ``[files]`` the upload limits and rules.
Both are parsed and validated here and hung on :class:`~chinwag.server.config.ServerConfig`
as ``web``. The dataclass defaults leave the web service off (so an embedded or test
server opens no extra ports); ``chinwag server`` and ``chinwag admin`` switch it on at
:data:`DEFAULT_HTTP` and :data:`DEFAULT_HTTPS` unless told otherwise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chinwag.errors import ConfigError
from chinwag.proto import limits as L

DEFAULT_HTTP = (("0.0.0.0", 8080),)
DEFAULT_HTTPS = (("0.0.0.0", 8443),)
# Executables are refused (415): a LAN chat is no way to pass programs around unseen.
REFUSED_TYPES = (
    "application/x-executable",
    "application/x-msdownload",
    "application/x-sharedlib",
    "application/x-mach-binary",
)

Address = tuple[str, int]


@dataclass(frozen=True, slots=True)
class FilesConfig:
    """Upload rules. Sizes are bytes; 0 means no limit (retention 0: keep forever)."""

    max_file_bytes: int = L.UPLOAD_BYTES
    account_quota_bytes: int = L.ACCOUNT_QUOTA_BYTES
    total_quota_bytes: int = L.TOTAL_QUOTA_BYTES
    retention_days: int = L.RETENTION_DAYS
    anonymous: bool = False
    strip_metadata: bool = True
    token_seconds: int = L.UPLOAD_TOKEN_SECONDS
    refused_types: tuple[str, ...] = REFUSED_TYPES


@dataclass(frozen=True, slots=True)
class WebConfig:
    http: tuple[Address, ...] = ()
    https: tuple[Address, ...] = ()
    # Web pages of other origins allowed to open IRC WebSockets here ("https://host:port");
    # the server's own page always may.
    allowed_origins: tuple[str, ...] = ()
    files: FilesConfig = field(default_factory=FilesConfig)

    @property
    def enabled(self) -> bool:
        return bool(self.http or self.https)


def parse_origins(value: Any) -> tuple[str, ...]:
    """``web.allowed_origins``: a list of "http(s)://host[:port]" origins."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError('web.allowed_origins: expected a list of "https://host:port" strings')
    origins = []
    for v in value:
        origin = v.strip().rstrip("/").lower()
        scheme, sep, rest = origin.partition("://")
        if scheme not in ("http", "https") or not sep or not rest or "/" in rest:
            raise ConfigError(f"web.allowed_origins: {v!r} is not an origin like https://host:port")
        origins.append(origin)
    return tuple(origins)


def web_from_mapping(
    data: dict[str, Any], base: WebConfig, parse_address: Callable[[str], Address]
) -> WebConfig:
    """Apply the ``[web]`` and ``[files]`` tables of a parsed TOML document over ``base``;
    ``parse_address`` reads one "HOST:PORT" (the same parser as ``server.listen``)."""
    web = data.get("web", {})
    if not isinstance(web, dict):
        raise ConfigError("[web] must be a table")
    changes: dict[str, Any] = {}
    for key in web:
        if key not in ("http", "https", "allowed_origins"):
            raise ConfigError(f"unknown key web.{key}")
        value = web[key]
        if key == "allowed_origins":
            changes[key] = parse_origins(value)
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f'web.{key}: expected a list of "HOST:PORT" strings')
        changes[key] = tuple(parse_address(v) for v in value)
    files = data.get("files", {})
    if not isinstance(files, dict):
        raise ConfigError("[files] must be a table")
    defaults = FilesConfig()
    file_changes: dict[str, Any] = {}
    for key, value in files.items():
        if not hasattr(defaults, key):
            raise ConfigError(f"unknown key files.{key}")
        default = getattr(defaults, key)
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, int):
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        else:
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
            value = tuple(value) if ok else value
        if not ok:
            raise ConfigError(f"files.{key}: expected {type(default).__name__}, got {value!r}")
        file_changes[key] = value
    if file_changes:
        changes["files"] = dataclasses.replace(base.files, **file_changes)
    return dataclasses.replace(base, **changes)
