"""scripts/tls-memory measures the server's TLS state per connection, one option at a time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support import TIMEOUT

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "tls-memory"


def test_each_variant_gets_a_row_with_its_bytes_and_what_it_negotiated() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--count", "20", "--variants", "default,ssl-new,tls12"],
        capture_output=True,
        text=True,
        check=True,
        timeout=12 * TIMEOUT,
    )
    rows = {
        cells[0]: cells
        for line in done.stdout.splitlines()
        if line.startswith("| ") and not line.startswith("| variant")
        for cells in [[c.strip() for c in line.strip("|").split("|")]]
    }
    assert set(rows) == {"default", "ssl-new", "tls12"}
    default = int(rows["default"][1].replace(",", ""))
    fresh = int(rows["ssl-new"][1].replace(",", ""))
    assert 0 < fresh < default  # a handshake leaves more state than a new SSL object
    assert rows["default"][3].startswith("TLSv1.3")
    assert rows["tls12"][3].startswith("TLSv1.2")
    assert int(rows["tls12"][2].replace(",", "")) != 0
