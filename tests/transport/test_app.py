"""ServerApp: history is written off the event loop."""

from __future__ import annotations

import threading
from pathlib import Path

from chinwag.storage.base import Window
from chinwag.storage.sqlite import MemoryStorage
from chinwag.transport.runner import ServerRunner
from tests.conftest import make_test_config
from tests.support import TIMEOUT, LineClient


class StuckFlush(MemoryStorage):
    """Memory storage whose flush blocks until released (a slow disk)."""

    def __init__(self) -> None:
        super().__init__()
        self.started = threading.Event()
        self.release = threading.Event()
        self.flushes = 0

    def flush(self) -> int:
        if not self.queue:
            return 0
        self.flushes += 1
        self.started.set()
        self.release.wait(4 * TIMEOUT)
        return super().flush()


def test_a_slow_history_write_does_not_stall_the_server(tmp_path: Path) -> None:
    storage = StuckFlush()
    runner = ServerRunner(make_test_config(tmp_path), storage=storage)
    runner.start()
    try:
        alice = LineClient("127.0.0.1", runner.port)
        alice.register("alice")
        alice.send("PRIVMSG #lobby :to be stored")
        assert storage.started.wait(TIMEOUT)  # the writer thread is stuck in a flush
        # The disk is stuck, yet the server answers and relays at once.
        bob = LineClient("127.0.0.1", runner.port)
        bob.register("bob")
        # Bob's join replays the history that is being written right now.
        assert bob.expect("PRIVMSG").params[1].endswith("to be stored")
        alice.send("PRIVMSG #lobby :still flowing")
        assert bob.expect("PRIVMSG").params[1] == "still flowing"
        # One flush at a time: the writer waits for the stuck one.
        assert storage.flushes == 1
        # History stays readable while it is being written.
        texts = [m.text for m in storage.history(["#lobby"], Window(limit=10))]
        assert texts == ["to be stored", "still flowing"]
    finally:
        storage.release.set()
        runner.stop()
