"""Accounts: AUTHENTICATE (IRCv3 SASL 3.2), REGISTER (draft/account-registration),
CERTADD and CERTDEL (TLS client certificates for SASL EXTERNAL).

SASL framing is done here: base64 in chunks of 400 bytes, ``+`` for an empty or final
chunk, ``*`` to abort. The mechanisms themselves are :mod:`chinwag.auth.sasl`; logging
in, throttling and the slow password check are :mod:`chinwag.server.accounts`.
"""

from __future__ import annotations

import base64
import binascii
import time
from typing import TYPE_CHECKING

from chinwag.auth import sasl
from chinwag.auth.credentials import Credentials, make_credentials, password_problem
from chinwag.proto import numerics as N
from chinwag.proto.message import Message
from chinwag.proto.validate import is_valid_nick
from chinwag.server.accounts import LoginResult, SaslSession
from chinwag.server.commands.registration import try_register
from chinwag.server.commands.table import command
from chinwag.server.state import User

if TYPE_CHECKING:
    from chinwag.server.core import Server

CHUNK = 400  # bytes of base64 per AUTHENTICATE line (IRCv3 sasl-3.1)
MAX_SASL_BYTES = 8192  # base64 collected for one SASL message at most


def _mechs(server: Server, user: User) -> None:
    server.numeric(
        user, N.RPL_SASLMECHS, ",".join(sasl.MECHANISMS), "are available SASL mechanisms"
    )


def _send_data(server: Server, user: User, data: bytes) -> None:
    text = base64.b64encode(data).decode() if data else ""
    for i in range(0, len(text), CHUNK):
        server.send(user, "AUTHENTICATE", text[i : i + CHUNK], source="")
    if len(text) % CHUNK == 0:
        server.send(user, "AUTHENTICATE", "+", source="")


def _end(server: Server, user: User, session: SaslSession) -> None:
    user.sasl = None
    if session.register_after:
        try_register(server, user)


def _succeed(server: Server, user: User, session: SaslSession, account: str) -> None:
    if user.closed:
        return
    server.accounts.log_in(user, account, session.mechanism.name)
    server.numeric(user, N.RPL_SASLSUCCESS, "SASL authentication successful")
    _end(server, user, session)


