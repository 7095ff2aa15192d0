"""The connection half of the chat model: connecting, encryption, logging in,
registering, outages and reconnecting, and what the status bar says about them.

Mixed into :class:`chinwag.client.model.ChatModel`. An outage (the connection lost,
reconnect tries) shows one line in every conversation, rewritten in place with each
try and settled when the connection is back or given up; lines still waiting for the
server's confirmation are marked failed when it starts.

What this module does not do: touch Tk, or talk to the network.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from chinwag.client import events as ev
from chinwag.client.lines import HISTORY_LOOKBACK, LIVE, SERVER, Conversation, Line, Update
from chinwag.proto.casemap import folder

PLAIN_WARNING = "Not encrypted: others on this network can read your messages"


@dataclass
class Outage:
    """The connection is gone: the line each conversation shows about it, and the tries."""

    label: str
    attempts: int = 0


class StatusModel:
    """The connection state of a chat model (see the module docstring)."""

    nick: str
    account: str
    network: str
    casemapping: str
    fold: Callable[[str], str]
    chantypes: str
    connected: bool
    status: str
    encryption: ev.Encryption | None
    conversations: dict[str, Conversation]
    current: str
    windows: set[str]
    muted: set[str]
    outage: Outage | None
    _outages: int
    key: Callable[[str], str]
    _add: Callable[..., Update]
    _restate: Callable[..., bool]

    def security(self) -> tuple[str, bool]:
        """The status bar's lock: (text, True when it is a warning); ("", False) before
        any connection."""
        e = self.encryption
        if e is None:
            return "", False
        if not e.tls:
            return PLAIN_WARNING, True
        return f"Encrypted (TLS) — fingerprint {e.fingerprint[:14]}…", False

    def _on_Connecting(self, e: ev.Connecting) -> Update:
        again = "Reconnecting" if self.outage is not None else "Connecting"
        self.status = f"{again} to {e.host}:{e.port}{' (TLS)' if e.tls else ''}…"
        return Update(status=True)

    def _on_Encryption(self, e: ev.Encryption) -> Update:
        self.encryption = e
        update = Update(status=True)
        if not e.tls:
            self._add(SERVER, Line(e.time, "error", PLAIN_WARNING + "."), update)
        return update

    def _on_LoggedIn(self, e: ev.LoggedIn) -> Update:
        self.account = e.account
        what = "Account created; you are logged in" if e.created else "Logged in"
        update = Update(status=True)
        self._add(SERVER, Line(e.time, "info", f"{what} as {e.account}."), update)
        return update

    def _on_LoginFailed(self, e: ev.LoginFailed) -> Update:
        update = Update()
        self._add(self.current, Line(e.time, "error", e.message), update)
        return update

    def _on_Registered(self, e: ev.Registered) -> Update:
        self.nick, self.network = e.nick, e.network
        self.casemapping = e.casemapping
        self.fold = folder(e.casemapping)
        self.chantypes = e.chantypes or "#&"
        self.connected = True
        self.status = f"Connected to {e.network} as {e.nick}"
        windowed = [self.conversations[k] for k in self.windows if k in self.conversations]
        self.conversations = {
            self.key(c.name) if k else k: c for k, c in self.conversations.items()
        }
        self.windows = {self.key(c.name) for c in windowed}
        self.muted = {self.key(name) for name in self.muted}
        if self.current not in self.conversations:
            self.current = SERVER
        update = Update(status=True, sidebar=True)
        self._end_outage(update)
        if e.reconnected:
            for key in list(self.conversations):
                self._add(key, Line(e.time, "info", "Reconnected."), update)
        if e.requested_nick and self.fold(e.requested_nick) != self.fold(e.nick):
            text = f"{e.requested_nick} was taken, so you are {e.nick}."
            self._add(SERVER, Line(e.time, "info", text), update)
        return update

    def _on_Disconnected(self, e: ev.Disconnected) -> Update:
        """The first report of an outage adds one line to every conversation; the next
        ones (each failed try) rewrite that line in place."""
        self.connected = False
        update = Update(status=True)
        self._forget_connection(update)
        outage = self.outage
        if outage is None:
            self._outages += 1
            outage = self.outage = Outage(f"outage{self._outages}")
            for key, conv in self.conversations.items():
                for line in conv.lines[-HISTORY_LOOKBACK:]:
                    if line.state == "pending":
                        note = "the connection was lost before the server confirmed it"
                        self._restate(key, line.label, update, state="failed", note=note)
        outage.attempts += 1
        if e.retry_in is None:
            text = "Disconnected."
            self.status = f"Disconnected: {e.reason}"
        else:
            again = f"in {e.retry_in:g} s (attempt {outage.attempts})…"
            text = f"Disconnected — reconnecting {again}"
            self.status = f"Disconnected: {e.reason} Reconnecting {again}"
        if outage.attempts == 1:
            for key in list(self.conversations):
                line = Line(e.time, "error", text, label=outage.label, state=LIVE)
                self._add(key, line, update)
        else:
            self._rewrite(outage.label, update, text, LIVE)
        return update

    def _forget_connection(self, update: Update) -> None:
        """What held only while connected: the lock (the next connection says its own)
        and who is in each room (the server sends the lists again on rejoining)."""
        self.encryption = None
        for key, conv in self.conversations.items():
            if conv.members:
                conv.members = ()
                update.members.add(key)

    def _end_outage(self, update: Update) -> None:
        """The connection is back (or given up): the outage line stops changing."""
        outage, self.outage = self.outage, None
        if outage is not None:
            tries = f"{outage.attempts} attempt{'s' if outage.attempts != 1 else ''}"
            self._rewrite(outage.label, update, f"Disconnected ({tries} to reconnect).", "")

    def _rewrite(self, label: str, update: Update, text: str, state: str) -> None:
        """Change the line ``label`` in every conversation that has it, in place."""
        for key, conv in self.conversations.items():
            for i in range(len(conv.lines) - 1, max(-1, len(conv.lines) - HISTORY_LOOKBACK), -1):
                if conv.lines[i].label == label:
                    conv.lines[i] = dataclasses.replace(conv.lines[i], text=text, state=state)
                    update.restate.setdefault(key, []).append(conv.lines[i])
                    break

    def _on_ConnectFailed(self, e: ev.ConnectFailed) -> Update:
        self.connected = False
        self.status = f"Could not reconnect: {e.message}"
        update = Update(status=True)
        self._forget_connection(update)
        return self._add(self.current, Line(e.time, "error", self.status), update)

    def _on_Stopped(self, e: ev.Stopped) -> Update:
        self.connected = False
        self.status = "Not connected. Press Logout to connect again."
        update = Update(status=True)
        self._forget_connection(update)
        self._end_outage(update)
        if self.nick:  # we had been in: say so where the person is looking
            self._add(self.current, Line(e.time, "error", self.status), update)
        return update
