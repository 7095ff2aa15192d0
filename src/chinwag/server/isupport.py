"""The ISUPPORT (005) tokens: what the server tells clients about its limits and features.

Every number here comes from the config's limits, so what is advertised is what is
enforced.
"""

from __future__ import annotations

from chinwag.proto.limits import HOSTLEN
from chinwag.server.config import ServerConfig


def isupport_tokens(config: ServerConfig) -> list[str]:
    """The RPL_ISUPPORT (005) tokens for ``config``, sorted by name."""
    lim = config.limits
    return [
        f"AWAYLEN={lim.awaylen}",
        "BOT=B",
        f"CASEMAPPING={config.casemapping}",
        f"CHANLIMIT=#:{lim.chanlimit}",
        "CHANMODES=b,k,l,imnpst",
        f"CHANNELLEN={lim.channellen}",
        f"CHATHISTORY={lim.chathistory}",
        "CHANTYPES=#",
        "ELIST=U",
        f"HOSTLEN={HOSTLEN}",
        f"KICKLEN={lim.kicklen}",
        f"MAXLIST=b:{lim.maxbans}",
        f"MAXTARGETS={lim.max_targets}",
        f"MODES={lim.modes}",
        f"MONITOR={lim.monitor}",
        "MSGREFTYPES=timestamp,msgid",
        f"NETWORK={config.network}",
        f"NICKLEN={lim.nicklen}",
        "PREFIX=(ov)@+",
        "STATUSMSG=@+",
        f"TARGMAX=PRIVMSG:{lim.max_targets},NOTICE:{lim.max_targets},TAGMSG:{lim.max_targets},"
        f"JOIN:{lim.max_targets},PART:{lim.max_targets},KICK:1,WHOIS:1,NAMES:1,"
        f"MONITOR:{lim.monitor},ISON:,USERHOST:5",
        f"TOPICLEN={lim.topiclen}",
        f"USERLEN={lim.userlen}",
        "UTF8ONLY",
        "WHOX",
    ]
