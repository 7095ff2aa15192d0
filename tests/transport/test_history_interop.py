"""Interop: a raw-socket client uses CHATHISTORY and SEARCH exactly as the specs show
(IRCv3 draft/chathistory, soju.im/search), checking the server's bytes with patterns
written from the specs' examples, not with chinwag's own parser."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from chinwag.transport.runner import ServerRunner
from tests.support import TIMEOUT

CAPS = (
    "draft/chathistory batch server-time message-tags soju.im/search echo-message standard-replies"
)
TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
# @batch=ID;msgid=1234;time=2019-01-04T14:33:26.123Z :nick!ident@host PRIVMSG #channel :message
HISTORY_LINE = re.compile(
    rf"^@(?=[^ ]*\bbatch=(?P<batch>[^; ]+))(?=[^ ]*\bmsgid=(?P<msgid>[^; ]+))"
    rf"(?=[^ ]*\btime=(?P<time>{TIME}))[^ ]+ :(?P<nick>[^! ]+)![^@ ]+@[^ ]+ "
    rf"(?P<verb>PRIVMSG|NOTICE) (?P<target>[^ ]+) :(?P<text>.*)$"
)


class Raw:
    """Bytes in, lines out: no IRC library."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.buf = b""

    def send(self, line: str) -> None:
        self.sock.sendall(line.encode() + b"\r\n")

    def lines(self) -> Iterator[str]:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            while b"\r\n" in self.buf:
                line, self.buf = self.buf.split(b"\r\n", 1)
                text = line.decode()
                if text.startswith("PING "):
                    self.send("PONG " + text[5:])
                    continue
                yield text
            self.buf += self.sock.recv(65536)
        raise AssertionError("timed out")

    def until(self, pred: Callable[[str], bool]) -> list[str]:
        got: list[str] = []
        for line in self.lines():
            got.append(line)
            if pred(line):
                return got
        return got

    def register(self, nick: str, caps: str = CAPS) -> None:
        self.send("CAP LS 302")
        self.send(f"NICK {nick}")
        self.send(f"USER {nick} 0 * :{nick}")
        self.send(f"CAP REQ :{caps}")
        self.until(lambda line: " ACK " in line)
        self.send("CAP END")
        self.until(lambda line: re.search(r" (376|422) ", line) is not None)

    def batch(self, request: str, kind: str) -> tuple[str, list[str]]:
        """Send ``request``; return the BATCH + line and the lines inside it."""
        self.send(request)
        opening = re.compile(rf" BATCH \+\S+ :?{re.escape(kind)}( |$)")
        start = self.until(lambda line: opening.search(line) is not None)[-1]
        ident = re.search(r" BATCH \+(\S+)", start)
        assert ident is not None, start
        end = re.compile(rf" BATCH :?-{re.escape(ident.group(1))}$")
        inside = self.until(lambda line: end.search(line) is not None)[:-1]
        return start, inside


@pytest.fixture
def port(make_server: Callable[..., ServerRunner]) -> int:
    return make_server(lobby=None).port


def test_chathistory_as_the_spec_describes(port: int) -> None:
    alice, bob = Raw(port), Raw(port)
    alice.register("alice")
    bob.register("bob")
    for client in (alice, bob):
        client.send("JOIN #channel")
        client.until(lambda line: " 366 " in line)
    for text in ("message", "\x01ACTION message\x01"):
        alice.send(f"PRIVMSG #channel :{text}")
    alice.send("NOTICE #channel :message")
    bob.until(lambda line: " NOTICE #channel " in line)
    # [c] CHATHISTORY LATEST #channel * 50
    start, inside = bob.batch("CHATHISTORY LATEST #channel * 50", "chathistory")
    # [s] :irc.host BATCH +ID chathistory #channel
    assert re.fullmatch(r"(@\S+ )?:\S+ BATCH \+\S+ chathistory :?#channel", start), start
    parsed = [HISTORY_LINE.match(line) for line in inside]
    assert all(parsed), inside
    assert [(m["verb"], m["text"]) for m in parsed if m] == [
        ("PRIVMSG", "message"),
        ("PRIVMSG", "\x01ACTION message\x01"),
        ("NOTICE", "message"),
    ]
    assert {m["nick"] for m in parsed if m} == {"alice"}
    # Further back than the oldest one: BEFORE that timestamp, then by msgid.
    first = parsed[0]
    assert first is not None
    _, older = bob.batch(f"CHATHISTORY BEFORE #channel timestamp={first['time']} 50", "chathistory")
    assert older == []
    _, later = bob.batch(f"CHATHISTORY AFTER #channel msgid={first['msgid']} 50", "chathistory")
    assert [HISTORY_LINE.match(line)["text"] for line in later] == [  # type: ignore[index]
        "\x01ACTION message\x01",
        "message",
    ]
    # Errors are standard replies: FAIL CHATHISTORY INVALID_TARGET <subcommand> <target> :...
    bob.send("CHATHISTORY LATEST #nowhere * 50")
    fail = bob.until(lambda line: " FAIL " in line or line.startswith("FAIL"))[-1]
    assert re.search(r"FAIL CHATHISTORY INVALID_TARGET LATEST #nowhere :", fail), fail


