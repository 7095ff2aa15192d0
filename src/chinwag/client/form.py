"""The connect dialog's logic: checking its fields and explaining failures.

:func:`validate` turns the raw field texts into a :class:`ConnectRequest` or a message
per bad field; :func:`parse_server` reads ``HOST[:PORT]`` (``--server``, or a host typed
with a port); :func:`explain_failure` says which field a failed connection is about.

What this module does not do: connect, or draw the dialog.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chinwag.client import events as ev
from chinwag.client.settings import DEFAULT_PORT
from chinwag.proto.validate import is_valid_nick

_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.\-]*[A-Za-z0-9.])?$|^\[?[0-9A-Fa-f:]+\]?$")
NICK_RULES = "letters, digits and - _ [ ] { } | ^ ` only, not starting with a digit or -"


@dataclass(frozen=True)
class ConnectRequest:
    host: str
    port: int
    nick: str
    password: str | None = None
    tls: bool | None = None  # None: TLS first (see chinwag.client.trust.plan)
    fingerprint: str = ""  # what the server announces on the LAN, if it was found there
    refuse_plain: bool = False
    account_password: str | None = None  # log in to the account named after the nick
    register: bool = False  # create that account first
    rooms: tuple[str, ...] = ()  # rooms to join once connected (those of the last time)

    def __repr__(self) -> str:  # the passwords stay out of logs and tracebacks
        return f"ConnectRequest({self.host!r}, {self.port}, {self.nick!r})"


def parse_server(text: str, default_port: int = DEFAULT_PORT) -> tuple[str, int | None]:
    """``host``, ``host:port``, ``[v6]:port`` -> (host, port or None when the port is bad)."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, ""
    if not port_text:
        return host, default_port
    return host, parse_port(port_text)


def parse_port(text: str) -> int | None:
    text = text.strip()
    if not text.isdigit():
        return None
    port = int(text)
    return port if 0 < port < 65536 else None


MIN_ACCOUNT_PASSWORD = 8  # as the server asks (chinwag.auth.credentials)


def validate(
    host: str,
    port: str,
    nick: str,
    password: str = "",
    account_password: str = "",
    register: bool = False,
) -> tuple[ConnectRequest | None, dict[str, str]]:
    """Check the fields; returns (request, {}) or (None, {field: message}).

    ``account_password`` logs in to the account named after the nickname; with
    ``register`` that account is created first."""
    errors: dict[str, str] = {}
    host = host.strip()
    # An empty port is the usual one: TLS on 6697 first, then 6667 (chinwag.client.trust).
    port_value = parse_port(port) if port.strip() else DEFAULT_PORT
    if ":" in host and not host.startswith("[") and host.count(":") == 1:
        host, port_value = parse_server(host)
    if not host:
        errors["host"] = "Enter the server's name or address."
    elif not _HOST.match(host):
        errors["host"] = "That is not a host name or address."
    if port_value is None:
        errors["port"] = (
            "The port is a number from 1 to 65535, or empty for the usual one "
            "(6697 encrypted, else 6667)."
        )
    nick = nick.strip()
    if not nick:
        errors["nick"] = "Choose a nickname."
    elif not is_valid_nick(nick):
        errors["nick"] = f"Nicknames use {NICK_RULES}."
    if register and len(account_password) < MIN_ACCOUNT_PASSWORD:
        errors["account_password"] = (
            f"Choose a password of at least {MIN_ACCOUNT_PASSWORD} characters for the account."
        )
    if errors or port_value is None:
        return None, errors
    return ConnectRequest(
        host.strip("[]"),
        port_value,
        nick,
        password or None,
        account_password=account_password or None,
        register=register,
    ), {}


def explain_failure(failure: ev.ConnectFailed) -> tuple[str, str]:
    """(field to point at, message) for a failed connection."""
    if failure.kind == "nick-in-use":
        if failure.suggestion:
            return "nick", (
                f"The nickname {failure.nick} is in use. {failure.suggestion} is free: "
                f"it is filled in, press Connect to use it."
            )
        return "nick", f"The nickname {failure.nick} is in use. Please choose another."
    if failure.kind == "bad-nick":
        return "nick", failure.message
    if failure.kind in ("wrong-password", "locked", "weak-password"):
        return "account_password", failure.message
    if failure.kind == "account-taken":
        return "nick", failure.message
    if failure.kind == "login-unavailable":
        return "account_password", failure.message
    if failure.kind == "bad-password":
        return "password", f"The server refused the password: {failure.message}"
    if failure.kind in ("unknown-host", "refused", "timeout", "network", "tls", "plain-refused"):
        return "host", failure.message
    return "", f"The server said: {failure.message}"
