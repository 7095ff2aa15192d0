"""Files: FILETOKEN, the upload token for the web service's draft/FILEHOST endpoint.

The upload URL itself is in ISUPPORT (``draft/FILEHOST``); a client that cannot send the
account's password over HTTP (it logged in with SCRAM or a certificate, or has no
account) asks for a token here and sends it as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chinwag.proto.message import Message
from chinwag.server.commands.table import command
from chinwag.server.state import User

if TYPE_CHECKING:
    from chinwag.server.core import Server


def uploader_of(user: User) -> tuple[str, str | None]:
    """(who the upload counts as, the account): the account when logged in, else the nick."""
    account: str | None = getattr(user, "account", None)
    return (account or user.nick), account


# FILETOKEN
@command("FILETOKEN")
def handle_filetoken(server: Server, user: User, msg: Message) -> None:
    if server.isupport_for is None:
        server.fail(user, "FILETOKEN", "UNAVAILABLE", "File uploads are off on this server")
        return
    uploader, account = uploader_of(user)
    token, _ = server.upload_tokens.issue(uploader, account)
    server.send(user, "FILETOKEN", token, str(int(server.upload_tokens.ttl)))
