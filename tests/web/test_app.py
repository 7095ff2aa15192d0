"""The web service over real sockets: listeners, /healthz, headers, start-up errors."""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from chinwag.certs import fingerprint_hex
from chinwag.errors import LocalError
from chinwag.server.webconfig import WebConfig
from chinwag.transport.runner import ServerRunner
from chinwag.web.app import url_host
from tests.conftest import make_test_config
from tests.support import TIMEOUT, LineClient
from tests.web.conftest import Cert, base_url, request


def get(url: str, cert: Cert | None = None) -> tuple[int, dict[str, str], bytes]:
    return request(url, cert=cert)


class TestHealth:
    def test_healthz_counts_users_and_rooms_over_http_and_https(
        self, web_server: ServerRunner, web_cert: Cert
    ) -> None:
        alice = LineClient("127.0.0.1", web_server.port)
        alice.register("alice")
        alice.expect(lambda m: m.command == "366")
        for url in (base_url(web_server, "http"), base_url(web_server, "https")):
            status, headers, body = get(url + "healthz", web_cert)
            assert status == 200
            assert headers["Content-Type"].startswith("application/json")
            assert headers["X-Content-Type-Options"] == "nosniff"
            data = json.loads(body)
            assert (data["status"], data["users"], data["rooms"]) == ("ok", 1, 1)
            assert data["uptime_seconds"] >= 0
            # Counts only: nobody's name, no room's name.
            assert b"alice" not in body and b"lobby" not in body
        alice.close()

    def test_unknown_path_is_404_with_nosniff(self, web_server: ServerRunner) -> None:
        status, headers, _ = get(base_url(web_server) + "nothing-here")
        assert status == 404 and headers["X-Content-Type-Options"] == "nosniff"


class TestListeners:
    def test_urls_name_the_bound_ports_and_the_log_shows_them(
        self, web_server: ServerRunner
    ) -> None:
        (http,) = [u for u in web_server.web_urls if u.startswith("http:")]
        (https,) = [u for u in web_server.web_urls if u.startswith("https:")]
        assert http.startswith("http://127.0.0.1:") and not http.endswith(":0/")
        assert https.startswith("https://127.0.0.1:") and http != https

    def test_port_in_use_is_a_local_error_and_irc_is_not_left_listening(
        self, tmp_path: Path
    ) -> None:
        with socket.socket() as holder:
            holder.bind(("127.0.0.1", 0))
            holder.listen()
            port = holder.getsockname()[1]
            web = WebConfig(http=(("127.0.0.1", port),))
            runner = ServerRunner(make_test_config(tmp_path, web=web))
            with pytest.raises(LocalError, match="address already in use"):
                runner.start()
        assert not runner.running

    def test_https_without_a_certificate_uses_the_servers_own(
        self, make_web_server: Callable[..., ServerRunner], tmp_path: Path
    ) -> None:
        web = WebConfig(http=(("127.0.0.1", 0),), https=(("127.0.0.1", 0),))
        runner = ServerRunner(make_test_config(tmp_path, web=web))  # no ssl_context
        runner.start()
        try:
            assert sorted(u[:5] for u in runner.web_urls) == ["http:", "https"]
            assert get(base_url(runner) + "healthz")[0] == 200
            https = urlsplit(base_url(runner, "https"))
            assert https.hostname is not None and https.port is not None
            with socket.create_connection((https.hostname, https.port), TIMEOUT) as raw:
                ctx = ssl.create_default_context()
                ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
                with ctx.wrap_socket(raw) as tls:
                    der = tls.getpeercert(binary_form=True)
            assert der is not None and fingerprint_hex(der) == runner.fingerprint
        finally:
            runner.stop()

    def test_no_web_config_opens_no_web_port(self, tmp_path: Path) -> None:
        runner = ServerRunner(make_test_config(tmp_path))
        runner.start()
        try:
            assert runner.web_urls == []
        finally:
            runner.stop()


@pytest.mark.parametrize(
    ("host", "shown"),
    [("10.0.0.5", "10.0.0.5"), ("::1", "[::1]"), ("::ffff:192.168.1.2", "192.168.1.2")],
)
def test_url_host(host: str, shown: str) -> None:
    assert url_host(host) == shown
