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
    from chinwag.discovery import WILDCARD_HOSTS, lan_ipv4_addresses
    from chinwag.transport.app import ServerApp, serve_forever

    def ready(app: ServerApp) -> None:
        log = logging.getLogger("chinwag.server")
        ports = sorted({port for _, port in config.listen})
        if any(host in WILDCARD_HOSTS for host, _ in config.listen):
            for addr in lan_ipv4_addresses():
                log.info("people on your network can connect to %s:%s", addr, ports[0])
        for scheme, host, port in app.web.bound() if app.web is not None else ():
            for addr in lan_ipv4_addresses() if host in WILDCARD_HOSTS else ():
                log.info("the web service is at %s://%s:%s/", scheme, addr, port)

    try:
        serve_forever(config, on_ready=ready)
    except ChinwagError as exc:
        print(f"chinwag server: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0
