"""CHATHISTORY (every subcommand and selector, errors, TARGETS), who may read what, the
join replay (only what was not shown before; nothing to chathistory clients), and
offline messages handed over at login."""

from __future__ import annotations

import base64

import pytest

from chinwag.auth.credentials import Credentials, make_credentials
from chinwag.proto.message import Message
from chinwag.server.history import parse_timestamp
from chinwag.server.outgoing import server_time
from chinwag.server.state import User
from chinwag.storage.base import StoredMessage, Window
from tests.server.harness import ALICE_PASSWORD, Harness, account_harness

FULL = ("batch", "server-time", "message-tags", "draft/chathistory", "standard-replies")


def texts(lines: list[Message], command: str = "PRIVMSG") -> list[str]:
    return [m.params[1] for m in lines if m.command == command]


def login(user: User, account: str) -> None:
    """Stands in for SASL (issue 9): the account the connection is logged in to."""
    user.account = account


@pytest.fixture
def h() -> Harness:
    return Harness(lobby=None)


def room(h: Harness, n: int) -> tuple[User, User, list[Message]]:
    """alice and bob in #r; alice said n lines. Returns the lines bob received."""
    a = h.connect("alice", FULL)
    b = h.connect("bob", FULL)
    h.send(a, "JOIN #r")
    h.send(b, "JOIN #r")
    h.send(a, *[f"PRIVMSG #r :line {i}" for i in range(n)])
    got = [m for m in h.lines(b) if m.command == "PRIVMSG"]
    h.clear(a, b)
    return a, b, got


class TestSelectors:
    def test_latest_star(self, h: Harness) -> None:
        _, b, _ = room(h, 5)
        h.send(b, "CHATHISTORY LATEST #r * 3")
        lines = h.lines(b)
        assert lines[0].command == "BATCH" and lines[0].params[1:] == ("chathistory", "#r")
        assert texts(lines) == ["line 2", "line 3", "line 4"]
        ident = lines[0].params[0][1:]
        assert all(m.tags["batch"] == ident for m in lines if m.command == "PRIVMSG")
        assert lines[-1].command == "BATCH" and lines[-1].params == ("-" + ident,)

    def test_messages_keep_their_msgid_time_and_sender(self, h: Harness) -> None:
        _, b, live = room(h, 2)
        h.send(b, "CHATHISTORY LATEST #r * 10")
        replayed = [m for m in h.lines(b) if m.command == "PRIVMSG"]
        assert [(m.tags["msgid"], m.tags["time"], m.source) for m in replayed] == [
            (m.tags["msgid"], m.tags["time"], m.source) for m in live
        ]

    def test_before_after_latest_with_msgid(self, h: Harness) -> None:
        _, b, live = room(h, 6)
        ids = [m.tags["msgid"] for m in live]
        h.send(b, f"CHATHISTORY BEFORE #r msgid={ids[3]} 2")
        assert texts(h.lines(b)) == ["line 1", "line 2"]
        h.send(b, f"CHATHISTORY AFTER #r msgid={ids[3]} 1")
        assert texts(h.lines(b)) == ["line 4"]
        h.send(b, f"CHATHISTORY LATEST #r msgid={ids[3]} 10")
        assert texts(h.lines(b)) == ["line 4", "line 5"]

    def test_timestamp_selectors_and_around_between(self, h: Harness) -> None:
        _, b, _ = room(h, 0)
        for i in range(6):  # one a second, so that timestamps select them exactly
            m = StoredMessage(f"m{i}", 1000.0 + i, "#r", "a!u@h", None, "PRIVMSG", "", f"t{i}")
            h.storage.append("#r", m)
        h.clear(b)
        at = lambda i: server_time(1000.0 + i)  # noqa: E731
        h.send(b, f"CHATHISTORY BEFORE #r timestamp={at(3)} 10")
        assert texts(h.lines(b)) == ["t0", "t1", "t2"]
        h.send(b, f"CHATHISTORY AFTER #r timestamp={at(3)} 10")
        assert texts(h.lines(b)) == ["t4", "t5"]
        h.send(b, f"CHATHISTORY AROUND #r timestamp={at(3)} 4")
        assert texts(h.lines(b)) == ["t1", "t2", "t3", "t4"]
        h.send(b, f"CHATHISTORY BETWEEN #r timestamp={at(0)} timestamp={at(5)} 2")
        assert texts(h.lines(b)) == ["t1", "t2"]  # forwards: counted from the first
        h.send(b, f"CHATHISTORY BETWEEN #r timestamp={at(5)} timestamp={at(0)} 2")
        assert texts(h.lines(b)) == ["t3", "t4"]  # backwards: counted from the first

    def test_limit_is_capped_by_isupport(self) -> None:
        h = Harness(lobby=None, limits={"chathistory": 2})
        _, b, _ = room(h, 5)
        h.send(b, "CHATHISTORY LATEST #r * 50")
        assert texts(h.lines(b)) == ["line 3", "line 4"]

    def test_unknown_msgid_gives_an_empty_batch(self, h: Harness) -> None:
        _, b, _ = room(h, 2)
        h.send(b, "CHATHISTORY BEFORE #r msgid=nope 10")
        assert [m.command for m in h.lines(b)] == ["BATCH", "BATCH"]

    def test_isupport_and_caps(self, h: Harness) -> None:
        u = h.open()
        h.send(u, "CAP LS 302", "NICK x", "USER x 0 * :x", "CAP END")
        lines = h.lines(u)
        caps = " ".join(m.params[-1] for m in lines if m.command == "CAP")
        for cap in ("draft/chathistory", "draft/read-marker", "soju.im/search"):
            assert cap in caps
        assert "draft/message-redaction" in caps
        tokens = " ".join(" ".join(m.params) for m in lines if m.command == "005")
        assert "CHATHISTORY=100" in tokens and "MSGREFTYPES=timestamp,msgid" in tokens


