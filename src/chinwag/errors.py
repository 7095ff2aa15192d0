"""The one error root of chinwag.

Every exception chinwag raises on purpose derives from :class:`ChinwagError`, split
by whose fault it is:

* :class:`RemoteError`: the peer sent something we cannot accept (bad bytes, a line
  that does not parse). Only this kind may come out of parsing.
* :class:`LocalError`: we misused our own API, or the local set-up is wrong (a bad
  config file, a port in use).

Exception text is for logs and for the local user; it is never sent to a peer.
"""


class ChinwagError(Exception):
    """Root of every error chinwag raises on purpose."""


class RemoteError(ChinwagError):
    """The peer did something wrong."""


class ProtocolError(RemoteError):
    """A line from the peer is not a valid IRC message."""


class LocalError(ChinwagError):
    """We (or our configuration) did something wrong."""


class ConfigError(LocalError):
    """The configuration is invalid: a one-line message for the operator."""
