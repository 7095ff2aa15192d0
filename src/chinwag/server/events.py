"""Server events: what happened, for logs and for the admin window (not scraped from logs)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServerEvent:
    # listen connect register join part quit nick kick kill ban message notice error stop topic
    # mode
    kind: str
    text: str
    time: float
    nick: str | None = None
    channel: str | None = None
    address: str | None = None
