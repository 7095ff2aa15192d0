"""Entry lines: text is said in the current conversation, /commands act."""

from __future__ import annotations

from typing import Any

import pytest

from chinwag.client import events as ev
from chinwag.client.commands import run_input
from chinwag.client.model import SERVER, ChatModel


class FakeSender:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Any:
        return lambda *args: self.calls.append((name, args))


@pytest.fixture
def model() -> ChatModel:
    m = ChatModel()
    m.apply(ev.Registered("alice", "home", "srv", "rfc1459", frozenset()))
    m.apply(ev.Joined("#lobby", "alice", True))
    return m


@pytest.mark.parametrize(
    ("line", "calls"),
    [
        ("hello", [("say", ("#lobby", "hello"))]),
        ("//not a command", [("say", ("#lobby", "/not a command"))]),
        ("/join games", [("join", ("#games",))]),
        ("/part see you", [("part", ("#lobby", "see you"))]),
        ("/part #other", [("part", ("#other", ""))]),
        ("/msg bob hi there", [("say", ("bob", "hi there"))]),
        ("/me waves", [("action", ("#lobby", "waves"))]),
        ("/nick alicia", [("change_nick", ("alicia",))]),
        ("/login pass-word", [("log_in", ("alice", "pass-word", False))]),
        ("/login bobby pass-word", [("log_in", ("bobby", "pass-word", False))]),
        ("/register pass-word", [("log_in", ("alice", "pass-word", True))]),
        ("/topic New topic", [("set_topic", ("#lobby", "New topic"))]),
        ("/away lunch", [("set_away", ("lunch",))]),
        ("/away", [("set_away", ("",))]),
    ],
)
def test_commands_call_the_connection(
    model: ChatModel, line: str, calls: list[tuple[str, tuple[Any, ...]]]
) -> None:
    sender = FakeSender()
    outcome, _ = run_input(line, model, sender)
    assert outcome == "" and sender.calls == calls


@pytest.mark.parametrize("line", ["/quit", "/quit bye now", "{quit}", "DISCONNECTED!"])
def test_logout_words(model: ChatModel, line: str) -> None:
    sender = FakeSender()
    assert run_input(line, model, sender)[0] == "logout"
    assert sender.calls == []


def test_unknown_command_gets_a_short_help_line(model: ChatModel) -> None:
    run_input("/frobnicate", model, FakeSender())
    line = model.conversation().lines[-1]
    assert line.kind == "error" and line.text.startswith("Unknown command /frobnicate. Commands:")


def test_bad_nick_is_refused_locally(model: ChatModel) -> None:
    sender = FakeSender()
    run_input("/nick 9lives", model, sender)
    assert sender.calls == [] and model.conversation().lines[-1].kind == "error"


def test_msg_to_a_person_opens_the_conversation(model: ChatModel) -> None:
    run_input("/msg Bob hi", model, FakeSender())
    assert model.current == "bob" and model.conversation().kind == "private"


def test_text_in_the_server_view_explains_what_to_do(model: ChatModel) -> None:
    model.select(SERVER)
    sender = FakeSender()
    run_input("hello?", model, sender)
    assert sender.calls == [] and "/join" in model.conversation().lines[-1].text


def test_clear_and_help(model: ChatModel) -> None:
    run_input("/help", model, FakeSender())
    assert any("/msg nick text" in line.text for line in model.conversation().lines)
    run_input("/clear", model, FakeSender())
    assert model.conversation().lines == []


def test_lines_typed_in_a_private_window_act_there(model: ChatModel) -> None:
    model.private_windows = True
    model.open_private("bob")
    sender = FakeSender()
    run_input("hi bob", model, sender, "bob")
    run_input("/me waves", model, sender, "bob")
    assert sender.calls == [("say", ("bob", "hi bob")), ("action", ("bob", "waves"))]
    _, update = run_input("/topic x", model, sender, "bob")
    assert model.conversations["bob"].lines[-1].kind == "error" and "bob" in update.lines
    assert model.current == "#lobby" and model.conversations["#lobby"].lines[-1].kind != "error"
    _, update = run_input("/clear", model, sender, "bob")
    assert update.redraw == {"bob"} and model.conversations["bob"].lines == []
    run_input("/part", model, sender, "bob")
    assert "bob" not in model.conversations and model.windows == set()