class TestErrors:
    @pytest.mark.parametrize(
        ("line", "reply"),
        [
            ("CHATHISTORY FOO #r * 1", ("CHATHISTORY", "INVALID_PARAMS", "FOO")),
            ("CHATHISTORY LATEST #r *", ("CHATHISTORY", "INVALID_PARAMS", "LATEST")),
            ("CHATHISTORY LATEST #r * 1 2", ("CHATHISTORY", "INVALID_PARAMS", "LATEST")),
            ("CHATHISTORY LATEST #r * x", ("CHATHISTORY", "INVALID_PARAMS", "LATEST", "x")),
            ("CHATHISTORY LATEST #r * 0", ("CHATHISTORY", "INVALID_PARAMS", "LATEST", "0")),
            ("CHATHISTORY BEFORE #r * 5", ("CHATHISTORY", "INVALID_PARAMS", "BEFORE", "*")),
            (
                "CHATHISTORY BEFORE #r timestamp=2020-13-01T00:00:00.000Z 5",
                ("CHATHISTORY", "INVALID_PARAMS", "BEFORE", "timestamp=2020-13-01T00:00:00.000Z"),
            ),
            ("CHATHISTORY BEFORE #r when=now 5", ("CHATHISTORY", "INVALID_PARAMS", "BEFORE")),
            ("CHATHISTORY LATEST #nope * 5", ("CHATHISTORY", "INVALID_TARGET", "LATEST", "#nope")),
        ],
    )
    def test_fail(self, h: Harness, line: str, reply: tuple[str, ...]) -> None:
        _, b, _ = room(h, 1)
        h.send(b, line)
        (fail,) = h.lines(b)
        assert fail.command == "FAIL" and fail.params[: len(reply)] == reply

    def test_timestamps(self) -> None:
        assert parse_timestamp("1970-01-01T00:00:01.250Z") == 1.25
        assert parse_timestamp("1970-01-01T00:00:01Z") == 1.0
        for bad in ("", "1970-01-01T00:00:01.2x0Z", "1970-01-01 00:00:01Z", "yesterday"):
            assert parse_timestamp(bad) is None


