"""SEARCH (soju.im/search): every attribute, the batch, and only what the asker may see."""

from __future__ import annotations

import pytest

from chinwag.server.outgoing import server_time
from chinwag.storage.base import StoredMessage
from tests.server.commands.test_history import FULL, login, texts
from tests.server.harness import Harness

CAPS = (*FULL, "soju.im/search")


@pytest.fixture
def h() -> Harness:
    h = Harness(lobby=None)
    a = h.connect("alice", CAPS)
    b = h.connect("bob", CAPS)
    h.send(a, "JOIN #r")
    h.send(b, "JOIN #r", "JOIN #s")
    rows = [
        ("#r", "alice", "the quick brown fox"),
        ("#r", "bob", "a quick reply"),
        ("#r", "alice", "slow and steady"),
        ("#s", "bob", "quick in another room"),
    ]
    for i, (room, nick, text) in enumerate(rows):
        m = StoredMessage(f"m{i}", 1000.0 + i, room, f"{nick}!u@h", None, "PRIVMSG", "", text)
        h.storage.append(room, m)
    h.clear(a, b)
    return h


def search(h: Harness, nick: str, attrs: str) -> list[str]:
    user = h.server.find_user(nick)
    assert user is not None
    h.send(user, "SEARCH " + attrs)
    lines = h.lines(user)
    assert lines[0].command == "BATCH" and lines[0].params[1] == "soju.im/search", lines
    assert lines[-1].command == "BATCH"
    return texts(lines)


class TestAttributes:
    def test_text_in_from_limit(self, h: Harness) -> None:
        assert search(h, "bob", "text=quick") == [
            "the quick brown fox",
            "a quick reply",
            "quick in another room",
        ]
        assert search(h, "bob", "text=quick;in=#r") == ["the quick brown fox", "a quick reply"]
        assert search(h, "bob", "from=ALICE") == ["the quick brown fox", "slow and steady"]
        assert search(h, "bob", "text=quick;limit=1") == ["quick in another room"]
        assert search(h, "bob", r"text=quick\sbrown") == ["the quick brown fox"]  # escaped space

    def test_after_and_before_are_inclusive(self, h: Harness) -> None:
        t = lambda i: server_time(1000.0 + i)  # noqa: E731
        assert search(h, "bob", f"after={t(1)};limit=2") == ["a quick reply", "slow and steady"]
        assert search(h, "bob", f"before={t(1)}") == ["the quick brown fox", "a quick reply"]

    def test_messages_keep_msgid_and_time(self, h: Harness) -> None:
        b = h.server.find_user("bob")
        assert b is not None
        h.send(b, "SEARCH text=fox")
        (hit,) = [m for m in h.lines(b) if m.command == "PRIVMSG"]
        assert hit.tags["msgid"] == "m0" and hit.tags["time"] == server_time(1000.0)
        assert hit.source == "alice!u@h" and hit.params[0] == "#r"

    @pytest.mark.parametrize("attrs", ["colour=red", "after=yesterday", "limit=x", "limit=0"])
    def test_invalid(self, h: Harness, attrs: str) -> None:
        b = h.server.find_user("bob")
        assert b is not None
        h.send(b, "SEARCH " + attrs)
        (fail,) = h.lines(b)
        assert fail.command == "FAIL" and fail.params[:2] == ("SEARCH", "INVALID_PARAMS")


class TestWhoMaySee:
    def test_only_rooms_the_asker_is_in(self, h: Harness) -> None:
        assert search(h, "alice", "text=quick") == ["the quick brown fox", "a quick reply"]
        assert search(h, "alice", "text=quick;in=#s") == []
        eve = h.connect("eve", CAPS)
        assert search(h, "eve", "text=quick") == []
        assert search(h, "eve", "in=#r") == []
        assert eve.registered

    def test_private_conversations_of_the_logged_in_asker(self, h: Harness) -> None:
        a = h.server.find_user("alice")
        b = h.server.find_user("bob")
        assert a is not None and b is not None
        login(a, "alice")
        h.send(b, "PRIVMSG alice :secret quick word")
        h.clear(a, b)
        assert search(h, "alice", "text=secret") == ["secret quick word"]
        assert search(h, "alice", "text=secret;in=bob") == ["secret quick word"]
        assert search(h, "bob", "text=secret") == []  # a guest reads no private history
        eve = h.connect("eve", CAPS)
        login(eve, "eve")
        assert search(h, "eve", "text=secret") == []
        assert search(h, "eve", "text=secret;in=alice") == []
