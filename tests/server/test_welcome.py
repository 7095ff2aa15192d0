"""The welcome burst: the lines serialized once per server must be the lines that
formatting each reply afresh gives (which is what server-time clients get)."""

from __future__ import annotations

import re

from chinwag.proto import numerics as N
from chinwag.proto.limits import LINE_BYTES
from tests.server.harness import Harness

REGISTER = ("NICK alice", "USER alice 0 * :Alice")
TIME_TAG = re.compile(rb"^@time=[^ ]+ ")


def burst(h: Harness, caps: tuple[str, ...] = ()) -> list[bytes]:
    """The lines a new client gets from registering, CAP replies left out, tags removed."""
    h.server.created = 1_700_000_000.0  # the same 003 line in every harness
    user = h.open()
    if caps:
        h.send(user, "CAP LS 302", "CAP REQ :" + " ".join(caps))
    h.send(user, *REGISTER, *(["CAP END"] if caps else []))
    assert user.registered
    lines = [line for line in h.raw(user).split(b"\r\n") if line]
    lines = [TIME_TAG.sub(b"", line) for line in lines]
    return [line for line in lines if b" CAP " not in line]


class TestCachedBurst:
    def test_same_lines_as_formatting_each_reply(self) -> None:
        plain = burst(Harness())
        timed = burst(Harness(), ("server-time",))
        assert plain == timed
        codes = [line.split(b" ")[1] for line in plain]
        for code in (N.RPL_WELCOME, N.RPL_MYINFO, N.RPL_ISUPPORT, N.RPL_LUSERME, N.RPL_ENDOFMOTD):
            assert code.encode() in codes

    def test_labeled_registration_gets_the_same_lines(self) -> None:
        h = Harness()
        h.server.created = 1_700_000_000.0
        user = h.open()
        h.send(user, "CAP REQ :labeled-response batch", "NICK alice", "USER alice 0 * :A")
        h.send(user, "@label=x CAP END")
        raw = h.raw(user)
        assert b"@label=x " in raw and b" 376 alice " in raw
        inner = [TIME_TAG.sub(b"", re.sub(rb"^@[^ ]+ ", b"", line)) for line in raw.split(b"\r\n")]
        assert [line for line in burst(Harness()) if line not in inner] == []

    def test_long_motd_line_is_trimmed_to_fit(self) -> None:
        motd = "x" * 600
        plain = burst(Harness(motd=motd))
        timed = burst(Harness(motd=motd), ("server-time",))
        assert plain == timed
        motd_lines = [line for line in plain if line.split(b" ")[1] == N.RPL_MOTD.encode()]
        assert motd_lines and all(len(line) + 2 <= LINE_BYTES for line in motd_lines)

    def test_empty_motd_says_so(self) -> None:
        codes = [line.split(b" ")[1] for line in burst(Harness(motd=""))]
        assert N.ERR_NOMOTD.encode() in codes and N.RPL_MOTDSTART.encode() not in codes

    def test_connection_tokens_follow_the_servers_in_one_list(self) -> None:
        h = Harness()
        extra = [f"X{i}=1" for i in range(20)]
        h.server.isupport_for = lambda user: extra
        lines = [line for line in burst(h) if line.split(b" ")[1] == N.RPL_ISUPPORT.encode()]
        tokens = [t.decode() for line in lines for t in line.split(b" :")[0].split(b" ")[3:]]
        assert tokens == h.server.isupport + extra
        assert [len(line.split(b" :")[0].split(b" ")[3:]) for line in lines][:-1] == [13] * (
            len(lines) - 1
        )
