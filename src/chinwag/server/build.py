"""Wiring: a :class:`~chinwag.server.core.Server` with the command table plugged in.

The core is handed its dispatcher rather than importing the commands (which need the
core's type), so the import graph of ``chinwag.server`` has no cycle. Transports, the
admin window and tests get a ready server from :func:`build_server`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chinwag.server.commands import dispatch
from chinwag.server.config import ServerConfig
from chinwag.server.core import Server

if TYPE_CHECKING:
    from chinwag.storage.base import Storage


def build_server(
    config: ServerConfig,
    storage: Storage | None = None,
    on_dirty: Callable[[], None] | None = None,
) -> Server:
    """A server core for ``config`` that answers every verb of the command table."""
    return Server(config, storage, on_dirty, dispatch=dispatch)
