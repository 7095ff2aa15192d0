"""Backpressure on real sockets: with flood control off, a sender that never waits
cannot overrun a slow reader (nothing lost, nobody cut off), and a reader that is stuck
for good is still cut off with "SendQ exceeded" while everyone else keeps receiving."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

from chinwag.transport.runner import ServerRunner
from tests.support import TIMEOUT, LineClient, wait_until
from tests.transport.test_integration import connect

LIMITS = {"backpressure_bytes": 16 * 1024, "sendq_bytes": 64 * 1024}


def slow_reader(port: int, nick: str) -> socket.socket:
    """A registered client in #lobby with a tiny receive buffer."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(TIMEOUT)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"NICK {nick}\r\nUSER s 0 * :S\r\n".encode())
    seen = b""
    while b" 366 " not in seen:
        chunk = sock.recv(65536)
        assert chunk, "closed while registering"
        seen += chunk
    return sock


def test_a_sender_that_never_waits_loses_nothing_to_a_slow_reader(
    make_server: Callable[..., ServerRunner],
) -> None:
    server = make_server(limits=LIMITS)
    reader = slow_reader(server.port, "slow")
    talker = connect(server, "talker")
    count, text = 20000, "y" * 300
    blob = b"".join(f"PRIVMSG #lobby :{i} {text}\r\n".encode() for i in range(count))
    got: list[bytes] = []

    def read_slowly() -> None:
        chunks: list[bytes] = []
        seen = 0
        time.sleep(1.0)  # busy elsewhere (less than backpressure_seconds), then reads
        deadline = time.monotonic() + 6 * TIMEOUT
        while seen < count and time.monotonic() < deadline:
            chunk = reader.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            seen += chunk.count(b"\n")
            if seen >= count and b"".join(chunks).count(b" PRIVMSG #lobby :") >= count:
                break
        got.append(b"".join(chunks))

    thread = threading.Thread(target=read_slowly)
    thread.start()
    talker.send_raw(blob)  # all at once; blocks while the server holds the talker
    thread.join(8 * TIMEOUT)
    data = got[0]
    assert b"SendQ exceeded" not in data
    lines = [line for line in data.split(b"\r\n") if b" PRIVMSG #lobby :" in line]
    assert len(lines) == count
    assert lines[-1].split(b" :", 1)[1].startswith(f"{count - 1} ".encode())
    assert server.call(lambda core: core.find_user("slow") is not None)
    reader.close()


def test_a_stuck_reader_is_cut_off_and_holds_nobody_back_for_long(
    make_server: Callable[..., ServerRunner],
) -> None:
    server = make_server(limits={**LIMITS, "backpressure_seconds": 0.5})
    sleeper = slow_reader(server.port, "sleeper")  # and never reads again
    talker, listener = connect(server, "talker"), connect(server, "listener")
    started = time.monotonic()
    sent = 0
    text = "z" * 400
    while server.call(lambda core: core.find_user("sleeper") is not None):
        assert time.monotonic() - started < 4 * TIMEOUT, "the stuck reader was never cut off"
        talker.send_raw(
            b"".join(f"PRIVMSG #lobby :{sent + i} {text}\r\n".encode() for i in range(500))
        )
        sent += 500
        listener.collect(0.05)
    quits = [m for m in listener.collect(0.5) + listener.received if m.command == "QUIT"]
    assert any(m.nick == "sleeper" and "SendQ exceeded" in m.params[0] for m in quits)
    talker.send("PRIVMSG #lobby :last one")
    wait_until(lambda: any(m.params[-1] == "last one" for m in listener.collect(0.1)))
    said = [m.params[-1].split(" ", 1)[0] for m in listener.received if m.command == "PRIVMSG"]
    assert said[:sent] == [str(i) for i in range(sent)]  # every line, in order
    sleeper.close()


def test_private_messages_hold_and_release_too(make_server: Callable[..., ServerRunner]) -> None:
    """A client held for a backlogged private reader is read again once it catches up."""
    server = make_server(limits=LIMITS)
    reader = slow_reader(server.port, "reader")
    talker = LineClient("127.0.0.1", server.port)
    talker.register("talker2")
    count = 16000
    blob = b"".join(b"PRIVMSG reader :%d %s\r\n" % (i, b"z" * 400) for i in range(count))
    sender = threading.Thread(target=talker.send_raw, args=(blob + b"PING :done\r\n",))
    sender.start()
    time.sleep(1.0)  # the reader is busy for a moment, then reads everything
    chunks: list[bytes] = []
    seen = 0
    deadline = time.monotonic() + 6 * TIMEOUT
    while time.monotonic() < deadline:
        chunks.append(reader.recv(65536))
        seen += chunks[-1].count(b"\n")
        if not chunks[-1] or (seen >= count and b"".join(chunks).count(b" :%d " % (count - 1))):
            break
    sender.join(TIMEOUT)
    data = b"".join(chunks)
    assert b"SendQ exceeded" not in data
    assert data.count(b" PRIVMSG reader :") == count
    assert talker.expect("PONG").params[-1] == "done"
    reader.close()
