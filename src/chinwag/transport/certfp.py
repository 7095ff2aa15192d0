"""Ask TLS clients for a certificate without judging it (CertFP, for SASL EXTERNAL).

IRC clients log in with SASL EXTERNAL by presenting a certificate that is usually
self-signed; the server only needs its SHA-256 fingerprint, which the account
registered (``CERTADD``, ``chinwag accounts certadd``). Python's ssl module can ask for a
client certificate only together with verifying it against CAs (a self-signed one would
fail the whole handshake), and it offers no verification callback. So this module
installs one with ``SSL_CTX_set_verify`` from the same OpenSSL the ssl module uses (via
ctypes): the server requests a certificate, accepts whatever comes (or none), and the
transport reads its fingerprint after the handshake.

Only on CPython, where an ``ssl.SSLContext`` starts with its ``SSL_CTX *`` right after
the object header; the pointer is checked (its verify mode must follow the context's)
before it is used. Anywhere this cannot be done, nothing changes: TLS works, EXTERNAL
does not, and :func:`request_client_certificates` says so by returning False.
"""

from __future__ import annotations

import ctypes
import logging
import platform
import ssl
import sys
from typing import Any

log = logging.getLogger("chinwag.server")

SSL_VERIFY_NONE = 0
SSL_VERIFY_PEER = 1

_VERIFY_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_void_p)


def _accept(preverify_ok: int, store: Any) -> int:
    return 1  # any certificate, or a chain that does not verify: the fingerprint decides


_accept_any = _VERIFY_CALLBACK(_accept)  # kept alive here for as long as OpenSSL holds it


def _libssl() -> Any:
    import _ssl

    lib = ctypes.CDLL(_ssl.__file__)  # dlsym also searches the libssl it links to
    lib.SSL_CTX_set_verify.argtypes = [ctypes.c_void_p, ctypes.c_int, _VERIFY_CALLBACK]
    lib.SSL_CTX_set_verify.restype = None
    lib.SSL_CTX_get_verify_mode.argtypes = [ctypes.c_void_p]
    lib.SSL_CTX_get_verify_mode.restype = ctypes.c_int
    return lib


def _ssl_ctx_pointer(context: ssl.SSLContext, lib: Any) -> int | None:
    """The context's ``SSL_CTX *``, if it can be found and checked."""
    if platform.python_implementation() != "CPython" or hasattr(sys, "gettotalrefcount"):
        return None  # another layout, or a debug build with a longer object header
    pointer = ctypes.c_void_p.from_address(id(context) + 2 * ctypes.sizeof(ctypes.c_void_p))
    value = pointer.value
    if not value:
        return None
    saved = context.verify_mode
    try:  # the pointer must see the mode the context sets, both ways
        context.verify_mode = ssl.CERT_OPTIONAL
        peer = lib.SSL_CTX_get_verify_mode(value) == SSL_VERIFY_PEER
        context.verify_mode = ssl.CERT_NONE
        none = lib.SSL_CTX_get_verify_mode(value) == SSL_VERIFY_NONE
    finally:
        context.verify_mode = saved
    return int(value) if peer and none else None


def request_client_certificates(context: ssl.SSLContext) -> bool:
    """Make a server ``context`` ask for (and accept any) client certificate."""
    try:
        lib = _libssl()
        pointer = _ssl_ctx_pointer(context, lib)
    except (OSError, AttributeError, ValueError):
        pointer = None
    if pointer is None:
        log.warning("TLS client certificates cannot be requested here: no SASL EXTERNAL")
        return False
    lib.SSL_CTX_set_verify(pointer, SSL_VERIFY_PEER, _accept_any)
    return True
