"""The server's TLS: one :class:`ssl.SSLContext` for every TLS listener, its reload,
and :class:`TLSProtocol`, the TLS connection itself.

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
import contextlib
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
from chinwag.server.core import Server
from chinwag.transport.certfp import request_client_certificates
from chinwag.transport.tcp import IRCProtocol

READ_CHUNK = 65536  # bytes of plain text taken from the TLS layer at a time


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
    """Modern server defaults, TLS 1.2 minimum, no client certificates requested."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
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
    """One TLS connection, with the TLS layer done here over memory BIOs on a plain
    transport, instead of by the event loop.

    Why not ``create_server(ssl=...)``: uvloop's SSL protocol keeps a 256 KiB read buffer
    per connection and asyncio's a 256 KiB bytearray, on top of OpenSSL's own ~16 KB;
    an idle IRC connection needs none of it. Here decrypted bytes go straight to the
    core, and what the core writes is encrypted into the transport.

    The user is connected to the core only once the handshake is done (as asyncio
    does); a handshake that does not finish within ``handshake_timeout`` is dropped.
    """

    __slots__ = ("_in", "_out", "_ssl", "_timer")

    def __init__(
        self, core: Server, live: set[IRCProtocol], context: ssl.SSLContext, timeout: float
    ) -> None:
        super().__init__(core, live)
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self._ssl: ssl.SSLObject | None = context.wrap_bio(self._in, self._out, server_side=True)
        self._timer: asyncio.TimerHandle | None = asyncio.get_running_loop().call_later(
            timeout, self._handshake_timed_out
        )

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._attach(transport)  # the user connects to the core after the handshake

    def _handshake_timed_out(self) -> None:
        self._timer = None
        if self.user is None and self.transport is not None:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        tls = self._ssl
        if tls is None:
            return
        self._in.write(data)
        try:
            if self.user is None and not self._handshake(tls):
                return
            while True:
                chunk = tls.read(READ_CHUNK)
                if not chunk:  # close_notify
                    self.close()
                    return
                user = self.user
                if user is None:
                    return
                self.core.receive(user, chunk)
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLError:
            self._flush()  # the alert, if any
            if self.transport is not None:
                self.transport.abort()
            return
        self._flush()

    def _handshake(self, tls: ssl.SSLObject) -> bool:
        """Advance the handshake; True once it is done and the user is connected."""
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            self._flush()
            return False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        assert self.transport is not None
        peer = self.transport.get_extra_info("peername") or ("?", 0)
        local = self.transport.get_extra_info("sockname") or ("", 0)
        der = tls.getpeercert(binary_form=True)
        self.user = self.core.connect(
            self,
            str(peer[0]),
            int(peer[1]),
            local_host=str(local[0]),
            secure=True,
            certfp=fingerprint_hex(der) if der else None,
        )
        self._flush()
        return self.user is not None

    def _flush(self) -> None:
        if self._out.pending and self.transport is not None and not self.transport.is_closing():
            self.transport.write(self._out.read())

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._ssl = None
        super().connection_lost(exc)

    # -- Link --------------------------------------------------------------------------

    def write(self, data: bytes) -> int:
        transport, tls = self.transport, self._ssl
        if tls is None or transport is None or transport.is_closing():
            return 0
        try:
            tls.write(data)
        except ssl.SSLError:
            transport.abort()
            return 0
        transport.write(self._out.read())
        return transport.get_write_buffer_size() + self._out.pending

    def close(self) -> None:
        tls = self._ssl
        if tls is not None and self.transport is not None and not self.transport.is_closing():
            with contextlib.suppress(ssl.SSLError):
                tls.unwrap()  # sends close_notify; we do not wait for the peer's
            self._flush()
        super().close()

    def buffered(self) -> int:
        return super().buffered() + self._out.pending
