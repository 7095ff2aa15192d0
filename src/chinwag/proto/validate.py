"""Which nicknames and channel names the server accepts.

Nicknames follow the modern IRC rules, kept to ASCII so that every client can type and
display them and so that casemapping stays simple: letters, digits and ``[]\\`_^{|}-``;
not starting with a digit or ``-``. That leaves out everything that means something
else in IRC: space, ``,*?!@.`` (lists, masks, sources) and the ``#&:$`` prefixes.

Channel names start with one of the server's CHANTYPES and may hold anything but space,
comma, BEL, NUL, CR and LF. Lengths are counted in UTF-8 bytes, as the line limit is.

What this module does not do: casefold (see :mod:`chinwag.proto.casemap`) or check
whether a name is already taken.
"""

from __future__ import annotations

import re

from chinwag.proto.limits import Limits

_DEFAULTS = Limits()
NICK_SPECIALS = "[]\\`_^{|}"
_NICK = re.compile(r"[A-Za-z\[\]\\`_^{|}][A-Za-z0-9\[\]\\`_^{|}-]*\Z")
# Characters no channel name may contain (modern IRC client protocol, "Channels").
CHANNEL_FORBIDDEN = frozenset(" ,\x07\x00\r\n")


def is_valid_nick(nick: str, nicklen: int = _DEFAULTS.nicklen) -> bool:
    """True when ``nick`` is acceptable as a nickname of at most ``nicklen`` characters."""
    return 0 < len(nick) <= nicklen and _NICK.match(nick) is not None


def is_valid_channel(
    name: str, chantypes: str = "#", channellen: int = _DEFAULTS.channellen
) -> bool:
    """True when ``name`` is a channel name: a CHANTYPES prefix and at least one more
    character, at most ``channellen`` UTF-8 bytes, none of them forbidden."""
    if len(name) < 2 or name[0] not in chantypes:
        return False
    if not CHANNEL_FORBIDDEN.isdisjoint(name):
        return False
    return len(name.encode("utf-8", "surrogatepass")) <= channellen