class TestWhoMayRead:
    def test_a_room_only_to_its_members(self, h: Harness) -> None:
        _, _, live = room(h, 2)
        eve = h.connect("eve", FULL)
        h.send(eve, "CHATHISTORY LATEST #r * 10")
        (fail,) = h.lines(eve)
        assert fail.params[:2] == ("CHATHISTORY", "INVALID_TARGET")
        h.send(eve, f"CHATHISTORY AROUND #r msgid={live[0].tags['msgid']} 10")
        assert h.lines(eve)[0].params[1] == "INVALID_TARGET"
        h.send(eve, "CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z "
               "timestamp=2100-01-01T00:00:00.000Z 10")  # fmt: skip
        assert [m.command for m in h.lines(eve)] == ["BATCH", "BATCH"]

    def test_a_room_left_is_no_longer_readable(self, h: Harness) -> None:
        _, b, _ = room(h, 2)
        h.send(b, "PART #r")
        h.clear(b)
        h.send(b, "CHATHISTORY LATEST #r * 10")
        assert h.lines(b)[0].params[1] == "INVALID_TARGET"

    def test_a_msgid_from_another_room_selects_nothing(self, h: Harness) -> None:
        a, b, live = room(h, 2)
        h.send(a, "JOIN #other")
        h.send(b, "JOIN #other")
        h.clear(b)
        h.send(b, f"CHATHISTORY AROUND #other msgid={live[0].tags['msgid']} 10")
        assert texts(h.lines(b)) == []

    def test_private_history_to_the_parties_logged_in(self, h: Harness) -> None:
        a = h.connect("alice", FULL)
        b = h.connect("bob", FULL)
        eve = h.connect("eve", FULL)
        login(a, "alice")
        h.send(a, "PRIVMSG bob :psst")
        h.send(b, "PRIVMSG alice :hi alice")
        h.clear(a, b)
        h.send(a, "CHATHISTORY LATEST bob * 10")
        lines = h.lines(a)
        assert lines[0].params[1:] == ("chathistory", "bob")
        assert texts(lines) == ["psst", "hi alice"]
        # A guest cannot read private history (a nick can be taken once its owner leaves).
        h.send(b, "CHATHISTORY LATEST alice * 10")
        assert h.lines(b)[0].params[1] == "INVALID_TARGET"
        login(eve, "eve")
        h.send(eve, "CHATHISTORY LATEST bob * 10")
        assert texts(h.lines(eve)) == []
        h.send(eve, "CHATHISTORY LATEST alice * 10")
        assert texts(h.lines(eve)) == []

    def test_guests_talking_are_not_kept(self, h: Harness) -> None:
        a = h.connect("alice", FULL)
        h.connect("bob", FULL)
        h.send(a, "PRIVMSG bob :between guests")
        assert h.storage.search(["~alice ~bob"], None, None, Window()) == []

    def test_private_history_can_be_switched_off(self) -> None:
        h = Harness(lobby=None, limits={"private_history": False})
        a = h.connect("alice", FULL)
        h.connect("bob", FULL)
        login(a, "alice")
        h.send(a, "PRIVMSG bob :not kept")
        h.clear(a)
        h.send(a, "CHATHISTORY LATEST bob * 10")
        assert texts(h.lines(a)) == []


class TestWhatIsKept:
    def test_no_statusmsg_no_ctcp_requests_no_tagmsg(self, h: Harness) -> None:
        a, b, _ = room(h, 0)
        h.send(a, "PRIVMSG @#r :ops only", "PRIVMSG #r :\x01VERSION\x01")
        h.send(a, "@+typing=active TAGMSG #r", "PRIVMSG #r :\x01ACTION waves\x01")
        h.clear(b)
        h.send(b, "CHATHISTORY LATEST #r * 10")
        assert texts(h.lines(b)) == ["\x01ACTION waves\x01"]

    def test_client_tags_are_kept(self, h: Harness) -> None:
        a, b, _ = room(h, 0)
        h.send(a, "@+draft/reply=abc PRIVMSG #r :a reply")
        h.clear(b)
        h.send(b, "CHATHISTORY LATEST #r * 10")
        (reply,) = [m for m in h.lines(b) if m.command == "PRIVMSG"]
        assert reply.tags["+draft/reply"] == "abc"


