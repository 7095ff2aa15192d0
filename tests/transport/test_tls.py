"""The server over real TLS on 127.0.0.1 with ephemeral ports: handshake, the certificate
made once and kept, reload without dropping anyone (in process and by SIGHUP to a real
``chinwag server``), TLS-only servers, WHOIS 671 and IRCv3 sts."""

from __future__ import annotations

import re
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from chinwag.certs import fingerprint_display
from chinwag.transport.runner import ServerRunner
from tests.conftest import make_test_config
from tests.support import TIMEOUT, LineClient
from tests.tlsutil import TestCA, peer_fingerprint, self_signed_pair, unverified_context

ROOT = Path(__file__).resolve().parents[2]
TLS_ANY = (("127.0.0.1", 0),)


def tls_client(runner: ServerRunner, nick: str | None = None) -> LineClient:
    client = LineClient("127.0.0.1", runner.tls_port, tls=unverified_context())
    if nick is not None:
        client.register(nick)
    return client


def started(tmp_path: Path, **changes: object) -> ServerRunner:
    runner = ServerRunner(make_test_config(tmp_path, **changes))
    runner.start()
    return runner


class TestHandshake:
    def test_tls_client_registers_and_sees_the_advertised_fingerprint(
        self, make_server: Callable[..., ServerRunner]
    ) -> None:
        server = make_server(tls_listen=TLS_ANY)
        alice = tls_client(server)
        assert isinstance(alice.sock, ssl.SSLSocket)
        assert alice.sock.version() in ("TLSv1.2", "TLSv1.3")
        assert server.fingerprint is not None
        assert peer_fingerprint(alice.sock) == server.fingerprint
        alice.register("alice")
        alice.expect(lambda m: m.command == "366" and m.param(1) == "#lobby")
        plain = LineClient("127.0.0.1", server.port)
        plain.register("bob")
        plain.send("PRIVMSG #lobby :hello over plain text")
        assert alice.expect("PRIVMSG").params[1] == "hello over plain text"
        assert server.call(lambda core: core.by_nick["alice"].secure)
        assert not server.call(lambda core: core.by_nick["bob"].secure)

    def test_tls_below_1_2_is_refused(self, make_server: Callable[..., ServerRunner]) -> None:
        server = make_server(tls_listen=TLS_ANY)
        old = unverified_context()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            old.minimum_version = ssl.TLSVersion.TLSv1
            old.maximum_version = ssl.TLSVersion.TLSv1_1
        old.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client offer TLS 1.1 at all
        with pytest.raises(ssl.SSLError):
            LineClient("127.0.0.1", server.tls_port, tls=old)

    def test_plain_text_on_the_tls_port_gets_no_irc(
        self, make_server: Callable[..., ServerRunner]
    ) -> None:
        server = make_server(tls_listen=TLS_ANY)
        raw = LineClient("127.0.0.1", server.tls_port)
        raw.send("NICK mallory")
        raw.send("USER m 0 * :M")
        assert not [m for m in _messages(raw) if m]
        assert raw.closed  # not a TLS handshake: dropped
        assert server.call(lambda core: "mallory" not in core.by_nick)

    def test_a_handshake_that_never_comes_is_dropped(
        self, make_server: Callable[..., ServerRunner]
    ) -> None:
        server = make_server(tls_listen=TLS_ANY, limits={"registration_timeout": 0.3})
        with socket.create_connection(("127.0.0.1", server.tls_port), timeout=TIMEOUT) as idle:
            assert idle.recv(100) == b""  # closed by the server, having said nothing
        assert server.call(lambda core: not core.connections)

    def test_close_notify_ends_the_session_and_others_hear_the_quit(
        self, make_server: Callable[..., ServerRunner]
    ) -> None:
        server = make_server(tls_listen=TLS_ANY)
        alice, bob = tls_client(server, "alice"), tls_client(server, "bob")
        assert isinstance(bob.sock, ssl.SSLSocket)
        bob.sock.unwrap()  # close_notify, the socket stays open
        assert alice.expect("QUIT").nick == "bob"
        alice.send("QUIT :done")
        assert "done" in alice.expect("ERROR").params[0]

    def test_whois_shows_671_for_tls_users_only(
        self, make_server: Callable[..., ServerRunner]
    ) -> None:
        server = make_server(tls_listen=TLS_ANY)
        alice = tls_client(server, "alice")
        bob = LineClient("127.0.0.1", server.port)
        bob.register("bob")
        bob.send("WHOIS alice")
        secure = bob.expect(lambda m: m.command in ("671", "318"))
        assert secure.command == "671" and secure.params[1] == "alice"
        bob.send("WHOIS bob")
        end = bob.expect(lambda m: m.command in ("671", "318"))
        assert end.command == "318"
        alice.close()


