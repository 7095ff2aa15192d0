"""The C allocator's settings for the server process (glibc only).

glibc gives freed memory at the top of its heap back to the kernel once more than its
trim threshold is free (128 KiB at first, growing with the largest block freed), and
serves blocks above its mmap threshold with mappings of their own. An upload's body
reaches the server as 64-256 KiB chunks that live until a worker thread has hashed and
written them, then go together: the heap shrinks by a MiB or two and the next chunks
fault their pages in again. Measured: ~70 page faults per MiB uploaded and ~15 % of the
server's CPU per MiB; with up to :data:`TRIM_BYTES` kept free and blocks up to
:data:`MMAP_BYTES` served from the heap, ~1 per MiB. The cost is memory the process
may keep after a burst: at most :data:`TRIM_BYTES` per heap.

What this module does not do: anything on another C library (musl, macOS, Windows),
or in processes other than ``chinwag server``.
"""

from __future__ import annotations

import ctypes
import os

MIB = 1024 * 1024
TRIM_BYTES = 4 * MIB  # free heap top kept, not given back (glibc's default: 128 KiB)
MMAP_BYTES = 4 * MIB  # blocks up to this come from the heap (default: 128 KiB, adaptive)
M_TRIM_THRESHOLD = -1  # mallopt parameters, from glibc's malloc.h
M_MMAP_THRESHOLD = -3


def is_glibc() -> bool:
    try:
        return (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (ValueError, OSError, AttributeError):
        return False


def tune() -> bool:
    """Set the trim and mmap thresholds; True when glibc took them."""
    if not is_glibc():
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_TRIM_THRESHOLD, TRIM_BYTES)) and bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_BYTES)
    )