EVENTS = (*FULL, "draft/event-playback", "echo-message", "draft/message-redaction")


class TestTagmsg:
    """Reactions and replies sent as TAGMSG are history; typing notifications are not.
    The chathistory spec: "If the client has not negotiated the event-playback
    capability, the server MUST NOT send any lines other than PRIVMSG and NOTICE"."""

    def react(self, h: Harness) -> tuple[User, User, str]:
        """alice said a line in #r, bob reacted and typed; returns (alice, bob, msgid)."""
        a = h.connect("alice", EVENTS)
        b = h.connect("bob", EVENTS)
        h.send(a, "JOIN #r")
        h.send(b, "JOIN #r")
        h.send(a, "PRIVMSG #r :lunch?")
        (said,) = [m for m in h.lines(b) if m.command == "PRIVMSG"]
        ref = said.tags["msgid"]
        h.send(b, f"@+draft/react=👍;+draft/reply={ref} TAGMSG #r", "@+typing=active TAGMSG #r")
        h.clear(a, b)
        return a, b, ref

    def test_event_playback_clients_get_the_reaction_back(self, h: Harness) -> None:
        a, b, ref = self.react(h)
        h.send(a, "CHATHISTORY LATEST #r * 10")
        lines = [m for m in h.lines(a) if m.command in ("PRIVMSG", "TAGMSG")]
        assert [m.command for m in lines] == ["PRIVMSG", "TAGMSG"]  # no +typing
        reaction = lines[1]
        assert reaction.params == ("#r",) and reaction.source == b.source
        assert reaction.tags["+draft/react"] == "👍" and reaction.tags["+draft/reply"] == ref
        assert {"msgid", "time", "batch"} <= set(reaction.tags)

    def test_others_get_only_privmsg_and_notice_and_full_limits(self, h: Harness) -> None:
        self.react(h)
        c = h.connect("carol", FULL)  # chathistory without event-playback
        h.send(c, "JOIN #r")
        h.clear(c)
        h.send(c, "CHATHISTORY LATEST #r * 1")  # the newest is the reaction: skipped in SQL
        assert texts(h.lines(c)) == ["lunch?"]
        d = h.connect("dave", ("draft/event-playback", "batch", "draft/chathistory"))
        h.send(d, "JOIN #r")
        h.clear(d)
        h.send(d, "CHATHISTORY LATEST #r * 10")  # no message-tags: never a TAGMSG
        assert [m.command for m in h.lines(d) if m.command != "BATCH"] == ["PRIVMSG"]
        e = h.connect("erin")  # the join replay, for clients without chathistory
        h.send(e, "JOIN #r")
        assert [m.command for m in h.lines(e) if m.command in ("PRIVMSG", "TAGMSG")] == ["PRIVMSG"]

    def test_a_redacted_reaction_is_gone(self, h: Harness) -> None:
        a, b, _ = self.react(h)
        h.send(a, "CHATHISTORY LATEST #r * 10")
        (reaction,) = [m for m in h.lines(a) if m.command == "TAGMSG"]
        h.send(b, f"REDACT #r {reaction.tags['msgid']}")
        h.clear(a)
        h.send(a, "CHATHISTORY LATEST #r * 10")
        assert [m.command for m in h.lines(a) if m.command in ("PRIVMSG", "TAGMSG")] == ["PRIVMSG"]

    def test_private_reactions_are_kept_between_accounts(self, h: Harness) -> None:
        a = h.connect("alice", EVENTS)
        b = h.connect("bob", EVENTS)
        login(a, "alice")
        h.send(
            b, "PRIVMSG alice :hi", "@+draft/react=🎉 TAGMSG alice", "@+typing=done TAGMSG alice"
        )
        h.clear(a)
        h.send(a, "CHATHISTORY LATEST bob * 10")
        lines = [m for m in h.lines(a) if m.command in ("PRIVMSG", "TAGMSG")]
        assert [(m.command, m.params) for m in lines] == [
            ("PRIVMSG", ("alice", "hi")),
            ("TAGMSG", ("alice",)),
        ]
        assert lines[1].tags["+draft/react"] == "🎉"

    def test_search_and_targets_leave_them_out(self, h: Harness) -> None:
        a, _, _ = self.react(h)
        h.send(
            a,
            "CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z"
            " timestamp=2100-01-01T00:00:00.000Z 10",
        )
        (target,) = [m for m in h.lines(a) if m.params[:1] == ("TARGETS",)]
        (said,) = h.storage.history(["#r"], Window())
        assert target.params[2] == server_time(said.time)  # the PRIVMSG, not the reaction
        assert [m.kind for m in h.storage.search(["#r"], None, "bob", Window())] == []


