"""SASL EXTERNAL with a real client certificate over real TLS: the IRC listener asks
for a certificate and accepts a self-signed one; CERTADD registers the one a logged-in
client connected with; EXTERNAL then logs in with it; an unknown certificate fails; a
client without one still connects. HTTPS does not ask browsers for certificates."""

from __future__ import annotations

import base64
import ssl
import time
from collections.abc import Callable
from pathlib import Path

from chinwag.auth.credentials import make_credentials
from chinwag.storage.sqlite import SQLiteStorage
from chinwag.transport.runner import ServerRunner
from chinwag.transport.tls import ServerTLS
from tests.conftest import make_test_config
from tests.support import LineClient, sasl_client
from tests.tlsutil import self_signed_pair, unverified_context

PASSWORD = "cert-owner-password"
TLS_ANY = (("127.0.0.1", 0),)


def with_certificate(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = unverified_context()
    ctx.load_cert_chain(cert, key)
    return ctx


def opened(server: ServerRunner, nick: str, tls: ssl.SSLContext) -> LineClient:
    return sasl_client(server.tls_port, nick, tls=tls)


def external(c: LineClient) -> str:
    c.send("AUTHENTICATE EXTERNAL")
    first = c.expect(lambda m: m.command in ("AUTHENTICATE", "904"))
    if first.command == "904":
        return "904"
    c.send("AUTHENTICATE +")
    return c.expect(lambda m: m.command in ("903", "904")).command


def test_certadd_then_external(make_server: Callable[..., ServerRunner], tmp_path: Path) -> None:
    storage = SQLiteStorage.in_dir(tmp_path / "data")
    storage.add_account("gwen", make_credentials(PASSWORD), time.time())
    storage.close()
    server = make_server(tls_listen=TLS_ANY)
    cert, key, fingerprint = self_signed_pair(tmp_path / "client", "gwen")
    mine = with_certificate(cert, key)

    # Logged in with a password, over TLS with the certificate: CERTADD registers it.
    first = opened(server, "gwen", mine)
    first.send("AUTHENTICATE PLAIN")
    first.expect("AUTHENTICATE")
    first.send("AUTHENTICATE " + base64.b64encode(f"\0gwen\0{PASSWORD}".encode()).decode())
    first.expect("903")
    first.send("CAP END")
    first.expect("001")
    first.send("CERTADD")
    note = first.expect(lambda m: m.command in ("NOTE", "FAIL"))
    assert note.command == "NOTE" and note.params[2] == fingerprint
    first.close()

    again = opened(server, "gwen", mine)
    assert external(again) == "903"
    logged = server.call(lambda core: [u.account for u in core.connections])
    assert "gwen" in logged

    other_cert, other_key, _ = self_signed_pair(tmp_path / "client", "stranger")
    stranger = opened(server, "mallory", with_certificate(other_cert, other_key))
    assert external(stranger) == "904"
    bare = opened(server, "nobody", unverified_context())  # no certificate: still in
    assert external(bare) == "904"
    bare.send("CAP END")
    bare.expect("001")


def test_https_context_asks_for_no_certificate(tmp_path: Path) -> None:
    tls = ServerTLS(make_test_config(tmp_path))
    assert tls.client_certificates
    assert tls.irc_context.verify_mode == ssl.CERT_OPTIONAL
    assert tls.context.verify_mode == ssl.CERT_NONE
    tls.reload()  # SIGHUP: both contexts get the files again, and keep their modes
    assert tls.irc_context.verify_mode == ssl.CERT_OPTIONAL
