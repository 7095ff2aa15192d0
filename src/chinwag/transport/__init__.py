"""Transports: short asyncio loops around the sans-I/O server core (TCP now; TLS and
WebSocket later, behind the same :class:`chinwag.server.state.Link` interface)."""
