"""Logging in to an account, client side, without I/O: SASL (SCRAM-SHA-256 preferred,
PLAIN only over TLS or to this machine) or creating the account with REGISTER
(IRCv3 draft/account-registration).

A :class:`Login` is driven by the session: :meth:`Login.begin` gives the first lines once
capabilities are settled, :meth:`Login.feed` answers each AUTHENTICATE, 90x, REGISTER or
FAIL REGISTER line, and a :class:`Outcome` says how it ended. Failures carry a ``kind``
the connect dialog turns into a clear message: ``wrong-password``, ``locked``,
``account-taken``, ``weak-password``, ``login-unavailable``.

What this module does not do: keep passwords (see :mod:`chinwag.client.secrets`).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from chinwag.proto.message import Message

CHUNK = 400


@dataclass(frozen=True, slots=True)
class Outcome:
    account: str | None  # logged in to this account, or None
    kind: str = ""  # why not (see the module docstring)
    message: str = ""


def _authenticate(data: bytes) -> list[Message]:
    text = base64.b64encode(data).decode()
    lines = [Message.of("AUTHENTICATE", text[i : i + CHUNK]) for i in range(0, len(text), CHUNK)]
    if len(text) % CHUNK == 0:
        lines.append(Message.of("AUTHENTICATE", "+"))
    return lines


def is_local(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


class Login:
    """One attempt to log in as ``account`` (or create it, with ``register``)."""

    def __init__(self, account: str, password: str, *, register: bool = False) -> None:
        self.account = account
        self.password = password
        self.register = register
        self.mechanism = ""
        self._scram: Any = None
        self.done: Outcome | None = None

    def __repr__(self) -> str:
        return f"Login({self.account!r}, <hidden>, register={self.register})"

    def begin(self, offered: dict[str, str], secure: bool) -> tuple[list[Message], Outcome | None]:
        """First lines to send, given the server's CAP LS (name -> value) and whether the
        connection is encrypted (or to this machine)."""
        if self.register:
            if "draft/account-registration" not in offered:
                return [], self._end(None, "login-unavailable", "This server has no accounts.")
            return [Message.of("REGISTER", "*", "*", self.password)], None
        mechs = offered.get("sasl", "").split(",") if "sasl" in offered else []
        if "sasl" in offered and not offered["sasl"]:
            mechs = ["PLAIN"]  # SASL 3.1 servers do not list their mechanisms
        if "SCRAM-SHA-256" in mechs:
            self.mechanism = "SCRAM-SHA-256"
        elif "PLAIN" in mechs and secure:
            self.mechanism = "PLAIN"
        elif "PLAIN" in mechs:
            return [], self._end(
                None,
                "login-unavailable",
                "This server only takes passwords in plain text, and this connection is "
                "not encrypted: not sending it.",
            )
        else:
            return [], self._end(None, "login-unavailable", "This server has no accounts.")
        return [Message.of("AUTHENTICATE", self.mechanism)], None

    def _end(self, account: str | None, kind: str = "", message: str = "") -> Outcome:
        self.done = Outcome(account, kind, message)
        return self.done

    def feed(self, msg: Message) -> tuple[list[Message], Outcome | None]:
        """Answer one line of the exchange."""
        command = msg.command.upper()
        if command == "AUTHENTICATE":
            return self._challenge(msg.param(0)), None
        if command == "903":
            return [], self._end(self.account)
        if command == "904":
            text = msg.params[-1]
            if "locked" in text:
                return [], self._end(None, "locked", text.partition(": ")[2] or text)
            return [], self._end(
                None, "wrong-password", f"Wrong password for the account {self.account}."
            )
        if command in ("905", "906", "907"):
            return [], self._end(None, "login-unavailable", msg.params[-1])
        if command == "REGISTER" and msg.param(0) == "SUCCESS":
            return [], self._end(msg.param(1) or self.account)
        if command == "FAIL" and msg.param(0) == "REGISTER":
            code = msg.param(1)
            kind = {
                "ACCOUNT_EXISTS": "account-taken",
                "WEAK_PASSWORD": "weak-password",
                "UNACCEPTABLE_PASSWORD": "weak-password",
            }.get(code, "login-unavailable")
            text = msg.params[-1]
            if kind == "account-taken":
                text = f"The account name {self.account} is taken: choose another nickname."
            return [], self._end(None, kind, text)
        return [], None

    def _challenge(self, arg: str) -> list[Message]:
        if self.mechanism == "PLAIN":
            return _authenticate(f"\0{self.account}\0{self.password}".encode())
        from scramp import ScramClient

        if self._scram is None:
            self._scram = ScramClient([self.mechanism], self.account, self.password)
            return _authenticate(self._scram.get_client_first().encode())
        if arg == "+":
            return []
        text = base64.b64decode(arg).decode()
        if text.startswith("v="):
            self._scram.set_server_final(text)  # proves the server knew our keys
            return [Message.of("AUTHENTICATE", "+")]
        self._scram.set_server_first(text)
        return _authenticate(self._scram.get_client_final().encode())
