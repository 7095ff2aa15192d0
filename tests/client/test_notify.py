"""Desktop notifications through a real D-Bus session and a real notification server
(dunst), started for the test; skipped only where neither can be started."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chinwag.client.notify import DesktopNotifications
from tests.support import TIMEOUT, wait_until


@pytest.fixture
def session_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private D-Bus session bus; its address is in DBUS_SESSION_BUS_ADDRESS."""
    if shutil.which("dbus-daemon") is None:
        pytest.skip("no dbus-daemon here (apt install dbus-daemon)")
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert bus.stdout is not None
    address = bus.stdout.readline().decode().strip()
    if not address:
        bus.kill()
        pytest.skip("dbus-daemon did not start")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    try:
        yield address
    finally:
        bus.terminate()
        bus.wait(TIMEOUT)


def has_owner(name: str) -> bool:
    answer = subprocess.run(
        ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
         "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", f"string:{name}"],
        capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )  # fmt: skip
    return "boolean true" in answer.stdout


@pytest.fixture
def notification_server(session_bus: str) -> Iterator[subprocess.Popen[bytes]]:
    """dunst on the session bus (and the test's X display)."""
    if shutil.which("dunst") is None or shutil.which("dbus-send") is None:
        pytest.skip("no notification server here (apt install dunst dbus-bin)")
    if not os.environ.get("DISPLAY"):
        pytest.skip("dunst needs an X display")
    dunst = subprocess.Popen(["dunst"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + TIMEOUT
        while not has_owner("org.freedesktop.Notifications"):
            if dunst.poll() is not None or time.monotonic() > deadline:
                pytest.skip("dunst did not start")
            time.sleep(0.05)
        yield dunst
    finally:
        dunst.terminate()
        dunst.wait(TIMEOUT)


def test_a_notification_reaches_the_desktop_over_dbus(
    notification_server: subprocess.Popen[bytes], session_bus: str
) -> None:
    monitor = subprocess.Popen(
        ["dbus-monitor", "--address", session_bus,
         "interface='org.freedesktop.Notifications',member='Notify'"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    notifier = DesktopNotifications()
    try:
        time.sleep(0.2)  # the monitor's match rule is in place
        notifier.notify("carol", "are you there?")
        assert notifier.last is not None
        assert notifier.last.result(TIMEOUT) is True
        wait_until(lambda: notifier.delivered == 1)
        shown = subprocess.run(["dunstctl", "count", "displayed"], capture_output=True,
                               text=True, timeout=TIMEOUT, check=True)  # fmt: skip
        assert int(shown.stdout) >= 1
    finally:
        notifier.close()
        monitor.terminate()
        out, _ = monitor.communicate(timeout=TIMEOUT)
    assert 'string "chinwag"' in out  # the application name
    assert 'string "carol"' in out and 'string "are you there?"' in out


def test_without_a_session_bus_it_stays_quiet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    notifier = DesktopNotifications()
    try:
        notifier.notify("carol", "nobody is listening")
        assert notifier.last is not None
        assert notifier.last.result(TIMEOUT) is False
        assert notifier.delivered == 0
    finally:
        notifier.close()
