"""MODE (chinwag.server.commands.modes): channel modes and user modes."""

from __future__ import annotations

import pytest

from chinwag.proto.message import Message
from tests.server.harness import Harness, numerics
from tests.server.harness import channel_pair as pair

S = "chinwag.local"


@pytest.fixture
def h() -> Harness:
    return Harness(lobby=None)


class TestChannelMode:
    def test_query_324_329(self, h: Harness) -> None:
        a, b = pair(h)
        h.send(a, "MODE #x +kl sesame 10")
        h.clear(a, b)
        h.send(b, "MODE #x")
        got = h.lines(b)
        assert got[0] == Message.of("324", "bob", "#x", "+ntkl", "sesame", "10", source=S)
        assert got[1].command == "329" and got[1].params[:2] == ("bob", "#x")
        assert got[1].params[2] == str(h.server.channels["#x"].created)
        c = h.connect("carol")
        h.send(c, "MODE #x")
        assert h.lines(c)[0].params == ("carol", "#x", "+ntkl", "*", "10")

    @pytest.mark.parametrize(
        ("change", "broadcast", "modes"),
        [
            ("+i", ("+i",), {"i", "n", "t"}),
            ("+m", ("+m",), {"m", "n", "t"}),
            ("-n", ("-n",), {"t"}),
            ("-t", ("-t",), {"n"}),
            ("-nt+im", ("-nt+im",), {"i", "m"}),
            ("+n", None, {"n", "t"}),
        ],
    )
    def test_simple_flags(
        self, h: Harness, change: str, broadcast: tuple[str, ...] | None, modes: set[str]
    ) -> None:
        a, b = pair(h)
        h.send(a, "MODE #x " + change)
        if broadcast is None:
            assert h.lines(b) == []
        else:
            assert h.lines(b) == [Message.of("MODE", "#x", *broadcast, source=a.source)]
        assert h.server.channels["#x"].modes == modes

    def test_op_and_voice(self, h: Harness) -> None:
        a, b = pair(h)
        h.send(a, "MODE #x +ov bob bob")
        assert h.lines(b) == [Message.of("MODE", "#x", "+ov", "bob", "bob", source=a.source)]
        assert h.server.channels["#x"].members[b] == "ov"
        h.clear(a)
        h.send(b, "MODE #x -o alice")
        assert h.lines(a) == [Message.of("MODE", "#x", "-o", "alice", source=b.source)]
        h.send(a, "MODE #x +o bob")
        assert numerics(h.lines(a)) == ["482"]

    def test_op_errors(self, h: Harness) -> None:
        a, _b = pair(h)
        h.connect("carol")
        h.send(a, "MODE #x +o nobody", "MODE #x +v carol")
        assert numerics(h.lines(a)) == ["401", "441"]

    def test_key(self, h: Harness) -> None:
        a, b = pair(h)
        h.send(a, "MODE #x +k sesame")
        assert h.lines(b) == [Message.of("MODE", "#x", "+k", "sesame", source=a.source)]
        h.send(a, "MODE #x -k whatever")
        assert h.lines(b) == [Message.of("MODE", "#x", "-k", "*", source=a.source)]
        assert h.server.channels["#x"].key is None

    def test_limit(self, h: Harness) -> None:
        a, b = pair(h)
        h.send(a, "MODE #x +l 5")
        assert h.lines(b) == [Message.of("MODE", "#x", "+l", "5", source=a.source)]
        h.send(a, "MODE #x +l many")
        assert numerics(h.lines(a)) == ["696"]
        h.send(a, "MODE #x -l")
        assert h.lines(b) == [Message.of("MODE", "#x", "-l", source=a.source)]
        assert h.server.channels["#x"].limit is None

    @pytest.mark.parametrize(
        ("mask", "normal"),
        [
            ("carol", "carol!*@*"),
            ("carol!u", "carol!u@*"),
            ("u@host", "*!u@host"),
            ("10.0.0.1", "*!*@10.0.0.1"),
            ("*!*@*.lan", "*!*@*.lan"),
        ],
    )
    def test_ban_masks_normalised(self, h: Harness, mask: str, normal: str) -> None:
        a, b = pair(h)
        h.send(a, "MODE #x +b " + mask)
        assert h.lines(b) == [Message.of("MODE", "#x", "+b", normal, source=a.source)]
        h.send(b, "MODE #x +b")
        got = h.lines(b)
        assert got[0].command == "367"
        assert got[0].params[:4] == ("bob", "#x", normal, a.source)
        assert got[1] == Message.of("368", "bob", "#x", "End of channel ban list", source=S)
        h.send(a, "MODE #x -b " + mask)
        assert h.lines(b) == [Message.of("MODE", "#x", "-b", normal, source=a.source)]
        assert h.server.channels["#x"].bans == []

    def test_duplicate_ban_is_not_repeated(self, h: Harness) -> None:
        a, b = pair(h)
        h.send(a, "MODE #x +b carol", "MODE #x +b CAROL!*@*")
        assert len(h.lines(b)) == 1

    def test_ban_list_full_478(self) -> None:
        # Modern IRC docs: ERR_BANLISTFULL "<client> <channel> <char> :Channel list is full".
        h = Harness(lobby=None, limits={"maxbans": 1})
        a, b = pair(h)
        h.send(a, "MODE #x +b one", "MODE #x +b two")
        got = [m for m in h.lines(a) if m.command == "478"]
        assert len(got) == 1 and got[0].params[:3] == ("alice", "#x", "b")
        assert [m.params[2] for m in h.lines(b)] == ["one!*@*"]

    def test_mode_param_limit(self) -> None:
        h = Harness(lobby=None, limits={"modes": 2})
        a, b = pair(h)
        h.send(a, "MODE #x +bbb one two three")
        assert h.lines(b) == [
            Message.of("MODE", "#x", "+bb", "one!*@*", "two!*@*", source=a.source)
        ]

    def test_unknown_mode_472(self, h: Harness) -> None:
        a, _b = pair(h)
        h.send(a, "MODE #x +Z")
        assert h.lines(a) == [
            Message.of("472", "alice", "Z", "is an unknown mode char to me", source=S)
        ]

    def test_non_op_482(self, h: Harness) -> None:
        _a, b = pair(h)
        h.send(b, "MODE #x +m")
        assert numerics(h.lines(b)) == ["482"]
        assert "m" not in h.server.channels["#x"].modes

    def test_no_such_channel(self, h: Harness) -> None:
        a = h.connect("alice")
        h.send(a, "MODE #nope")
        assert numerics(h.lines(a)) == ["403"]


