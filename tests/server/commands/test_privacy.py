"""What strangers may not see (modern IRC docs: secret and private channel modes, the
invisible user mode): LIST, NAMES, TOPIC, WHO and WHOIS, with no sockets.

alice runs #hideout; bob is in it too; carol shares no channel with either. The lobby is
off so that "shares no channel" holds.
"""

from __future__ import annotations

import pytest

from chinwag.proto.message import Message
from chinwag.server.state import User
from tests.server.harness import Harness, numerics, only

S = "chinwag.local"


@pytest.fixture
def h() -> Harness:
    return Harness(lobby=None)


def hideout(h: Harness, modes: str) -> tuple[User, User, User]:
    a = h.connect("alice")
    b = h.connect("bob")
    c = h.connect("carol")
    h.send(a, "JOIN #hideout", "JOIN #open")
    h.send(b, "JOIN #hideout")
    if modes:
        h.send(a, f"MODE #hideout +{modes}")
    h.clear(a, b, c)
    return a, b, c


def channel_names(got: list[Message], code: str = "322") -> list[str]:
    return [m.params[1] for m in got if m.command == code]


class TestList:
    @pytest.mark.parametrize("mode", ["s", "p"])
    def test_hidden_channels_are_not_listed_to_strangers(self, h: Harness, mode: str) -> None:
        _a, b, c = hideout(h, mode)
        h.send(c, "LIST")
        assert channel_names(h.lines(c)) == ["#open"]
        h.send(c, "LIST #hideout")
        assert channel_names(h.lines(c)) == []
        h.send(b, "LIST")
        assert channel_names(h.lines(b)) == ["#hideout", "#open"]

    def test_public_channels_are_listed(self, h: Harness) -> None:
        _a, _b, c = hideout(h, "")
        h.send(c, "LIST")
        assert channel_names(h.lines(c)) == ["#hideout", "#open"]


class TestNames:
    @pytest.mark.parametrize(("mode", "symbol"), [("s", "@"), ("p", "*"), ("", "=")])
    def test_channel_symbol_for_members(self, h: Harness, mode: str, symbol: str) -> None:
        _a, b, _c = hideout(h, mode)
        h.send(b, "NAMES #hideout")
        got = h.lines(b)
        assert got[0] == Message.of("353", "bob", symbol, "#hideout", "@alice bob", source=S)

    def test_a_secret_channel_has_no_names_for_strangers(self, h: Harness) -> None:
        _a, _b, c = hideout(h, "s")
        h.send(c, "NAMES #hideout")
        assert h.lines(c) == [
            Message.of("366", "carol", "#hideout", "End of /NAMES list", source=S)
        ]

    def test_invisible_members_are_left_out_for_strangers(self, h: Harness) -> None:
        a, b, c = hideout(h, "")
        h.send(b, "MODE bob +i")
        h.clear(a, b)
        h.send(c, "NAMES #hideout")
        assert only(h.lines(c), "353")[0].params[3] == "@alice"
        h.send(a, "NAMES #hideout")  # a member sees everyone
        assert only(h.lines(a), "353")[0].params[3] == "@alice bob"


class TestTopic:
    def test_a_secret_channel_topic_is_no_such_channel_to_strangers(self, h: Harness) -> None:
        a, _b, c = hideout(h, "s")
        h.send(a, "TOPIC #hideout :plans")
        h.send(c, "TOPIC #hideout")
        assert numerics(h.lines(c)) == ["403"]


class TestWho:
    @pytest.mark.parametrize("mode", ["s", "p"])
    def test_hidden_channel_members_are_not_listed(self, h: Harness, mode: str) -> None:
        _a, b, c = hideout(h, mode)
        h.send(c, "WHO #hideout")
        assert numerics(h.lines(c)) == ["315"]
        h.send(b, "WHO #hideout")
        assert [m.params[5] for m in only(h.lines(b), "352")] == ["alice", "bob"]

    def test_invisible_users_only_to_those_sharing_a_channel(self, h: Harness) -> None:
        a, b, c = hideout(h, "")
        h.send(b, "MODE bob +i")
        h.clear(b)
        for mask in ("#hideout", "b*", "127.*"):
            h.send(c, f"WHO {mask}")
            assert "bob" not in [m.params[5] for m in only(h.lines(c), "352")], mask
            h.send(a, f"WHO {mask}")
            assert "bob" in [m.params[5] for m in only(h.lines(a), "352")], mask

    def test_an_exact_nick_shows_no_hidden_channel(self, h: Harness) -> None:
        _a, b, c = hideout(h, "s")
        h.send(c, "WHO bob")
        (row,) = only(h.lines(c), "352")
        assert row.params[1] == "*"  # bob is only in the secret #hideout
        h.send(b, "MODE bob +i")
        h.send(b, "JOIN #open")
        h.clear(b)
        h.send(c, "WHO bob")
        (row,) = only(h.lines(c), "352")
        assert row.params[1] == "*"  # an invisible user's channels are not told either
        h.send(b, "WHO bob")
        assert only(h.lines(b), "352")[0].params[1] == "#hideout"


class TestWhois:
    def test_secret_and_private_channels_are_left_out(self, h: Harness) -> None:
        a, b, c = hideout(h, "s")
        h.send(b, "JOIN #open", "JOIN #club")
        h.send(b, "MODE #club +p")
        h.clear(a, b, c)
        h.send(c, "WHOIS bob")
        assert only(h.lines(c), "319")[0].params[2] == "#open"
        h.send(a, "WHOIS bob")  # alice shares #hideout (and #open) with bob
        assert set(only(h.lines(a), "319")[0].params[2].split()) == {"#hideout", "#open"}
        h.send(b, "WHOIS bob")  # and bob sees all of his own
        assert set(only(h.lines(b), "319")[0].params[2].split()) == {"#hideout", "#open", "@#club"}

    def test_an_invisible_users_channels_only_where_shared(self, h: Harness) -> None:
        a, b, c = hideout(h, "")
        h.send(b, "JOIN #open", "MODE bob +i")
        h.clear(a, b, c)
        h.send(c, "WHOIS bob")
        assert only(h.lines(c), "319") == []
        h.send(a, "WHOIS bob")
        assert set(only(h.lines(a), "319")[0].params[2].split()) == {"#hideout", "#open"}
