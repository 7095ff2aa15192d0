"""The server over real TCP on 127.0.0.1 with an ephemeral port."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

from chinwag.transport.runner import ServerRunner
from tests.conftest import make_test_config
from tests.support import TIMEOUT, LineClient, flood_until_cut_off, wait_until


def connect(server: ServerRunner, nick: str, caps: list[str] | None = None) -> LineClient:
    client = LineClient("127.0.0.1", server.port)
    client.register(nick, caps=caps)
    client.expect(lambda m: m.command == "366" and m.param(1) == "#lobby")
    return client


class TestRegistration:
    def test_clients_register_and_land_in_lobby(self, server: ServerRunner) -> None:
        alice = LineClient("127.0.0.1", server.port)
        welcome = alice.register("alice")
        assert welcome.params[0] == "alice"
        join = alice.expect("JOIN")
        assert join.params[0] == "#lobby" and join.nick == "alice"
        names = alice.expect("353")
        assert "@alice" in names.params[-1].split()
        isupport = " ".join(" ".join(m.params) for m in alice.received if m.command == "005")
        for token in (
            "CASEMAPPING=rfc1459",
            "CHANTYPES=#",
            "PREFIX=(ov)@+",
            "NICKLEN=",
            "NETWORK=",
        ):
            assert token in isupport

    def test_join_is_announced_to_the_lobby(self, server: ServerRunner) -> None:
        alice = connect(server, "alice")
        bob = connect(server, "bob")
        join = alice.expect("JOIN")
        assert bob.received
        assert join.nick == "bob" and join.params[0] == "#lobby"

    def test_no_lobby_when_switched_off(self, make_server: Callable[..., ServerRunner]) -> None:
        server = make_server(lobby=None)
        alice = LineClient("127.0.0.1", server.port)
        alice.register("alice")
        assert not [m for m in alice.collect(0.3) if m.command == "JOIN"]

    def test_server_password(self, make_server: Callable[..., ServerRunner]) -> None:
        server = make_server(password="sesame")
        bad = LineClient("127.0.0.1", server.port)
        bad.send("PASS wrong")
        bad.send("NICK mallory")
        bad.send("USER m 0 * :M")
        bad.expect("464")
        bad.expect("ERROR")
        good = LineClient("127.0.0.1", server.port)
        good.send("PASS sesame")
        good.register("alice")


class TestMessages:
    def test_lobby_message_reaches_all_others(self, server: ServerRunner) -> None:
        clients = [connect(server, f"user{i}") for i in range(4)]
        sender, *others = clients
        wait_until(lambda: server.call(lambda core: len(core.by_nick)) == 4)
        sender.send("PRIVMSG #lobby :hello everyone")
        for other in others:
            msg = other.expect("PRIVMSG")
            assert msg.params == ("#lobby", "hello everyone")
            assert msg.nick == "user0"
        assert not [m for m in sender.collect(0.3) if m.command == "PRIVMSG"]

    def test_private_message_reaches_only_its_target(self, server: ServerRunner) -> None:
        alice, bob, carol = (
            connect(server, "alice"),
            connect(server, "bob"),
            connect(server, "carol"),
        )
        alice.send("PRIVMSG bob :psst, just for you")
        msg = bob.expect("PRIVMSG")
        assert msg.params == ("bob", "psst, just for you") and msg.nick == "alice"
        assert not [m for m in carol.collect(0.5) if m.command == "PRIVMSG"]

    def test_message_to_unknown_nick(self, server: ServerRunner) -> None:
        alice = connect(server, "alice")
        alice.send("PRIVMSG nobody :hi")
        assert alice.expect("401").params[1] == "nobody"

    def test_echo_message_and_server_time(self, server: ServerRunner) -> None:
        alice = connect(server, "alice", caps=["echo-message", "server-time"])
        alice.send("PRIVMSG #lobby :mirror")
        echo = alice.expect("PRIVMSG")
        assert echo.params == ("#lobby", "mirror") and "time" in echo.tags


class TestNicks:
    def test_nick_change_is_announced_to_channel_peers(self, server: ServerRunner) -> None:
        alice, bob = connect(server, "alice"), connect(server, "bob")
        alice.send("NICK alicia")
        change = bob.expect("NICK")
        assert change.nick == "alice" and change.params == ("alicia",)
        assert alice.expect("NICK").params == ("alicia",)

    def test_nick_collision_is_433_under_casemapping(self, server: ServerRunner) -> None:
        first = connect(server, "Alice[1]")
        other = LineClient("127.0.0.1", server.port)
        other.send("NICK alice{1}")
        other.send("USER x 0 * :X")
        assert other.expect("433").params[1] == "alice{1}"
        other.send("NICK alice2")
        other.expect("001")
        assert first.sock.fileno() != -1

    def test_invalid_nick_is_432(self, server: ServerRunner) -> None:
        other = LineClient("127.0.0.1", server.port)
        other.send("NICK 9lives")
        assert other.expect("432").params[1] == "9lives"


class TestLeaving:
    def test_part_quit_and_kick_notices(self, server: ServerRunner) -> None:
        alice, bob, carol = (
            connect(server, "alice"),
            connect(server, "bob"),
            connect(server, "carol"),
        )
        alice.send("JOIN #room")
        alice.expect(lambda m: m.command == "366" and m.param(1) == "#room")
        for c in (bob, carol):
            c.send("JOIN #room")
            c.expect(lambda m: m.command == "366" and m.param(1) == "#room")
        bob.send("PART #room :bye room")
        part = alice.expect("PART")
        assert part.nick == "bob" and part.params == ("#room", "bye room")
        alice.send("KICK #room carol :behave")
        kick = carol.expect("KICK")
        assert kick.params == ("#room", "carol", "behave") and kick.nick == "alice"
        assert alice.expect("KICK").params[1] == "carol"
        bob.send("QUIT :gone home")
        quit_msg = alice.expect("QUIT")
        assert quit_msg.nick == "bob" and quit_msg.params == ("Quit: gone home",)
        bob.expect("ERROR")

    def test_non_operator_cannot_kick(self, server: ServerRunner) -> None:
        alice, bob = connect(server, "alice"), connect(server, "bob")
        assert alice.received
        bob.send("KICK #lobby alice :no")
        assert bob.expect("482").params[1] == "#lobby"


class TestLimits:
    def test_oversized_line_gets_417_and_connection_lives(self, server: ServerRunner) -> None:
        alice, bob = connect(server, "alice"), connect(server, "bob")
        alice.send("PRIVMSG #lobby :" + "x" * 600)
        alice.expect("417")
        alice.send("PRIVMSG #lobby :still here")
        assert bob.expect("PRIVMSG").params[1] == "still here"

    def test_endless_line_gets_417_and_connection_lives(self, server: ServerRunner) -> None:
        alice, bob = connect(server, "alice"), connect(server, "bob")
        alice.send_raw(b"PRIVMSG #lobby :" + b"y" * 20000)
        alice.expect("417")
        alice.send_raw(b"\r\nPRIVMSG #lobby :after the flood\r\n")
        assert bob.expect("PRIVMSG").params[1] == "after the flood"

    def test_invalid_utf8_is_harmless(self, server: ServerRunner) -> None:
        alice, bob = connect(server, "alice"), connect(server, "bob")
        alice.send_raw(b"PRIVMSG #lobby :caf\xe9 \xff\xfe\r\n")
        msg = bob.expect("PRIVMSG")
        assert msg.params[1].startswith("caf")
        alice.send("PING :alive")
        alice.expect("PONG")

    def test_slow_reader_is_cut_off_and_others_keep_receiving(
        self, make_server: Callable[..., ServerRunner]
    ) -> None:
        server = make_server(limits={"sendq_bytes": 64 * 1024})
        sleeper = socket.socket()
        sleeper.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sleeper.connect(("127.0.0.1", server.port))
        sleeper.sendall(b"NICK sleeper\r\nUSER s 0 * :S\r\n")  # and never reads again
        talker, listener = connect(server, "talker"), connect(server, "listener")
        wait_until(lambda: server.call(lambda core: core.find_user("sleeper") is not None))
        flood_until_cut_off(
            lambda: server.call(lambda core: core.find_user("sleeper") is None), talker, listener
        )
        quits = [m for m in listener.collect(0.5) + listener.received if m.command == "QUIT"]
        assert any(m.nick == "sleeper" and "SendQ exceeded" in m.params[0] for m in quits)
        talker.send("PRIVMSG #lobby :last one")
        wait_until(lambda: any(m.params[-1] == "last one" for m in listener.collect(0.1)))
        sleeper.close()

    def test_flood_is_throttled_not_lost(self, make_server: Callable[..., ServerRunner]) -> None:
        server = make_server(limits={"flood_limit": True, "flood_burst": 5, "flood_interval": 0.05})
        alice, bob = connect(server, "alice"), connect(server, "bob")
        for i in range(30):
            alice.send(f"PRIVMSG #lobby :line {i}")
        got: list[str] = []
        deadline = time.monotonic() + 4 * TIMEOUT
        while len(got) < 30 and time.monotonic() < deadline:
            got += [m.params[1] for m in bob.collect(0.2) if m.command == "PRIVMSG"]
        assert got == [f"line {i}" for i in range(30)]


class TestShutdown:
    def test_stop_sends_error_with_reason(self, make_server: Callable[..., ServerRunner]) -> None:
        server = make_server()
        alice = connect(server, "alice")
        server.stop("maintenance")
        error = alice.expect("ERROR")
        assert "maintenance" in error.params[0]


class TestHistory:
    def test_lobby_history_survives_a_restart(self, tmp_path: Path) -> None:
        config = make_test_config(tmp_path)
        first = ServerRunner(config)
        first.start()
        try:
            alice = connect(first, "alice")
            alice.send("PRIVMSG #lobby :remember me")
            alice.send("PING :sync")
            alice.expect("PONG")
        finally:
            first.stop()
        assert (tmp_path / "data" / "chinwag.sqlite3").exists()
        second = ServerRunner(config)
        second.start()
        try:
            bob = LineClient("127.0.0.1", second.port)
            bob.register("bob", caps=["server-time", "batch"])
            replayed = bob.expect("PRIVMSG")
            assert replayed.params == ("#lobby", "remember me")
            assert replayed.nick == "alice"
            assert "time" in replayed.tags and "batch" in replayed.tags
            plain = LineClient("127.0.0.1", second.port)
            plain.register("carol")
            old = plain.expect("PRIVMSG")
            assert old.params[1].endswith(
                "] remember me"
            )  # stamped for clients without server-time
        finally:
            second.stop()
