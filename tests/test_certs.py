"""The server's self-signed certificate, the fingerprint forms, the public-CA check."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import socket
import stat
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from chinwag.certs import (
    cert_der_from_pem,
    ensure_self_signed,
    fingerprint_display,
    fingerprint_hex,
    load_chain,
    machine_names,
    publicly_trusted,
)
from tests.tlsutil import TestCA, self_signed_pair


class TestFingerprint:
    def test_hex_is_sha256_of_the_der_in_64_lowercase_digits(self) -> None:
        der = b"\x30\x03\x02\x01\x01"
        fp = fingerprint_hex(der)
        assert fp == hashlib.sha256(der).hexdigest()
        assert len(fp) == 64 and fp == fp.lower() and ":" not in fp

    def test_display_is_uppercase_colon_pairs_from_der_or_hex(self) -> None:
        der = b"certificate bytes"
        shown = fingerprint_display(der)
        assert shown == fingerprint_display(fingerprint_hex(der))
        pairs = shown.split(":")
        assert len(pairs) == 32 and all(len(p) == 2 and p == p.upper() for p in pairs)
        assert shown.replace(":", "").lower() == fingerprint_hex(der)


class TestSelfSigned:
    def test_made_once_with_a_private_key_then_reused(self, tmp_path: Path) -> None:
        directory = tmp_path / "tls"
        cert, key, made = ensure_self_signed(directory, lan_addresses=["192.168.7.9"])
        assert made
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        first = cert_der_from_pem(cert)
        again, _, made_again = ensure_self_signed(directory)
        assert not made_again and cert_der_from_pem(again) == first

    def test_ecdsa_p256_with_this_machines_names_and_addresses(self, tmp_path: Path) -> None:
        cert, _, _ = ensure_self_signed(tmp_path, lan_addresses=["192.168.7.9"])
        (leaf,) = load_chain(cert)
        public = leaf.public_key()
        assert isinstance(public, ec.EllipticCurvePublicKey)
        assert public.curve.name == "secp256r1"
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = san.get_values_for_type(x509.DNSName)
        host = socket.gethostname().split(".")[0].lower()
        assert {host, f"{host}.local", "localhost"} <= set(names)
        assert names == machine_names()
        ips = san.get_values_for_type(x509.IPAddress)
        assert ipaddress.ip_address("192.168.7.9") in ips
        assert ipaddress.ip_address("127.0.0.1") in ips
        lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc
        assert lifetime > dt.timedelta(days=3000)
        assert leaf.issuer == leaf.subject  # self-signed

    def test_replaced_near_expiry_or_when_the_key_is_gone(self, tmp_path: Path) -> None:
        cert, key, _ = ensure_self_signed(tmp_path)
        first = cert_der_from_pem(cert)
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3650 - 10)
        _, _, made = ensure_self_signed(tmp_path, now=later)
        assert made and cert_der_from_pem(cert) != first
        second = cert_der_from_pem(cert)
        key.unlink()
        _, _, made = ensure_self_signed(tmp_path)
        assert made and cert_der_from_pem(cert) != second
        assert stat.S_IMODE(key.stat().st_mode) == 0o600


class TestPubliclyTrusted:
    def test_a_ca_signed_chain_is_and_a_self_signed_one_is_not(self, tmp_path: Path) -> None:
        ca = TestCA.create(tmp_path / "ca")
        signed, _ = ca.issue("chat.example.test")
        assert publicly_trusted(signed, ca.bundle)
        own, _, _ = self_signed_pair(tmp_path, "own")
        assert not publicly_trusted(own, ca.bundle)
        other = TestCA.create(tmp_path / "other")
        assert not publicly_trusted(signed, other.bundle)

    def test_the_system_store_does_not_trust_a_test_ca(self, tmp_path: Path) -> None:
        ca = TestCA.create(tmp_path / "ca")
        signed, _ = ca.issue()
        assert not publicly_trusted(signed)
