"""Run the chinwag chat server.

Listens on 0.0.0.0:6667 by default, auto-joins every client to #lobby, stores history in
SQLite under --data-dir, and announces itself on the LAN (mDNS, _irc._tcp). Any IRC
client can connect. Stop it with Ctrl-C: every client is told why before it closes.

Every flag has a config key; see chinwag.example.toml for all of them.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from chinwag.errors import ChinwagError
from chinwag.server.config import add_server_arguments, config_from_args


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_server_arguments(parser)
    parser.add_argument(
        "--hash-password",
        metavar="PASSWORD",
        help="print the argon2 hash of PASSWORD for an [[oper]] block in the config, and exit",
    )


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        format="%(asctime)s %(levelname)-7s %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
        stream=sys.stderr,
    )


def run(args: argparse.Namespace) -> int:
    if args.hash_password is not None:
        from argon2 import PasswordHasher

        print(PasswordHasher().hash(args.hash_password))
        return 0
    try:
        config = config_from_args(args)
    except ChinwagError as exc:
        print(f"chinwag server: error: {exc}", file=sys.stderr)
        return 1
    setup_logging(config.log_level)
    from chinwag.discovery import lan_ipv4_addresses
    from chinwag.transport import allocator
    from chinwag.transport.app import ServerApp, serve_forever

    allocator.tune()  # fewer page faults per upload (see the module)

    def ready(app: ServerApp) -> None:
        log = logging.getLogger("chinwag.server")
        web = app.web.bound() if app.web is not None else []
        for line in lan_lines(app.bound, app.tls_bound, web, lan_ipv4_addresses()):
            log.info("%s", line)

    try:
        serve_forever(config, on_ready=ready)
    except ChinwagError as exc:
        print(f"chinwag server: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


def lan_lines(
    bound: Sequence[tuple[str, int]],
    tls_bound: Sequence[tuple[str, int]],
    web: Sequence[tuple[str, str, int]],
    lan: Sequence[str],
) -> list[str]:
    """What the log tells about reaching this server from the LAN: for each listener
    bound to every address (0.0.0.0), its port on each of the machine's ``lan``
    addresses, from what was really bound (a TLS-only server names no plain port)."""
    from chinwag.discovery import WILDCARD_HOSTS

    def ports(listeners: Sequence[tuple[str, int]]) -> list[int]:
        return sorted({port for host, port in listeners if host in WILDCARD_HOSTS})

    lines = []
    for how, listeners in (("", bound), (" with TLS", tls_bound)):
        for port in ports(listeners)[:1]:
            lines += [f"people on your network can connect{how} to {a}:{port}" for a in lan]
    for scheme, host, port in web:
        if host in WILDCARD_HOSTS:
            lines += [f"the web service is at {scheme}://{a}:{port}/" for a in lan]
    return lines
