"""Wiring: a :class:`~chinwag.server.core.Server` with the command table plugged in.

The core is handed its dispatcher rather than importing the commands (which need the
core's type), so the import graph of ``chinwag.server`` has no cycle. Transports, the
admin window and tests get a ready server from :func:`build_server`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chinwag.server.accounts import Worker
from chinwag.server.commands import dispatch
from chinwag.server.commands.registration import change_nick
from chinwag.server.config import ServerConfig
from chinwag.server.core import Server

if TYPE_CHECKING:
    from chinwag.storage.base import Storage


def build_server(
    config: ServerConfig,
    storage: Storage | None = None,
    on_dirty: Callable[[], None] | None = None,
    worker: Worker | None = None,
) -> Server:
    """A server core for ``config`` that answers every verb of the command table.

    ``worker`` runs slow jobs (password hashing) off the caller's loop; without one they
    run inline."""
    server = Server(config, storage, on_dirty, dispatch=dispatch, worker=worker)
    server.accounts.rename = lambda user, nick: change_nick(server, user, nick)
    return server
