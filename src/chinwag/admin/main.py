"""chinwag admin: run a chat server in this process and watch it in a window.

Takes the same flags as `chinwag server` to fill in the window's fields (listen
address, port, data folder), plus --start to start the server at once. Closing the
window stops the server (asking first when people are connected); they get a message
saying so.

(This module imports tkinter only when run, so `chinwag --help` works without Tk.)
"""

from __future__ import annotations

import argparse
import sys

from chinwag.server.config import add_server_arguments


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_server_arguments(parser)
    parser.add_argument(
        "--start", action="store_true", help="start the server as soon as the window opens"
    )


def run(args: argparse.Namespace) -> int:
    from chinwag.errors import ConfigError, LocalError
    from chinwag.server.config import config_from_args

    try:
        config = config_from_args(args)
    except ConfigError as exc:
        print(f"chinwag admin: {exc}", file=sys.stderr)
        return 2
    try:
        import tkinter
    except ImportError:
        print("chinwag admin: tkinter is not available (install python3-tk)", file=sys.stderr)
        return 1
    from chinwag.admin.model import AdminModel
    from chinwag.admin.window import AdminWindow

    try:
        root = tkinter.Tk()
    except tkinter.TclError as exc:
        print(f"chinwag admin: cannot open a window: {exc}", file=sys.stderr)
        return 1
    window = AdminWindow(root, AdminModel(), config)
    if args.start:
        try:
            window.model.start(window.config_from_fields())
        except LocalError as exc:
            print(f"chinwag admin: {exc}", file=sys.stderr)
        window.refresh_now()
    try:
        root.mainloop()
    finally:
        window.close()
    return 0
