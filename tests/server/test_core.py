"""The sans-I/O core (chinwag.server.core, with its input side in chinwag.server.intake):
input limits, output coalescing and send queues, fan-out serialization, timers in
tick(), flood control, and the admin interface.

Time is faked by replacing the ``time`` module that core.py and intake.py see with a
clock that runs at real speed plus an offset the test advances; nothing sleeps.
"""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import pytest

from chinwag.proto.limits import LINE_BYTES, TAG_BYTES
from chinwag.proto.message import Message
from chinwag.server import core, intake
from chinwag.server.backpressure import TURN_ALLOWANCE
from chinwag.server.build import build_server
from chinwag.server.events import ServerEvent
from chinwag.server.outgoing import Outgoing, format_line, server_time
from tests.server.harness import FakeLink, Harness, numerics, only

S = "chinwag.local"


class Clock:
    """Real time plus an offset: core sees ``monotonic()`` and ``time()`` from here."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def time(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    fake = SimpleNamespace(monotonic=c.monotonic, time=c.time)
    monkeypatch.setattr(core, "time", fake)
    monkeypatch.setattr(intake, "time", fake)  # input and flood control
    return c


class TestFormatting:
    @pytest.mark.parametrize(
        ("args", "line"),
        [
            (("PING", (), None), "PING"),
            (("PRIVMSG", ("#a", "hi"), "n!u@h"), ":n!u@h PRIVMSG #a :hi"),
            (("MODE", ("#a", "+o", "bob"), "s"), ":s MODE #a +o :bob"),
            (("PART", ("#a", ""), "s"), ":s PART #a :"),
        ],
    )
    def test_format_line(self, args: tuple[str, tuple[str, ...], str | None], line: str) -> None:
        assert format_line(*args) == line

    def test_server_time_format(self) -> None:
        assert server_time(86400.25) == "1970-01-02T00:00:00.250Z"
        assert server_time(1_700_000_000.5) == "2023-11-14T22:13:20.500Z"

    def test_outgoing_caches_one_serialization_per_mask(self) -> None:
        out = Outgoing("PRIVMSG", ("#a", "hi"), "n!u@h", {"msgid": "m1", "+x": "a b"}, at=86400.0)
        plain = out.line_for(0)
        assert plain == b":n!u@h PRIVMSG #a :hi\r\n"
        assert out.line_for(0) is plain
        assert out.line_for(1) == b"@time=1970-01-02T00:00:00.000Z :n!u@h PRIVMSG #a :hi\r\n"
        assert out.line_for(2) == b"@msgid=m1;+x=a\\sb :n!u@h PRIVMSG #a :hi\r\n"
        assert out.line_for(3).startswith(b"@time=1970-01-02T00:00:00.000Z;msgid=m1;+x=a\\sb ")
        assert set(out.cache) == {0, 1, 2, 3}


class TestFanOut:
    def test_one_serialization_per_tag_mask(self, monkeypatch: pytest.MonkeyPatch) -> None:
        h = Harness()
        sender = h.connect("sender")
        plain = [h.connect(f"plain{i}") for i in range(3)]
        timed = [h.connect(f"timed{i}", ["server-time"]) for i in range(3)]
        tagged = [h.connect(f"tagged{i}", ["server-time", "message-tags"]) for i in range(2)]
        everyone = [sender, *plain, *timed, *tagged]
        h.clear(*everyone)
        calls: list[int] = []
        real = Outgoing.tags_for

        def counting(self: Outgoing, mask: int) -> dict[str, str]:
            calls.append(mask)
            return real(self, mask)

        monkeypatch.setattr(Outgoing, "tags_for", counting)
        h.send(sender, "PRIVMSG #lobby :one line, three encodings")
        assert sorted(calls) == [0, 1, 3]
        # Recipients with the same mask got identical bytes.
        assert len({h.raw(u) for u in plain}) == 1
        assert len({h.raw(u) for u in timed}) == 1
        assert len({h.raw(u) for u in tagged}) == 1

    def test_writes_are_coalesced_per_flush(self) -> None:
        h = Harness()
        a = h.connect("alice")
        b = h.connect("bob")
        before = h.link(b).writes
        h.server.receive(a, b"PRIVMSG bob :1\r\nPRIVMSG bob :2\r\n")
        h.server.receive(a, b"PRIVMSG bob :3\r\n")
        assert h.link(b).writes == before  # nothing written until flush
        h.server.flush()
        assert h.link(b).writes == before + 1
        assert [m.params[1] for m in h.lines(b)] == ["1", "2", "3"]

    def test_on_dirty_is_called_once_per_turn(self) -> None:
        calls: list[int] = []
        h = Harness()
        h.server.on_dirty = lambda: calls.append(1)
        a = h.connect("alice")
        h.connect("bob")
        calls.clear()
        h.server.receive(a, b"PRIVMSG #lobby :x\r\nPRIVMSG bob :y\r\nPING z\r\n")
        assert calls == [1]
        h.server.flush()
        h.server.receive(a, b"PING z\r\n")
        assert calls == [1, 1]


class TestInput:
    def test_line_split_across_reads_and_bare_lf(self) -> None:
        h = Harness()
        a = h.connect("alice")
        b = h.connect("bob")
        h.clear(b)
        for chunk in (b"PRIV", b"MSG bob :hel", b"lo\r", b"\nPRIVMSG bob :two\n", b"\r\n\n"):
            h.feed(a, chunk)
        assert [m.params[1] for m in h.lines(b)] == ["hello", "two"]

    def test_417_for_an_over_long_line_and_the_connection_lives(self) -> None:
        h = Harness()
        a = h.connect("alice")
        b = h.connect("bob")
        h.clear(a, b)
        text = "x" * (LINE_BYTES - len("PRIVMSG bob :") - 1)  # 511 bytes without CRLF
        h.send(a, "PRIVMSG bob :" + text)
        assert h.lines(a) == [Message.of("417", "alice", "Input line was too long", source=S)]
        assert h.lines(b) == []
        ok = "y" * (LINE_BYTES - len("PRIVMSG bob :") - 2)  # 510: the most allowed
        h.send(a, "PRIVMSG bob :" + ok)
        assert h.lines(b)[0].params[1] == ok[: len(ok) - len(":" + a.source + " ")]
        assert not h.link(a).closed

    def test_417_for_an_endless_line_then_recovery(self) -> None:
        h = Harness()
        a = h.connect("alice")
        b = h.connect("bob")
        h.clear(b)
        h.feed(a, b"PRIVMSG bob :" + b"z" * (LINE_BYTES + TAG_BYTES + 100))
        assert numerics(h.lines(a)) == ["417"]
        h.feed(a, b"z" * (LINE_BYTES + TAG_BYTES + 100))
        assert h.lines(a) == []  # answered once per line
        h.feed(a, b"zzz end of the long line\r\nPRIVMSG bob :fine\r\n")
        assert h.lines(b) == [Message.of("PRIVMSG", "bob", "fine", source=a.source)]
        assert len(a.inbuf) == 0

    def test_417_for_too_many_tag_bytes(self) -> None:
        h = Harness()
        a = h.connect("alice", ["message-tags"])
        h.send(a, "@+big=" + "t" * 5000 + " PING x")
        assert numerics(h.lines(a)) == ["417"]
        h.send(a, "@+ok=" + "t" * 4000 + " PING x")
        assert h.lines(a)[0].command == "PONG"

    @pytest.mark.parametrize(("tag_bytes", "ok"), [(4094, True), (4095, False)])
    def test_client_tag_data_limit(self, tag_bytes: int, ok: bool) -> None:
        # message-tags: clients may send at most 4094 bytes of tag data; more is 417.
        h = Harness()
        a = h.connect("alice", ["message-tags"])
        data = "+a=" + "t" * (tag_bytes - 3)
        h.send(a, "@" + data + " PING x")
        assert h.lines(a)[0].command == ("PONG" if ok else "417")

    def test_invalid_utf8_is_harmless(self) -> None:
        h = Harness()
        a = h.connect("alice")
        b = h.connect("bob")
        h.clear(b)
        h.send(a, b"PRIVMSG #lobby :caf\xe9 \xff\xfe ok")
        (got,) = h.lines(b)
        assert got.params[1] == "caf\ufffd \ufffd\ufffd ok"
        h.send(a, b"NICK \xff\xfe")
        assert numerics(h.lines(a)) == ["432"]
        h.send(a, b"JOIN #\xff")
        assert numerics(h.lines(a)) == ["479"]  # refused, not repaired: see TestInvalidUtf8
        u = h.open()
        h.send(u, b"NICK ok\xc3", b"USER \xff 0 * :\xfe")
        assert not u.registered
        h.send(u, b"NICK okay")
        assert u.registered and u.username == "~user"

    def test_cr_inside_a_line_cannot_smuggle_a_second_line(self) -> None:
        h = Harness()
        a = h.connect("alice")
        b = h.connect("bob")
        h.clear(b)
        h.feed(a, b"PRIVMSG bob :hi\rQUIT :fake\r\n")
        assert all(m.command != "QUIT" for m in h.lines(b))
        assert not a.closed

    def test_nul_and_blank_lines(self) -> None:
        h = Harness()
        a = h.connect("alice")
        h.send(a, "", "   ", b"PI\x00NG x")
        assert h.lines(a) == [Message.of("PONG", S, "x", source=S)]


class TestSendQ:
    def test_slow_reader_is_cut_off_and_others_carry_on(self) -> None:
        h = Harness()
        a = h.connect("alice")
        b = h.connect("bob")
        c = h.connect("carol")
        h.clear(a, b, c)
        # Far over its send queue (a backlogged reader gets backpressure_seconds first).
        h.link(b).pending = h.config.limits.sendq_bytes + TURN_ALLOWANCE + 1
        h.send(a, "PRIVMSG #lobby :are you there")
        assert b.closed and h.link(b).closed
        assert h.lines(b)[-1] == Message.of("ERROR", "Closing Link: 127.0.0.1 (SendQ exceeded)")
        got = h.lines(c)
        assert got == [
            Message.of("PRIVMSG", "#lobby", "are you there", source=a.source),
            Message.of("QUIT", "SendQ exceeded", source=b.source),
        ]
        h.send(a, "PRIVMSG #lobby :next")
        assert len(h.lines(c)) == 1
        assert h.server.find_user("bob") is None

    def test_a_peer_that_never_reads(self) -> None:
        h = Harness(limits={"sendq_bytes": 4000})
        a = h.connect("alice")
        b = h.connect("bob")
        c = h.connect("carol")
        h.clear(a, b, c)
        h.link(b).stalled = True
        text = "x" * 400
        for _ in range(12):
            h.send(a, "PRIVMSG #lobby :" + text)
        assert b.closed and h.link(b).closed
        assert not a.closed and not c.closed
        assert h.lines(b)[-1].params == ("Closing Link: 127.0.0.1 (SendQ exceeded)",)
        got = h.lines(c)
        assert [m.params[1] for m in got if m.command == "PRIVMSG"] == [text] * 12
        assert [m.params[0] for m in got if m.command == "QUIT"] == ["SendQ exceeded"]


class TestTick:
    def test_registration_timeout(self, clock: Clock) -> None:
        h = Harness(limits={"registration_timeout": 30.0})
        u = h.open()
        clock.advance(29)
        h.server.tick()
        assert not u.closed
        clock.advance(2)
        h.server.tick()
        assert u.closed
        assert h.lines(u) == [Message.of("ERROR", "Closing Link: 127.0.0.1 (Registration timeout)")]

    def test_registration_timeout_counts_from_connect(self, clock: Clock) -> None:
        # Limits.registration_timeout: seconds a connection may take to register. Talking
        # (here a PING every 20 s) does not extend it.
        h = Harness(limits={"registration_timeout": 30.0})
        u = h.open()
        clock.advance(20)
        h.send(u, "PING keepalive")
        h.server.tick()
        assert not u.closed
        clock.advance(20)
        h.send(u, "PING keepalive")
        h.server.tick()
        assert u.closed

    def test_no_connections_after_shutdown(self) -> None:
        h = Harness()
        h.server.shutdown("bye")
        link = FakeLink()
        assert h.server.connect(link, "127.0.0.1", 1) is None
        assert link.closed and bytes(link.data).startswith(b"ERROR ")

    def test_registered_users_do_not_hit_the_registration_timeout(self, clock: Clock) -> None:
        h = Harness(limits={"registration_timeout": 5.0, "ping_interval": 100.0})
        a = h.connect("alice")
        clock.advance(50)
        h.server.tick()
        assert not a.closed

    def test_ping_then_ping_timeout(self, clock: Clock) -> None:
        h = Harness(limits={"ping_interval": 60.0, "ping_timeout": 20.0})
        a = h.connect("alice")
        b = h.connect("bob")
        h.clear(a, b)
        clock.advance(59)
        h.send(b, "PING keepalive")
        h.server.tick()
        h.server.flush()
        assert h.lines(a) == []
        clock.advance(2)
        h.server.tick()
        h.server.flush()
        assert h.lines(a) == [Message.of("PING", S)]
        assert only(h.lines(b), "PING") == []  # bob spoke 2 s ago
        clock.advance(10)
        h.server.tick()
        assert not a.closed  # a second PING is not sent while waiting
        assert h.lines(a) == []
        clock.advance(11)
        h.server.tick()
        h.server.flush()
        assert a.closed
        # The clock runs at real speed under the offset, so allow for a slow machine.
        (error,) = h.lines(a)
        assert re.fullmatch(
            r"Closing Link: 127\.0\.0\.1 \(Ping timeout: 2\d seconds\)", error.params[0]
        )
        (quit_,) = only(h.lines(b), "QUIT")
        assert quit_.source == a.source
        assert re.fullmatch(r"Ping timeout: 2\d seconds", quit_.params[0])

    def test_pong_keeps_the_connection(self, clock: Clock) -> None:
        h = Harness(limits={"ping_interval": 60.0, "ping_timeout": 20.0})
        a = h.connect("alice")
        clock.advance(61)
        h.server.tick()
        (ping,) = h.lines(a)
        h.send(a, "PONG :" + ping.params[0])
        clock.advance(30)
        h.server.tick()
        assert not a.closed
        assert h.lines(a) == []

    def test_tick_leaves_the_disk_to_the_history_writer(self) -> None:
        flushed: list[int] = []
        h = Harness()
        h.storage.flush = lambda: flushed.append(1) or 0  # type: ignore[method-assign]
        h.server.tick(sweep=True)
        assert flushed == []


class TestFloodControl:
    def test_burst_then_throttle_in_order(self, clock: Clock) -> None:
        h = Harness(limits={"flood_limit": True, "flood_burst": 3, "flood_interval": 1.0})
        a = h.connect("alice")
        b = h.connect("bob")
        h.clear(a, b)
        h.send(a, *[f"PRIVMSG bob :{i}" for i in range(7)])
        assert [m.params[1] for m in h.lines(b)] == ["0", "1", "2"]
        assert a in h.server.throttled
        clock.advance(1.01)
        h.server.tick(sweep=False)
        h.server.flush()
        assert [m.params[1] for m in h.lines(b)] == ["3"]
        h.send(a, "PRIVMSG bob :7")  # queued behind the others, not jumping ahead
        assert h.lines(b) == []
        clock.advance(2.01)
        h.server.tick(sweep=False)
        h.server.flush()
        assert [m.params[1] for m in h.lines(b)] == ["4", "5"]
        clock.advance(10)
        h.server.tick(sweep=False)
        h.server.flush()
        assert [m.params[1] for m in h.lines(b)] == ["6", "7"]
        assert a not in h.server.throttled and a.pending is None

    def test_registration_is_not_throttled(self) -> None:
        h = Harness(limits={"flood_limit": True, "flood_burst": 1, "flood_interval": 100.0})
        u = h.open()
        h.send(u, "CAP LS 302", "CAP REQ :batch", "NICK alice", "USER a 0 * :A", "CAP END")
        assert u.registered

    def test_flood_limit_off(self) -> None:
        h = Harness(limits={"flood_limit": False, "flood_burst": 1})
        a = h.connect("alice")
        b = h.connect("bob")
        h.clear(b)
        h.send(a, *[f"PRIVMSG bob :{i}" for i in range(50)])
        assert len(h.lines(b)) == 50

    def test_excess_flood(self) -> None:
        h = Harness(
            limits={
                "flood_limit": True,
                "flood_burst": 1,
                "flood_interval": 100.0,
                "recvq_bytes": 300,
            }
        )
        a = h.connect("alice")
        b = h.connect("bob")
        h.clear(b)
        h.send(a, *[f"PRIVMSG bob :{i:040d}" for i in range(20)])
        assert a.closed
        assert h.lines(a)[-1] == Message.of("ERROR", "Closing Link: 127.0.0.1 (Excess Flood)")
        assert only(h.lines(b), "PRIVMSG")[0].params[1] == f"{0:040d}"


class TestServerBans:
    def test_add_ban_removes_matching_users(self) -> None:
        h = Harness()
        a = h.connect("alice")
        b = h.connect("bob", ip="10.0.0.5")
        h.clear(a)
        assert h.server.add_ban("*!*@10.0.0.*", "go away") == ["bob"]
        assert b.closed
        assert h.lines(b)[-1] == Message.of("ERROR", "Closing Link: 10.0.0.5 (Banned: go away)")
        assert only(h.lines(a), "QUIT") == [Message.of("QUIT", "Banned: go away", source=b.source)]

    def test_banned_user_cannot_register(self) -> None:
        h = Harness()
        h.server.add_ban("mallory", "no")
        u = h.open()
        h.send(u, "NICK Mallory", "USER m 0 * :M")
        got = h.lines(u)
        assert got[0] == Message.of(
            "465", "Mallory", "You are banned from this server: no", source=S
        )
        assert got[-1].command == "ERROR"
        assert u.closed and not u.registered

    def test_bans_list_and_remove(self) -> None:
        h = Harness()
        h.server.add_ban("mallory", "one")
        h.server.add_ban("*!*@10.9.9.9", "two", duration=60)
        bans = h.server.bans()
        assert [(b.mask, b.reason) for b in bans] == [
            ("mallory!*@*", "one"),
            ("*!*@10.9.9.9", "two"),
        ]
        assert bans[0].expires_at is None
        assert bans[1].expires_at == pytest.approx(bans[1].set_at + 60)
        assert h.server.remove_ban("mallory") is True  # the short form finds it
        assert h.server.remove_ban("mallory") is False
        assert h.server.remove_ban("*!*@10.9.9.9") is True
        assert h.server.bans() == []
        u = h.open()
        h.send(u, "NICK mallory", "USER m 0 * :M")
        assert u.registered

    def test_ban_expires_in_tick(self, clock: Clock) -> None:
        h = Harness()
        h.server.add_ban("mallory", "timeout", duration=60)
        h.server.add_ban("eve", "forever")
        clock.advance(59)
        h.server.tick()
        assert len(h.server.bans()) == 2
        clock.advance(2)
        h.server.tick()
        assert [b.mask for b in h.server.bans()] == ["eve!*@*"]


class TestAdminInterface:
    def test_users_and_stats(self) -> None:
        h = Harness()
        b = h.connect("bob", realname="Bob")
        a = h.connect("alice", ip="10.0.0.7")
        h.send(a, "JOIN #x", "AWAY :out")
        h.open()
        h.send(a, "PRIVMSG #x :one", "PRIVMSG bob :two")
        infos = h.server.users()
        assert [u.nick for u in infos] == ["alice", "bob"]
        ai = infos[0]
        assert ai.username == "~alice" and ai.host == "10.0.0.7"
        assert ai.address == a.address and ai.address.startswith("10.0.0.7:")
        assert ai.channels == ("#lobby", "#x")
        assert ai.away == "out" and ai.oper is False
        assert ai.idle >= 0.0 and ai.connected_at == a.connected_at
        assert infos[1].channels == ("#lobby",) and b.away is None
        stats = h.server.stats()
        assert (stats.users, stats.channels, stats.messages, stats.connections) == (2, 2, 2, 3)

    def test_kill(self) -> None:
        h = Harness()
        a = h.connect("alice")
        b = h.connect("bob")
        h.clear(a)
        assert h.server.kill("BOB", "be nice") is True
        assert b.closed
        assert only(h.lines(a), "QUIT") == [
            Message.of("QUIT", "Killed (admin (be nice))", source=b.source)
        ]
        assert h.server.kill("bob", "again") is False

    def test_notice_all(self) -> None:
        h = Harness()
        a = h.connect("alice")
        b = h.connect("bob", ["server-time"])
        u = h.open()
        h.clear(a, b)
        h.server.notice_all("restart at noon")
        h.server.flush()
        assert h.lines(a) == [Message.of("NOTICE", "*", "restart at noon", source=S)]
        (got,) = h.lines(b)
        assert got.params == ("*", "restart at noon") and "time" in got.tags
        assert h.lines(u) == []  # not registered yet

    def test_shutdown_sends_error_to_everyone(self) -> None:
        h = Harness()
        a = h.connect("alice")
        b = h.connect("bob")
        u = h.open()
        h.clear(a, b)
        h.server.shutdown("maintenance")
        for user in (a, b, u):
            assert h.lines(user) == [Message.of("ERROR", "Closing Link: 127.0.0.1 (maintenance)")]
            assert h.link(user).closed
        assert h.server.connections == set()

    def test_connection_lost(self) -> None:
        h = Harness()
        a = h.connect("alice")
        b = h.connect("bob")
        h.clear(a, b)
        h.server.connection_lost(b)
        h.server.flush()
        assert h.lines(b) == []  # nothing is written to a gone peer
        assert h.lines(a) == [Message.of("QUIT", "Connection closed", source=b.source)]
        h.server.connection_lost(b)  # idempotent

    def test_quit_reaches_each_peer_once(self) -> None:
        h = Harness()
        a = h.connect("alice")
        b = h.connect("bob")
        h.send(a, "JOIN #x")
        h.send(b, "JOIN #x")
        h.clear(a, b)
        h.send(b, "QUIT :bye now")
        assert h.lines(a) == [Message.of("QUIT", "Quit: bye now", source=b.source)]
        assert h.lines(b) == [Message.of("ERROR", "Closing Link: 127.0.0.1 (Quit: bye now)")]
        assert h.server.find_channel("#x") is not None
        assert b not in h.server.channels["#x"].members

    def test_connections_per_ip(self) -> None:
        h = Harness(limits={"connections_per_ip": 2})
        first = h.open("10.0.0.1")
        h.open("10.0.0.1")
        link = FakeLink()
        assert h.server.connect(link, "10.0.0.1", 5555) is None
        assert (
            bytes(link.data) == b"ERROR :Closing Link: too many connections from your address\r\n"
        )
        assert link.closed
        assert h.server.connect(FakeLink(), "10.0.0.2", 5555) is not None
        h.send(first, "QUIT")
        assert h.server.connect(FakeLink(), "10.0.0.1", 5556) is not None

    def test_events(self) -> None:
        h = Harness()
        events: list[ServerEvent] = []
        unsubscribe = h.server.subscribe(events.append)
        a = h.connect("alice")
        h.send(a, "JOIN #x", "PART #x", "NICK al", "QUIT")
        kinds = [e.kind for e in events]
        assert kinds == ["connect", "register", "join", "join", "part", "nick", "quit"]
        assert events[1].nick == "alice" and events[1].address == a.address
        assert events[2].channel == "#lobby"
        unsubscribe()
        h.connect("bob")
        assert len(events) == 7

    def test_a_failing_listener_does_not_break_the_server(self) -> None:
        h = Harness()

        def bad(event: ServerEvent) -> None:
            raise ValueError("listener bug")

        h.server.subscribe(bad)
        a = h.connect("alice")
        assert a.registered


def test_server_accepts_no_storage() -> None:
    server = build_server(Harness().config, None)
    link = FakeLink()
    user = server.connect(link, "127.0.0.1", 1)
    assert user is not None
    server.receive(user, b"NICK alice\r\nUSER a 0 * :A\r\nPRIVMSG #lobby :hi\r\n")
    server.flush()
    server.tick()
    assert user.registered and b"001" in bytes(link.data)


class TestInvalidUtf8:
    def test_modified_message_is_relayed_and_warned_about(self) -> None:
        h = Harness()
        a = h.connect("alice", ["standard-replies"])
        b = h.connect("bob")
        h.clear(a, b)
        h.send(a, b"PRIVMSG #lobby :caf\xe9")
        (warn,) = h.lines(a)
        assert warn.command == "WARN" and warn.params[:2] == ("PRIVMSG", "INVALID_UTF8")
        (relayed,) = h.lines(b)
        assert relayed.params == ("#lobby", "caf\ufffd")

    def test_warned_without_standard_replies_too(self) -> None:
        # IRCv3 UTF8ONLY: the sender is told, whether or not it asked for standard-replies.
        h = Harness()
        a = h.connect("alice")
        h.connect("bob")
        h.clear(a)
        h.send(a, b"PRIVMSG #lobby :caf\xe9")
        assert h.lines(a) == [
            Message.of(
                "WARN",
                "PRIVMSG",
                "INVALID_UTF8",
                "Your message was not correctly encoded as UTF-8 and had to be modified",
                source=S,
            )
        ]

    @pytest.mark.parametrize("raw", [b"JOIN #caf\xe9", b"JOIN #caf\xe8", b"JOIN #ok,#caf\xe9"])
    def test_a_channel_name_with_invalid_utf8_is_refused(self, raw: bytes) -> None:
        # Repairing to U+FFFD would make #caf\xe9 and #caf\xe8 one room: refuse instead.
        h = Harness()
        a = h.connect("alice")
        h.clear(a)
        h.send(a, raw)
        got = h.lines(a)
        assert got[0].command == "WARN" and got[0].params[:2] == ("JOIN", "INVALID_UTF8")
        refused = [m for m in got if m.command == "479"]
        assert refused == [
            Message.of("479", "alice", "#caf\ufffd", "Illegal channel name", source=S)
        ]
        assert all(not name.startswith("#caf") for name in h.server.channels)
        h.send(a, "PRIVMSG #caf\ufffd :hi")
        assert numerics(h.lines(a)) == ["403"]
