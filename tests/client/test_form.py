"""The connect dialog's field checks and failure wording."""

from __future__ import annotations

import pytest

from chinwag.client import events as ev
from chinwag.client.form import ConnectRequest, explain_failure, parse_server, validate


def test_valid_fields_make_a_request() -> None:
    assert validate(" chat.local ", "6697", "alice", "") == (
        ConnectRequest("chat.local", 6697, "alice", None),
        {},
    )


def test_host_may_carry_the_port() -> None:
    request, errors = validate("10.0.0.2:7000", "6667", "bob", "pw")
    assert errors == {} and request == ConnectRequest("10.0.0.2", 7000, "bob", "pw")


@pytest.mark.parametrize(
    ("host", "port", "nick", "bad"),
    [
        ("", "6667", "alice", "host"),
        ("bad host!", "6667", "alice", "host"),
        ("h", "0", "alice", "port"),
        ("h", "70000", "alice", "port"),
        ("h", "abc", "alice", "port"),
        ("h", "6667", "", "nick"),
        ("h", "6667", "has space", "nick"),
        ("h", "6667", "-dash", "nick"),
    ],
)
def test_bad_fields_are_named(host: str, port: str, nick: str, bad: str) -> None:
    request, errors = validate(host, port, nick)
    assert request is None and list(errors) == [bad]


def test_an_empty_port_is_the_usual_one() -> None:
    request, errors = validate("chat.local", " ", "alice")
    assert errors == {} and request is not None and request.port == 6667  # TLS 6697 first


def test_parse_server() -> None:
    assert parse_server("host") == ("host", 6667)
    assert parse_server("host:7000") == ("host", 7000)
    assert parse_server("[::1]:7000") == ("::1", 7000)
    assert parse_server("host:nope") == ("host", None)


def test_failures_point_at_a_field() -> None:
    field, text = explain_failure(
        ev.ConnectFailed("nick-in-use", "", nick="bob", suggestion="bob2")
    )
    assert field == "nick" and "bob2 is free" in text
    assert explain_failure(ev.ConnectFailed("refused", "Connection refused"))[0] == "host"
    assert explain_failure(ev.ConnectFailed("bad-password", "no"))[0] == "password"