def _fail(server: Server, user: User, session: SaslSession, result: LoginResult) -> None:
    if user.closed:
        return
    text = "SASL authentication failed"
    if result.locked_until:
        minutes = max(1, int((result.locked_until - time.time() + 59) // 60))
        text += f": account locked after too many failed logins; try again in {minutes} min"
    server.numeric(user, N.ERR_SASLFAIL, text)
    _end(server, user, session)


def _step(server: Server, user: User, session: SaslSession, step: sasl.Step) -> None:
    accounts = server.accounts
    if isinstance(step, sasl.Challenge):
        _send_data(server, user, step.data)
    elif isinstance(step, sasl.CheckPassword):
        session.checking = True
        accounts.check_password(
            user,
            step.account,
            step.password,
            lambda r: (
                _succeed(server, user, session, r.account)
                if r.account
                else _fail(server, user, session, r)
            ),
        )
    elif isinstance(step, sasl.CheckCertificate):
        found = None
        if user.tls_fingerprint and server.storage is not None:
            found = server.storage.account_by_certfp(user.tls_fingerprint.replace(":", ""))
        wanted = step.account
        if found is None or (wanted and server.fold(wanted) != server.fold(found.name)):
            _fail(server, user, session, LoginResult(None, "certificate"))
        elif found.locked_until > time.time():
            _fail(server, user, session, LoginResult(None, "locked", found.locked_until))
        else:
            _succeed(server, user, session, found.name)
    elif isinstance(step, sasl.Success):
        accounts.record_success(user, step.account)
        if step.final is None:
            _succeed(server, user, session, step.account)
        else:
            session.final_for = step.account
            _send_data(server, user, step.final)
    else:
        if step.account is not None or isinstance(session.mechanism, sasl.ScramSha256):
            until = accounts.record_failure(user, step.account, step.reason)
            _fail(server, user, session, LoginResult(None, step.reason, until or 0.0))
        else:
            _fail(server, user, session, LoginResult(None, step.reason))


def _data(server: Server, user: User, session: SaslSession, data: bytes) -> None:
    mech = session.mechanism
    if isinstance(mech, sasl.ScramSha256) and mech.state == 1 and mech.account:
        # The client's proof: throttled like a password, since checking it is cheap.
        session.checking = True

        def go() -> None:
            session.checking = False
            _step(server, user, session, mech.step(data))

        server.accounts.gate(user, mech.account, go, lambda r: _fail(server, user, session, r))
        return
    _step(server, user, session, mech.step(data))


def _start(server: Server, user: User, name: str) -> None:
    if name not in sasl.MECHANISMS:
        _mechs(server, user)
        server.numeric(user, N.ERR_SASLFAIL, "SASL authentication failed")
        return
    if name == "PLAIN" and not server.accounts.may_send_password(user):
        server.send(
            user,
            "NOTICE",
            user.nick,
            "PLAIN sends your password: use TLS, or SCRAM-SHA-256, on this server",
        )
        server.numeric(user, N.ERR_SASLFAIL, "SASL authentication failed")
        return
    if name == "EXTERNAL" and not user.tls_fingerprint:
        server.numeric(user, N.ERR_SASLFAIL, "SASL authentication failed: no client certificate")
        return
    user.sasl = SaslSession(sasl.start(name, server.accounts.scram_keys))
    server.send(user, "AUTHENTICATE", "+", source="")


# AUTHENTICATE <mechanism> | <base64 data> | + | *
@command("AUTHENTICATE", 1, registered=False)
def handle_authenticate(server: Server, user: User, msg: Message) -> None:
    arg = msg.params[0]
    session: SaslSession | None = user.sasl
    if session is None:
        if arg == "*":
            server.numeric(user, N.ERR_SASLABORTED, "SASL authentication aborted")
        elif user.account is not None:
            server.numeric(user, N.ERR_SASLALREADY, "You have already authenticated using SASL")
        else:
            _start(server, user, arg.upper())
        return
    if session.checking:
        return  # nothing is asked of the client while its answer is being checked
    if arg == "*":
        user.sasl = None
        server.numeric(user, N.ERR_SASLABORTED, "SASL authentication aborted")
        return
    if session.final_for is not None:
        if arg == "+":
            _succeed(server, user, session, session.final_for)
        else:
            _fail(server, user, session, LoginResult(None, "unexpected data"))
        return
    if len(arg) > CHUNK or len(session.buffer) + len(arg) > MAX_SASL_BYTES:
        user.sasl = None
        server.numeric(user, N.ERR_SASLTOOLONG, "SASL message too long")
        return
    if arg != "+":
        session.buffer += arg
        if len(arg) == CHUNK:
            return  # more to come
    try:
        data = base64.b64decode(session.buffer, validate=True)
    except (binascii.Error, ValueError):
        _fail(server, user, session, LoginResult(None, "bad base64"))
        return
    session.buffer = ""
    _data(server, user, session, data)


def _register_fail(server: Server, user: User, code: str, account: str, text: str) -> None:
    server.send(user, "FAIL", "REGISTER", code, account, text)


# REGISTER <account> {<email> | "*"} <password>
@command("REGISTER", 3, registered=False)
def handle_register(server: Server, user: User, msg: Message) -> None:
    wanted, _email, password = msg.params[:3]
    mode = server.config.accounts.registration
    for_other = mode == "admin" and user.oper  # an operator creating someone's account
    account = user.nick if wanted == "*" else wanted
    if mode == "closed" or (mode == "admin" and not user.oper):
        why = "closed" if mode == "closed" else "only for operators"
        _register_fail(
            server, user, "TEMPORARILY_UNAVAILABLE", account, f"Registration is {why} here"
        )
        return
    if account == "*":
        _register_fail(server, user, "NEED_NICK", "*", "Choose a nickname first")
        return
    if not for_other and server.fold(account) != server.fold(user.nick):
        _register_fail(
            server, user, "ACCOUNT_NAME_MUST_BE_NICK", account, "Your account name is your nick"
        )
        return
    if user.account is not None and not for_other:
        _register_fail(
            server, user, "ALREADY_AUTHENTICATED", user.account, "You are already logged in"
        )
        return
    if not is_valid_nick(account, server.limits.nicklen):
        _register_fail(server, user, "BAD_ACCOUNT_NAME", account, "Not a valid account name")
        return
    if not server.accounts.may_send_password(user):
        _register_fail(
            server,
            user,
            "UNACCEPTABLE_PASSWORD",
            account,
            "Passwords may only be sent over TLS on this server",
        )
        return
    problem = password_problem(password)
    if problem:
        _register_fail(server, user, "WEAK_PASSWORD", account, problem)
        return
    holder = server.find_user(account)
    if server.accounts.lookup(account) is not None or (
        holder is not None and holder is not user and not for_other
    ):
        _register_fail(server, user, "ACCOUNT_EXISTS", account, "That name is already taken")
        return
    storage = server.storage
    if storage is None or user.ip in server.accounts.in_flight:
        _register_fail(server, user, "TEMPORARILY_UNAVAILABLE", account, "Try again in a moment")
        return
    server.accounts.in_flight.add(user.ip)

    def job() -> bool | None:
        try:
            creds: Credentials = make_credentials(password)
            return storage.add_account(account, creds, time.time())
        except Exception:  # storage trouble: reported below, never to the peer in detail
            return None

    def done(created: bool | None) -> None:
        server.accounts.release(user.ip)
        if created is None:
            _register_fail(
                server, user, "TEMPORARILY_UNAVAILABLE", account, "Could not save the account"
            )
            server.emit("error", f"saving account {account} failed")
            return
        if not created:
            _register_fail(server, user, "ACCOUNT_EXISTS", account, "That name is already taken")
            return
        server.emit("account", f"account {account} registered from {user.address}")
        if user.closed:
            return
        server.send(user, "REGISTER", "SUCCESS", account, "Account created")
        if not for_other:
            server.accounts.log_in(user, account, "REGISTER")

    server.accounts.worker(job, done)


def _fingerprint(text: str) -> str | None:
    fp = text.replace(":", "").lower()
    return fp if len(fp) == 64 and all(c in "0123456789abcdef" for c in fp) else None


# CERTADD [<sha256 fingerprint>]  (default: the certificate of this connection)
@command("CERTADD", 0)
def handle_certadd(server: Server, user: User, msg: Message) -> None:
    _cert(server, user, "CERTADD", msg.param(0) or user.tls_fingerprint or "")


# CERTDEL <sha256 fingerprint>
@command("CERTDEL", 1)
def handle_certdel(server: Server, user: User, msg: Message) -> None:
    _cert(server, user, "CERTDEL", msg.params[0])


def _cert(server: Server, user: User, verb: str, given: str) -> None:
    if user.account is None or server.storage is None:
        server.send(user, "FAIL", verb, "ACCOUNT_REQUIRED", "Log in to an account first")
        return
    fp = _fingerprint(given)
    if fp is None:
        server.send(
            user, "FAIL", verb, "INVALID_FINGERPRINT", given or "*", "Give a SHA-256 fingerprint"
        )
        return
    if verb == "CERTADD":
        ok = server.storage.add_certfp(user.account, fp)
        text = "Certificate added to your account" if ok else "That certificate is someone else's"
    else:
        ok = server.storage.del_certfp(user.account, fp)
        text = "Certificate removed from your account" if ok else "No such certificate"
    if ok:
        server.send(user, "NOTE", verb, "SUCCESS", fp, text)
    else:
        server.send(
            user, "FAIL", verb, "NOT_ALLOWED" if verb == "CERTADD" else "NO_SUCH_CERT", fp, text
        )
