"""History is keyed by the casemapping, and long list replies fit in 512-byte lines."""

from __future__ import annotations

from chinwag.server.state import User
from tests.server.harness import Harness


def test_history_does_not_leak_between_distinct_channels() -> None:
    # Under rfc1459 (and ascii) casemapping "#Äbc" and "#äbc" are two different channels,
    # but storage keys history by str.lower(), so joining "#äbc" replays "#Äbc"'s lines.
    h = Harness(lobby=None)
    a = h.connect("alice")
    h.send(a, "JOIN #Äbc", "PRIVMSG #Äbc :only for the upper-case room")
    b = h.connect("bob")
    h.send(b, "JOIN #äbc")
    assert [m for m in h.lines(b) if m.command == "PRIVMSG"] == []


def test_history_follows_the_casemapping() -> None:
    # Under rfc1459, "#chat[1]" and "#CHAT{1}" are the same channel; re-created under the
    # other spelling it must still get its history, but str.lower() keys them apart.
    h = Harness(lobby=None)
    a = h.connect("alice")
    h.send(a, "JOIN #chat[1]", "PRIVMSG #chat[1] :hello", "PART #chat[1]")
    b = h.connect("bob")
    h.send(b, "JOIN #CHAT{1}")
    replay = [m for m in h.lines(b) if m.command == "PRIVMSG"]
    assert len(replay) == 1 and replay[0].params[1].endswith("hello")


# Lines the server sends must fit in 512 bytes with CRLF (RFC 1459 2.3, modern IRC docs
# "Messages"). Replies that carry a list must be split over several lines, as NAMES is.
LIMIT = 510


def long_lines(h: Harness, user: User) -> list[int]:
    return [len(line) for line in h.raw(user).split(b"\r\n") if len(line) > LIMIT]


def many_users(h: Harness, n: int) -> list[str]:
    return [h.connect(f"user{i:02d}" + "x" * 24).nick for i in range(n)]


def test_whois_channels_fit_in_a_line() -> None:
    h = Harness(lobby=None)
    a = h.connect("alice")
    for i in range(20):
        h.send(a, f"JOIN #{i:02d}" + "c" * 50)
    h.clear(a)
    h.send(a, "WHOIS alice")
    assert long_lines(h, a) == []


def test_monitor_add_replies_fit_in_a_line() -> None:
    h = Harness(lobby=None)
    a = h.connect("alice")
    nicks = many_users(h, 16)
    h.clear(a)
    h.send(a, "MONITOR + " + ",".join(nicks))
    assert long_lines(h, a) == []


def test_monitor_status_and_list_fit_in_a_line() -> None:
    h = Harness(lobby=None)
    a = h.connect("alice")
    nicks = many_users(h, 32)
    h.send(a, "MONITOR + " + ",".join(nicks[:16]), "MONITOR + " + ",".join(nicks[16:]))
    h.clear(a)
    h.send(a, "MONITOR S", "MONITOR L")
    assert long_lines(h, a) == []


def test_ison_reply_fits_in_a_line() -> None:
    h = Harness(lobby=None)
    a = h.connect("alice")
    nicks = many_users(h, 16)
    h.clear(a)
    h.send(a, "ISON " + " ".join(nicks))
    assert long_lines(h, a) == []
