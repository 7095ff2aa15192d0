"""AUTHENTICATE (PLAIN, SCRAM-SHA-256 with scramp's client, EXTERNAL), numerics 900-908,
REGISTER, CERTADD/CERTDEL, account-notify, account-tag, extended-join, WHOIS 330,
WHOX %a, throttling and lock-out, on the bare core (no sockets; checks run inline)."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from scramp import ScramClient

from chinwag.auth.credentials import Credentials
from chinwag.proto import numerics as N
from chinwag.proto.message import Message
from chinwag.server.state import User
from tests.server.harness import ALICE_PASSWORD, Harness, account_harness, numerics, only

PASSWORD = ALICE_PASSWORD
FP = "ab" * 32


harness = account_harness


@pytest.fixture
def h(creds: Credentials) -> Iterator[Harness]:
    yield harness(creds)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode() or "+"


def plain(
    h: Harness, user: User, password: str = PASSWORD, account: str = "alice"
) -> list[Message]:
    h.send(user, "AUTHENTICATE PLAIN")
    assert [m.params for m in only(h.lines(user), "AUTHENTICATE")] == [("+",)]
    h.send(user, "AUTHENTICATE " + b64(f"\0{account}\0{password}".encode()))
    return h.lines(user)


def start(h: Harness, nick: str = "alice", ip: str = "127.0.0.1") -> User:
    user = h.open(ip)
    h.send(user, "CAP LS 302", "CAP REQ :sasl", f"NICK {nick}", f"USER {nick} 0 * :{nick}")
    h.clear(user)
    return user


class TestCaps:
    def test_ls_advertises_sasl_mechanisms_and_account_caps(self, h: Harness) -> None:
        user = h.open()
        h.send(user, "CAP LS 302")
        caps = h.lines(user)[0].params[-1].split()
        assert "sasl=PLAIN,SCRAM-SHA-256,EXTERNAL" in caps
        assert {
            "account-notify",
            "account-tag",
            "draft/account-registration=before-connect",
        } <= set(caps)

    def test_registration_not_offered_when_closed(self, creds: Credentials) -> None:
        h = harness(creds, registration="closed")
        user = h.open()
        h.send(user, "CAP LS 302")
        assert "draft/account-registration" not in h.lines(user)[0].params[-1]


class TestPlain:
    def test_success_before_registration(self, h: Harness) -> None:
        user = start(h)
        lines = plain(h, user)
        assert numerics(lines) == [N.RPL_LOGGEDIN, N.RPL_SASLSUCCESS]
        assert lines[0].params[1:3] == ("alice!~alice@127.0.0.1", "alice")
        h.send(user, "CAP END")
        assert user.registered and user.account == "alice"
        assert h.server.accounts.account_of(user) == "alice"

    def test_wrong_password_then_throttled(self, h: Harness) -> None:
        user = start(h)
        assert numerics(plain(h, user, "wrong-password")) == [N.ERR_SASLFAIL]
        assert user.account is None
        # The next try from that address waits before it is even checked...
        lines = plain(h, user)
        assert numerics(lines) == []
        # ...and goes through once the delay has passed.
        h.server.accounts.clock = lambda: 1e12
        h.server.tick(now=1e12)
        assert numerics(h.lines(user)) == [N.RPL_LOGGEDIN, N.RPL_SASLSUCCESS]

    def test_right_password_from_elsewhere_is_not_delayed(self, h: Harness) -> None:
        guess = "AUTHENTICATE " + b64(b"\0alice\0guess-guess")
        for i in range(3):  # a wrong one, then more from the same address that wait
            guesser = start(h, f"mallory{i}", ip="127.0.0.2")
            h.send(guesser, "AUTHENTICATE PLAIN", guess)
        assert len(h.server.accounts.deferred) == 2
        owner = start(h, "alice", ip="127.0.0.3")
        assert numerics(plain(h, owner)) == [N.RPL_LOGGEDIN, N.RPL_SASLSUCCESS]

    def test_failures_reach_operators_as_server_notices(self, h: Harness) -> None:
        oper = h.connect("oper")
        h.server.opers.add(oper)  # as OPER does
        user = start(h)
        plain(h, user, "wrong-password")
        notices = [m.params[-1] for m in only(h.lines(oper), "NOTICE")]
        assert any("failed login to account alice from 127.0.0.1" in n for n in notices)
        assert not any("wrong-password" in n for n in notices)

    def test_refused_over_plain_text_from_another_machine(self, creds: Credentials) -> None:
        h = harness(creds)
        user = start(h, ip="192.0.2.7")
        h.send(user, "AUTHENTICATE PLAIN")
        lines = h.lines(user)
        assert numerics(lines) == [N.ERR_SASLFAIL] and "TLS" in lines[0].params[-1]
        user.secure = True  # the same over TLS is fine
        assert numerics(plain(h, user))[-1] == N.RPL_SASLSUCCESS
        allowed = harness(creds, plain_over_plaintext=True)
        other = start(allowed, ip="192.0.2.8")
        assert numerics(plain(allowed, other))[-1] == N.RPL_SASLSUCCESS

    def test_unknown_account_and_malformed(self, h: Harness) -> None:
        user = start(h)
        assert numerics(plain(h, user, account="nobody")) == [N.ERR_SASLFAIL]
        h.server.accounts.clock = lambda: 1e12
        h.send(user, "AUTHENTICATE PLAIN", "AUTHENTICATE " + b64(b"no-nuls"))
        assert numerics(h.lines(user)) == [N.ERR_SASLFAIL]

    def test_lockout_and_unlock(self, creds: Credentials) -> None:
        h = harness(creds, lockout_after=3)
        now = [1000.0]
        h.server.accounts.clock = lambda: now[0]
        for i in range(3):
            now[0] += 100
            user = start(h, f"g{i}", ip=f"127.0.1.{i}")
            plain(h, user, "bad-guess-xx")
        stored = h.storage.get_account("alice")
        assert stored is not None and stored.locked_until > 0
        owner = start(h, ip="127.0.2.1")
        lines = plain(h, owner)
        assert numerics(lines) == [N.ERR_SASLFAIL] and "locked" in lines[-1].params[-1]
        h.storage.set_locked_until("alice", 0.0)  # what `chinwag accounts unlock` does
        assert numerics(plain(h, owner))[-1] == N.RPL_SASLSUCCESS


class TestScram:
    def exchange(self, h: Harness, user: User, password: str) -> list[Message]:
        client = ScramClient(["SCRAM-SHA-256"], "alice", password)
        h.send(user, "AUTHENTICATE SCRAM-SHA-256")
        h.clear(user)
        h.send(user, "AUTHENTICATE " + b64(client.get_client_first().encode()))
        challenge = only(h.lines(user), "AUTHENTICATE")[0].params[0]
        client.set_server_first(base64.b64decode(challenge).decode())
        h.send(user, "AUTHENTICATE " + b64(client.get_client_final().encode()))
        lines = h.lines(user)
        final = only(lines, "AUTHENTICATE")
        if not final:
            return lines
        client.set_server_final(base64.b64decode(final[0].params[0]).decode())  # checks server
        h.send(user, "AUTHENTICATE +")
        return h.lines(user)

    def test_success_with_a_real_client(self, h: Harness) -> None:
        user = start(h, ip="192.0.2.9")  # SCRAM never sends the password: fine in clear
        assert numerics(self.exchange(h, user, PASSWORD)) == [N.RPL_LOGGEDIN, N.RPL_SASLSUCCESS]
        assert user.account == "alice"

    def test_wrong_password_fails_and_counts(self, h: Harness) -> None:
        user = start(h)
        assert numerics(self.exchange(h, user, "not-the-password")) == [N.ERR_SASLFAIL]
        assert h.server.accounts.throttle.wait(user.ip, h.server.accounts.clock()) > 0


class TestExternal:
    def test_certificate_of_the_account(self, h: Harness) -> None:
        h.storage.add_certfp("alice", FP)
        user = start(h)
        user.tls_fingerprint = FP
        h.send(user, "AUTHENTICATE EXTERNAL")
        h.send(user, "AUTHENTICATE +")
        assert numerics(h.lines(user)) == [N.RPL_LOGGEDIN, N.RPL_SASLSUCCESS]

    def test_unknown_or_missing_certificate(self, h: Harness) -> None:
        user = start(h)
        h.send(user, "AUTHENTICATE EXTERNAL")
        assert numerics(h.lines(user)) == [N.ERR_SASLFAIL]
        user.tls_fingerprint = "cd" * 32
        h.send(user, "AUTHENTICATE EXTERNAL", "AUTHENTICATE " + b64(b"alice"))
        assert numerics(h.lines(user)) == [N.ERR_SASLFAIL]


class TestFraming:
    def test_unknown_mechanism_lists_them(self, h: Harness) -> None:
        user = start(h)
        h.send(user, "AUTHENTICATE DIGEST-MD5")
        lines = h.lines(user)
        assert numerics(lines) == [N.RPL_SASLMECHS, N.ERR_SASLFAIL]
        assert lines[0].params[1] == "PLAIN,SCRAM-SHA-256,EXTERNAL"

    def test_abort_too_long_already(self, h: Harness) -> None:
        user = start(h)
        h.send(user, "AUTHENTICATE PLAIN", "AUTHENTICATE *")
        assert numerics(h.lines(user)) == [N.ERR_SASLABORTED]
        h.send(user, "AUTHENTICATE PLAIN", "AUTHENTICATE " + "A" * 401)
        assert numerics(h.lines(user)) == [N.ERR_SASLTOOLONG]
        plain(h, user)
        h.send(user, "AUTHENTICATE PLAIN")
        assert numerics(h.lines(user)) == [N.ERR_SASLALREADY]

    def test_chunks_of_400(self, h: Harness) -> None:
        user = start(h)
        exact = base64.b64encode(b"\0alice\0" + b"p" * 293).decode()  # 300 bytes: 400 chars
        assert len(exact) == 400
        h.send(user, "AUTHENTICATE PLAIN", "AUTHENTICATE " + exact)
        assert numerics(h.lines(user)) == []  # a full chunk: more may follow
        h.send(user, "AUTHENTICATE +")
        assert numerics(h.lines(user)) == [N.ERR_SASLFAIL]  # checked (and wrong)
        h.server.accounts.clock = lambda: 1e12
        blob = base64.b64encode(b"alice\0alice\0" + PASSWORD.encode()).decode()
        h.send(user, "AUTHENTICATE PLAIN", "AUTHENTICATE " + blob[:10])
        assert numerics(h.lines(user)) == [N.ERR_SASLFAIL]  # a short chunk is the last
        other = start(h, ip="127.0.9.9")
        h.send(other, "AUTHENTICATE PLAIN", "AUTHENTICATE " + blob)
        assert numerics(h.lines(other))[-1] == N.RPL_SASLSUCCESS

    def test_cap_end_mid_exchange_aborts_and_registers(self, h: Harness) -> None:
        user = start(h)
        h.send(user, "AUTHENTICATE PLAIN", "CAP END")
        lines = h.lines(user)
        assert N.ERR_SASLABORTED in numerics(lines) and user.registered


class TestRegister:
    def test_success_logs_in(self, h: Harness) -> None:
        user = h.open()
        h.send(user, "NICK bob", "REGISTER * * bob-password")
        lines = h.lines(user)
        reg = only(lines, "REGISTER")
        assert reg and reg[0].params[:2] == ("SUCCESS", "bob")
        assert N.RPL_LOGGEDIN in numerics(lines) and user.account == "bob"
        stored = h.storage.get_account("bob")
        assert stored is not None and "bob-password" not in repr(stored)

    @pytest.mark.parametrize(
        ("lines", "code"),
        [
            (["NICK alice", "REGISTER * * some-password"], "ACCOUNT_EXISTS"),
            (["NICK carol", "REGISTER * * short"], "WEAK_PASSWORD"),
            (["NICK carol", "REGISTER dave * dave-password"], "ACCOUNT_NAME_MUST_BE_NICK"),
            (["REGISTER * * some-password"], "NEED_NICK"),
        ],
    )
    def test_failures(self, h: Harness, lines: list[str], code: str) -> None:
        user = h.open()
        h.send(user, *lines)
        fails = only(h.lines(user), "FAIL")
        assert fails and fails[0].params[:2] == ("REGISTER", code)

    def test_already_authenticated(self, h: Harness) -> None:
        user = start(h)
        plain(h, user)
        h.send(user, "REGISTER * * another-password")
        assert only(h.lines(user), "FAIL")[0].params[1] == "ALREADY_AUTHENTICATED"

    def test_plain_text_from_another_machine(self, h: Harness) -> None:
        user = h.open("192.0.2.10")
        h.send(user, "NICK erin", "REGISTER * * erin-password")
        assert only(h.lines(user), "FAIL")[0].params[1] == "UNACCEPTABLE_PASSWORD"

    @pytest.mark.parametrize("mode", ["closed", "admin"])
    def test_closed_and_admin_modes(self, creds: Credentials, mode: str) -> None:
        h = harness(creds, registration=mode)
        user = h.open()
        h.send(user, "NICK frank", "REGISTER * * frank-password")
        assert only(h.lines(user), "FAIL")[0].params[1] == "TEMPORARILY_UNAVAILABLE"
        if mode == "admin":  # an operator may create someone else's account
            oper = h.connect("oper")
            oper.oper = True
            h.send(oper, "REGISTER grace * grace-password")
            assert only(h.lines(oper), "REGISTER")[0].params[:2] == ("SUCCESS", "grace")
            assert oper.account is None and h.storage.get_account("grace") is not None


class TestVisibility:
    def test_notify_tag_join_whois_whox(self, h: Harness) -> None:
        bob = h.connect("bob", ["account-notify", "account-tag", "extended-join", "message-tags"])
        plainbob = h.connect("carl")
        h.send(bob, "JOIN #room")
        h.send(plainbob, "JOIN #room")
        alice = h.connect("alice", ["account-notify"])
        h.send(alice, "JOIN #room")
        h.clear(bob, plainbob, alice)
        plain(h, alice)
        note = only(h.lines(bob), "ACCOUNT")
        assert note and note[0].params == ("alice",) and note[0].source.startswith("alice!")
        assert only(h.lines(plainbob), "ACCOUNT") == []
        h.send(alice, "PRIVMSG #room :hi")
        tagged = only(h.lines(bob), "PRIVMSG")[0]
        assert tagged.tags.get("account") == "alice"
        assert "account" not in (only(h.lines(plainbob), "PRIVMSG")[0].tags or {})
        h.send(alice, "PART #room", "JOIN #room")
        join = only(h.lines(bob), "JOIN")[0]
        assert join.params[:2] == ("#room", "alice")
        h.send(bob, "WHOIS alice", "WHO #room %na")
        lines = h.lines(bob)
        assert [m.params[1:3] for m in only(lines, N.RPL_WHOISACCOUNT)] == [("alice", "alice")]
        whox = {m.params[1]: m.params[2] for m in only(lines, N.RPL_WHOSPCRPL)}
        assert whox == {"alice": "alice", "bob": "0", "carl": "0"}


class TestCertCommands:
    def test_add_and_delete(self, h: Harness) -> None:
        user = start(h)
        plain(h, user)
        h.send(user, "CAP END")
        h.clear(user)
        h.send(user, "CERTADD " + FP)
        assert only(h.lines(user), "NOTE")[0].params[:2] == ("CERTADD", "SUCCESS")
        assert h.storage.get_account("alice").certfps == (FP,)  # type: ignore[union-attr]
        h.send(user, "CERTDEL " + FP, "CERTDEL " + FP)
        lines = h.lines(user)
        assert only(lines, "NOTE") and only(lines, "FAIL")[0].params[1] == "NO_SUCH_CERT"

    def test_needs_login(self, h: Harness) -> None:
        user = h.connect("zed")
        h.send(user, "CERTADD " + FP)
        assert only(h.lines(user), "FAIL")[0].params[1] == "ACCOUNT_REQUIRED"