def test_search_as_the_spec_describes(port: int) -> None:
    jackie, bill, me = Raw(port), Raw(port), Raw(port)
    for client, nick in ((jackie, "jackie"), (bill, "bill"), (me, "me")):
        client.register(nick)
        client.send("JOIN #chan")
        client.until(lambda line: " 366 " in line)
    jackie.send("PRIVMSG #chan :Be what you want")
    bill.send("PRIVMSG #chan :That was fast!")
    jackie.send("PRIVMSG #chan :Want what you be")
    jackie.send("PRIVMSG #chan :Fasting is hard.")
    me.until(lambda line: "Fasting is hard." in line)
    # [c] SEARCH from=jackie;in=#chan
    start, inside = me.batch("SEARCH from=jackie;in=#chan", "soju.im/search")
    assert re.fullmatch(r"(@\S+ )?:\S+ BATCH \+\S+ :?soju.im/search", start), start
    hits = [HISTORY_LINE.match(line) for line in inside]
    assert [(m["nick"], m["text"]) for m in hits if m] == [
        ("jackie", "Be what you want"),
        ("jackie", "Want what you be"),
        ("jackie", "Fasting is hard."),
    ]
    # [c] SEARCH text=fast;in=#chan;limit=2
    _, inside = me.batch("SEARCH text=fast;in=#chan;limit=2", "soju.im/search")
    assert [HISTORY_LINE.match(line)["text"] for line in inside] == [  # type: ignore[index]
        "That was fast!",
        "Fasting is hard.",
    ]
    # [c] SEARCH before=2010-01-01T00:00:00.000Z;in=#chan -> an empty batch
    _, inside = me.batch("SEARCH before=2010-01-01T00:00:00.000Z;in=#chan", "soju.im/search")
    assert inside == []


def test_reactions_come_back_to_event_playback_clients_only(port: int) -> None:
    """ "If the client has not negotiated the event-playback capability, the server MUST
    NOT send any lines other than PRIVMSG and NOTICE in the reply batch. If the client
    has negotiated event-playback, the server SHOULD send additional lines relevant to
    the chat history, including but not limited to TAGMSG"; typing is not history."""
    alice, bob, carol = Raw(port), Raw(port), Raw(port)
    alice.register("alice")
    bob.register("bob", CAPS + " draft/event-playback")
    carol.register("carol")
    for client in (alice, bob, carol):
        client.send("JOIN #channel")
        client.until(lambda line: " 366 " in line)
    alice.send("PRIVMSG #channel :lunch?")
    said = bob.until(lambda line: "lunch?" in line)[-1]
    msgid = re.search(r"\bmsgid=([^; ]+)", said)
    assert msgid is not None
    alice.send(f"@+draft/react=yes;+draft/reply={msgid.group(1)} TAGMSG #channel")
    alice.send("@+typing=active TAGMSG #channel")
    carol.until(lambda line: "+typing=active" in line)
    _, inside = bob.batch("CHATHISTORY LATEST #channel * 50", "chathistory")
    assert len(inside) == 2 and HISTORY_LINE.match(inside[0]), inside
    reaction = re.fullmatch(
        rf"@(?=[^ ]*\bbatch=[^; ]+)(?=[^ ]*\bmsgid=[^; ]+)(?=[^ ]*\btime={TIME})"
        rf"(?=[^ ]*\+draft/react=yes)(?=[^ ]*\+draft/reply={re.escape(msgid.group(1))})"
        r"\S+ :alice![^@ ]+@\S+ TAGMSG :?#channel",
        inside[1],
    )
    assert reaction, inside[1]
    _, plain = carol.batch("CHATHISTORY LATEST #channel * 50", "chathistory")
    assert [HISTORY_LINE.match(line)["text"] for line in plain] == ["lunch?"]  # type: ignore[index]
