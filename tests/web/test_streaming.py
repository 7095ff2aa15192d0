"""Must show 2: a 200 MiB upload streams to disk. The server (a real ``chinwag server``
process) grows by less than 32 MiB of resident memory while it takes the upload, and
chat keeps flowing meanwhile: messages sent during the upload all arrive, none late."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from blake3 import blake3

from chinwag.web.files import content_hash
from tests.support import TIMEOUT, LineClient, started_server_ports, wait_until
from tests.web.conftest import request

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024
UPLOAD = 200 * MIB
RSS_GROWTH_LIMIT = 32 * MIB
CHAT_LAG_LIMIT = 1.0  # seconds a line may take to cross while the upload runs


def rss(pid: int, field: str) -> int:
    """VmRSS (now) or VmHWM (peak) of a process, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} for {pid}")


def up(url: str, proc: subprocess.Popen[bytes]) -> bool:
    assert proc.poll() is None, "the server exited"
    try:
        return request(url)[0] == 200
    except OSError:
        return False


def body(digest: blake3) -> Iterator[bytes]:
    block = bytes(range(256)) * 4096  # 1 MiB, made once
    for i in range(UPLOAD // MIB):
        chunk = block[i % 256 :] + block[: i % 256]
        digest.update(chunk)
        yield chunk


def test_a_200_mib_upload_streams_and_chat_keeps_flowing(tmp_path: Path) -> None:
    conf = tmp_path / "chinwag.toml"
    conf.write_text(f"[files]\nanonymous = true\nmax_file_bytes = {UPLOAD + MIB}\n")
    log = tmp_path / "server.log"
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "chinwag.cli", "server", "--config", str(conf)),
                # Every port 0, read back from the log: no fixed port (the default HTTPS
                # 0.0.0.0:8443 may be held by a parallel run or a developer's server) and
                # none picked before the server binds it.
                *("--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--no-tls"),
                *("--https", "127.0.0.1:0"),
                *("--no-advertise", "--no-flood-limit", "--data-dir", str(tmp_path / "data")),
            ],
            cwd=ROOT,
            stderr=stderr,
        )
    try:
        ports = started_server_ports(proc, log, ("irc", "http"), 4 * TIMEOUT)
        irc, http = ports["irc"], ports["http"]
        wait_until(lambda: up(f"http://127.0.0.1:{http}/healthz", proc), 4 * TIMEOUT)
        alice, bob = LineClient("127.0.0.1", irc), LineClient("127.0.0.1", irc)
        alice.register("alice")
        bob.register("bob")
        bob.expect(lambda m: m.command == "366")
        # Warm up both paths once so start-up allocations are not counted as growth.
        assert request(f"http://127.0.0.1:{http}/upload", b"warm-up", method="POST")[0] == 201
        before = rss(proc.pid, "VmRSS")

        digest = content_hash()
        result: list[tuple[int, dict[str, str], bytes]] = []
        uploader = threading.Thread(
            target=lambda: result.append(
                request(
                    f"http://127.0.0.1:{http}/upload",
                    body(digest),
                    {"Content-Disposition": "attachment; filename=big.bin"},
                    "POST",
                )
            )
        )
        uploader.start()
        sent = 0
        lags: list[float] = []
        while uploader.is_alive() and sent < 2000:
            t0 = time.monotonic()
            alice.send(f"PRIVMSG bob :ping {sent}")
            got = bob.expect("PRIVMSG")
            lags.append(time.monotonic() - t0)
            assert got.params == ("bob", f"ping {sent}")
            sent += 1
            time.sleep(0.02)
        uploader.join(12 * TIMEOUT)
        peak = rss(proc.pid, "VmHWM")
        ((status, _, _),) = result
        assert status == 201
        stored = next((tmp_path / "data" / "files").glob(f"*/{digest.hexdigest()}"))
        assert stored.stat().st_size == UPLOAD
        assert sent >= 5, "the upload was too quick to show chat during it"
        assert max(lags) < CHAT_LAG_LIMIT, f"chat stalled for {max(lags):.2f} s"
        growth = peak - before
        lag_ms = max(lags) * 1000
        print(
            f"RSS before {before / MIB:.1f} MiB, peak {peak / MIB:.1f} MiB, "
            f"growth {growth / MIB:.1f} MiB; {sent} chat lines, max lag {lag_ms:.0f} ms"
        )
        assert growth < RSS_GROWTH_LIMIT, f"server grew by {growth / MIB:.1f} MiB"
        alice.close()
        bob.close()
    finally:
        proc.terminate()
        proc.wait(4 * TIMEOUT)
