"""Channel membership as the client sees it: who is in each channel, with what prefixes.

:class:`Membership` is mixed into :class:`chinwag.client.session.Session`. It follows
JOIN, PART, KICK, QUIT, NICK, MODE, TOPIC, NAMES, WHO (and WHOX for accounts),
away-notify and account-notify, and reports
:class:`~chinwag.client.events.MembersChanged` for each channel whose list changed
(collected in ``_dirty`` and sent by :meth:`Session.feed` once per line).

What this module does not do: sockets, or deciding how anything is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from chinwag.client import events as ev
from chinwag.proto import numerics as n
from chinwag.proto.message import Message


@dataclass
class Channel:
    """One joined channel: its topic and members."""

    name: str
    topic: str = ""
    # folded nick -> (display nick, prefix symbols)
    members: dict[str, tuple[str, str]] = field(default_factory=dict)
    names_pending: dict[str, tuple[str, str]] | None = None


class Membership:
    """The channel-membership half of a session (see the module docstring)."""

    nick: str
    caps: set[str]
    isupport: dict[str, str]
    fold: Callable[[str], str]
    prefix_modes: str
    prefix_symbols: str
    chanmodes: tuple[str, str, str, str]
    channels: dict[str, Channel]
    accounts: dict[str, str]
    away_nicks: set[str]
    _now: float
    _dirty: set[str]
    _who_pending: set[str]
    _send: Callable[..., None]
    _emit: Callable[[ev.Event], None]
    is_channel: Callable[[str], bool]
    is_me: Callable[[str | None], bool]
    _history_after_join: Callable[[str], None]

    def members(self, channel: str) -> tuple[ev.Member, ...]:
        ch = self.channels.get(self.fold(channel))
        if ch is None:
            return ()
        return self._snapshot(ch)

    def _snapshot(self, ch: Channel) -> tuple[ev.Member, ...]:
        return tuple(
            ev.Member(nick, prefixes, key in self.away_nicks, self.accounts.get(key, ""))
            for key, (nick, prefixes) in ch.members.items()
        )

    def _sort_prefixes(self, prefixes: str) -> str:
        return "".join(sorted(set(prefixes), key=self.prefix_symbols.index))

    def _split_prefixes(self, name: str) -> tuple[str, str]:
        i = 0
        while i < len(name) and name[i] in self.prefix_symbols:
            i += 1
        nick = name[i:].split("!", 1)[0]
        return nick, self._sort_prefixes(name[:i])

    def _mark_nick(self, key: str) -> None:
        for ckey, ch in self.channels.items():
            if key in ch.members:
                self._dirty.add(ckey)

    def _on_account(self, msg: Message) -> None:
        """account-notify: someone logged in (or out, ``*``)."""
        nkey = self.fold(msg.nick or "")
        account = msg.param(0)
        if account in ("*", ""):
            self.accounts.pop(nkey, None)
        else:
            self.accounts[nkey] = account
        self._mark_nick(nkey)

    def _on_join(self, msg: Message) -> None:
        channel = msg.param(0)
        nick = msg.nick or ""
        key = self.fold(channel)
        account = msg.param(1) if "extended-join" in self.caps else ""
        realname = msg.param(2) if "extended-join" in self.caps else ""
        if self.is_me(nick):
            self.channels[key] = Channel(channel)
            if "WHOX" in self.isupport:  # with accounts: who is logged in
                self._send("WHO", channel, "%tcnfa,1")
            else:
                self._send("WHO", channel)
            self._who_pending.add(key)
            self._emit(ev.Joined(channel, nick, True, time=self._now))
            self._history_after_join(channel)
            return
        ch = self.channels.get(key)
        if ch is None:
            return
        ch.members[self.fold(nick)] = (nick, "")
        if account and account != "*":
            self.accounts[self.fold(nick)] = account
        self._dirty.add(key)
        self._emit(
            ev.Joined(
                ch.name,
                nick,
                False,
                account=account if account != "*" else "",
                realname=realname,
                time=self._now,
            )
        )

    def _on_part(self, msg: Message) -> None:
        key = self.fold(msg.param(0))
        ch = self.channels.get(key)
        if ch is None:
            return
        nick = msg.nick or ""
        reason = msg.param(1)
        if self.is_me(nick):
            del self.channels[key]
            self._emit(ev.Parted(ch.name, nick, True, reason, time=self._now))
            return
        ch.members.pop(self.fold(nick), None)
        self._dirty.add(key)
        self._emit(ev.Parted(ch.name, nick, False, reason, time=self._now))

    def _on_kick(self, msg: Message) -> None:
        key = self.fold(msg.param(0))
        ch = self.channels.get(key)
        if ch is None:
            return
        nick = msg.param(1)
        is_me = self.is_me(nick)
        if is_me:
            del self.channels[key]
        else:
            ch.members.pop(self.fold(nick), None)
            self._dirty.add(key)
        self._emit(ev.Kicked(ch.name, nick, msg.nick or "", is_me, msg.param(2), time=self._now))

    def _on_quit(self, msg: Message) -> None:
        nick = msg.nick or ""
        nkey = self.fold(nick)
        shared = []
        for key, ch in self.channels.items():
            if ch.members.pop(nkey, None) is not None:
                shared.append(ch.name)
                self._dirty.add(key)
        self.away_nicks.discard(nkey)
        self._emit(ev.Quit(nick, msg.param(0), tuple(shared), time=self._now))

    def _on_nick(self, msg: Message) -> None:
        old, new = msg.nick or "", msg.param(0)
        okey, nkey = self.fold(old), self.fold(new)
        is_me = self.is_me(old)
        if is_me:
            self.nick = new
        shared = []
        for key, ch in self.channels.items():
            entry = ch.members.pop(okey, None)
            if entry is not None:
                ch.members[nkey] = (new, entry[1])
                shared.append(ch.name)
                self._dirty.add(key)
        if okey in self.away_nicks:
            self.away_nicks.discard(okey)
            self.away_nicks.add(nkey)
        self._emit(ev.NickChanged(old, new, is_me, tuple(shared), time=self._now))

    def _on_mode(self, msg: Message) -> None:
        target = msg.param(0)
        if not self.is_channel(target):
            return
        key = self.fold(target)
        ch = self.channels.get(key)
        if ch is None or len(msg.params) < 2:
            return
        args = list(msg.params[2:])
        adding = True
        always_arg = self.chanmodes[0] + self.chanmodes[1]
        for letter in msg.params[1]:
            if letter in "+-":
                adding = letter == "+"
                continue
            if letter in self.prefix_modes:
                if not args:
                    break
                nick = args.pop(0)
                nkey = self.fold(nick)
                if nkey in ch.members:
                    shown, prefixes = ch.members[nkey]
                    symbol = self.prefix_symbols[self.prefix_modes.index(letter)]
                    if adding:
                        prefixes = self._sort_prefixes(prefixes + symbol)
                    else:
                        prefixes = prefixes.replace(symbol, "")
                    ch.members[nkey] = (shown, prefixes)
                    self._dirty.add(key)
            elif (letter in always_arg or (adding and letter in self.chanmodes[2])) and args:
                args.pop(0)
        by = msg.nick or msg.source or ""
        self._emit(
            ev.ServerText(
                f"{by} sets mode {' '.join(msg.params[1:])}", conversation=ch.name, time=self._now
            )
        )

    def _on_topic(self, msg: Message) -> None:
        ch = self.channels.get(self.fold(msg.param(0)))
        if ch is None:
            return
        ch.topic = msg.param(1)
        self._emit(ev.TopicChanged(ch.name, ch.topic, by=msg.nick or "", time=self._now))

    def _on_rpl_topic(self, msg: Message) -> None:
        ch = self.channels.get(self.fold(msg.param(1)))
        if ch is None:
            return
        ch.topic = msg.param(2) if msg.command == n.RPL_TOPIC else ""
        self._emit(ev.TopicChanged(ch.name, ch.topic, initial=True, time=self._now))

    def _on_names(self, msg: Message) -> None:
        ch = self.channels.get(self.fold(msg.param(2)))
        if ch is None:
            return
        if ch.names_pending is None:
            ch.names_pending = {}
        for item in msg.params[-1].split():
            nick, prefixes = self._split_prefixes(item)
            if nick:
                ch.names_pending[self.fold(nick)] = (nick, prefixes)

    def _on_end_of_names(self, msg: Message) -> None:
        key = self.fold(msg.param(1))
        ch = self.channels.get(key)
        if ch is None:
            return
        if ch.names_pending is not None:
            ch.members = ch.names_pending
            ch.names_pending = None
        self._dirty.add(key)

    def _on_whox_reply(self, msg: Message) -> None:
        # <me> 1 <channel> <nick> <flags> <account>  (our WHO %tcnfa,1)
        if msg.param(1) != "1" or len(msg.params) < 6:
            return
        nkey = self.fold(msg.param(3))
        if msg.param(5) not in ("0", ""):
            self.accounts[nkey] = msg.param(5)
        self._who_member(msg.param(2), msg.param(3), msg.param(4))

    def _on_who_reply(self, msg: Message) -> None:
        if len(msg.params) < 7:
            return
        self._who_member(msg.param(1), msg.param(5), msg.param(6))

    def _who_member(self, channel: str, nick: str, flags: str) -> None:
        nkey = self.fold(nick)
        if flags.startswith("G"):
            self.away_nicks.add(nkey)
        elif flags.startswith("H"):
            self.away_nicks.discard(nkey)
        ch = self.channels.get(self.fold(channel))
        if ch is not None and nkey in ch.members:
            prefixes = self._sort_prefixes("".join(c for c in flags if c in self.prefix_symbols))
            ch.members[nkey] = (ch.members[nkey][0], prefixes)

    def _on_end_of_who(self, msg: Message) -> None:
        key = self.fold(msg.param(1))
        if key in self._who_pending:
            self._who_pending.discard(key)
            if key in self.channels:
                self._dirty.add(key)
            return
        self._dirty.update(self.channels)

    def _on_away(self, msg: Message) -> None:
        nick = msg.nick or ""
        nkey = self.fold(nick)
        if msg.params and msg.param(0):
            self.away_nicks.add(nkey)
        else:
            self.away_nicks.discard(nkey)
        self._mark_nick(nkey)

    def _on_rpl_away(self, msg: Message) -> None:
        nick = msg.param(1)
        nkey = self.fold(nick)
        if nkey not in self.away_nicks:
            self.away_nicks.add(nkey)
            self._mark_nick(nkey)
        self._emit(
            ev.ServerText(f"{nick} is away: {msg.param(2)}", conversation=nick, time=self._now)
        )

    def _on_own_away(self, msg: Message) -> None:
        away = msg.command == n.RPL_NOWAWAY
        me = self.fold(self.nick)
        if away:
            self.away_nicks.add(me)
        else:
            self.away_nicks.discard(me)
        self._mark_nick(me)
        self._emit(ev.AwayChanged(away, msg.params[-1] if msg.params else "", time=self._now))
