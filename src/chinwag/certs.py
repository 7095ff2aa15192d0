"""TLS certificates: the server's self-signed one, and the fingerprints people compare.

Shared by the server (which makes and serves the certificate) and the client (which
pins it), so it sits at the top of the package and imports nothing else of chinwag's
but the error root.

* :func:`ensure_self_signed` makes, on a server's first start, an ECDSA P-256
  certificate for this machine (subjectAltName: its host name, ``<host>.local``,
  ``localhost``, its LAN addresses, 127.0.0.1 and ::1), valid for ten years, and writes
  it with its key (file mode 0600 from the moment it exists) into a directory of the
  data dir. Later starts reuse the pair; one that expires within a month is replaced.
* :func:`fingerprint_hex` and :func:`fingerprint_display` are the two canonical forms
  of a certificate's SHA-256 fingerprint (over its DER encoding): 64 lowercase hex
  digits for machines (mDNS TXT, pins, WeeChat's ``tls_fingerprint``) and
  ``AB:CD:...`` for people to compare by eye.
* :func:`publicly_trusted` says whether a certificate chain verifies against a trust
  store (the system's by default): only then may the server advertise IRCv3 ``sts``.

What it does not do: open sockets or build :class:`ssl.SSLContext` objects (that is
:mod:`chinwag.transport.tls`), or decide what a client trusts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
import socket
import ssl
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from chinwag.errors import LocalError

CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"
TLS_SUBDIR = "tls"  # under the server's data dir
VALID_DAYS = 3650  # ten years: a LAN server should not have to think about renewal
RENEW_BEFORE = dt.timedelta(days=30)  # a generated certificate this close to expiry is replaced

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def fingerprint_hex(der: bytes) -> str:
    """SHA-256 of a DER certificate: 64 lowercase hex digits, no separators."""
    return hashlib.sha256(der).hexdigest()


def fingerprint_display(fingerprint: str | bytes) -> str:
    """The fingerprint for people: ``AB:CD:...`` (32 uppercase pairs).

    Takes either the DER certificate (bytes) or its :func:`fingerprint_hex`.
    """
    hex_digits = fingerprint_hex(fingerprint) if isinstance(fingerprint, bytes) else fingerprint
    hex_digits = hex_digits.replace(":", "").upper()
    return ":".join(hex_digits[i : i + 2] for i in range(0, len(hex_digits), 2))


def cert_der_from_pem(path: Path) -> bytes:
    """The DER encoding of the first (leaf) certificate in a PEM file. Raises LocalError."""
    return load_chain(path)[0].public_bytes(serialization.Encoding.DER)


def load_chain(path: Path) -> list[x509.Certificate]:
    """Every certificate in a PEM file, leaf first. Raises LocalError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LocalError(f"cannot read certificate {path}: {exc.strerror or exc}") from None
    try:
        chain = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise LocalError(f"{path} holds no PEM certificate") from None
    return chain


def machine_names() -> list[str]:
    """DNS names this machine answers to on a LAN: host, ``host.local``, localhost."""
    host = socket.gethostname().split(".")[0].lower() or "localhost"
    names = [host, f"{host}.local", "localhost"]
    return list(dict.fromkeys(names))


def machine_addresses(lan: Iterable[str] = ()) -> list[IPAddress]:
    """``lan`` addresses plus the loopback ones, without duplicates."""
    out: list[IPAddress] = []
    for text in [*lan, "127.0.0.1", "::1"]:
        addr = ipaddress.ip_address(text)
        if addr not in out:
            out.append(addr)
    return out


def generate_self_signed(
    names: Sequence[str],
    addresses: Sequence[IPAddress],
    *,
    days: int = VALID_DAYS,
    now: dt.datetime | None = None,
) -> tuple[bytes, bytes]:
    """A new self-signed ECDSA P-256 certificate and its key, both PEM: (cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(minutes=5)  # clock skew
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0] if names else "chinwag")])
    sans: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    sans += [x509.IPAddress(a) for a in addresses]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a new file created with mode 0600, atomically."""
    tmp = path.with_name(path.name + ".new")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _needs_new(cert_path: Path, key_path: Path, now: dt.datetime) -> bool:
    if not cert_path.exists() or not key_path.exists():
        return True
    try:
        leaf = load_chain(cert_path)[0]
    except LocalError:
        return True
    return leaf.not_valid_after_utc - now < RENEW_BEFORE


def ensure_self_signed(
    directory: Path,
    *,
    lan_addresses: Iterable[str] = (),
    now: dt.datetime | None = None,
) -> tuple[Path, Path, bool]:
    """The generated certificate in ``directory``: (cert path, key path, made now?).

    Makes the directory (mode 0700) and a new pair when there is none, when one file is
    missing or unreadable, or when the certificate expires within :data:`RENEW_BEFORE`.
    Raises LocalError when the directory cannot be written.
    """
    cert_path, key_path = directory / CERT_FILE, directory / KEY_FILE
    at = now or dt.datetime.now(dt.UTC)
    if not _needs_new(cert_path, key_path, at):
        return cert_path, key_path, False
    cert_pem, key_pem = generate_self_signed(
        machine_names(), machine_addresses(lan_addresses), now=at
    )
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write_private(key_path, key_pem)
        _write_private(cert_path, cert_pem)
    except OSError as exc:
        raise LocalError(f"cannot write a TLS certificate in {directory}: {exc}") from None
    return cert_path, key_path, True


def system_trust_store() -> list[x509.Certificate]:
    """The CA certificates Python's ssl module trusts by default (the system's)."""
    paths = ssl.get_default_verify_paths()
    found: list[x509.Certificate] = []
    if paths.cafile and os.path.exists(paths.cafile):
        found += _read_cas(Path(paths.cafile))
    if paths.capath and os.path.isdir(paths.capath) and not found:
        for entry in sorted(Path(paths.capath).glob("*.pem")):
            found += _read_cas(entry)
    return found


def _read_cas(path: Path) -> list[x509.Certificate]:
    try:
        with warnings.catch_warnings():  # old roots with odd serial numbers still count
            warnings.simplefilter("ignore")
            return x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError):
        return []


def publicly_trusted(cert_path: Path, trust_store: Path | None = None) -> bool:
    """Does the chain in ``cert_path`` verify, for one of its own names, against the CAs
    in ``trust_store`` (a PEM bundle), or the system's when None? A self-signed
    certificate never does (unless someone put it in the store)."""
    from cryptography.x509.verification import (
        PolicyBuilder,
        Store,
        VerificationError,
    )

    try:
        leaf, *intermediates = load_chain(cert_path)
    except LocalError:
        return False
    cas = _read_cas(trust_store) if trust_store is not None else system_trust_store()
    if not cas:
        return False
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    # A wildcard name is checked as one name it covers.
    subjects: list[x509.DNSName | x509.IPAddress] = [
        x509.DNSName("chinwag" + n[1:] if n.startswith("*.") else n)
        for n in san.get_values_for_type(x509.DNSName)
    ]
    subjects += [x509.IPAddress(a) for a in san.get_values_for_type(x509.IPAddress)]
    store = Store(cas)
    for subject in subjects:
        verifier = PolicyBuilder().store(store).build_server_verifier(subject)
        try:
            verifier.verify(leaf, intermediates)
        except (VerificationError, ValueError):
            continue
        return True
    return False
