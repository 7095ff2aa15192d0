"""The admin model without a screen, against a real server and real clients on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chinwag.admin.model import (
    AdminModel,
    client_addresses,
    event_matches,
    format_duration,
    only_this_machine,
)
from chinwag.certs import fingerprint_display
from chinwag.discovery import lan_ipv4_addresses
from chinwag.errors import LocalError
from chinwag.proto.limits import Limits
from chinwag.server.config import ServerConfig
from chinwag.server.events import ServerEvent
from chinwag.server.webconfig import WebConfig
from tests.support import TIMEOUT, LineClient, wait_until


def config(tmp_path: Path, port: int = 0) -> ServerConfig:
    return ServerConfig(
        listen=(("127.0.0.1", port),),
        data_dir=tmp_path / "data",
        advertise=False,
        limits=Limits(flood_limit=False),
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def model(tmp_path: Path, clock: FakeClock) -> Iterator[AdminModel]:
    m = AdminModel(clock=clock)
    m.start(config(tmp_path))
    yield m
    m.stop()


@pytest.fixture
def clients() -> Iterator[list[LineClient]]:
    made: list[LineClient] = []
    yield made
    for c in made:
        c.close()


def port_of(model: AdminModel) -> int:
    assert model.runner is not None
    return model.runner.bound[0][1]


def connect(model: AdminModel, clients: list[LineClient], nick: str) -> LineClient:
    c = LineClient("127.0.0.1", port_of(model))
    clients.append(c)
    c.register(nick)
    return c


def nicks(model: AdminModel) -> list[str]:
    return [p.nick for p in model.people()]


def logged(model: AdminModel) -> list[ServerEvent]:
    model.drain_events()
    return list(model.log)


class TestStartStop:
    def test_start_listens_and_reports_where_clients_connect(self, model: AdminModel) -> None:
        port = port_of(model)
        assert model.running
        assert model.addresses() == [f"127.0.0.1:{port}"]
        assert f"127.0.0.1:{port}" in model.status()
        assert "this machine only" in model.status()
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT):
            pass
        kinds = {e.kind for e in logged(model)}
        assert {"listen", "start"} <= kinds

    def test_the_status_line_names_the_web_service(self, tmp_path: Path) -> None:
        m = AdminModel()
        m.start(config(tmp_path).replace(web=WebConfig(http=(("127.0.0.1", 0),))))
        try:
            assert m.runner is not None
            ((_, _, port),) = m.runner.web_bound
            assert m.web_addresses() == [f"http://127.0.0.1:{port}/"]
            assert f"web: http://127.0.0.1:{port}/" in m.status()
            assert any("web service at" in e.text for e in logged(m))
        finally:
            m.stop()
        assert m.web_addresses() == []

    def test_tls_addresses_and_the_certificate_fingerprint(self, tmp_path: Path) -> None:
        m = AdminModel()
        m.start(config(tmp_path).replace(tls_listen=(("127.0.0.1", 0),), plaintext=False))
        try:
            assert m.runner is not None and m.runner.fingerprint
            ((_, port),) = m.runner.tls_bound
            assert m.tls_addresses() == [f"127.0.0.1:{port}"]
            assert m.status().startswith(f"Running. Clients can connect to 127.0.0.1:{port}")
            assert "(TLS only)" in m.status()
            shown = fingerprint_display(m.runner.fingerprint)
            assert m.certificate() == f"TLS certificate SHA-256: {shown}"
            assert any(shown in e.text for e in logged(m))
        finally:
            m.stop()
        assert m.certificate() == "" and m.tls_addresses() == []

    def test_stop_disconnects_everyone_with_a_reason(
        self, model: AdminModel, clients: list[LineClient]
    ) -> None:
        alice = connect(model, clients, "alice")
        bob = connect(model, clients, "bob")
        model.stop("Closing for the night")
        for c in (alice, bob):
            err = c.expect("ERROR")
            assert "Closing for the night" in err.param(0)
        assert not model.running
        assert model.people() == []
        assert model.status() == "Stopped."
        assert logged(model)[-1].kind == "stop"
        model.stop()  # idempotent

    def test_restart_after_stop(
        self, model: AdminModel, tmp_path: Path, clients: list[LineClient]
    ) -> None:
        model.stop()
        model.start(config(tmp_path))
        connect(model, clients, "carol")
        wait_until(lambda: nicks(model) == ["carol"])

    def test_port_in_use_is_a_local_error_in_the_log(
        self, tmp_path: Path, clients: list[LineClient]
    ) -> None:
        holder = socket.create_server(("127.0.0.1", 0))
        try:
            m = AdminModel()
            with pytest.raises(LocalError):
                m.start(config(tmp_path, holder.getsockname()[1]))
            assert not m.running
            errors = [e for e in logged(m) if e.kind == "error"]
            assert errors and "could not start" in errors[0].text
        finally:
            holder.close()


class TestPeople:
    def test_table_lists_connected_people(
        self, model: AdminModel, clients: list[LineClient]
    ) -> None:
        bob = connect(model, clients, "bob")
        connect(model, clients, "Alice")
        bob.send("JOIN #games")
        bob.expect(lambda m: m.command == "JOIN" and m.param(0) == "#games")
        wait_until(lambda: nicks(model) == ["Alice", "bob"])
        rows = {p.nick: p for p in model.people()}
        assert rows["bob"].address.startswith("127.0.0.1:")
        assert "#games" in rows["bob"].rooms.split()
        assert rows["bob"].suggested_mask == "*!*@" + rows["bob"].host
        assert rows["bob"].idle.endswith("s")
        assert rows["bob"].since.count(":") == 2

    def test_people_leave_the_table(self, model: AdminModel, clients: list[LineClient]) -> None:
        c = connect(model, clients, "dave")
        wait_until(lambda: nicks(model) == ["dave"])
        c.send("QUIT :bye")
        c.expect("ERROR")
        wait_until(lambda: nicks(model) == [])


class TestActions:
    def test_kick_disconnects_with_the_reason(
        self, model: AdminModel, clients: list[LineClient]
    ) -> None:
        alice = connect(model, clients, "alice")
        bob = connect(model, clients, "bob")
        assert model.kick("bob", "spamming the lobby")
        err = bob.expect("ERROR")
        assert "spamming the lobby" in err.param(0)
        wait_until(lambda: nicks(model) == ["alice"])
        assert not model.kick("nobody", "x")
        alice.send("PING :still-here")
        alice.expect("PONG")
        assert any(e.kind == "kill" and e.nick == "bob" for e in logged(model))

    def test_ban_removes_matching_people_and_keeps_them_out_until_lifted(
        self, model: AdminModel, clients: list[LineClient]
    ) -> None:
        eve = connect(model, clients, "eve")
        removed = model.ban("eve!*@*", 600, "trolling")
        assert removed == ["eve"]
        assert "trolling" in eve.expect("ERROR").param(0)
        (ban,) = model.bans()
        assert ban.mask == "eve!*@*"
        assert ban.reason == "trolling"
        assert ban.expires.startswith("in 9m") or ban.expires == "in 10m 00s"
        # Banned: eve cannot come back.
        again = LineClient("127.0.0.1", port_of(model))
        clients.append(again)
        again.send("NICK eve")
        again.send("USER e 0 * :Eve")
        again.expect("ERROR")
        # Lifted: she can.
        assert model.unban("eve!*@*")
        assert model.bans() == []
        connect(model, clients, "eve")
        wait_until(lambda: nicks(model) == ["eve"])
        assert not model.unban("eve!*@*")

    def test_permanent_ban_never_expires(self, model: AdminModel) -> None:
        model.ban("spam*!*@*", None, "")
        (ban,) = model.bans()
        assert ban.expires == "never"
        assert ban.reason  # an empty reason gets a default

    def test_ban_needs_a_mask(self, model: AdminModel) -> None:
        with pytest.raises(LocalError):
            model.ban("  ", 60, "x")

    def test_notice_reaches_everyone(self, model: AdminModel, clients: list[LineClient]) -> None:
        people = [connect(model, clients, n) for n in ("ann", "ben")]
        model.notice("Server restarts at noon")
        for c in people:
            msg = c.expect(lambda m: m.command == "NOTICE" and "noon" in m.param(-1))
            assert msg.param(-1) == "Server restarts at noon"

    def test_actions_when_stopped_are_local_errors(self, tmp_path: Path) -> None:
        m = AdminModel()
        with pytest.raises(LocalError):
            m.kick("x", "y")
        with pytest.raises(LocalError):
            m.notice("hello")
        assert m.people() == [] and m.bans() == []


class TestCounters:
    def test_users_rooms_and_messages_per_minute(
        self, model: AdminModel, clients: list[LineClient], clock: FakeClock
    ) -> None:
        a = connect(model, clients, "a")
        b = connect(model, clients, "b")
        first = model.counters()
        assert first.users == 2
        assert first.rooms >= 1  # the lobby
        assert first.messages_per_minute == 0.0
        for i in range(3):
            a.send(f"PRIVMSG b :hello {i}")
            b.expect(lambda m, i=i: m.command == "PRIVMSG" and m.param(1) == f"hello {i}")
        clock.now += 30
        # half a minute in: what was said so far, not scaled up to a whole minute
        assert model.counters().messages_per_minute == pytest.approx(3.0)
        # After a quiet minute the rate falls back to zero.
        clock.now += 61
        model.counters()
        clock.now += 1
        assert model.counters().messages_per_minute == 0.0


class TestLog:
    def test_log_is_bounded_filterable_and_saved(self, tmp_path: Path) -> None:
        m = AdminModel(log_size=3)
        for i, kind in enumerate(["join", "part", "join", "error", "join"]):
            m.note(kind, f"line {i} by {'zed' if i == 4 else 'amy'}")
        new = m.drain_events()
        assert len(new) == 5
        assert [e.text for e in m.log] == ["line 2 by amy", "line 3 by amy", "line 4 by zed"]
        assert [e.text for e in m.filtered_log("ZED")] == ["line 4 by zed"]
        assert [e.kind for e in m.filtered_log("join")] == ["join", "join"]
        path = tmp_path / "saved.log"
        assert m.save_log(path, "join") == 2
        lines = path.read_text().splitlines()
        assert len(lines) == 2 and lines[1].endswith("line 4 by zed")

    def test_events_come_from_the_server(
        self, model: AdminModel, clients: list[LineClient]
    ) -> None:
        c = connect(model, clients, "fred")
        c.send("JOIN #cake")
        c.expect("JOIN")
        wait_until(lambda: any(e.kind == "join" and e.channel == "#cake" for e in logged(model)))
        assert any(e.kind == "register" and e.nick == "fred" for e in model.log)


class TestHelpers:
    def test_format_duration(self) -> None:
        assert format_duration(5.9) == "5s"
        assert format_duration(125) == "2m 05s"
        assert format_duration(3 * 3600 + 60) == "3h 01m"
        assert format_duration(2 * 86400 + 7200) == "2d 2h"
        assert format_duration(-3) == "0s"

    def test_client_addresses(self) -> None:
        assert client_addresses([("127.0.0.1", 6667)]) == ["127.0.0.1:6667"]
        assert client_addresses([("::1", 6667)]) == ["[::1]:6667"]
        lan = lan_ipv4_addresses()
        expected = [f"{a}:7000" for a in lan] or ["127.0.0.1:7000"]
        assert client_addresses([("0.0.0.0", 7000)]) == expected
        assert only_this_machine(["127.0.0.1:1", "[::1]:2"])
        assert not only_this_machine(["192.168.1.2:6667", "127.0.0.1:6667"])

    def test_filter_matches_every_word(self) -> None:
        ev = ServerEvent("join", "amy joined #cake", 0.0, nick="amy", channel="#cake")
        assert event_matches(ev, "")
        assert event_matches(ev, "AMY cake")
        assert not event_matches(ev, "amy pie")


def test_model_and_command_line_do_not_load_tkinter() -> None:
    """``chinwag --help`` and headless machines must not need Tk."""
    code = (
        "import sys, argparse, chinwag.admin.model, chinwag.admin.main as m;"
        "m.configure_parser(argparse.ArgumentParser());"
        "assert 'tkinter' not in sys.modules, 'tkinter imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=TIMEOUT * 4)
