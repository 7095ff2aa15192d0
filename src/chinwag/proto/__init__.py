"""The IRC protocol core: message model, parsing, casemapping, numerics, limits.

This package does no I/O and imports no asyncio, socket, sqlite3 or tkinter.
"""

from chinwag.proto.message import Message, parse, serialize

__all__ = ["Message", "parse", "serialize"]
