"""Entry points: ``chinwag`` (the client), ``chinwag server``, ``chinwag admin``,
``chinwag bench``, ``chinwag accounts``, ``chinwag export``.

Each subcommand lives in its own module exposing ``configure_parser(parser)`` and
``run(args) -> int``; this module only dispatches, importing just the chosen one, so
``chinwag server`` never loads tkinter and one subcommand cannot break another.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from chinwag import __version__

# subcommand -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "client": ("chinwag.gui.main", "open the desktop chat client (the default)"),
    "server": ("chinwag.transport.main", "run the chat server"),
    "admin": ("chinwag.admin.main", "open the server admin window"),
    "bench": ("chinwag.bench.main", "load-test an IRC server on loopback"),
    "accounts": ("chinwag.admin.accounts_cli", "add, change, remove or list accounts"),
    "export": ("chinwag.storage.export", "write a room's history as text or JSON lines"),
}


def build_parser(subcommand: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser; only ``subcommand``'s module is imported and configured."""
    parser = argparse.ArgumentParser(
        prog="chinwag",
        description="chinwag: chat on your local network. With no subcommand, opens the client.",
    )
    parser.add_argument("--version", action="version", version=f"chinwag {__version__}")
    sub = parser.add_subparsers(
        dest="subcommand", metavar="{client,server,admin,bench,accounts,export}"
    )
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        if name != subcommand:
            sub.add_parser(name, help=help_text)
            continue
        module = importlib.import_module(module_name)
        p = sub.add_parser(
            name,
            help=help_text,
            description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.configure_parser(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or args_list[0] not in {*SUBCOMMANDS, "-h", "--help", "--version"}:
        args_list.insert(0, "client")
    parser = build_parser(args_list[0])
    args = parser.parse_args(args_list)
    module = args._module
    code: int = module.run(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
