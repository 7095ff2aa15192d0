"""IRCv3 Strict Transport Security (the ``sts`` capability) for the client.

A server that can be reached over TLS with a certificate anyone can verify says so in
``CAP LS`` (``sts=port=6697`` over plain text, ``sts=duration=…`` over TLS):

* over plain text the client goes no further: it closes the connection and connects
  again with TLS on that port, with no plain-text fallback;
* over TLS the policy is remembered (:class:`StsStore`, ``sts_policies.json`` in the
  client's config directory) for ``duration`` seconds, renewed each time it is seen
  (``duration=0`` forgets it). While it holds, every connection to that host uses TLS
  on the policy's port, and a certificate that does not verify is a failure, not a
  question to the person (no trust on first use under a policy).

Like HTTP's HSTS, policies are kept for host names only, never for IP addresses.

What this module does not do: open connections (:mod:`chinwag.client.connection`).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from chinwag.client.settings import config_dir, read_json_object, write_json_atomically

STS_FILE = "sts_policies.json"


def parse_sts(value: str) -> dict[str, str]:
    """``port=6697,duration=300`` -> {"port": "6697", "duration": "300"}."""
    out: dict[str, str] = {}
    for item in value.split(","):
        key, _, val = item.partition("=")
        if key:
            out[key.strip().lower()] = val.strip()
    return out


def sts_port(value: str) -> int | None:
    """The ``port`` of an ``sts`` value, if it is a valid one."""
    port = parse_sts(value).get("port", "")
    return int(port) if port.isascii() and port.isdigit() and 0 < int(port) < 65536 else None


def sts_duration(value: str) -> int | None:
    """The ``duration`` (seconds) of an ``sts`` value, if it is a valid one."""
    duration = parse_sts(value).get("duration", "")
    return int(duration) if duration.isascii() and duration.isdigit() else None


def is_host_name(host: str) -> bool:
    """A name (policies are kept for these), not an IPv4 or IPv6 address."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return bool(host)
    return False


@dataclass(frozen=True, slots=True)
class StsPolicy:
    port: int
    expires: float  # the wall-clock time it lapses


class StsStore:
    """Host name -> policy, in a JSON file written atomically (like the pin store)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / STS_FILE

    def _load(self) -> dict[str, StsPolicy]:
        out: dict[str, StsPolicy] = {}
        for host, item in read_json_object(self.path).items():
            try:
                out[host] = StsPolicy(int(item["port"]), float(item["expires"]))
            except (KeyError, TypeError, ValueError):
                continue
        return out

    def _save(self, policies: dict[str, StsPolicy]) -> None:
        data = {h: {"port": p.port, "expires": p.expires} for h, p in policies.items()}
        write_json_atomically(self.path, data)

    def get(self, host: str, now: float) -> StsPolicy | None:
        """The policy in force for ``host`` at ``now``, if any."""
        policy = self._load().get(host.lower())
        return policy if policy is not None and policy.expires > now else None

    def remember(self, host: str, port: int, duration: int, now: float) -> None:
        """A policy seen over TLS on ``port``: keep it ``duration`` s (0: forget it)."""
        if not is_host_name(host):
            return
        policies = {h: p for h, p in self._load().items() if p.expires > now}
        if duration > 0:
            policies[host.lower()] = StsPolicy(port, now + duration)
        else:
            policies.pop(host.lower(), None)
        self._save(policies)
