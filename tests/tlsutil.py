"""TLS helpers for tests: a throw-away CA that signs server certificates, client
contexts that check a server's certificate against a pinned fingerprint, and a server's
TLS port whose certificate can be swapped (:class:`TLSPort`).

The test CA goes into a PEM file the test hands to the server as its trust store
(``ServerConfig.tls_trust_store``); the system's trust is never touched.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chinwag.certs import (
    fingerprint_display,
    fingerprint_hex,
    generate_self_signed,
    machine_addresses,
)
from chinwag.transport.runner import ServerRunner


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass
class TestCA:
    """A CA (root, or root + intermediate) in ``directory``; ``bundle`` is its root PEM."""

    __test__ = False  # not a pytest class

    directory: Path
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @property
    def bundle(self) -> Path:
        return self.directory / "ca.pem"

    @classmethod
    def create(cls, directory: Path) -> TestCA:
        directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name("chinwag test root"))
            .issuer_name(_name("chinwag test root"))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(key, hashes.SHA256())
        )
        ca = cls(directory, key, cert)
        ca.bundle.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return ca

    def issue(self, name: str = "localhost", stem: str = "server") -> tuple[Path, Path]:
        """A server certificate for ``name`` (and 127.0.0.1) signed by this CA:
        (cert path, key path)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=20))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName(name), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        cert_path = self.directory / f"{stem}.pem"
        key_path = self.directory / f"{stem}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(_key_pem(key))
        return cert_path, key_path


def self_signed_pair(directory: Path, stem: str) -> tuple[Path, Path, str]:
    """A fresh self-signed certificate and key in ``directory``: (cert, key, fingerprint)."""
    cert_pem, key_pem = generate_self_signed(["localhost"], machine_addresses())
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / f"{stem}.pem", directory / f"{stem}.key"
    cert.write_bytes(cert_pem)
    key.write_bytes(key_pem)
    der = x509.load_pem_x509_certificate(cert_pem).public_bytes(serialization.Encoding.DER)
    return cert, key, fingerprint_hex(der)


def unverified_context() -> ssl.SSLContext:
    """A client context that accepts any certificate: tests check the fingerprint
    themselves (:func:`peer_fingerprint`), as a pinning client would."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def peer_fingerprint(sock: ssl.SSLSocket) -> str:
    der = sock.getpeercert(binary_form=True)
    assert der is not None
    return fingerprint_hex(der)


@dataclass(frozen=True)
class Cert:
    """A certificate and key on disk, and the certificate's fingerprint (64 hex digits)."""

    cert: Path
    key: Path
    fingerprint: str

    @property
    def shown(self) -> str:
        """The fingerprint as people see it: ``AB:CD:...``."""
        return fingerprint_display(self.fingerprint)


def make_cert(directory: Path, stem: str) -> Cert:
    """A fresh self-signed ECDSA certificate, as a chinwag server makes its own."""
    return Cert(*self_signed_pair(directory, stem))


class TLSPort:
    """A running server's TLS port, whose certificate a test can swap as SIGHUP does."""

    def __init__(self, runner: ServerRunner, served: Cert) -> None:
        self.runner = runner
        self.served = served
        self.port = runner.tls_port

    def use(self, cert: Cert) -> None:
        """Serve ``cert`` to new connections from now on (connected clients stay)."""
        shutil.copyfile(cert.cert, self.served.cert)
        shutil.copyfile(cert.key, self.served.key)
        assert self.runner.reload_tls()
