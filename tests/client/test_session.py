"""The sans-I/O session: lines in, events and lines out (no sockets)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from chinwag.client import events as ev
from chinwag.client.session import CONFIRM_TIMEOUT, Session, next_nick_variant, split_text
from chinwag.proto.message import parse

ISUPPORT = (
    ":srv 005 alice CASEMAPPING=rfc1459 PREFIX=(qov)~@+ CHANTYPES=#& "
    "CHANMODES=b,k,l,imnt NETWORK=home :are supported"
)


def feed(s: Session, *lines: str) -> list[ev.Event]:
    out: list[ev.Event] = []
    for line in lines:
        out.extend(s.feed(parse(line)))
    return out


def registered(nick: str = "alice", caps: str = "") -> Session:
    s = Session(nick, clock=lambda: 1000.0)
    s.start()
    ls = f":srv CAP * LS :{caps}" if caps else ":srv CAP * LS :"
    feed(s, ls)
    if caps:
        feed(s, f":srv CAP * ACK :{caps}")
    feed(s, f":srv 001 {nick} :Welcome", ISUPPORT, f":srv 376 {nick} :End of MOTD")
    s.take_lines()
    return s


class TestRegistration:
    def test_opening_lines_hold_user_back_behind_the_cap_barrier(self) -> None:
        s = Session("alice", password="pw")
        assert s.start() == ["PASS pw", "NICK alice", "CAP LS 302"]

    def test_free_nick_requests_offered_caps_then_user(self) -> None:
        s = Session("alice")
        s.start()
        feed(s, ":srv CAP * LS * :server-time multi-prefix sasl", ":srv CAP * LS :echo-message")
        assert s.take_lines() == [
            "CAP REQ :echo-message multi-prefix server-time",
            "USER chinwag 0 * :chinwag user",
        ]
        feed(s, ":srv CAP * ACK :echo-message multi-prefix server-time")
        assert s.take_lines() == ["CAP END"]
        events = feed(s, ":srv 001 alice :hi", ISUPPORT, ":srv 376 alice :end")
        reg = next(e for e in events if isinstance(e, ev.Registered))
        assert reg.caps == {"echo-message", "multi-prefix", "server-time"}
        assert (reg.network, reg.casemapping, reg.chantypes) == ("home", "rfc1459", "#&")

    def test_server_without_cap_answers_the_barrier_with_421(self) -> None:
        s = Session("alice")
        s.start()
        feed(s, ":srv 421 * CAP :Unknown command")
        assert s.take_lines() == ["USER chinwag 0 * :chinwag user"]

    def test_server_that_ignores_cap_before_registration(self) -> None:
        s = Session("alice")
        s.start()
        assert s.probing
        s.probe_timed_out()
        assert not s.probing
        assert s.take_lines() == ["USER chinwag 0 * :chinwag user"]

    def test_taken_nick_probes_variants_and_asks(self) -> None:
        s = Session("bob")
        s.start()
        feed(s, ":srv 433 * bob :in use", ":srv CAP * LS :")
        assert s.take_lines() == ["NICK bob2", "CAP LS 302"]
        events = feed(s, ":srv CAP * LS :")
        expected = ev.ConnectFailed(
            "nick-in-use", "The nickname bob is in use.", nick="bob", suggestion="bob2",
            time=events[0].time,
        )  # fmt: skip
        assert events == [expected]
        assert s.finished and s.take_lines()[0].startswith("QUIT")

    def test_taken_nick_in_auto_mode_takes_the_variant(self) -> None:
        s = Session("bob", nick_in_use="auto", rejoin=["#a"])
        s.start()
        feed(s, ":srv 433 * bob :in use", ":srv CAP * LS :", ":srv CAP * LS :")
        assert s.nick == "bob2"
        events = feed(s, ":srv 001 bob2 :hi", ":srv 422 bob2 :no motd")
        assert any(isinstance(e, ev.Registered) and e.nick == "bob2" for e in events)
        assert "JOIN #a" in s.take_lines()

    def test_password_refused(self) -> None:
        s = Session("alice", password="bad")
        s.start()
        events = feed(s, ":srv 464 * :Password incorrect")
        assert isinstance(events[0], ev.ConnectFailed) and events[0].kind == "bad-password"


class TestChannels:
    def test_names_with_multi_prefix_and_userhost(self) -> None:
        s = registered()
        feed(s, ":alice!a@h JOIN #Room")
        assert s.take_lines() == ["WHO #Room"]
        events = feed(
            s, ":srv 353 alice = #room :~@bob +carol!c@h alice", ":srv 366 alice #room :end"
        )
        members = next(e for e in events if isinstance(e, ev.MembersChanged)).members
        assert set(members) == {ev.Member("bob", "~@"), ev.Member("carol", "+"),
                                ev.Member("alice", "")}  # fmt: skip

    def test_rfc1459_casemapping_folds_brackets(self) -> None:
        s = registered()
        feed(s, ":alice!a@h JOIN #a[1]", ":srv 353 alice = #a[1] :alice", ":srv 366 alice #a[1] :e")
        events = feed(s, ":Bob!b@h JOIN #A{1}")
        assert any(isinstance(e, ev.Joined) and e.channel == "#a[1]" for e in events)
        assert {m.nick for m in s.members("#A{1}")} == {"alice", "Bob"}

    def test_modes_give_and_take_prefixes(self) -> None:
        s = registered()
        feed(s, ":alice!a@h JOIN #r", ":srv 353 alice = #r :alice bob", ":srv 366 alice #r :e")
        feed(s, ":alice!a@h MODE #r +ok-v bob secret bob")
        assert ev.Member("bob", "@") in s.members("#r")
        feed(s, ":alice!a@h MODE #r +v-o bob bob")
        assert ev.Member("bob", "+") in s.members("#r")

    def test_away_notify_and_who(self) -> None:
        s = registered()
        feed(s, ":alice!a@h JOIN #r", ":srv 353 alice = #r :alice bob", ":srv 366 alice #r :e")
        events = feed(s, ":srv 352 alice #r b h srv bob G :0 Bob", ":srv 315 alice #r :end")
        assert (
            ev.Member("bob", "", True)
            in next(e for e in events if isinstance(e, ev.MembersChanged)).members
        )
        feed(s, ":bob!b@h AWAY")
        assert ev.Member("bob", "", False) in s.members("#r")
        feed(s, ":bob!b@h AWAY :lunch")
        assert ev.Member("bob", "", True) in s.members("#r")

    def test_nick_quit_and_kick(self) -> None:
        s = registered()
        feed(s, ":alice!a@h JOIN #r", ":srv 353 alice = #r :alice @bob", ":srv 366 alice #r :e")
        events = feed(s, ":bob!b@h NICK rob")
        assert events[0] == ev.NickChanged("bob", "rob", False, ("#r",), time=1000.0)
        assert ev.Member("rob", "@") in s.members("#r")
        events = feed(s, ":rob!b@h QUIT :bye")
        assert events[0] == ev.Quit("rob", "bye", ("#r",), time=1000.0)
        events = feed(s, ":x!x@h KICK #r alice :out")
        assert isinstance(events[0], ev.Kicked) and events[0].is_me
        assert s.joined_channels() == []


class TestMessages:
    def test_channel_message_with_mention_and_server_time(self) -> None:
        s = registered()
        events = feed(s, "@time=2024-01-02T03:04:05.000Z :bob!b@h PRIVMSG #r :hey Alice, hi")
        msg = events[0]
        assert isinstance(msg, ev.ChatMessage)
        assert (msg.conversation, msg.sender, msg.mention, msg.private) == (
            "#r",
            "bob",
            True,
            False,
        )
        assert msg.time == 1704164645.0

    def test_replayed_history_is_marked(self) -> None:
        s = registered(caps="batch")
        feed(s, ":srv BATCH +h1 chathistory #r")
        (old,) = feed(s, "@batch=h1 :bob!b@h PRIVMSG #r :alice: earlier")
        feed(s, ":srv BATCH -h1")
        (new,) = feed(s, ":bob!b@h PRIVMSG #r :now")
        assert isinstance(old, ev.ChatMessage) and old.history and old.mention
        assert isinstance(new, ev.ChatMessage) and not new.history

    def test_no_mention_inside_a_word(self) -> None:
        s = registered()
        (msg,) = feed(s, ":bob!b@h PRIVMSG #r :malice aforethought")
        assert isinstance(msg, ev.ChatMessage) and not msg.mention

    def test_private_action_and_echo(self) -> None:
        s = registered(caps="echo-message")
        (msg,) = feed(s, ":bob!b@h PRIVMSG alice :\x01ACTION waves\x01")
        assert isinstance(msg, ev.ChatMessage)
        assert (msg.conversation, msg.kind, msg.text, msg.private) == (
            "bob",
            "action",
            "waves",
            True,
        )
        (echo,) = feed(s, ":alice!a@h PRIVMSG bob :hello")
        assert isinstance(echo, ev.ChatMessage) and echo.own and echo.conversation == "bob"
        assert s.privmsg("bob", "x") == []  # the server will echo it

    def test_own_messages_reported_without_echo_message(self) -> None:
        s = registered()
        (own,) = s.privmsg("#r", "hi")
        assert isinstance(own, ev.ChatMessage) and own.own and own.conversation == "#r"
        assert s.take_lines() == ["PRIVMSG #r hi"]

    def test_ctcp_version_is_answered(self) -> None:
        s = registered()
        assert feed(s, ":bob!b@h PRIVMSG alice :\x01VERSION\x01") == []
        assert s.take_lines() == ["NOTICE bob :\x01VERSION chinwag\x01"]

    def test_ping_pong_and_errors(self) -> None:
        s = registered()
        feed(s, "PING :abc")
        assert s.take_lines() == ["PONG abc"]
        (err,) = feed(s, ":srv 403 alice #nope :No such channel")
        assert isinstance(err, ev.ServerText) and err.error and err.text == "#nope: No such channel"


class TestLabeledResponse:
    """IRCv3 labeled-response: our messages are pending until the server answers."""

    CAPS = "batch echo-message labeled-response"

    def test_requested_when_offered(self) -> None:
        s = Session("alice")
        s.start()
        feed(s, ":srv CAP * LS :batch labeled-response echo-message draft/x")
        assert s.take_lines()[0] == "CAP REQ :batch echo-message labeled-response"

    def test_the_echo_confirms_the_pending_line(self) -> None:
        s = registered(caps=self.CAPS)
        (sent,) = s.privmsg("#r", "hello there")
        assert s.take_lines() == ["@label=cw1 PRIVMSG #r :hello there"]
        assert isinstance(sent, ev.ChatMessage)
        assert (sent.label, sent.pending, sent.own, sent.time) == ("cw1", True, True, 1000.0)
        (echo,) = feed(
            s, "@label=cw1;time=2024-01-02T03:04:05.000Z :alice!a@h PRIVMSG #r :hello there"
        )
        assert isinstance(echo, ev.ChatMessage)
        assert (echo.label, echo.pending, echo.own, echo.conversation) == ("cw1", False, True, "#r")
        assert echo.time == 1704164645.0
        (again,) = feed(s, "@label=cw1 :alice!a@h PRIVMSG #r :hello there")  # not pending now
        assert isinstance(again, ev.ChatMessage) and again.label == ""

    def test_a_note_to_oneself_is_one_line(self) -> None:
        """The server delivers a message to its own sender (unlabeled) and echoes it
        (labeled): the echo confirms the pending line; the delivery is not a second one."""
        s = registered(caps=self.CAPS)
        s.privmsg("alice", "remember the milk")
        s.take_lines()
        assert feed(s, "@msgid=m1 :alice!a@h PRIVMSG alice :remember the milk") == []
        (echo,) = feed(s, "@label=cw1;msgid=m1 :alice!a@h PRIVMSG alice :remember the milk")
        assert isinstance(echo, ev.ChatMessage) and echo.label == "cw1" and echo.own
        # From another connection of ours (nothing pending here) it is shown.
        (other,) = feed(s, "@msgid=m2 :alice!a@h PRIVMSG alice :remember the milk")
        assert isinstance(other, ev.ChatMessage) and other.conversation == "alice"

    def test_a_line_the_server_never_answers_fails_and_a_late_answer_confirms_it(self) -> None:
        s = registered(caps=self.CAPS)
        now = [1000.0]
        s.clock = lambda: now[0]
        s.privmsg("#r", "anyone there?")
        assert s.confirm_due() == CONFIRM_TIMEOUT
        now[0] += CONFIRM_TIMEOUT - 1
        assert s.expire_unconfirmed() == [] and s.confirm_due() == 1.0
        now[0] += 1
        (failed,) = s.expire_unconfirmed()
        assert isinstance(failed, ev.SendFailed) and failed.label == "cw1"
        assert "not confirmed" in failed.reason
        assert s.confirm_due() is None and s.expire_unconfirmed() == []  # reported once
        (late,) = feed(s, "@label=cw1 :alice!a@h PRIVMSG #r :anyone there?")
        assert isinstance(late, ev.ChatMessage) and late.label == "cw1" and not late.pending

    def test_every_chunk_of_a_long_message_has_its_own_label(self) -> None:
        s = registered(caps=self.CAPS)
        sent = s.privmsg("bob", "word " * 200, action=True)
        lines = s.take_lines()
        assert len(sent) == len(lines) > 1
        assert [line.split()[0] for line in lines] == [
            f"@label=cw{i + 1}" for i in range(len(lines))
        ]
        assert all(isinstance(e, ev.ChatMessage) and e.kind == "action" and e.private
                   for e in sent)  # fmt: skip

    def test_a_batch_settles_at_its_end_and_other_replies_still_count(self) -> None:
        s = registered(caps=self.CAPS)
        s.privmsg("bob", "lunch?")
        events = feed(
            s,
            "@label=cw1 :srv BATCH +b7 labeled-response",
            "@batch=b7 :alice!a@h PRIVMSG bob :lunch?",
            "@batch=b7 :srv 301 alice bob :at the dentist",
            ":srv BATCH -b7",
        )
        echo, away = events
        assert isinstance(echo, ev.ChatMessage) and echo.label == "cw1" and not echo.pending
        assert isinstance(away, ev.ServerText) and away.conversation == "bob"
        assert "at the dentist" in away.text

    @pytest.mark.parametrize(
        ("lines", "reason"),
        [
            (["@label=cw1 :srv 401 alice nobody :No such nick/channel"], "No such nick/channel"),
            (
                [
                    "@label=cw1 :srv BATCH +x labeled-response",
                    "@batch=x :srv 404 alice nobody :Cannot send to channel",
                    "@batch=x :srv NOTICE alice :something else",
                    ":srv BATCH -x",
                ],
                "Cannot send to channel",
            ),
        ],
    )
    def test_an_error_answer_means_not_sent(self, lines: list[str], reason: str) -> None:
        s = registered(caps=self.CAPS)
        s.privmsg("nobody", "are you there?")
        events = feed(s, *lines)
        failed = [e for e in events if isinstance(e, ev.SendFailed)]
        assert failed == [ev.SendFailed("nobody", "cw1", reason, time=1000.0)]
        assert not any(isinstance(e, ev.ServerText) and e.error for e in events)

    def test_ack_confirms_when_the_server_does_not_echo(self) -> None:
        s = registered(caps="batch labeled-response")
        (sent,) = s.privmsg("#r", "hi")
        assert isinstance(sent, ev.ChatMessage) and sent.pending
        (done,) = feed(s, "@label=cw1 :srv ACK")
        assert done == ev.ChatMessage("#r", "alice", "hi", own=True, label="cw1", time=1000.0)

    def test_labels_that_are_not_ours_are_ordinary_lines(self) -> None:
        s = registered(caps=self.CAPS)
        assert feed(s, "@label=zz :srv ACK") == []
        (err,) = feed(s, "@label=zz :srv 401 alice x :No such nick/channel")
        assert isinstance(err, ev.ServerText) and err.error

    def test_without_the_capability_nothing_is_labeled_or_pending(self) -> None:
        s = registered(caps="batch echo-message")
        assert s.privmsg("#r", "hi") == []
        assert s.take_lines() == ["PRIVMSG #r hi"]
        (own,) = registered().privmsg("#r", "hi")
        assert isinstance(own, ev.ChatMessage) and (own.label, own.pending) == ("", False)


@pytest.mark.parametrize(
    ("nick", "variant"), [("alice", "alice2"), ("bob2", "bob3"), ("r2d9", "r2d10"), ("7", "72")]
)
def test_next_nick_variant(nick: str, variant: str) -> None:
    assert next_nick_variant(nick) == variant


def test_split_text_respects_bytes_and_words() -> None:
    text = "é" * 300 + " " + "word " * 100
    parts = split_text(text, 380)
    assert all(len(p.encode()) <= 380 for p in parts)
    assert "".join(parts).replace(" ", "") == text.replace(" ", "")
    assert split_text("") == [""]


def test_core_modules_import_no_io_or_gui() -> None:
    code = (
        "import sys; import chinwag.client.session, chinwag.client.model, "
        "chinwag.client.commands, chinwag.client.form; "
        "bad = {'asyncio', 'socket', 'tkinter', 'sqlite3'} & set(sys.modules); print(sorted(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
