"""What a line typed into the chat entry does: plain text is said, ``/commands`` act.

:func:`run_input` parses one line and carries it out against a :class:`ChatModel` (what
the window shows) and a :class:`Sender` (the connection). It returns what the window
must do next ("logout", or nothing). The seeds' ``{quit}`` and ``DISCONNECTED!`` log out
as ``/quit`` does.

What this module does not do: network I/O (the Sender does it), or draw anything.
"""

from __future__ import annotations

from typing import Literal, Protocol

from chinwag.client.lines import SERVER, Update
from chinwag.client.model import ChatModel
from chinwag.proto.validate import is_valid_nick

Outcome = Literal["", "logout"]

LOGOUT_WORDS = ("{quit}", "DISCONNECTED!")

HELP = (
    ("/join #room", "join a room (and switch to it)"),
    ("/part [reason]", "leave the current room"),
    ("/msg nick text", "send a private message"),
    ("/me does something", "an action in the current conversation"),
    ("/nick newname", "change your nickname"),
    ("/topic [text]", "show or set the room's topic"),
    ("/away [message]", "mark yourself away; /away alone: back"),
    ("/login [account] password", "log in to your account (default: your nick)"),
    ("/register password", "create an account named after your nick"),
    ("/upload [file]", "send a file (without a name: choose one)"),
    ("/clear", "clear this conversation's view"),
    ("/quit [message]", "log out (also {quit})"),
    ("/help", "this list"),
)
SHORT_HELP = "Commands: " + " ".join(cmd.split()[0] for cmd, _ in HELP)
# Commands that need no connection; anything else typed while disconnected is kept.
OFFLINE_VERBS = ("help", "clear", "quit", "exit", "logout")
KEPT_WHILE_DISCONNECTED = (
    "Not connected: what you typed is still in the box. Press Enter again once the "
    "connection is back."
)


def upload_request(text: str) -> str | None:
    """The path of ``/upload PATH`` ("" for a bare ``/upload``: ask), else None."""
    verb, _, rest = text.strip().partition(" ")
    return rest.strip().strip('"') if verb.lower() == "/upload" else None


def needs_connection(text: str) -> bool:
    """True when the line would go to the server (a message, or most commands)."""
    stripped = text.strip()
    if not stripped or stripped in LOGOUT_WORDS:
        return False
    if stripped.startswith("/") and not stripped.startswith("//"):
        return stripped[1:].split(" ", 1)[0].lower() not in OFFLINE_VERBS
    return True


class Sender(Protocol):
    def say(self, target: str, text: str) -> None: ...
    def action(self, target: str, text: str) -> None: ...
    def join(self, channel: str) -> None: ...
    def part(self, channel: str, reason: str = "") -> None: ...
    def change_nick(self, nick: str) -> None: ...
    def set_topic(self, channel: str, topic: str) -> None: ...
    def set_away(self, message: str) -> None: ...
    def log_in(self, account: str, password: str, register: bool = False) -> None: ...


def run_input(
    text: str, model: ChatModel, sender: Sender, key: str | None = None
) -> tuple[Outcome, Update]:
    """Carry out one line typed into conversation ``key`` (default: the main window's).

    Returns (outcome, what changed in the model).
    """
    key = model.current if key is None else key
    stripped = text.strip()
    if not stripped:
        return "", Update()
    if stripped in LOGOUT_WORDS:
        return "logout", Update()
    if stripped.startswith("//"):
        return _say(text[1:], model, sender, key)
    if not stripped.startswith("/"):
        return _say(text, model, sender, key)
    verb, _, rest = stripped[1:].partition(" ")
    verb = verb.lower()
    rest = rest.strip()
    conv = model.conversation(key)

    def info(text: str, kind: str = "info") -> Update:
        return model.add_info(text, key, kind=kind)

    if verb in ("quit", "exit", "logout"):
        return "logout", Update()
    if verb == "help":
        update = info("Commands:")
        for cmd, what in HELP:
            update.merge(info(f"  {cmd:<20} {what}"))
        return "", update
    if verb == "clear":
        return "", model.clear(key)
    if verb in ("join", "j"):
        if not rest:
            return "", info("Usage: /join #room", kind="error")
        channel = rest.split()[0]
        if not model.is_channel(channel):
            channel = "#" + channel
        key = model.key(channel)
        if key in model.conversations and model.conversations[key].joined:
            return "", model.select(key)
        model.switch_to = key
        sender.join(channel)
        return "", Update()
    if verb in ("part", "leave"):
        target, reason = conv.name, rest
        if rest and model.is_channel(rest.split()[0]):
            target, _, reason = rest.partition(" ")
        elif conv.kind == "private":
            return "", model.close(key)
        elif conv.kind != "channel":
            return "", info("Usage: /part in a room, or /part #room", kind="error")
        sender.part(target, reason.strip())
        return "", Update()
    if verb in ("msg", "query"):
        target, _, body = rest.partition(" ")
        if not target or (verb == "msg" and not body.strip()):
            return "", info("Usage: /msg nick text", kind="error")
        update = Update()
        if not model.is_channel(target):
            update = model.open_private(target)
        if body.strip():
            sender.say(target, body)
        return "", update
    if verb == "me":
        if conv.kind == "server":
            return "", info("Choose a room or person first.", kind="error")
        if rest:
            sender.action(conv.name, rest)
        return "", Update()
    if verb == "nick":
        if not rest or not is_valid_nick(rest.split()[0]):
            return "", info("Usage: /nick newname (letters, digits and -_[]{}|^` only)", "error")
        sender.change_nick(rest.split()[0])
        return "", Update()
    if verb == "topic":
        if conv.kind != "channel":
            return "", info("/topic works in a room.", kind="error")
        if not rest:
            return "", info(f"Topic: {conv.topic}" if conv.topic else "No topic set.")
        sender.set_topic(conv.name, rest)
        return "", Update()
    if verb == "away":
        sender.set_away(rest)
        return "", Update()
    if verb in ("login", "register"):
        words = rest.split()
        if not words or len(words) > (2 if verb == "login" else 1):
            usage = "/login [account] password" if verb == "login" else "/register password"
            return "", info(f"Usage: {usage}", kind="error")
        account = words[0] if len(words) == 2 else model.nick
        sender.log_in(account, words[-1], verb == "register")
        doing = "Creating the account" if verb == "register" else "Logging in as"
        return "", info(f"{doing} {account}…")
    return "", info(f"Unknown command /{verb}. {SHORT_HELP}", kind="error")


def _say(text: str, model: ChatModel, sender: Sender, key: str) -> tuple[Outcome, Update]:
    if key == SERVER:
        return "", model.add_info(
            "Choose a room or person on the left first (or /join #room).", key, kind="error"
        )
    sender.say(model.conversation(key).name, text)
    return "", Update()
