"""chinwag: a chat server and desktop client for the local network, speaking IRC."""

__version__ = "0.1.0"
