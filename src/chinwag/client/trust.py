"""Trust on first use for the client's TLS connections, like SSH's ``known_hosts``.

A server whose certificate a CA vouches for is trusted as browsers trust it. Most chinwag
servers make their own (self-signed) certificate instead, so the client remembers it:
:class:`PinStore` keeps one SHA-256 fingerprint per ``host:port`` in
``known_servers.json`` in the client's config directory. :func:`judge` decides what a
self-signed certificate deserves:

* ``"pinned"``: it matches the pin saved earlier: accept silently;
* ``"announced"``: nothing is pinned, and it matches the fingerprint the server announces
  on the LAN (mDNS TXT ``fp=``): accept silently and pin it;
* ``"new"``: nothing pinned, nothing announced that matches: ask the person, showing
  the fingerprint to compare with the server's log or admin window;
* ``"changed"``: a pinned server shows another certificate: refuse, warn (someone may be
  impersonating it), and accept only when the person explicitly says so. A pin always
  wins over the announcement, which anyone on the LAN could forge.

:func:`plan` says which ports to try, with or without TLS (TLS first, plain text only
when the server offers nothing else).

What this module does not do: open connections (:mod:`chinwag.client.connection`), or
show anything.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from chinwag.client.settings import config_dir, read_json_object, write_json_atomically

PLAIN_PORT = 6667  # the usual IRC port, in plain text
TLS_PORT = 6697  # the usual IRC-over-TLS port
PINS_FILE = "known_servers.json"

Verdict = Literal["pinned", "announced", "new", "changed"]
# (port, use TLS) in the order to try them
Plan = list[tuple[int, bool]]

_HEX = re.compile(r"^[0-9a-f]{64}$")


def normalize_fingerprint(text: str) -> str:
    """Either form (any case, ``:`` or spaces) -> the canonical hex; "" when not one."""
    hexed = re.sub(r"[\s:]", "", text).lower()
    return hexed if _HEX.match(hexed) else ""


def server_key(host: str, port: int) -> str:
    host = host.lower().strip("[]")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def known_servers_path() -> Path:
    return config_dir() / PINS_FILE


class PinStore:
    """``host:port`` -> pinned fingerprint, in a JSON file written atomically.

    The file is read on every look-up, so a pin saved by one client object (the window)
    is seen by another (a connection thread) at once.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or known_servers_path()

    def _load(self) -> dict[str, str]:
        data = read_json_object(self.path)
        return {k: v for k, v in data.items() if isinstance(v, str) and normalize_fingerprint(v)}

    def get(self, host: str, port: int) -> str:
        """The pinned fingerprint (canonical hex), or ""."""
        return normalize_fingerprint(self._load().get(server_key(host, port), ""))

    def pin(self, host: str, port: int, fingerprint: str) -> None:
        """Trust ``fingerprint`` for ``host:port`` from now on (replacing any old pin)."""
        canonical = normalize_fingerprint(fingerprint)
        if not canonical:
            raise ValueError(f"not a SHA-256 fingerprint: {fingerprint!r}")
        pins = self._load()
        pins[server_key(host, port)] = canonical
        write_json_atomically(self.path, dict(pins))


def judge(pinned: str, announced: str, fingerprint: str) -> Verdict:
    """What a self-signed certificate with ``fingerprint`` deserves (module docstring)."""
    fingerprint = normalize_fingerprint(fingerprint)
    if pinned:
        return "pinned" if normalize_fingerprint(pinned) == fingerprint else "changed"
    if announced and normalize_fingerprint(announced) == fingerprint:
        return "announced"
    return "new"


def plan(
    port: int,
    tls: bool | None,
    *,
    plain_port: int = PLAIN_PORT,
    tls_port: int = TLS_PORT,
) -> Plan:
    """Which ports to try, with TLS or without, in order.

    ``tls`` None (automatic): the usual plain port (the default) tries the TLS port first
    and falls back to plain text only when that is refused; the TLS port means TLS; any
    other port is plain. ``tls`` True: TLS (on the TLS port instead of the plain one);
    False: plain text on ``port``.
    """
    if tls is False:
        return [(port, False)]
    if port == plain_port:
        return [(tls_port, True)] if tls else [(tls_port, True), (plain_port, False)]
    if tls or port == tls_port:
        return [(port, True)]
    return [(port, False)]


def client_context(cafile: str | None = None) -> ssl.SSLContext:
    """The verifying context: the system's CAs (or ``cafile``'s), host names checked."""
    context = ssl.create_default_context(cafile=cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def unverified_context() -> ssl.SSLContext:
    """For self-signed certificates: encrypt, and let :func:`judge` decide on the peer."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _announces(server: Any, host: str) -> bool:
    names = {str(getattr(server, "host", "")).lower().rstrip(".")}
    names.update(str(a).lower() for a in getattr(server, "addresses", ()))
    return host.lower().strip("[]") in names


def announced_fingerprint(servers: Iterable[Any], host: str) -> str:
    """The fingerprint a server found on the LAN (FoundServer-like) announces for ``host``.

    Only an exact match is ever accepted silently, so which port it was announced with
    does not matter: a certificate with that fingerprint is that server's.
    """
    for s in servers:
        fingerprint = normalize_fingerprint(getattr(s, "fingerprint", "") or "")
        if fingerprint and _announces(s, host):
            return fingerprint
    return ""


def announced_tls(servers: Iterable[Any], host: str, port: int) -> bool:
    """True when a server found on the LAN announces TLS on ``host:port``."""
    for s in servers:
        tls_ports = {getattr(s, "tls_port", None)}
        if getattr(s, "tls", False):
            tls_ports.add(getattr(s, "port", None))
        if port in tls_ports and _announces(s, host):
            return True
    return False
