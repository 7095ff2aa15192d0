"""Outgoing lines (chinwag.server.outgoing): every line the server writes fits in 512
bytes with its CRLF, tags apart. The prefix the server adds to a relayed message can
push a full-length client line over; the last parameter is trimmed, on a UTF-8 boundary
(modern IRC docs; IRCv3 UTF8ONLY)."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime

import pytest

from chinwag.proto.limits import LINE_BYTES
from chinwag.proto.message import parse
from chinwag.server.caps import TAG_TIME
from chinwag.server.outgoing import Outgoing, fit_line
from chinwag.transport.runner import ServerRunner
from tests.server.harness import Harness
from tests.support import TIMEOUT

SOURCE = "somebody!~somebody@2001:db8:1234:5678:9abc:def0:1234:5678"


class TestFitLine:
    def test_short_lines_are_untouched(self) -> None:
        assert fit_line("PRIVMSG", ("#a", "hi"), SOURCE) == (
            f":{SOURCE} PRIVMSG #a :hi",
            ("#a", "hi"),
        )

    @pytest.mark.parametrize("char", ["x", "é", "€", "🙂"])
    def test_long_text_is_trimmed_to_fit_on_a_character_boundary(self, char: str) -> None:
        text = char * 600
        body, params = fit_line("PRIVMSG", ("#room", text), SOURCE)
        size = len(body.encode()) + 2
        assert size <= LINE_BYTES
        assert size > LINE_BYTES - len(char.encode()) - 2  # no more cut than needed
        assert text.startswith(params[1]) and params[1] == body.rsplit(" :", 1)[1]

    def test_outgoing_keeps_the_trimmed_text(self) -> None:
        out = Outgoing("NOTICE", ("bob", "n" * 700), SOURCE, {"msgid": "1"})
        assert len(out.line_for(0)) == LINE_BYTES
        assert out.params[1] == "n" * (LINE_BYTES - 2 - len(f":{SOURCE} NOTICE bob :"))


class TestRelayed:
    @pytest.mark.parametrize("verb", ["PRIVMSG", "NOTICE"])
    def test_a_510_byte_line_is_relayed_in_512(self, verb: str) -> None:
        h = Harness()
        a = h.connect("alice")
        b = h.connect("bob", ["message-tags", "server-time"])
        h.clear(a, b)
        line = f"{verb} #lobby :" + "é" * 300
        line = line.encode()[:510].decode("utf-8", "ignore").encode()
        h.send(a, line)
        (raw,) = [x for x in h.raw(b).split(b"\r\n") if x]
        body = raw.split(b" ", 1)[1]  # tags apart
        assert len(body) + 2 <= LINE_BYTES
        assert parse(raw.decode()).params[1].startswith("é" * 200)

    def test_quit_and_history_replay_fit_too(self) -> None:
        h = Harness()
        a = h.connect("alice")
        h.send(a, "PRIVMSG #lobby :" + "q" * 490)
        h.send(a, "QUIT :" + "r" * 500)
        b = h.open()
        h.send(b, "NICK bob", "USER bob 0 * :Bob")  # no server-time: replay adds [HH:MM]
        assert all(len(x) + 2 <= LINE_BYTES for x in h.raw(b).split(b"\r\n") if x)


def read_until(sock: socket.socket, marker: bytes, deadline: float) -> bytes:
    data = b""
    while marker not in data and time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_over_real_sockets_a_510_byte_line_arrives_in_512(server: ServerRunner) -> None:
    deadline = time.monotonic() + 6 * TIMEOUT
    listener = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
    talker = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
    try:
        listener.sendall(b"NICK listener\r\nUSER l 0 * :L\r\n")
        read_until(listener, b" 366 ", deadline)
        talker.sendall(b"NICK t\r\nUSER talkerwithalongname 0 * :T\r\n")
        read_until(talker, b" 366 ", deadline)
        sent = b"PRIVMSG #lobby :" + b"z" * (510 - len(b"PRIVMSG #lobby :"))
        assert len(sent) == 510
        talker.sendall(sent + b"\r\n")
        data = read_until(listener, b"PRIVMSG", deadline)
        data += read_until(listener, b"\r\n", deadline) if not data.endswith(b"\r\n") else b""
        (line,) = [x for x in data.split(b"\r\n") if b" PRIVMSG #lobby :" in x]
        assert len(line) + 2 <= LINE_BYTES
        # USERLEN=16 holds: "~" and the first 15 characters of the username.
        assert line.startswith(b":t!~talkerwithalong@127.0.0.1 PRIVMSG #lobby :zzz")
    finally:
        listener.close()
        talker.close()


class TestServerTime:
    """The time tag is formatted only when a recipient needs it, but always shows the
    moment the message was made."""

    def test_given_time(self) -> None:
        out = Outgoing("PRIVMSG", ("#a", "hi"), SOURCE, at=1_700_000_000.123)
        assert out.line_for(TAG_TIME).startswith(b"@time=2023-11-14T22:13:20.123Z :")
        assert out.line_for(0) == f":{SOURCE} PRIVMSG #a :hi\r\n".encode()

    def test_time_of_making_not_of_sending(self) -> None:
        before = time.time()
        out = Outgoing("PRIVMSG", ("#a", "hi"), SOURCE)
        after = time.time()
        time.sleep(0.02)
        stamp = datetime.strptime(out.time_tag, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        assert int(before * 1000) / 1000 <= stamp.timestamp() <= after
