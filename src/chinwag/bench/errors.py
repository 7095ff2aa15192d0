"""The benchmark's error: what the server under test refused or broke.

It lives below :mod:`chinwag.bench.conn` and :mod:`chinwag.bench.sasl` so that both can
raise it and neither has to import the other for it.
"""

from __future__ import annotations

from chinwag.errors import RemoteError


class BenchRemoteError(RemoteError):
    """The server refused or broke something the benchmark needs (text is its reply)."""
