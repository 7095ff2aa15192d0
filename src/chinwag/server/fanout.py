"""Channel fan-out behind one small interface: the seam for scale-out.

Today every member is on this server, so :class:`LocalFanout` hands a channel message
to :meth:`Server.deliver`. A multi-node backend (later, on an existing distributed
engine) implements the same :class:`Fanout` protocol: deliver locally, and publish to the
other nodes, which deliver to their own members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterable

    from chinwag.server.outgoing import Outgoing
    from chinwag.server.state import Channel, Members, User


class Deliverer(Protocol):
    """What the local fan-out needs of the core (the core is one; this module never
    imports it)."""

    def deliver(self, users: Iterable[User], out: Outgoing, skip: User | None = None) -> None: ...

    def deliver_room(self, members: Members, out: Outgoing, skip: User | None) -> None: ...


class Fanout(Protocol):
    def channel_message(
        self, channel: Channel, recipients: Iterable[User], out: Outgoing, sender: User
    ) -> None:
        """Deliver ``out`` (from ``sender``) to ``recipients`` of ``channel``, not the sender."""
        ...


class LocalFanout:
    """Everyone is on this server: deliver straight from memory."""

    def __init__(self, server: Deliverer) -> None:
        self.server = server

    def channel_message(
        self, channel: Channel, recipients: Iterable[User], out: Outgoing, sender: User
    ) -> None:
        if recipients is channel.members:  # the whole room: its cached fan-out
            self.server.deliver_room(channel.members, out, sender)
        else:
            self.server.deliver(recipients, out, skip=sender)
