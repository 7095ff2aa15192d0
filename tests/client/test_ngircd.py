"""The client core against a third-party server: Debian's ngircd on loopback."""

from __future__ import annotations

from collections.abc import Callable

from chinwag.client import events as ev
from tests.client.conftest import Watched
from tests.client.ngircd import Ngircd
from tests.support import LineClient


def nicks(members: tuple[ev.Member, ...]) -> set[str]:
    return {m.nick for m in members}


def test_connect_join_message_and_private_message(
    ngircd: Ngircd, make_client: Callable[..., Watched]
) -> None:
    alice = make_client(ngircd.port, "alice")
    reg = alice.wait(ev.Registered)
    assert reg.nick == "alice"
    assert reg.casemapping == "ascii"  # from ngircd's ISUPPORT
    alice.client.join("#chat")
    alice.wait(ev.Joined, lambda e: e.is_me and e.channel == "#chat")
    alice.members("#chat", lambda m: any(x.nick == "alice" and x.prefixes == "@" for x in m))

    bob = LineClient("127.0.0.1", ngircd.port)
    try:
        bob.register("bob")
        bob.send("JOIN #chat")
        bob.expect("366")
        alice.members("#chat", lambda m: nicks(m) == {"alice", "bob"})

        bob.send("PRIVMSG #chat :hello alice")
        msg = alice.wait(ev.ChatMessage, lambda e: e.text == "hello alice")
        assert (msg.conversation, msg.sender, msg.private, msg.mention) == (
            "#chat",
            "bob",
            False,
            True,
        )

        alice.client.say("#chat", "hi bob")
        got = bob.expect(lambda m: m.command == "PRIVMSG")
        assert (got.nick, got.params) == ("alice", ("#chat", "hi bob"))
        own = alice.wait(ev.ChatMessage, lambda e: e.own)
        assert own.text == "hi bob"  # ngircd has no echo-message: the core echoes itself
        # nor labeled-response: nothing was labeled (ngircd would have refused the tag)
        assert "labeled-response" not in reg.caps and (own.label, own.pending) == ("", False)

        bob.send("PRIVMSG alice :psst")
        pm = alice.wait(ev.ChatMessage, lambda e: e.text == "psst")
        assert (pm.conversation, pm.private) == ("bob", True)
        alice.client.say("bob", "yes?")
        got = bob.expect(lambda m: m.command == "PRIVMSG" and m.param(0) == "bob")
        assert got.param(1) == "yes?"
    finally:
        bob.close()
