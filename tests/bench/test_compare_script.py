"""scripts/bench-compare rewrites docs/benchmarks.md without losing what others wrote."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench-compare"


@pytest.fixture(scope="module")
def compare() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("bench_compare", str(SCRIPT))
    spec = importlib.util.spec_from_loader("bench_compare", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_compare"] = module
    loader.exec_module(module)
    return module


OLD = """\
# Benchmarks

old intro

## Latest results

old numbers

## Fan-out over WebSocket

someone else's table

## Profile and tuning

old notes

<!-- logins:begin -->
## Logins: SASL PLAIN and SCRAM-SHA-256

another section

## How it is measured

old method
"""


def test_generated_sections_are_replaced_and_the_others_kept(compare: ModuleType) -> None:
    generated = {
        "": "# Benchmarks\n\nnew intro",
        "Latest results": "## Latest results\n\nnew numbers",
        "Profile and tuning": "## Profile and tuning\n\nnew notes",
        "How it is measured": "## How it is measured\n\nnew method",
        "What the peers do that shapes these numbers": "## What the peers do that shapes "
        "these numbers\n\npeers",
    }
    page = compare.merge_page(OLD, generated)
    headings = [line for line in page.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Latest results",
        "## Fan-out over WebSocket",
        "## Profile and tuning",
        "## Logins: SASL PLAIN and SCRAM-SHA-256",
        "## How it is measured",
        "## What the peers do that shapes these numbers",
    ]
    assert "someone else's table" in page and "another section" in page
    assert "<!-- logins:begin -->\n## Logins" in page  # another script's marker stays
    for old in ("old intro", "old numbers", "old notes", "old method"):
        assert old not in page
    assert compare.merge_page(page, generated) == page  # stable when run again


def test_a_missing_page_is_written_whole(compare: ModuleType) -> None:
    generated = {"": "# Benchmarks", "Latest results": "## Latest results\n\nx"}
    assert compare.merge_page("", generated) == "# Benchmarks\n\n## Latest results\n\nx\n"


def test_a_new_generated_section_goes_after_the_one_before_it(compare: ModuleType) -> None:
    generated = {
        "": "# Benchmarks",
        "Latest results": "## Latest results\n\nnew",
        "Overrun": "## Overrun\n\nnew section",
        "How it is measured": "## How it is measured\n\nnew method",
    }
    page = compare.merge_page(OLD, generated)
    headings = [line[3:] for line in page.splitlines() if line.startswith("## ")]
    assert headings[:3] == ["Latest results", "Overrun", "Fan-out over WebSocket"]


def test_targets_per_repetition(compare: ModuleType) -> None:
    results = [
        {"_scenario": "fanout", "_rep": 0, "ok": True, "label": "chinwag", "deliveries_per_s": 3.0},
        {"_scenario": "fanout", "_rep": 0, "ok": True, "label": "ngircd", "deliveries_per_s": 1.0},
        {"_scenario": "fanout", "_rep": 1, "ok": True, "label": "chinwag", "deliveries_per_s": 1.0},
        {"_scenario": "fanout", "_rep": 1, "ok": True, "label": "ngircd", "deliveries_per_s": 1.0},
    ]
    summary = compare.summarise(results, ["chinwag", "ngircd"])
    text = compare.targets(summary, results, 15000)
    row = next(line for line in text.splitlines() if "fan-out deliveries/s" in line)
    assert "3.00, 1.00" in row
    assert "**not met**" in row


def test_results_of_separate_runs_make_one_report(tmp_path: Path) -> None:
    """--from-json reads several --json files: a soak run apart from the interleaved one."""
    fanout = [
        {"_scenario": "fanout", "_rep": 0, "ok": True, "label": s, "deliveries_per_s": v}
        for s, v in (("chinwag", 3000.0), ("ngircd", 2000.0))
    ]
    soak = {"_scenario": "soak", "_rep": 0, "ok": True, "label": "chinwag", "lost": 0}
    soak.update(seconds=600.0, rss_growth_pct=1.5, rss_peak_growth_pct=2.0)
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text("".join(json.dumps(r) + "\n" for r in fanout))
    second.write_text(json.dumps(soak) + "\n")
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--servers", "chinwag,ngircd", "--from-json",
         str(first), str(second)],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    row = next(line for line in out.splitlines() if line.startswith("| fan-out deliveries/s"))
    assert "1.50×" in row
    soak_row = next(line for line in out.splitlines() if line.startswith("| soak ("))
    assert "10.0 min" in soak_row and "**met**" in soak_row
