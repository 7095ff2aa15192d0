"""Accounts without I/O: credentials (argon2id + SCRAM), SASL mechanisms, login throttling.

Nothing here touches a socket, a thread or a file; the server core and the command line
use it, and storage keeps what it produces.
"""