def _messages(client: LineClient) -> list[object]:
    try:
        return list(client.collect(0.5))
    except (OSError, ValueError):
        return []


class TestCertificateKept:
    def test_made_once_key_0600_and_reused_after_a_restart(self, tmp_path: Path) -> None:
        first = started(tmp_path, tls_listen=TLS_ANY)
        try:
            fp = first.fingerprint
            assert fp is not None and re.fullmatch(r"[0-9a-f]{64}", fp)
            assert peer_fingerprint(tls_client(first).sock) == fp
        finally:
            first.stop()
        key = tmp_path / "data" / "tls" / "key.pem"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        second = started(tmp_path, tls_listen=TLS_ANY)
        try:
            assert second.fingerprint == fp
            assert peer_fingerprint(tls_client(second).sock) == fp
        finally:
            second.stop()

    def test_the_log_and_events_show_the_fingerprint(self, tmp_path: Path) -> None:
        runner = ServerRunner(make_test_config(tmp_path, tls_listen=TLS_ANY))
        seen: list[str] = []
        runner.subscribe(lambda event: seen.append(event.text))
        runner.start()
        try:
            assert runner.fingerprint is not None
            shown = fingerprint_display(runner.fingerprint)
            assert any(shown in text for text in seen), seen
        finally:
            runner.stop()

    def test_without_a_data_dir_the_certificate_lives_as_long_as_the_server(
        self, make_server: Callable[..., ServerRunner]
    ) -> None:
        server = make_server(tls_listen=TLS_ANY, data_dir=None)
        alice = tls_client(server, "alice")
        assert peer_fingerprint(alice.sock) == server.fingerprint
        assert server.reload_tls() and peer_fingerprint(tls_client(server).sock) == (
            server.fingerprint
        )
        alice.close()

    def test_own_certificate_is_served(self, tmp_path: Path) -> None:
        cert, key, fp = self_signed_pair(tmp_path / "own", "mine")
        runner = started(tmp_path, tls_listen=TLS_ANY, tls_cert=cert, tls_key=key)
        try:
            assert runner.fingerprint == fp
            assert peer_fingerprint(tls_client(runner).sock) == fp
            assert not (tmp_path / "data" / "tls").exists()
        finally:
            runner.stop()


