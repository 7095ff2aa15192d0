"""The threaded client against real servers on loopback: ngircd (a third-party server) and
the chinwag server. Failures are reported clearly, member lists kept, reconnect rejoins."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chinwag.client import events as ev
from chinwag.client.connection import Client
from chinwag.transport.runner import ServerRunner
from tests.client.conftest import Watched
from tests.client.ngircd import Ngircd, free_port
from tests.support import TIMEOUT, LineClient


def nicks(members: tuple[ev.Member, ...]) -> set[str]:
    return {m.nick for m in members}


@pytest.fixture
def bob(ngircd: Ngircd) -> Iterator[LineClient]:
    c = LineClient("127.0.0.1", ngircd.port)
    c.register("bob")
    yield c
    c.close()


def test_connection_refused_is_reported(make_client: Callable[..., Watched]) -> None:
    c = make_client(free_port(), "alice")
    failed = c.wait(ev.ConnectFailed)
    assert failed.kind == "refused"
    assert "refused" in failed.message
    c.wait(ev.Stopped)


def test_unknown_host_is_reported() -> None:
    client = Client("no-such-host.invalid", 6667, "alice")
    client.start()
    try:
        failed = Watched(client).wait(ev.ConnectFailed, timeout=3 * TIMEOUT)
        assert failed.kind == "unknown-host"
        assert "no-such-host.invalid" in failed.message
    finally:
        client.close(TIMEOUT)


def test_silent_server_times_out(make_client: Callable[..., Watched]) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    t = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    t.start()
    try:
        c = make_client(listener.getsockname()[1], "alice", registration_timeout=0.5)
        failed = c.wait(ev.ConnectFailed)
        assert failed.kind == "timeout"
        assert "No welcome" in failed.message
    finally:
        for s in accepted:
            s.close()
        listener.close()


def test_a_message_the_server_never_answers_is_reported_failed(
    make_client: Callable[..., Watched],
) -> None:
    """A server that welcomes us (with labeled-response) and then ignores what we say:
    the line does not stay "sending…" for ever."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    heard: list[str] = []

    def serve() -> None:
        conn = listener.accept()[0]
        with conn, conn.makefile("rb") as lines:
            for raw in lines:
                line = raw.decode().strip()
                heard.append(line)
                if line.startswith("CAP LS"):
                    conn.sendall(b":srv CAP * LS :batch echo-message labeled-response\r\n")
                elif line.startswith("CAP REQ"):
                    conn.sendall(b":srv CAP * ACK :" + line.split(":", 1)[1].encode() + b"\r\n")
                elif line.startswith("USER"):
                    conn.sendall(b":srv 001 alice :Hi\r\n:srv 422 alice :No MOTD\r\n")

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        c = make_client(listener.getsockname()[1], "alice", confirm_timeout=0.3, reconnect=False)
        c.wait(ev.Registered)
        c.client.say("bob", "are you there?")
        failed = c.wait(ev.SendFailed)
        assert failed.conversation == "bob" and "not confirmed" in failed.reason
        assert any(x.endswith("PRIVMSG bob :are you there?") for x in heard)
    finally:
        listener.close()


def test_nick_in_use_offers_a_free_variant(
    ngircd: Ngircd, bob: LineClient, make_client: Callable[..., Watched]
) -> None:
    bob2 = LineClient("127.0.0.1", ngircd.port)
    try:
        bob2.register("bob2")
        c = make_client(ngircd.port, "bob")
        failed = c.wait(ev.ConnectFailed, timeout=3 * TIMEOUT)
        assert failed.kind == "nick-in-use"
        assert (failed.nick, failed.suggestion) == ("bob", "bob3")  # bob2 is taken too
        c.wait(ev.Stopped)
    finally:
        bob2.close()


def test_nick_in_use_auto_takes_the_variant(
    ngircd: Ngircd, bob: LineClient, make_client: Callable[..., Watched]
) -> None:
    c = make_client(ngircd.port, "bob", nick_in_use="auto")
    reg = c.wait(ev.Registered, timeout=3 * TIMEOUT)
    assert (reg.nick, reg.requested_nick) == ("bob2", "bob")


def test_member_list_follows_join_part_nick_quit_and_modes(
    ngircd: Ngircd, bob: LineClient, make_client: Callable[..., Watched]
) -> None:
    alice = make_client(ngircd.port, "alice")
    alice.wait(ev.Registered)
    alice.client.join("#room")
    alice.members("#room", lambda m: nicks(m) == {"alice"})
    bob.send("JOIN #room")
    alice.wait(ev.Joined, lambda e: e.nick == "bob")
    alice.members("#room", lambda m: nicks(m) == {"alice", "bob"})
    alice.client.raw("MODE #room +v bob")
    alice.members("#room", lambda m: ev.Member("bob", "+") in m)
    bob.send("NICK robert")
    changed = alice.wait(ev.NickChanged)
    assert (changed.old, changed.new, changed.channels) == ("bob", "robert", ("#room",))
    alice.members("#room", lambda m: ev.Member("robert", "+") in m)
    bob.send("PART #room :bye")
    parted = alice.wait(ev.Parted)
    assert (parted.nick, parted.reason) == ("robert", "bye")
    alice.members("#room", lambda m: nicks(m) == {"alice"})
    bob.send("JOIN #room")
    alice.members("#room", lambda m: nicks(m) == {"alice", "robert"})
    bob.send("QUIT :gone home")
    quit_ = alice.wait(ev.Quit)
    assert (quit_.nick, quit_.channels) == ("robert", ("#room",))
    assert "gone home" in quit_.reason  # ngircd wraps it in quotes
    alice.members("#room", lambda m: nicks(m) == {"alice"})


