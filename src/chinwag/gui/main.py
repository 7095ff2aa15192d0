"""Open the chinwag desktop chat client.

Without options it shows the connect dialog, filled in from last time. --server and
--nick fill it in; with both it connects straight away.

examples:
  chinwag
  chinwag --server 192.168.1.20 --nick alice
  chinwag client --server chat.local:6697 --nick bob --theme dark
  chinwag --server 10.0.0.5:7000 --tls --nick carol
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from chinwag.client.form import parse_server
from chinwag.client.settings import THEMES, Settings


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the client's options (no tkinter import here: every subcommand's parser is built)."""
    parser.add_argument("--server", metavar="HOST[:PORT]", help="chat server to connect to")
    parser.add_argument("--nick", metavar="NAME", help="your nickname")
    parser.add_argument("--password", metavar="PASSWORD", help="server password, if it has one")
    parser.add_argument("--theme", choices=THEMES, help="light or dark look (remembered)")
    parser.add_argument(
        "--tls",
        action=argparse.BooleanOptionalAction,
        help="--tls: encrypted only (port 6697 unless given); --no-tls: plain text only. "
        "Default: TLS first, plain text only when the server offers nothing else",
    )


def run(args: argparse.Namespace) -> int:
    try:
        import tkinter as tk
    except ImportError:
        print("chinwag: the client needs tkinter (e.g. apt install python3-tk)", file=sys.stderr)
        return 1
    from chinwag.gui.app import App

    settings = Settings.load()
    if getattr(args, "theme", None):
        settings.theme = args.theme
    try:
        root = tk.Tk(className="chinwag")
    except tk.TclError as exc:
        print(f"chinwag: cannot open a window: {exc}", file=sys.stderr)
        return 1
    app = App(root, settings, tls=getattr(args, "tls", None))
    view = app.connect_view
    if getattr(args, "server", None):
        host, port = parse_server(args.server)
        view.fill(host=host, port=str(port) if port is not None else args.server.rpartition(":")[2])
    if getattr(args, "nick", None):
        view.fill(nick=args.nick)
    if getattr(args, "password", None):
        view.fill(password=args.password)
    if getattr(args, "server", None) and getattr(args, "nick", None):
        root.after_idle(app.connect)
    with contextlib.suppress(KeyboardInterrupt):
        root.mainloop()
    app.close()
    return 0