class TestReload:
    def test_reload_keeps_connected_clients_and_serves_the_new_certificate(
        self, tmp_path: Path
    ) -> None:
        cert, key, old_fp = self_signed_pair(tmp_path / "own", "live")
        runner = started(tmp_path, tls_listen=TLS_ANY, tls_cert=cert, tls_key=key)
        try:
            alice, bob = tls_client(runner, "alice"), tls_client(runner, "bob")
            new_cert, new_key, new_fp = self_signed_pair(tmp_path / "own", "next")
            shutil.copyfile(new_cert, cert)
            shutil.copyfile(new_key, key)
            assert runner.reload_tls()
            assert runner.fingerprint == new_fp
            alice.send("PRIVMSG #lobby :still here after the reload")
            assert bob.expect("PRIVMSG").params[1] == "still here after the reload"
            assert peer_fingerprint(alice.sock) == old_fp
            carol = tls_client(runner, "carol")
            assert peer_fingerprint(carol.sock) == new_fp
            for client in (alice, bob, carol):
                client.close()
        finally:
            runner.stop()

    def test_a_broken_reload_keeps_the_old_certificate(self, tmp_path: Path) -> None:
        cert, key, fp = self_signed_pair(tmp_path / "own", "live")
        runner = started(tmp_path, tls_listen=TLS_ANY, tls_cert=cert, tls_key=key)
        try:
            other_cert, _, _ = self_signed_pair(tmp_path / "own", "other")
            shutil.copyfile(other_cert, cert)  # a certificate that does not match the key
            assert not runner.reload_tls()
            assert runner.fingerprint == fp
            assert peer_fingerprint(tls_client(runner, "alice").sock) == fp
        finally:
            runner.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TestRealServer:
    """``chinwag server`` as people run it: TLS only, then SIGHUP."""

    def test_sighup_reloads_without_dropping_and_no_plaintext_refuses_plain(
        self, tmp_path: Path
    ) -> None:
        plain_port = free_port()
        data = tmp_path / "data"
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "chinwag.cli",
                "server",
                "--listen",
                f"127.0.0.1:{plain_port}",
                "--tls",
                "127.0.0.1:0",
                "--no-plaintext",
                "--no-advertise",
                "--no-http",
                "--data-dir",
                str(data),
            ],
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        lines: list[str] = []
        try:
            assert proc.stderr is not None
            while not any("fingerprint" in line for line in lines):
                line = proc.stderr.readline()
                assert line, "".join(lines)
                lines.append(line)
            log = "".join(lines)
            port = int(re.findall(r"listening with TLS on 127\.0\.0\.1:(\d+)", log)[0])
            assert f"listening on 127.0.0.1:{plain_port}" not in log
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", plain_port), timeout=TIMEOUT).close()
            alice = LineClient("127.0.0.1", port, tls=unverified_context())
            alice.register("alice")
            old_fp = peer_fingerprint(alice.sock)
            assert fingerprint_display(old_fp) in log
            assert stat.S_IMODE((data / "tls" / "key.pem").stat().st_mode) == 0o600
            new_cert, new_key, new_fp = self_signed_pair(tmp_path / "new", "next")
            shutil.copyfile(new_key, data / "tls" / "key.pem")
            shutil.copyfile(new_cert, data / "tls" / "cert.pem")
            proc.send_signal(signal.SIGHUP)
            shown = fingerprint_display(new_fp)
            while not any(shown in line for line in lines):
                line = proc.stderr.readline()
                assert line, "".join(lines)
                lines.append(line)
            bob = LineClient("127.0.0.1", port, tls=unverified_context())
            assert peer_fingerprint(bob.sock) == new_fp
            bob.register("bob")
            bob.send("PRIVMSG #lobby :after the SIGHUP")
            assert alice.expect("PRIVMSG").params[1] == "after the SIGHUP"
            assert proc.poll() is None
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=4 * TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=TIMEOUT)


class TestTLSOnly:
    def test_no_plaintext_listens_with_tls_only(
        self, make_server: Callable[..., ServerRunner]
    ) -> None:
        server = make_server(tls_listen=TLS_ANY, plaintext=False)
        assert server.bound == [] and server.tls_bound
        tls_client(server, "alice")


class TestSts:
    def test_public_certificate_advertises_sts_on_both_kinds_of_port(self, tmp_path: Path) -> None:
        ca = TestCA.create(tmp_path / "ca")
        cert, key = ca.issue("localhost")
        runner = started(
            tmp_path,
            tls_listen=TLS_ANY,
            tls_cert=cert,
            tls_key=key,
            tls_trust_store=ca.bundle,
            sts_duration=600,
        )
        try:
            plain = LineClient("127.0.0.1", runner.port)
            plain.send("CAP LS 302")
            listing = plain.expect("CAP").params[-1].split()
            assert f"sts=port={runner.tls_port},duration=600" in listing
            plain.send("CAP REQ :sts")
            assert plain.expect("CAP").params[1] == "NAK"
            secure = tls_client(runner)
            secure.send("CAP LS 302")
            assert "sts=duration=600" in secure.expect("CAP").params[-1].split()
            plain.close()
            secure.close()
        finally:
            runner.stop()

    def test_self_signed_certificate_advertises_no_sts(
        self, make_server: Callable[..., ServerRunner]
    ) -> None:
        server = make_server(tls_listen=TLS_ANY)
        for client in (LineClient("127.0.0.1", server.port), tls_client(server)):
            client.send("CAP LS 302")
            caps = client.expect("CAP").params[-1].split()
            assert not [c for c in caps if c.startswith("sts")]
