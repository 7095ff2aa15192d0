"""FILETOKEN and the per-connection FILEHOST ISUPPORT hook (chinwag.server.commands.files)."""

from __future__ import annotations

from chinwag.server.state import User
from tests.server.harness import Harness

S = "chinwag.local"


def test_filetoken_without_uploads_fails_cleanly() -> None:
    h = Harness()
    a = h.connect("alice", ["standard-replies"])
    h.send(a, "FILETOKEN")
    (fail,) = h.lines(a)
    assert fail.command == "FAIL" and fail.params[:2] == ("FILETOKEN", "UNAVAILABLE")


def test_filetoken_issues_a_token_for_the_nick() -> None:
    h = Harness()
    h.server.isupport_for = lambda user: ["draft/FILEHOST=http://x/upload"]
    a = h.connect("alice")
    h.send(a, "FILETOKEN")
    (reply,) = h.lines(a)
    assert reply.command == "FILETOKEN" and reply.source == S
    token, ttl = reply.params
    assert ttl == "600"
    grant = h.server.upload_tokens.check(token)
    assert grant is not None and (grant.uploader, grant.account) == ("alice", None)


def test_filetoken_needs_registration() -> None:
    h = Harness()
    h.server.isupport_for = lambda user: []
    u = h.open()
    h.send(u, "FILETOKEN")
    assert [m.command for m in h.lines(u)] == ["451"]


def test_the_isupport_hook_adds_tokens_per_connection() -> None:
    h = Harness()
    seen: list[User] = []

    def tokens(user: User) -> list[str]:
        seen.append(user)
        return [f"draft/FILEHOST=http://{user.local_host or 'none'}/upload"]

    h.server.isupport_for = tokens
    u = h.open()
    u.local_host = "192.168.1.20"
    h.send(u, "NICK bob", "USER bob 0 * :Bob")
    isupport = [p for m in h.lines(u) if m.command == "005" for p in m.params]
    assert "draft/FILEHOST=http://192.168.1.20/upload" in isupport
    assert seen == [u]