def test_away_state_from_who_and_own_away(
    ngircd: Ngircd, bob: LineClient, make_client: Callable[..., Watched]
) -> None:
    bob.send("JOIN #room")
    bob.send("AWAY :lunch")
    bob.expect("306")
    alice = make_client(ngircd.port, "alice")
    alice.wait(ev.Registered)
    alice.client.join("#room")
    alice.members("#room", lambda m: ev.Member("bob", "@", away=True) in m)
    alice.client.set_away("brb")
    assert alice.wait(ev.AwayChanged).away is True
    alice.members("#room", lambda m: ev.Member("alice", "", away=True) in m)
    alice.client.set_away("")
    assert alice.wait(ev.AwayChanged).away is False


def test_reconnects_and_rejoins_after_server_restart(
    tmp_path: Path, make_client: Callable[..., Watched]
) -> None:
    server = Ngircd(tmp_path)
    server.start()
    try:
        alice = make_client(server.port, "alice")
        alice.wait(ev.Registered)
        alice.client.join("#keep")
        alice.wait(ev.Joined, lambda e: e.is_me)
        server.stop()
        gone = alice.wait(ev.Disconnected)
        assert gone.retry_in is not None
        server.start()
        back = alice.wait(ev.Registered, timeout=3 * TIMEOUT)
        assert back.reconnected and back.nick == "alice"
        alice.wait(ev.Joined, lambda e: e.is_me and e.channel == "#keep", timeout=3 * TIMEOUT)
    finally:
        server.stop()


def test_quit_stops_without_reconnecting(
    ngircd: Ngircd, bob: LineClient, make_client: Callable[..., Watched]
) -> None:
    bob.send("JOIN #room")
    bob.expect("366")
    alice = make_client(ngircd.port, "alice")
    alice.wait(ev.Registered)
    alice.client.join("#room")
    bob.expect(lambda m: m.command == "JOIN" and m.nick == "alice")
    alice.client.quit("see you")
    got = bob.expect("QUIT")
    assert got.nick == "alice" and "see you" in got.param(0)
    alice.wait(ev.Stopped)
    alice.client.close(TIMEOUT)
    assert not alice.client.alive


# -- against the chinwag server ------------------------------------------------------------


@pytest.fixture
def carol(server: ServerRunner) -> Iterator[LineClient]:
    c = LineClient("127.0.0.1", server.port)
    c.register("carol")
    c.expect(lambda m: m.command == "366")  # auto-joined #lobby
    yield c
    c.close()


