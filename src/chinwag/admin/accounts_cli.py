"""Manage accounts in a server's data directory: add, passwd, del, list, unlock, cert.

Works while the server runs (SQLite in WAL mode; the server reads accounts at login
time, so a change counts at the next login). Passwords are read from the terminal
without echo, or from the first line of standard input with --password-stdin; never
from the command line, where other users of the machine could see them.

  chinwag accounts add alice
  chinwag accounts passwd alice
  chinwag accounts del alice
  chinwag accounts list
  chinwag accounts unlock alice
  chinwag accounts certadd alice 5f3a...   (SHA-256 fingerprint of a client certificate)
  chinwag accounts certdel alice 5f3a...
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from datetime import datetime
from pathlib import Path

from chinwag.auth.credentials import make_credentials, password_problem
from chinwag.errors import ChinwagError, ConfigError
from chinwag.paths import default_data_dir
from chinwag.proto.casemap import folder
from chinwag.proto.validate import is_valid_nick
from chinwag.server.config import ServerConfig, load_config_file
from chinwag.storage.base import Storage


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="the server's data directory (config: server.data_dir; default: your per-user "
        "data folder, e.g. ~/.local/share/chinwag)",
    )
    parser.add_argument("--config", type=Path, metavar="FILE", help="the server's config file")
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (for scripts)",
    )
    parser.add_argument(
        "action", choices=("add", "passwd", "del", "list", "unlock", "certadd", "certdel")
    )
    parser.add_argument("name", nargs="?", help="the account name")
    parser.add_argument("fingerprint", nargs="?", help="certificate SHA-256 (certadd, certdel)")


def account_problem(name: str, config: ServerConfig) -> str | None:
    """Why ``name`` cannot be an account name (accounts own the nick of the same name)."""
    if not is_valid_nick(name, config.limits.nicklen) or name.startswith("*"):
        return f"{name!r} is not a valid nickname, so it cannot be an account name"
    return None


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise ConfigError("the passwords do not match")
    return first


def open_accounts(config: ServerConfig) -> Storage:
    from chinwag.storage.sqlite import SQLiteStorage

    return SQLiteStorage.in_dir(config.data_dir or default_data_dir(), folder(config.casemapping))


def describe_lock(until: float, now: float) -> str:
    if until <= now:
        return ""
    return "locked until " + datetime.fromtimestamp(until).strftime("%Y-%m-%d %H:%M")


def _act(args: argparse.Namespace, config: ServerConfig, storage: Storage) -> str:
    action, name = args.action, args.name
    if action == "list":
        now = time.time()
        lines = []
        for account in storage.list_accounts():
            created = datetime.fromtimestamp(account.created).strftime("%Y-%m-%d")
            extra = [f"{len(account.certfps)} certificate(s)"] if account.certfps else []
            lock = describe_lock(account.locked_until, now)
            lines.append("  ".join([account.name, f"created {created}", *extra, lock]).strip())
        return "\n".join(lines) if lines else "no accounts"
    if not name:
        raise ConfigError(f"{action} needs an account name")
    if action == "add":
        problem = account_problem(name, config)
        if problem is None and storage.get_account(name) is not None:
            problem = f"account {name} already exists"
        if problem:
            raise ConfigError(problem)
    elif storage.get_account(name) is None:
        raise ConfigError(f"no account named {name}")
    if action in ("add", "passwd"):
        password = read_password(args.password_stdin)
        problem = password_problem(password)
        if problem:
            raise ConfigError(problem)
        creds = make_credentials(password)
        del password
        if action == "add":
            if not storage.add_account(name, creds, time.time()):
                raise ConfigError(f"account {name} already exists")
            return f"account {name} created"
        storage.set_credentials(name, creds)
        return f"password of {name} changed"
    if action == "del":
        storage.delete_account(name)
        return f"account {name} deleted"
    if action == "unlock":
        storage.set_locked_until(name, 0.0)
        return f"account {name} unlocked"
    fingerprint = (args.fingerprint or "").replace(":", "").lower()
    if len(fingerprint) != 64 or any(c not in "0123456789abcdef" for c in fingerprint):
        raise ConfigError("a fingerprint is 64 hex digits (the certificate's SHA-256)")
    if action == "certadd":
        if not storage.add_certfp(name, fingerprint):
            raise ConfigError("that certificate belongs to another account")
        return f"certificate added to {name}"
    if not storage.del_certfp(name, fingerprint):
        raise ConfigError(f"{name} has no such certificate")
    return f"certificate removed from {name}"


def run(args: argparse.Namespace) -> int:
    try:
        config = ServerConfig(data_dir=default_data_dir())
        if args.config:
            config = load_config_file(args.config, config)
        if args.data_dir:
            config = config.replace(data_dir=args.data_dir)
        storage = open_accounts(config)
        try:
            print(_act(args, config, storage))
        finally:
            storage.close()
    except ChinwagError as exc:
        print(f"chinwag accounts: error: {exc}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, EOFError):
        return 1
    return 0