class TestTargets:
    def test_rooms_and_conversations(self, h: Harness) -> None:
        a, b, _ = room(h, 1)
        login(a, "alice")
        h.send(b, "PRIVMSG alice :pm")
        h.send(a, "JOIN #quiet")
        h.clear(a)
        h.send(
            a,
            "CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z "
            "timestamp=2100-01-01T00:00:00.000Z 10",
        )
        lines = h.lines(a)
        assert lines[0].params[1:] == ("draft/chathistory-targets",)
        found = [m.params[1] for m in lines if m.command == "CHATHISTORY"]
        assert found == ["#r", "bob"]  # by latest message; #quiet has none
        assert all(m.params[0] == "TARGETS" for m in lines if m.command == "CHATHISTORY")

    def test_bad_timestamps(self, h: Harness) -> None:
        _, b, _ = room(h, 1)
        h.send(b, "CHATHISTORY TARGETS msgid=x timestamp=2100-01-01T00:00:00.000Z 10")
        assert h.lines(b)[0].params[:3] == ("CHATHISTORY", "INVALID_PARAMS", "TARGETS")


class TestJoinReplay:
    def test_only_what_was_not_shown_before(self) -> None:
        h = Harness(lobby=None, limits={"history_replay": 10})
        a = h.connect("alice")
        h.send(a, "JOIN #r", "PRIVMSG #r :before bob")
        b = h.connect("bob", ("server-time",))
        h.send(b, "JOIN #r")
        assert texts(h.lines(b)) == ["before bob"]
        h.send(a, "PRIVMSG #r :while bob is here")
        h.send(b, "PART #r")
        h.send(a, "PRIVMSG #r :after bob left")
        h.clear(b)
        h.send(b, "JOIN #r")
        assert texts(h.lines(b)) == ["after bob left"]
        h.send(b, "PART #r", "JOIN #r")
        assert texts(h.lines(b)) == []

    def test_a_reconnect_from_the_same_address_sees_nothing_twice(self) -> None:
        h = Harness(lobby=None, limits={"history_replay": 10})
        a = h.connect("alice")
        h.send(a, "JOIN #r", "PRIVMSG #r :hello")
        b = h.connect("bob")
        h.send(b, "JOIN #r")
        h.send(b, "QUIT :bye")
        b2 = h.connect("bob")
        h.send(b2, "JOIN #r")
        assert texts(h.lines(b2)) == []
        other = h.connect("bob2", ip="10.0.0.9")  # someone else: sees it
        h.send(other, "JOIN #r")
        assert [t.split("] ", 1)[-1] for t in texts(h.lines(other))] == ["hello"]

    def test_per_account_across_addresses(self) -> None:
        h = Harness(lobby=None, limits={"history_replay": 10})
        a = h.connect("alice")
        h.send(a, "JOIN #r", "PRIVMSG #r :hello")
        b = h.connect("bob")
        login(b, "bob")
        h.send(b, "JOIN #r", "QUIT")
        b2 = h.connect("bob", ip="10.0.0.7")
        login(b2, "bob")
        h.send(b2, "JOIN #r")
        assert texts(h.lines(b2)) == []

    def test_nothing_to_chathistory_clients(self) -> None:
        h = Harness(lobby=None, limits={"history_replay": 10})
        a = h.connect("alice")
        h.send(a, "JOIN #r", "PRIVMSG #r :hello")
        b = h.connect("bob", FULL)
        h.send(b, "JOIN #r")
        assert texts(h.lines(b)) == []


