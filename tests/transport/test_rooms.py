"""Rooms survive a restart (real sockets, a real SQLite file): a founded room's topic,
modes, key, bans and founder rights, and the lobby's topic."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from pathlib import Path

from chinwag.auth.credentials import make_credentials
from chinwag.storage.sqlite import SQLiteStorage
from chinwag.transport.runner import ServerRunner
from tests.support import LineClient

PASSWORD = "founder-password"


def logged_in(server: ServerRunner, nick: str) -> LineClient:
    client = LineClient("127.0.0.1", server.port)
    client.send("CAP LS 302")
    client.send("CAP REQ :sasl")
    client.send(f"NICK {nick}")
    client.send(f"USER {nick} 0 * :{nick}")
    client.send("AUTHENTICATE PLAIN")
    client.expect("AUTHENTICATE")
    client.send("AUTHENTICATE " + base64.b64encode(f"\0{nick}\0{PASSWORD}".encode()).decode())
    client.expect("903")
    client.send("CAP END")
    client.expect(lambda m: m.command == "366" and m.param(1) == "#lobby")
    return client


def test_room_and_lobby_survive_a_restart(
    make_server: Callable[..., ServerRunner], tmp_path: Path
) -> None:
    storage = SQLiteStorage.in_dir(tmp_path / "data")
    storage.add_account("alice", make_credentials(PASSWORD), time.time())
    storage.close()
    first = make_server()
    alice = logged_in(first, "alice")
    alice.send("JOIN #den")
    alice.send("TOPIC #den :the den")
    alice.send("MODE #den +mk sesame")
    alice.send("MODE #den +b *!*@192.0.2.*")
    alice.send("TOPIC #lobby :hello lobby")
    alice.expect(lambda m: m.command == "TOPIC" and m.param(0) == "#lobby")
    first.stop()

    again = make_server()
    bob = LineClient("127.0.0.1", again.port)
    bob.register("bob")
    assert bob.expect("332").params[-1] == "hello lobby"
    bob.send("JOIN #den")
    assert bob.expect("475").param(1) == "#den"  # the key came back
    bob.send("JOIN #den sesame")
    assert bob.expect("332").params[-1] == "the den"
    names = bob.expect("353").params[-1].split()
    assert names == ["bob"]  # not an operator: bob did not found it
    bob.send("MODE #den")
    assert bob.expect("324").params[2:4] == ("+mntk", "sesame")
    bob.send("MODE #den b")
    assert bob.expect("367").params[2] == "*!*@192.0.2.*"
    alice = logged_in(again, "alice")
    alice.send("JOIN #den sesame")
    assert "@alice" in alice.expect("353").params[-1].split()  # the founder's +o is back
