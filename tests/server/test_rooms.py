"""Registered rooms on the bare core: a logged-in creator founds a room, its state is
saved on every change and restored when it forms again, the founder and the accounts
they made operators get +o on joining, and the lobby keeps its topic."""

from __future__ import annotations

import base64

from chinwag.auth.credentials import Credentials
from chinwag.server.state import User
from tests.server.harness import ALICE_PASSWORD, Harness, account_harness, only


def login(h: Harness, user: User, account: str = "alice", password: str = ALICE_PASSWORD) -> None:
    blob = base64.b64encode(f"\0{account}\0{password}".encode()).decode()
    h.send(user, "AUTHENTICATE PLAIN", "AUTHENTICATE " + blob)
    assert user.account == account


def founder(h: Harness) -> User:
    alice = h.connect("alice")
    login(h, alice)
    h.send(
        alice, "JOIN #den", "TOPIC #den :our den", "MODE #den +ik-n secret", "MODE #den +b *!*@bad"
    )
    h.clear(alice)
    return alice


def test_founded_room_is_saved_and_restored(creds: Credentials) -> None:
    h = account_harness(creds)
    alice = founder(h)
    h.server.storage.flush()  # type: ignore[union-attr]
    (room,) = [r for r in h.storage.load_rooms() if r.name == "#den"]
    assert room.founder == "alice" and room.topic == "our den"
    assert room.modes == "it" and room.key == "secret" and room.bans[0][0] == "*!*@bad"
    h.send(alice, "MODE #den -i", "PART #den")
    assert h.server.find_channel("#den") is None
    # Formed again by someone else: the state is back, and they are not its operator.
    bob = h.connect("bob")
    h.send(bob, "JOIN #den secret")
    channel = h.server.find_channel("#den")
    assert channel is not None and channel.topic == "our den" and channel.key == "secret"
    assert channel.members[bob] == "" and channel.modes == {"t"}
    assert [b[0] for b in channel.bans] == ["*!*@bad"]
    h.send(alice, "JOIN #den secret")
    assert channel.members[alice] == "o"


def test_key_of_a_restored_room_holds_for_the_first_joiner(creds: Credentials) -> None:
    h = account_harness(creds)
    alice = founder(h)
    h.send(alice, "MODE #den -i", "PART #den")
    bob = h.connect("bob")
    h.send(bob, "JOIN #den")
    assert only(h.lines(bob), "475") and h.server.find_channel("#den") is None


def test_founder_gives_operator_status_that_lasts(creds: Credentials) -> None:
    h = account_harness(creds)
    h.storage.add_account("bob", creds, 1.0)
    alice = founder(h)
    h.send(alice, "MODE #den -ik secret")
    bob = h.connect("bob")
    login(h, bob, "bob")
    h.send(bob, "JOIN #den")
    h.send(alice, "MODE #den +o bob")
    h.send(bob, "PART #den", "JOIN #den")
    channel = h.server.find_channel("#den")
    assert channel is not None and channel.members[bob] == "o"
    h.send(alice, "MODE #den -o bob")
    h.send(bob, "PART #den", "JOIN #den")
    assert channel.members[bob] == ""


def test_channels_of_people_without_accounts_are_not_kept(creds: Credentials) -> None:
    h = account_harness(creds)
    bob = h.connect("bob")
    h.send(bob, "JOIN #tmp", "TOPIC #tmp :passing")
    h.server.storage.flush()  # type: ignore[union-attr]
    assert [r.name for r in h.storage.load_rooms()] == ["#lobby"]


def test_lobby_topic_is_kept(creds: Credentials) -> None:
    h = account_harness(creds)
    bob = h.connect("bob")
    assert h.server.find_channel("#lobby").members[bob] == "o"  # type: ignore[union-attr]
    h.send(bob, "TOPIC #lobby :welcome all")
    h.storage.flush()
    (lobby,) = h.storage.load_rooms()
    assert lobby.founder is None and lobby.topic == "welcome all"
