"""The sans-I/O core imports no I/O machinery.

Every module under ``chinwag.proto`` and ``chinwag.server`` (found with pkgutil, so a
new module is covered the moment it exists) plus ``chinwag.errors`` is imported in a
fresh interpreter, which then must not have asyncio, socket, sqlite3, tkinter,
selectors or ssl loaded. A failure names the import chain that pulled one in.
"""

from __future__ import annotations

import importlib.util
import json
import pkgutil
import subprocess
import sys

import pytest

from tests.support import TIMEOUT

CORE_PACKAGES = ("chinwag.proto", "chinwag.server")
FORBIDDEN = ("asyncio", "socket", "sqlite3", "tkinter", "selectors", "ssl")
# Always present; the other modules are found by walking the packages.
REQUIRED = (
    "chinwag.errors",
    "chinwag.proto",
    "chinwag.proto.casemap",
    "chinwag.proto.limits",
    "chinwag.proto.masks",
    "chinwag.proto.message",
    "chinwag.proto.numerics",
    "chinwag.proto.validate",
)

# Run in the child: import the named modules, report forbidden modules and, for each,
# the stack of the first import that asked for it.
CHILD = r"""
import importlib, json, sys, traceback

FORBIDDEN = set(json.loads(sys.argv[1]))
already = sorted(FORBIDDEN & set(sys.modules))
culprits = {}

class Spy:
    def find_spec(self, name, path=None, target=None):
        if name in FORBIDDEN and name not in culprits:
            frames = [f for f in traceback.extract_stack()[:-1] if "importlib" not in f.filename]
            culprits[name] = [f"{f.filename}:{f.lineno} {f.line}" for f in frames[-6:]]
        return None

sys.meta_path.insert(0, Spy())
for module in sys.argv[2:]:
    importlib.import_module(module)
loaded = sorted(FORBIDDEN & set(sys.modules))
print(json.dumps({"already": already, "loaded": loaded, "culprits": culprits}))
"""


def core_modules() -> list[str]:
    """Every module in the core packages that exist now (chinwag.server may not yet)."""
    names = ["chinwag.errors"]
    for package in CORE_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None:
            continue
        names.append(package)
        locations = spec.submodule_search_locations or []
        names.extend(info.name for info in pkgutil.walk_packages(locations, prefix=package + "."))
    return sorted(set(names))


def import_in_fresh_interpreter(*modules: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(FORBIDDEN), *modules],
        capture_output=True,
        text=True,
        timeout=6 * TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"importing {modules} failed:\n{result.stderr}"
    report: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def test_discovery_finds_the_protocol_modules() -> None:
    found = core_modules()
    assert set(REQUIRED) <= set(found), f"not found: {set(REQUIRED) - set(found)}"


@pytest.mark.parametrize("module", core_modules())
def test_core_module_imports_no_io(module: str) -> None:
    report = import_in_fresh_interpreter(module)
    # The bare interpreter must start clean, or this test proves nothing.
    assert report["already"] == [], f"interpreter starts with {report['already']}"
    assert report["loaded"] == [], (
        f"{module} pulls in {report['loaded']}; import chains: "
        + json.dumps(report["culprits"], indent=1)
    )


def test_whole_core_together_imports_no_io() -> None:
    report = import_in_fresh_interpreter(*core_modules())
    assert report["loaded"] == [], json.dumps(report["culprits"], indent=1)


def test_the_check_itself_notices_io() -> None:
    # Guard against a child script that can never report anything.
    report = import_in_fresh_interpreter("chinwag.errors", "asyncio")
    assert "asyncio" in report["loaded"]  # type: ignore[operator]
    assert "socket" in report["loaded"]  # type: ignore[operator]
    assert report["culprits"]
