"""The web service: HTTP and HTTPS in the chat server's own event loop (aiohttp)."""
