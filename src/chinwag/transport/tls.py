"""The server's TLS: one :class:`ssl.SSLContext` for every TLS listener, its reload,
and :class:`TLSProtocol`, an IRC connection over TLS (its transport, OpenSSL on the
socket itself, is :class:`chinwag.transport.tlssock.TLSTransport`).

:class:`ServerTLS` picks the certificate (``--tls-cert``/``--tls-key``, or the
self-signed pair :func:`chinwag.certs.ensure_self_signed` keeps under
``<data dir>/tls``), builds the context with Python's modern server defaults
(``ssl.create_default_context(Purpose.CLIENT_AUTH)``, TLS 1.2 at least) and says whether
the certificate is publicly trusted (which decides IRCv3 ``sts``). :meth:`ServerTLS.reload`
loads the files again into the same context: handshakes from then on use the new
certificate, connections already up keep theirs (SIGHUP calls it).

IRC listeners use :attr:`ServerTLS.irc_context`, which asks clients for a certificate and
accepts any (see :mod:`chinwag.transport.certfp`): its SHA-256 becomes
``User.tls_fingerprint``, for SASL EXTERNAL. HTTPS uses :attr:`ServerTLS.context`, which
asks for none (browsers would offer their certificates).
"""

from __future__ import annotations

import asyncio
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from chinwag.certs import (
    TLS_SUBDIR,
    cert_der_from_pem,
    ensure_self_signed,
    fingerprint_display,
    fingerprint_hex,
    publicly_trusted,
)
from chinwag.errors import LocalError
from chinwag.server.config import ServerConfig
from chinwag.transport.certfp import request_client_certificates
from chinwag.transport.tcp import IRCProtocol


@dataclass(frozen=True, slots=True)
class CertInfo:
    """What is known about the certificate being served."""

    cert_path: Path
    key_path: Path | None
    fingerprint: str  # fingerprint_hex: 64 lowercase hex digits
    generated: bool  # ours (self-signed, in the data dir), not the operator's
    public: bool  # the chain verifies against the trust store: sts may be advertised

    @property
    def fingerprint_display(self) -> str:
        return fingerprint_display(self.fingerprint)


def new_server_context() -> ssl.SSLContext:
    """Modern server defaults, TLS 1.2 minimum, no renegotiation (a TLS 1.2 client asking
    for one is refused: it costs the server a handshake and buys nothing), no client
    certificates requested."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.options |= ssl.OP_NO_RENEGOTIATION
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class ServerTLS:
    """The certificate and the one SSLContext shared by every TLS listener.

    Raises LocalError when the certificate cannot be made or loaded. Logs nothing
    itself: the caller announces :attr:`info`.
    """

    def __init__(self, config: ServerConfig, lan_addresses: tuple[str, ...] = ()) -> None:
        self.config = config
        self.lan_addresses = lan_addresses
        self.context = new_server_context()
        self.irc_context = new_server_context()  # the same certificate; asks for the client's
        self.client_certificates = request_client_certificates(self.irc_context)
        self.made = False  # the last load generated a new self-signed certificate
        # A server with no data dir keeps nothing: its certificate lives as long as it does.
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self.info = self._load(self.context, self.irc_context)

    def _paths(self) -> tuple[Path, Path | None, bool]:
        cfg = self.config
        if cfg.tls_cert is not None:
            return cfg.tls_cert, cfg.tls_key, False
        if cfg.data_dir is not None:
            directory = cfg.data_dir / TLS_SUBDIR
        else:
            if self._scratch is None:
                self._scratch = tempfile.TemporaryDirectory(prefix="chinwag-tls-")
            directory = Path(self._scratch.name)
        cert, key, self.made = ensure_self_signed(directory, lan_addresses=self.lan_addresses)
        return cert, key, True

    def _load(self, *contexts: ssl.SSLContext) -> CertInfo:
        cert, key, generated = self._paths()
        try:
            for context in contexts:
                context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as exc:
            what = f"{cert}" + (f" with key {key}" if key else "")
            raise LocalError(f"cannot load TLS certificate {what}: {exc}") from None
        der = cert_der_from_pem(cert)
        public = publicly_trusted(cert, self.config.tls_trust_store)
        return CertInfo(cert, key, fingerprint_hex(der), generated, public)

    def reload(self) -> CertInfo:
        """Read the certificate files again; new handshakes use them, open connections
        keep theirs. On failure the old certificate stays in use and LocalError says why."""
        # Try a scratch context first: a half-loaded live one (new certificate, old key)
        # would fail every handshake.
        self._load(new_server_context())
        self.info = self._load(self.context, self.irc_context)
        return self.info


class TLSProtocol(IRCProtocol):
    """One TLS connection: the plain protocol over a :class:`TLSTransport`, whose user is
    connected (after the handshake) as secure, with the fingerprint of the certificate
    the client presented, if any (for SASL EXTERNAL)."""

    __slots__ = ()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        tls = transport.get_extra_info("ssl_object")
        der = tls.getpeercert(binary_form=True) if tls is not None else None
        self._connect(transport, secure=True, certfp=fingerprint_hex(der) if der else None)
