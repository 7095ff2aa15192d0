"""Rooms that last: channels whose state is kept in storage and restored after a restart.

A channel becomes a *registered room* when someone logged in to an account creates it
(they are its founder), and the lobby always is one (without a founder). For these, the
topic (with setter and time), flag modes, key, limit, bans, founder and the accounts the
founder made operators are saved (queued; written by the storage's next flush) whenever
they change, and loaded once when the server starts. When a registered room is formed
again (its first member joins, after a restart or after it emptied) it gets its state
back, and its founder and their chosen operators get ``+o`` whenever they join.

What this module does not do: decide who may change a channel (the MODE and TOPIC
handlers do), or write to disk itself.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from chinwag.server.state import Channel, User
from chinwag.storage.base import Room

if TYPE_CHECKING:
    from chinwag.server.view import CoreView


class RoomBook:
    def __init__(self, server: CoreView) -> None:
        self.server = server
        storage = server.storage
        loaded = storage.load_rooms() if storage is not None else []
        self.rooms: dict[str, Room] = {server.fold(r.name): r for r in loaded}

    def room_of(self, channel: Channel) -> Room | None:
        return self.rooms.get(channel.folded)

    def formed(self, channel: Channel, creator: User) -> bool:
        """``channel`` was just created for ``creator``. Restores a registered room's
        state (True), or registers a new room for a logged-in creator (False: it is new,
        nothing to restore)."""
        room = self.rooms.get(channel.folded)
        if room is not None:
            channel.topic, channel.topic_by, channel.topic_at = (
                room.topic,
                room.topic_by,
                room.topic_at,
            )
            channel.modes = set(room.modes)
            channel.key, channel.limit = room.key, room.limit
            channel.bans = list(room.bans)
            channel.created = room.created or channel.created
            return True
        is_lobby = channel.folded == self.server.lobby_key
        if is_lobby or creator.account is not None:
            founder = None if is_lobby else creator.account
            self.rooms[channel.folded] = Room(channel.name, founder, created=channel.created)
            self.save(channel)
        return False

    def prefix_for(self, channel: Channel, user: User, first: bool) -> str:
        """Status ``user`` gets on joining: ``o`` for the founder and their operators, and
        for whoever forms a room that has no founder (an ordinary channel, the lobby)."""
        room = self.rooms.get(channel.folded)
        account = user.account
        if room is not None and account is not None:
            key = self.server.fold(account)
            if room.founder is not None and self.server.fold(room.founder) == key:
                return "o"
            if any(self.server.fold(op) == key for op in room.ops):
                return "o"
        if first and (room is None or room.founder is None):
            return "o"
        return ""

    def operator_changed(self, channel: Channel, by: User, target: User, given: bool) -> None:
        """The founder's ``+o``/``-o`` on a logged-in member adds or removes that account
        from the room's operators."""
        room = self.rooms.get(channel.folded)
        fold = self.server.fold
        if room is None or room.founder is None or by.account is None or target.account is None:
            return
        if fold(by.account) != fold(room.founder) or fold(target.account) == fold(room.founder):
            return
        ops = [op for op in room.ops if fold(op) != fold(target.account)]
        if given:
            ops.append(target.account)
        self.rooms[channel.folded] = dataclasses.replace(room, ops=tuple(ops))

    def save(self, channel: Channel) -> None:
        """Queue ``channel``'s current state, if it is a registered room."""
        room = self.rooms.get(channel.folded)
        storage = self.server.storage
        if room is None or storage is None:
            return
        room = dataclasses.replace(
            room,
            name=channel.name,
            topic=channel.topic,
            topic_by=channel.topic_by,
            topic_at=channel.topic_at,
            modes="".join(sorted(channel.modes)),
            key=channel.key,
            limit=channel.limit,
            bans=tuple(channel.bans),
        )
        self.rooms[channel.folded] = room
        storage.save_room(room)
