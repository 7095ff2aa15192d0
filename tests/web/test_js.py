"""The browser client's JavaScript, run with Node's test runner (Debian's ``nodejs``).

The shared parser vectors are YAML and Node reads no YAML, so this converts them to JSON
in a temporary directory and runs every ``tests/web/js/*.test.mjs`` file against them.
Node failing, or missing, fails this test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.proto.test_message import vectors_dir
from tests.support import TIMEOUT

JS_TESTS = Path(__file__).parent / "js"
VECTORS = ("msg-split", "msg-join", "userhost-split")


def test_javascript_suite_passes_in_node(tmp_path: Path) -> None:
    node = shutil.which("node") or shutil.which("nodejs")
    assert node, "node is not installed (scripts/test-deps installs Debian's nodejs)"
    for name in VECTORS:
        with (vectors_dir() / f"{name}.yaml").open(encoding="utf-8") as f:
            data = yaml.safe_load(f)
        (tmp_path / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")
    files = sorted(str(p) for p in JS_TESTS.glob("*.test.mjs"))
    assert files, "no JavaScript tests found"
    proc = subprocess.run(
        [node, "--test", *files],
        env={**os.environ, "CHINWAG_VECTORS_JSON": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=6 * TIMEOUT,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "# fail 0" in proc.stdout
