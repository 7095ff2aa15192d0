"""Property tests: whatever a client sends, no handler raises, nothing escapes
Server.receive, and the other clients carry on.

Lines are built from the real command table with hostile parameters, plus raw bytes.
A handler that raises is answered with 400 ERR_UNKNOWNERROR, so seeing a 400 means a bug.
"""

from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chinwag.server.commands import COMMANDS
from tests.server.harness import Harness

VERBS = sorted(COMMANDS)
WORDS = st.sampled_from(
    [
        "", "*", "0", "#", "#lobby", "#x", "@#lobby", "+#lobby", "alice", "bob", "nobody",
        "-", "+", "+o", "-o", "+b", "+k", "+l", "-k", "+ov", "+imnt", "b", "L", "C", "S",
        "%tnf,1", "%", "LS", "302", "REQ", "END", "LIST", ":", "::", ",", ",,", "a,b,c",
        "#a,#b", "x!y@z", "*!*@*", "\u00e9", "#\u00e9", "\x01ACTION\x01", "-1", "99999999",
    ]
)  # fmt: skip
PARAM = st.one_of(
    WORDS, st.text(alphabet=st.characters(blacklist_characters="\r\n\0 "), max_size=12)
)
TAGS = st.one_of(
    st.just(""),
    st.sampled_from(["@label=l ", "@+x=y ", "@label= ", "@a;b;+c=\\ ", "@= "]),
)


@st.composite
def lines(draw: st.DrawFn) -> bytes:
    verb = draw(st.one_of(st.sampled_from(VERBS), st.sampled_from([v.lower() for v in VERBS])))
    params = draw(st.lists(PARAM, max_size=5))
    trailing = draw(st.one_of(st.none(), PARAM))
    text = draw(TAGS) + " ".join([verb, *params])
    if trailing is not None:
        text += " :" + trailing
    return text.encode("utf-8", "surrogatepass")


CAPS = ["labeled-response", "batch", "echo-message", "message-tags", "server-time",
        "multi-prefix", "userhost-in-names", "extended-join", "away-notify", "invite-notify",
        "setname", "standard-replies"]  # fmt: skip


def check(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], errors[0].getMessage() if errors else ""
    check_state(h)


def check_state(h: Harness) -> None:
    """The server's indexes agree with each other."""
    s = h.server
    for folded, user in s.by_nick.items():
        assert folded == s.fold(user.nick) == user.folded
        assert user.registered and not user.closed and user in s.connections
    for folded, channel in s.channels.items():
        assert folded == s.fold(channel.name) == channel.folded
        assert channel.members, f"empty channel {channel.name} kept"
        for member, held in channel.members.items():
            assert member.channels.get(folded) is channel
            assert not member.closed
            assert set(held) <= {"o", "v"}
    for user in s.connections:
        for folded, channel in user.channels.items():
            assert s.channels.get(folded) is channel and user in channel.members
    for folded, watchers in s.monitors.items():
        assert watchers
        for w in watchers:
            assert folded in w.monitor and not w.closed
    assert sum(s.per_ip.values()) == len(s.connections)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(script=st.lists(lines(), min_size=1, max_size=12))
def test_no_handler_raises(script: list[bytes], caplog: pytest.LogCaptureFixture) -> None:
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="chinwag.server"):
        h = Harness()
        a = h.connect("alice", CAPS)
        b = h.connect("bob")
        c = h.connect("carol")
        h.send(b, "JOIN #x", "MODE #x +b nobody")
        h.send(a, *script)
        h.server.tick()
        h.server.flush()
        check(h, caplog)
        h.clear(b, c)
        h.send(b, "PRIVMSG carol :still fine")
        assert [m.params[1] for m in h.lines(c) if m.command == "PRIVMSG"] == ["still fine"]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(chunks=st.lists(st.binary(max_size=300), min_size=1, max_size=8))
def test_raw_bytes_are_harmless(chunks: list[bytes], caplog: pytest.LogCaptureFixture) -> None:
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="chinwag.server"):
        h = Harness()
        u = h.open()
        b = h.connect("bob")
        c = h.connect("carol")
        for chunk in chunks:
            h.feed(u, chunk)
        check(h, caplog)
        h.clear(b, c)
        h.send(b, "PRIVMSG carol :still fine")
        assert [m.params[1] for m in h.lines(c) if m.command == "PRIVMSG"] == ["still fine"]


@pytest.mark.parametrize("registered", [False, True])
def test_every_verb_with_no_params_and_odd_params(
    registered: bool, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="chinwag.server"):
        h = Harness()
        u = h.connect("alice", CAPS) if registered else h.open()
        for verb in VERBS:
            for tail in ("", " *", " :", " , :,", " # #", " + :+", " - -"):
                h.send(u, verb + tail)
                if u.closed:
                    u = h.connect(f"a{len(h.links)}", CAPS) if registered else h.open()
        check(h, caplog)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(turns=st.lists(st.tuples(st.sampled_from([0, 1, 2]), lines()), min_size=1, max_size=25))
def test_interleaved_clients_keep_state_consistent(
    turns: list[tuple[int, bytes]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="chinwag.server"):
        h = Harness()
        users = [h.connect("alice", CAPS), h.connect("bob"), h.connect("carol", CAPS[:4])]
        for who, line in turns:
            if not users[who].closed:
                h.send(users[who], line)
        h.server.tick()
        h.server.flush()
        check(h, caplog)
