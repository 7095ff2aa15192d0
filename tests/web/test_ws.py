"""IRC over WebSocket (``/ws``): the IRCv3 WebSocket transport on real sockets.

Subprotocol negotiation, one line per message both ways, the Origin check, and every
connection limit applied as on TCP (line length, flood control, connections per IP,
the send queue), over plain HTTP and TLS.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from chinwag.server.webconfig import WebConfig
from chinwag.transport.runner import ServerRunner
from tests.support import TIMEOUT, LineClient, flood_until_cut_off, wait_until
from tests.web.conftest import LOOPBACK, Cert, base_url
from tests.web.wsclient import HandshakeRefused, WsLineClient


def web_port(runner: ServerRunner, scheme: str = "http") -> int:
    port = urlsplit(base_url(runner, scheme)).port
    assert port is not None
    return port


def ws(runner: ServerRunner, **kwargs: object) -> WsLineClient:
    return WsLineClient("127.0.0.1", web_port(runner), **kwargs)  # type: ignore[arg-type]


def ws_user(runner: ServerRunner, nick: str, **kwargs: object) -> WsLineClient:
    client = ws(runner, **kwargs)
    client.register(nick)
    return client


def tcp_user(runner: ServerRunner, nick: str) -> LineClient:
    client = LineClient("127.0.0.1", runner.port)
    client.register(nick)
    return client


class TestSubprotocols:
    def test_text_is_chosen_and_every_frame_is_text(self, web_server: ServerRunner) -> None:
        c = ws(web_server, protocols=("text.ircv3.net",))
        assert c.protocol == "text.ircv3.net"
        c.register("alice")
        assert c.opcodes and set(c.opcodes) == {0x1}

    def test_binary_is_chosen_and_every_frame_is_binary(self, web_server: ServerRunner) -> None:
        c = ws(web_server, protocols=("binary.ircv3.net",))
        assert c.protocol == "binary.ircv3.net"
        c.register("alice")
        assert c.opcodes and set(c.opcodes) == {0x2}

    def test_the_clients_first_choice_wins(self, web_server: ServerRunner) -> None:
        assert ws(web_server, protocols=("binary.ircv3.net", "text.ircv3.net")).protocol == (
            "binary.ircv3.net"
        )
        assert ws(web_server, protocols=("text.ircv3.net", "binary.ircv3.net")).protocol == (
            "text.ircv3.net"
        )

    @pytest.mark.parametrize("protocols", [(), ("chat.example",)])
    def test_no_known_subprotocol_means_text(
        self, web_server: ServerRunner, protocols: tuple[str, ...]
    ) -> None:
        c = ws(web_server, protocols=protocols)
        assert c.protocol is None
        c.register("alice")
        assert set(c.opcodes) == {0x1}

    def test_binary_frames_carry_non_utf8_bytes_as_sent_lines(
        self, web_server: ServerRunner
    ) -> None:
        alice = ws_user(web_server, "alice", protocols=("binary.ircv3.net",))
        bob = ws_user(web_server, "bob", protocols=("text.ircv3.net",))
        alice.send_raw(b"PRIVMSG #lobby :caf\xe9")
        msg = bob.expect("PRIVMSG")  # repaired to UTF-8, as for any client
        assert msg.params[1] == "caf\ufffd"


class TestLines:
    def test_browser_and_tcp_users_share_the_lobby(self, web_server: ServerRunner) -> None:
        web, tcp = ws_user(web_server, "webby"), tcp_user(web_server, "tcpy")
        web.expect(lambda m: m.command == "JOIN" and m.nick == "tcpy")
        web.send("PRIVMSG #lobby :hello from the web")
        assert tcp.expect("PRIVMSG").params == ("#lobby", "hello from the web")
        tcp.send("PRIVMSG webby :and back")
        assert web.expect("PRIVMSG").params == ("webby", "and back")

    def test_a_trailing_crlf_is_forgiven(self, web_server: ServerRunner) -> None:
        alice, bob = ws_user(web_server, "alice"), ws_user(web_server, "bob")
        alice.send_raw(b"PRIVMSG #lobby :with crlf\r\n")
        assert bob.expect("PRIVMSG").params[1] == "with crlf"

    def test_two_lines_in_one_message_are_not_taken(self, web_server: ServerRunner) -> None:
        alice, bob = ws_user(web_server, "alice"), ws_user(web_server, "bob")
        alice.send_raw(b"PRIVMSG #lobby :one\r\nPRIVMSG #lobby :two")
        alice.send("PRIVMSG #lobby :three")
        assert bob.expect("PRIVMSG").params[1] == "three"
        alice.send("PING :alive")
        alice.expect("PONG")

    def test_tls_port_speaks_websocket_too(self, web_server: ServerRunner, web_cert: Cert) -> None:
        c = WsLineClient("127.0.0.1", web_port(web_server, "https"), tls=web_cert.client_context())
        assert c.protocol == "text.ircv3.net"
        c.register("secure")
        c.send("PING :tls")
        assert c.expect("PONG").params[-1] == "tls"

    def test_shutdown_tells_websocket_clients_why(
        self, make_web_server: Callable[..., ServerRunner]
    ) -> None:
        server = make_web_server()
        c = ws_user(server, "alice")
        server.stop()
        assert "shutting down" in c.expect("ERROR").params[0]
        c.collect(0.5)
        assert c.closed


class TestOrigin:
    def test_same_origin_and_no_origin_connect(self, web_server: ServerRunner) -> None:
        port = web_port(web_server)
        ws(web_server, origin=f"http://127.0.0.1:{port}").register("same")
        ws(web_server).register("none")

    @pytest.mark.parametrize(
        "origin", ["http://evil.example", "null", "https://127.0.0.1:{port}", "http://127.0.0.1:1"]
    )
    def test_other_origins_are_refused(self, web_server: ServerRunner, origin: str) -> None:
        with pytest.raises(HandshakeRefused) as refused:
            ws(web_server, origin=origin.format(port=web_port(web_server)))
        assert refused.value.status == 403
        assert web_server.call(lambda core: len(core.connections)) == 0

    def test_a_configured_origin_connects(
        self, make_web_server: Callable[..., ServerRunner]
    ) -> None:
        web = WebConfig(http=LOOPBACK, allowed_origins=("https://chat.example.org",))
        server = make_web_server(web=web)
        ws(server, origin="https://chat.example.org").register("friend")
        with pytest.raises(HandshakeRefused):
            ws(server, origin="https://other.example.org")


class TestLimits:
    def test_an_over_long_line_gets_417_and_the_connection_lives(
        self, web_server: ServerRunner
    ) -> None:
        c = ws_user(web_server, "alice")
        c.send("PRIVMSG #lobby :" + "x" * 600)
        c.expect("417")
        c.send("PING :still here")
        assert c.expect("PONG").params[-1] == "still here"

    def test_flood_control_throttles_as_on_tcp(
        self, make_web_server: Callable[..., ServerRunner]
    ) -> None:
        server = make_web_server(
            limits={"flood_limit": True, "flood_burst": 5, "flood_interval": 0.25}
        )
        c = ws_user(server, "flooder")
        start = time.monotonic()
        for i in range(12):
            c.send(f"PING :{i}")
        pongs = [m for m in c.collect(0.2) if m.command == "PONG"]
        assert 4 <= len(pongs) <= 7, pongs  # the burst, not the lot
        while len(pongs) < 12 and time.monotonic() - start < 4 * TIMEOUT:
            pongs += [m for m in c.collect(0.2) if m.command == "PONG"]
        assert [p.params[-1] for p in pongs] == [str(i) for i in range(12)]  # late, not lost
        assert time.monotonic() - start >= 1.0

    def test_connections_per_ip_count_websocket_and_tcp_together(
        self, make_web_server: Callable[..., ServerRunner]
    ) -> None:
        server = make_web_server(limits={"connections_per_ip": 2})
        held = [tcp_user(server, "one"), ws_user(server, "two")]  # kept open
        third = ws(server)
        assert "too many connections" in third.expect("ERROR").params[0]
        third.collect(0.5)
        assert third.closed
        assert all(not c.closed for c in held)

    def test_a_client_that_never_reads_is_cut_off_and_others_keep_receiving(
        self, make_web_server: Callable[..., ServerRunner]
    ) -> None:
        server = make_web_server(limits={"sendq_bytes": 64 * 1024})
        sleeper = ws(server, rcvbuf=4096)
        sleeper.send("NICK sleeper")
        sleeper.send("USER s 0 * :S")  # and never reads again
        talker, listener = tcp_user(server, "talker"), ws_user(server, "listener")
        wait_until(lambda: server.call(lambda core: core.find_user("sleeper") is not None))
        sent = flood_until_cut_off(
            lambda: server.call(lambda core: core.find_user("sleeper") is None), talker, listener
        )
        rest = listener.collect(0.5)
        quits = [m for m in rest + listener.received if m.command == "QUIT"]
        assert any(m.nick == "sleeper" and "SendQ exceeded" in m.params[0] for m in quits)
        talker.send("PRIVMSG #lobby :last one")
        wait_until(lambda: any(m.params[-1] == "last one" for m in listener.collect(0.1)))
        got = [m for m in listener.received if m.command == "PRIVMSG"]
        assert len(got) == sent + 1  # the listener missed nothing meanwhile
        sleeper.close()


class TestPage:
    def test_the_page_is_served_with_a_strict_csp(self, web_server: ServerRunner) -> None:
        import urllib.request

        with urllib.request.urlopen(base_url(web_server), timeout=TIMEOUT) as r:
            body = r.read().decode()
            csp = r.headers["Content-Security-Policy"]
            assert r.headers["Content-Type"].startswith("text/html")
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert '<script type="module" src="client/app.js">' in body
        assert "<script>" not in body and " on" + "click=" not in body

    @pytest.mark.parametrize(
        ("name", "kind"), [("app.js", "text/javascript"), ("style.css", "text/css")]
    )
    def test_assets_have_their_types(self, web_server: ServerRunner, name: str, kind: str) -> None:
        import urllib.request

        with urllib.request.urlopen(base_url(web_server) + "client/" + name, timeout=5) as r:
            assert r.headers["Content-Type"].startswith(kind)
            assert r.headers["X-Content-Type-Options"] == "nosniff"

    @pytest.mark.parametrize(
        "path", ["client/nope.js", "client/..%2fws.py", "client/package.json", "client/index.html"]
    )
    def test_only_the_clients_files_are_served(self, web_server: ServerRunner, path: str) -> None:
        import urllib.error
        import urllib.request

        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(base_url(web_server) + path, timeout=TIMEOUT)
        assert err.value.code == 404
