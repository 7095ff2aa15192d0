"""The benchmark connection's byte handling, driven through a fake transport."""

from __future__ import annotations

import asyncio

import pytest

from chinwag.bench.conn import COUNT, DM, LINES, SAMPLE, BenchRemoteError, Conn, _command


class FakeTransport:
    def __init__(self) -> None:
        self.written = b""
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True


def make() -> tuple[Conn, FakeTransport]:
    conn = Conn("nick")
    transport = FakeTransport()
    conn.connection_made(transport)  # type: ignore[arg-type]
    return conn, transport


@pytest.mark.parametrize(
    ("line", "command"),
    [
        (b":srv 001 me :Welcome", b"001"),
        (b"PING :token", b"PING"),
        (b"@time=x :a!b@c PRIVMSG #c :hi", b"PRIVMSG"),
        (b"ERROR :Closing Link", b"ERROR"),
        (b":only-a-source", b""),
        (b"", b""),
    ],
)
def test_command(line: bytes, command: bytes) -> None:
    assert _command(line) == command


def test_registration_sends_nick_user_and_completes_at_end_of_motd() -> None:
    async def go() -> None:
        conn, t = make()
        assert t.written == b"NICK nick\r\nUSER b 0 * :chinwag bench nick\r\n"
        conn.data_received(b":s 001 Nick2 :hi\r\n:s 37")
        assert not conn.registered.done()
        conn.data_received(b"5 Nick2 :motd\r\nPING :abc\r\n:s 376 Nick2 :End\r\n")
        assert conn.registered.done()
        assert conn.nick == "Nick2"  # the server's idea of our nick
        assert t.written.endswith(b"PONG :abc\r\n")

    asyncio.run(go())


def test_no_motd_also_ends_registration() -> None:
    async def go() -> None:
        conn, _t = make()
        conn.data_received(b":s 001 nick :hi\r\n:s 422 nick :MOTD File is missing\r\n")
        assert conn.registered.done()

    asyncio.run(go())


@pytest.mark.parametrize("reply", [b":s 433 * nick :in use", b"ERROR :Closing Link"])
def test_registration_failures(reply: bytes) -> None:
    async def go() -> None:
        conn, _t = make()
        conn.data_received(reply + b"\r\n")
        with pytest.raises(BenchRemoteError):
            await conn.registered

    asyncio.run(go())


def test_disconnect_fails_waiters() -> None:
    async def go() -> None:
        conn, _t = make()
        conn.connection_lost(None)
        with pytest.raises(BenchRemoteError):
            await conn.registered
        with pytest.raises(BenchRemoteError):
            await conn.expect(frozenset({b"PONG"}))

    asyncio.run(go())


def test_count_mode_counts_markers_split_across_reads() -> None:
    async def go() -> None:
        conn, t = make()
        conn.mode = COUNT
        conn.marker = b" PRIVMSG #b :"
        conn.expected = 3
        done: list[Conn] = []
        conn.on_complete = done.append
        conn.data_received(b":a!u@h PRIVMSG #b :1\r\n:a!u@h PRIV")
        assert conn.count == 1
        conn.data_received(b"MSG #b :2\r\n:s NOTICE x :PRIVMSG #b\r\nPING :k\r\n")
        assert conn.count == 2
        assert t.written.endswith(b"PONG :k\r\n")
        conn.data_received(b":a!u@h PRIVMSG #b :3\r\n")
        assert conn.count == 3
        assert done == [conn]

    asyncio.run(go())


def test_sample_mode_reads_timestamps_and_acks() -> None:
    async def go() -> None:
        conn, _t = make()
        conn.mode = SAMPLE
        conn.marker = b" PRIVMSG #b :"
        conn.expected = 10
        acks: list[tuple[int, int]] = []
        conn.on_ack = lambda s, q: acks.append((s, q))
        conn.data_received(b":a PRIVMSG #b :100 3 7 xx\r\n:a PRIVMSG #b :200 1 0 xx\r\n")
        assert conn.count == 2
        assert len(conn.latencies) == 2
        assert acks == [(3, 7), (1, 0)]

    asyncio.run(go())


def test_dm_mode_echoes_as_ponger() -> None:
    async def go() -> None:
        conn, t = make()
        conn.mode = DM
        conn.partner = b"peer"
        t.written = b""
        conn.data_received(b":peer!u@h PRIVMSG nick :12345\r\n")
        assert t.written == b"PRIVMSG peer :12345\r\n"

    asyncio.run(go())


def test_lines_mode_is_the_default() -> None:
    async def go() -> None:
        conn, _t = make()
        assert conn.mode == LINES

    asyncio.run(go())