class TestChinwagServer:
    def test_connect_joins_lobby_with_capabilities(
        self, server: ServerRunner, make_client: Callable[..., Watched]
    ) -> None:
        alice = make_client(server.port, "alice")
        reg = alice.wait(ev.Registered)
        assert reg.nick == "alice"
        assert {"server-time", "echo-message", "multi-prefix", "away-notify"} <= reg.caps
        alice.wait(ev.Joined, lambda e: e.is_me and e.channel.lower() == "#lobby")
        alice.members("#lobby", lambda m: "alice" in nicks(m))

    def test_send_receive_and_private_messages(
        self, server: ServerRunner, carol: LineClient, make_client: Callable[..., Watched]
    ) -> None:
        alice = make_client(server.port, "alice")
        alice.wait(ev.Joined, lambda e: e.is_me)
        alice.members("#lobby", lambda m: nicks(m) == {"alice", "carol"})
        carol.send("PRIVMSG #lobby :morning all")
        got = alice.wait(ev.ChatMessage, lambda e: e.text == "morning all")
        assert (got.sender, got.conversation, got.own) == ("carol", "#lobby", False)
        alice.client.say("#lobby", "morning carol")
        heard = carol.expect(lambda m: m.command == "PRIVMSG" and m.nick == "alice")
        assert heard.params == ("#lobby", "morning carol")
        own = alice.wait(ev.ChatMessage, lambda e: e.own)  # echo-message from the server
        assert own.text == "morning carol"
        carol.send("PRIVMSG alice :just you")
        pm = alice.wait(ev.ChatMessage, lambda e: e.text == "just you")
        assert (pm.conversation, pm.private) == ("carol", True)
        alice.client.action("carol", "waves")
        act = carol.expect(lambda m: m.command == "PRIVMSG" and m.param(0) == "carol")
        assert act.param(1) == "\x01ACTION waves\x01"

    def test_labeled_messages_are_pending_until_the_server_answers(
        self, server: ServerRunner, carol: LineClient, make_client: Callable[..., Watched]
    ) -> None:
        alice = make_client(server.port, "alice")
        assert {"labeled-response", "batch"} <= alice.wait(ev.Registered).caps
        alice.members("#lobby", lambda m: nicks(m) == {"alice", "carol"})

        alice.client.say("#lobby", "labeled hello")
        sent = alice.wait(ev.ChatMessage, lambda e: e.pending)
        assert (sent.text, sent.own, sent.conversation) == ("labeled hello", True, "#lobby")
        heard = carol.expect(lambda m: m.command == "PRIVMSG" and m.nick == "alice")
        assert heard.params == ("#lobby", "labeled hello") and "label" not in heard.tags
        done = alice.wait(ev.ChatMessage, lambda e: e.label == sent.label)
        assert not done.pending and done.text == "labeled hello"  # the labeled echo

        alice.client.say("nobody", "hello?")  # the server answers 401 to that label
        refused = alice.wait(ev.ChatMessage, lambda e: e.pending)
        failed = alice.wait(ev.SendFailed)
        assert (failed.label, failed.conversation) == (refused.label, "nobody")
        assert "No such nick" in failed.reason

        carol.send("AWAY :at lunch")
        carol.expect("306")
        alice.client.say("carol", "lunch?")  # echo and away reply: a labeled batch
        asked = alice.wait(ev.ChatMessage, lambda e: e.pending)
        assert (asked.conversation, asked.private) == ("carol", True)
        answered = alice.wait(ev.ChatMessage, lambda e: e.label == asked.label)
        assert not answered.pending
        away = alice.wait(ev.ServerText, lambda e: "at lunch" in e.text)
        assert away.conversation == "carol" and not away.error
        assert carol.expect(lambda m: m.command == "PRIVMSG").params == ("carol", "lunch?")

    def test_member_list_follows_join_part_nick_quit(
        self, server: ServerRunner, make_client: Callable[..., Watched]
    ) -> None:
        alice = make_client(server.port, "alice")
        alice.members("#lobby", lambda m: nicks(m) == {"alice"})
        dave = LineClient("127.0.0.1", server.port)
        try:
            dave.register("dave")
            alice.members("#lobby", lambda m: nicks(m) == {"alice", "dave"})
            dave.send("NICK david")
            alice.members("#lobby", lambda m: nicks(m) == {"alice", "david"})
            dave.send("PART #lobby")
            alice.members("#lobby", lambda m: nicks(m) == {"alice"})
            dave.send("JOIN #lobby")
            alice.members("#lobby", lambda m: nicks(m) == {"alice", "david"})
            dave.send("QUIT :bye")
            q = alice.wait(ev.Quit)
            assert q.nick == "david" and q.channels == ("#lobby",)
            alice.members("#lobby", lambda m: nicks(m) == {"alice"})
        finally:
            dave.close()

    def test_away_notify(
        self, server: ServerRunner, carol: LineClient, make_client: Callable[..., Watched]
    ) -> None:
        alice = make_client(server.port, "alice")
        alice.members("#lobby", lambda m: ev.Member("carol", "", False) in m or
                      any(x.nick == "carol" and not x.away for x in m))  # fmt: skip
        carol.send("AWAY :out")
        alice.members("#lobby", lambda m: any(x.nick == "carol" and x.away for x in m))
        carol.send("AWAY")
        alice.members("#lobby", lambda m: any(x.nick == "carol" and not x.away for x in m))

    def test_nick_in_use(
        self, server: ServerRunner, carol: LineClient, make_client: Callable[..., Watched]
    ) -> None:
        c = make_client(server.port, "Carol")  # casemapping: the same nick
        failed = c.wait(ev.ConnectFailed)
        assert (failed.kind, failed.suggestion) == ("nick-in-use", "Carol2")

    def test_reconnect_after_restart_on_the_same_port(
        self, make_server: Callable[..., ServerRunner], make_client: Callable[..., Watched]
    ) -> None:
        port = free_port()
        first = make_server(listen=(("127.0.0.1", port),))
        alice = make_client(port, "alice")
        alice.wait(ev.Registered)
        alice.client.join("#side")
        alice.wait(ev.Joined, lambda e: e.is_me and e.channel == "#side")
        first.stop()
        assert alice.wait(ev.Disconnected).retry_in is not None
        make_server(listen=(("127.0.0.1", port),))
        back = alice.wait(ev.Registered, timeout=3 * TIMEOUT)
        assert back.reconnected and back.nick == "alice"
        alice.wait(ev.Joined, lambda e: e.is_me and e.channel == "#side")
        alice.wait(ev.Joined, lambda e: e.is_me and e.channel.lower() == "#lobby")