class TestUserMode:
    def test_invisible(self, h: Harness) -> None:
        a = h.connect("alice")
        h.send(a, "MODE alice +i")
        assert h.lines(a) == [Message.of("MODE", "alice", "+i", source=a.source)]
        h.send(a, "MODE alice")
        assert h.lines(a) == [Message.of("221", "alice", "+i", source=S)]
        h.send(a, "MODE alice -i")
        assert h.lines(a) == [Message.of("MODE", "alice", "-i", source=a.source)]

    def test_plus_o_only_through_oper(self, h: Harness) -> None:
        a = h.connect("alice")
        h.send(a, "MODE alice +o")
        assert h.lines(a) == []
        assert not a.oper

    def test_errors(self, h: Harness) -> None:
        a = h.connect("alice")
        h.connect("bob")
        h.send(a, "MODE bob +i", "MODE alice +x", "MODE nobody")
        assert numerics(h.lines(a)) == ["502", "501", "401"]

    @pytest.mark.parametrize("mode", ["w", "B"])
    def test_wallops_and_bot_modes_are_the_users_own(self, h: Harness, mode: str) -> None:
        a = h.connect("alice")
        h.send(a, f"MODE alice +{mode}", "MODE alice")
        assert h.lines(a) == [
            Message.of("MODE", "alice", "+" + mode, source=a.source),
            Message.of("221", "alice", "+" + mode, source=S),
        ]
        h.send(a, f"MODE alice -{mode}")
        assert h.lines(a) == [Message.of("MODE", "alice", "-" + mode, source=a.source)]


class TestSecretAndPrivate:
    @pytest.mark.parametrize("mode", ["s", "p"])
    def test_set_and_shown(self, h: Harness, mode: str) -> None:
        a, b = pair(h)
        h.send(a, f"MODE #x +{mode}")
        assert h.lines(b) == [Message.of("MODE", "#x", "+" + mode, source=a.source)]
        h.send(b, "MODE #x")
        assert h.lines(b)[0].params[2] == "+" + "".join(sorted("nt" + mode))


class TestInvalidModeParam:
    # Modern IRC docs: ERR_INVALIDMODEPARAM (696)
    #   "<client> <target chan/user> <mode char> <parameter> :<description>"
    @pytest.mark.parametrize(
        ("line", "shown"),
        [
            ("MODE #x +l many", "many"),
            ("MODE #x +l 0", "0"),
            ("MODE #x +l :", "*"),
            ("MODE #x +l", "*"),
            ("MODE #x +o", "*"),
            ("MODE #x +k", "*"),
        ],
    )
    def test_every_field_is_there(self, h: Harness, line: str, shown: str) -> None:
        a, _b = pair(h)
        h.send(a, line)
        (got,) = h.lines(a)
        assert got.command == "696"
        assert got.params[:4] == ("alice", "#x", line.split()[2][1], shown)
        assert got.params[4]  # the description
        assert len(got.params) == 5
