"""Who is uploading: HTTP Basic with an account's password, an IRC-issued token, or
nobody (when the config allows anonymous uploads).

``Authorization: Bearer <token>`` takes a token from ``FILETOKEN``; HTTP Basic takes an
account name and its password (checked by the accounts system through a
:data:`PasswordCheck`), or any user name with a token as the password, for tools that
only speak Basic (``curl -u nick:TOKEN``). Failures are 401 with a reason and a
``WWW-Authenticate`` challenge, and are logged with the address; a password never is.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from chinwag.auth.credentials import verify_password
from chinwag.storage.base import Account
from chinwag.web.app import CONTEXT

log = logging.getLogger("chinwag.web")

# (account name, password) -> the account's canonical name, or None. Blocking (argon2):
# called on a worker thread.
PasswordCheck = Callable[[str, str], "str | None"]
CHALLENGE = 'Basic realm="chinwag uploads", charset="UTF-8"'


def password_check_for(storage: Any) -> PasswordCheck | None:
    """The accounts' password check for a storage that keeps accounts (an
    :class:`~chinwag.storage.base.AccountStore`), else None: then HTTP Basic takes
    upload tokens only. A locked-out account never passes."""
    get_account = getattr(storage, "get_account", None)
    if get_account is None:
        return None

    def check(name: str, password: str) -> str | None:
        account: Account | None = get_account(name)
        if account is None or account.locked_until > time.time():
            return None
        if not verify_password(account.credentials.password_hash, password):
            return None
        return account.name

    return check


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
    check = ctx.password_check
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
    if check is None:
        raise refuse(request, "this server has no accounts: use a FILETOKEN token")
    throttle = ctx.throttle
    wait = throttle.wait(address, time.time())
    if wait > 0:
        log.warning("upload refused (429) from %s: too many wrong passwords", address)
        raise web.HTTPTooManyRequests(
            text=f"too many wrong passwords: try again in {wait:.0f} s\n",
            headers={"Retry-After": str(max(1, round(wait)))},
        )
    account = await asyncio.get_running_loop().run_in_executor(None, check, name, password)
    if account is None:
        throttle.failed(address, name, time.time())
        raise refuse(request, f"wrong account name or password (for {name!r})")
    throttle.succeeded(address, account)
    return Uploader(account, account, address)
