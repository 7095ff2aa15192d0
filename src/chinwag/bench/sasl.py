"""SASL logins for benchmark clients: ``PLAIN`` and ``SCRAM-SHA-256`` (scramp's client).

A :class:`SaslLogin` says what to send before NICK/USER and answers the server's
``AUTHENTICATE`` lines until ``903``; ``904`` (or anything unexpected) fails the
registration. Every client derives its SCRAM proof itself, as a real client would.
"""

from __future__ import annotations

import base64
from typing import Any

from chinwag.bench.errors import BenchRemoteError

MECHANISMS = {"plain": "PLAIN", "scram": "SCRAM-SHA-256"}


class SaslLogin:
    def __init__(self, mechanism: str, account: str, password: str) -> None:
        self.mechanism = MECHANISMS[mechanism]
        self.account = account
        self.password = password
        self.scram: Any = None

    def start(self) -> list[bytes]:
        return [b"CAP LS 302", b"CAP REQ :sasl", b"AUTHENTICATE " + self.mechanism.encode()]

    def _data(self, data: bytes) -> bytes:
        return b"AUTHENTICATE " + (base64.b64encode(data) or b"+")

    def on_line(self, command: bytes, line: bytes) -> list[bytes]:
        """Lines to send in answer to ``line`` (AUTHENTICATE or a 90x numeric)."""
        if command == b"903":
            return [b"CAP END"]
        if command != b"AUTHENTICATE":
            raise BenchRemoteError(line.decode("utf-8", "replace"))
        arg = line.rsplit(b" ", 1)[-1].lstrip(b":")
        if self.mechanism == "PLAIN":
            return [self._data(f"\0{self.account}\0{self.password}".encode())]
        from scramp import ScramClient

        if self.scram is None:
            client = ScramClient([self.mechanism], self.account, self.password)
            self.scram = client
            return [self._data(client.get_client_first().encode())]
        client = self.scram
        if arg == b"+":
            return []
        text = base64.b64decode(arg).decode()
        if text.startswith("v="):
            client.set_server_final(text)
            return [b"AUTHENTICATE +"]
        client.set_server_first(text)
        return [self._data(client.get_client_final().encode())]
