"""Fixtures for the client-core tests: an ngircd server and a factory of clients."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from chinwag.client import events as ev
from chinwag.client.connection import Client
from tests.client.ngircd import Ngircd
from tests.support import TIMEOUT

E = TypeVar("E", bound=ev.Event)


class Watched:
    """A started Client plus every event it has produced so far."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.seen: list[ev.Event] = []

    def wait(
        self, kind: type[E], pred: Callable[[E], bool] = lambda e: True, timeout: float = TIMEOUT
    ) -> E:
        """The first event (seen or coming) of ``kind`` matching ``pred``; fail on timeout."""
        for e in self.seen:
            if isinstance(e, kind) and pred(e):
                self.seen.remove(e)
                return e
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {kind.__name__} in time; saw {self.seen[-20:]}")
            try:
                e = self.client.events.get(timeout=remaining)
            except queue.Empty:
                continue
            if isinstance(e, kind) and pred(e):
                return e
            self.seen.append(e)

    def members(self, channel: str, pred: Callable[[tuple[ev.Member, ...]], bool]) -> None:
        self.wait(ev.MembersChanged, lambda e: e.channel.lower() == channel and pred(e.members))


@pytest.fixture
def ngircd(tmp_path: Path) -> Iterator[Ngircd]:
    server = Ngircd(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def make_client() -> Iterator[Callable[..., Watched]]:
    made: list[Client] = []

    def make(port: int, nick: str, host: str = "127.0.0.1", **kwargs: Any) -> Watched:
        kwargs.setdefault("backoff_initial", 0.2)
        client = Client(host, port, nick, **kwargs)
        client.start()
        made.append(client)
        return Watched(client)

    yield make
    for client in made:
        client.close(TIMEOUT)


# A server with its web service (for the client's file tests), shared with tests/web.
from tests.web.conftest import make_web_server, web_cert, web_server  # noqa: E402, F401
