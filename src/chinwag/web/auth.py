"""Who is uploading: HTTP Basic with an account's password, an IRC-issued token, or
nobody (when the config allows anonymous uploads).

``Authorization: Bearer <token>`` takes a token from ``FILETOKEN``; HTTP Basic takes an
account name and its password (checked as SASL checks it, through the server's
:class:`~chinwag.server.accounts.AccountService`: the same throttle and lock-outs), or
any user name with a token as the password, for tools that only speak Basic
(``curl -u nick:TOKEN``). Failures are 401 with a reason and a ``WWW-Authenticate``
challenge, too many of them 429 with ``Retry-After``; each is logged with the address, a
password never.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import math
import time
from dataclasses import dataclass

from aiohttp import web

from chinwag.auth.credentials import verify_password
from chinwag.web.app import CONTEXT

log = logging.getLogger("chinwag.web")

CHALLENGE = 'Basic realm="chinwag uploads", charset="UTF-8"'


@dataclass(frozen=True, slots=True)
class Uploader:
    """``name`` is what quotas count and the file list shows."""

    name: str
    account: str | None
    address: str


def refuse(request: web.Request, why: str) -> web.HTTPUnauthorized:
    log.warning("upload refused (401) from %s: %s", request.remote, why)
    return web.HTTPUnauthorized(
        text=f"{why}\n", headers={"WWW-Authenticate": CHALLENGE}, content_type="text/plain"
    )


def _basic(header: str) -> tuple[str, str] | None:
    try:
        raw = base64.b64decode(header, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    name, sep, password = raw.partition(":")
    return (name, password) if sep else None


async def authenticate(request: web.Request) -> Uploader:
    """The uploader of ``request``; raises HTTPUnauthorized (401) with the reason."""
    ctx = request.app[CONTEXT]
    address = request.remote or "?"
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    tokens = ctx.core.upload_tokens
    if not scheme:
        if ctx.config.web.files.anonymous:
            return Uploader(f"~{address}", None, address)
        raise refuse(
            request,
            "log in: HTTP Basic with your account and password, or a FILETOKEN token",
        )
    if scheme.lower() == "bearer":
        grant = tokens.check(value.strip())
        if grant is None:
            raise refuse(request, "that upload token is unknown or has expired (ask FILETOKEN)")
        return Uploader(grant.uploader, grant.account, address)
    if scheme.lower() != "basic" or (pair := _basic(value.strip())) is None:
        raise refuse(request, "unsupported Authorization header (use Basic or Bearer)")
    name, password = pair
    grant = tokens.check(password)
    if grant is not None:
        return Uploader(grant.uploader, grant.account, address)
    if ctx.core.storage is None:
        raise refuse(request, "this server has no accounts: use a FILETOKEN token")
    return await log_in(request, address, name, password)


async def log_in(request: web.Request, address: str, name: str, password: str) -> Uploader:
    """Check an account's password as SASL does, through the server's own throttle:
    failures here and over IRC count together, per address and per account (a lock-out
    is kept with the account). Too soon after a failure, while another check from the
    same address runs, or while the account is locked: 429 with Retry-After."""
    accounts = request.app[CONTEXT].core.accounts
    account = accounts.lookup(name)
    wait = accounts.attempt_wait(address, account)
    if wait > 0:
        locked = account is not None and account.locked_until > time.time()
        why = "the account is locked after repeated failures" if locked else "too many attempts"
        log.warning("upload refused (429) from %s: %s (for %r)", address, why, name)
        raise web.HTTPTooManyRequests(
            text=f"{why}: try again in {math.ceil(wait)} s\n",
            headers={"Retry-After": str(math.ceil(wait))},
            content_type="text/plain",
        )
    if account is None:
        accounts.failed_from(address, address, None, "no such account, over HTTP")
        raise refuse(request, f"wrong account name or password (for {name!r})")
    accounts.in_flight.add(address)
    try:
        stored = account.credentials.password_hash
        loop = asyncio.get_running_loop()
        ok = await loop.run_in_executor(None, verify_password, stored, password)
        if ok:
            accounts.succeeded_from(address, account.name)
        else:
            accounts.failed_from(address, address, account.name, "wrong password, over HTTP")
    finally:
        accounts.release(address)  # after the failure counts: the next attempt waits
    if not ok:
        raise refuse(request, f"wrong account name or password (for {name!r})")
    return Uploader(account.name, account.name, address)
