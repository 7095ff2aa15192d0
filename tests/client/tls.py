"""TLS for client tests: certificates made with ``cryptography`` (self-signed, or from a
test CA) and a real TLS listener on a running chinwag server's core."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chinwag.certs import fingerprint_hex
from chinwag.client.trust import display_fingerprint
from chinwag.transport.runner import ServerRunner
from chinwag.transport.tcp import IRCProtocol
from tests.support import TIMEOUT


@dataclass(frozen=True)
class Cert:
    cert: Path  # PEM
    key: Path  # PEM
    der: bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint_hex(self.der)

    @property
    def shown(self) -> str:
        return display_fingerprint(self.fingerprint)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(
    directory: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> Cert:
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / f"{stem}.crt", directory / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Cert(cert_path, key_path, cert.public_bytes(serialization.Encoding.DER))


def make_cert(
    directory: Path,
    stem: str,
    host: str = "127.0.0.1",
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None,
) -> Cert:
    """An ECDSA P-256 server certificate for ``host``: self-signed, or signed by ``issuer``."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    issuer_name, signing_key = (issuer[0].subject, issuer[1]) if issuer else (_name(host), key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(host))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
            critical=False,
        )
    )
    return _write(directory, stem, builder.sign(signing_key, hashes.SHA256()), key)


@dataclass(frozen=True)
class TestCA:
    """A certificate authority for tests; ``context()`` is a client context trusting it."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    path: Path

    def issue(self, directory: Path, stem: str, host: str = "127.0.0.1") -> Cert:
        return make_cert(directory, stem, host, issuer=(self.cert, self.key))

    def context(self) -> ssl.SSLContext:
        from chinwag.client.trust import client_context

        return client_context(cafile=str(self.path))


_CA_USAGE = x509.KeyUsage(
    digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
    key_encipherment=False, data_encipherment=False, key_agreement=False,
    encipher_only=False, decipher_only=False,
)  # fmt: skip


def make_ca(directory: Path) -> TestCA:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("chinwag test CA"))
        .issuer_name(_name("chinwag test CA"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_CA_USAGE, critical=True)
        .sign(key, hashes.SHA256())
    )
    written = _write(directory, "ca", cert, key)
    return TestCA(cert, key, written.cert)


class TLSListener:
    """A TLS port on a running server's core (as ``chinwag server`` will listen on 6697).

    :meth:`use` swaps the certificate for new connections, as a reload would.
    """

    def __init__(self, runner: ServerRunner, cert: Cert) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.use(cert)
        app, loop = runner._app, runner._loop
        assert app is not None and loop is not None

        async def listen() -> int:
            srv = await asyncio.get_running_loop().create_server(
                lambda: IRCProtocol(app.core, app.live), "127.0.0.1", 0, ssl=self.context
            )
            app.servers.append(srv)  # closed with the server
            return int(srv.sockets[0].getsockname()[1])

        self.port = asyncio.run_coroutine_threadsafe(listen(), loop).result(TIMEOUT)

    def use(self, cert: Cert) -> None:
        self.context.load_cert_chain(cert.cert, cert.key)