class TestOffline:
    def test_kept_told_and_delivered_at_login(self) -> None:
        h = Harness(lobby=None)
        h.storage.add_account("Carol", make_credentials("a good password"), 1.0)
        a = h.connect("alice", ("echo-message", "server-time", "message-tags"))
        h.send(a, "PRIVMSG carol :are you there?")
        lines = h.lines(a)
        notice = next(m for m in lines if m.command == "NOTICE")
        assert "delivered when they log in" in notice.params[1]
        echo = next(m for m in lines if m.command == "PRIVMSG")
        h.send(a, "PRIVMSG nobody :hello")
        assert [m.command for m in h.lines(a)] == ["401"]
        # Carol logs in (SASL during registration) and gets it with its original time.
        c = h.open()
        c.account = "Carol"
        h.send(c, "CAP LS 302", "CAP REQ :server-time message-tags", "NICK carol",
               "USER c 0 * :C", "CAP END")  # fmt: skip
        got = [m for m in h.lines(c) if m.command == "PRIVMSG"]
        assert [(m.params, m.tags["time"], m.tags["msgid"]) for m in got] == [
            (("carol", "are you there?"), echo.tags["time"], echo.tags["msgid"])
        ]
        c2 = h.connect("carol2")
        c2.account = "carol"
        assert h.storage.take_offline("carol") == []

    def test_an_account_online_under_another_nick_gets_it_now(self) -> None:
        h = Harness(lobby=None)
        h.storage.add_account("carol", make_credentials("a good password"), 1.0)
        c = h.connect("cazza")
        login(c, "carol")
        a = h.connect("alice")
        h.send(a, "PRIVMSG carol :now")
        assert texts(h.lines(c)) == ["now"]


class TestOfflineWithSasl:
    def test_delivered_on_login_before_and_after_registration(self, creds: Credentials) -> None:
        h = account_harness(creds)
        bob = h.connect("bob", ("server-time",))
        h.send(bob, "PRIVMSG alice :first", "PRIVMSG alice :second")
        assert [m.command for m in h.lines(bob)] == ["NOTICE", "NOTICE"]
        plain = "AUTHENTICATE " + base64.b64encode(f"\0alice\0{ALICE_PASSWORD}".encode()).decode()
        # Logging in after registration (AUTHENTICATE late) hands them over too.
        alice = h.connect("alice", ("sasl", "server-time"))
        h.send(alice, "AUTHENTICATE PLAIN", plain)
        got = [m for m in h.lines(alice) if m.command == "PRIVMSG"]
        assert [m.params for m in got] == [("alice", "first"), ("alice", "second")]
        assert got[0].source.startswith("bob!")
        assert h.storage.take_offline("alice") == []


def test_history_can_be_switched_off() -> None:
    h = Harness(lobby=None, limits={"keep_history": False})
    a, b, _ = room(h, 2)
    login(a, "alice")
    h.send(b, "PRIVMSG alice :private")
    h.send(b, "CHATHISTORY LATEST #r * 10")
    assert texts(h.lines(b)) == []
    assert h.storage.pending() == 0


def test_no_replay_to_someone_kept_out_of_the_room() -> None:
    h = Harness(lobby=None, limits={"history_replay": 10})
    a = h.connect("alice")
    h.send(a, "JOIN #r", "PRIVMSG #r :members only", "MODE #r +k sesame")
    eve = h.connect("eve")
    h.send(eve, "JOIN #r")  # no key
    assert texts(h.lines(eve)) == []
    h.send(a, "MODE #r -k", "MODE #r +b eve!*@*")
    h.send(eve, "JOIN #r")  # banned
    assert texts(h.lines(eve)) == []
    h.send(eve, "JOIN #r sesame")
    assert eve not in h.server.channels["#r"].members
