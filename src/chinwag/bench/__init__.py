"""``chinwag bench``: a load generator for IRC servers on the loopback interface.

It drives any RFC 1459 / modern-IRC server (chinwag, ngircd, inspircd, miniircd, ...)
with many raw connections from one asyncio process and prints one JSON line per run.
It is built to cost far less CPU than the server it measures: raw ``asyncio.Protocol``
objects (no streams), uvloop when importable, and byte scanning instead of parsing
wherever the scenario allows.

What it deliberately does not do: talk to anything but loopback addresses, use the
chinwag protocol package (it must not share bugs with the server it measures), or make
speed assertions of its own (``scripts/bench-compare`` compares servers side by side).
"""
