"""The sans-I/O core imports no I/O machinery.

Every module under ``chinwag.proto`` and ``chinwag.server`` (found with pkgutil, so a
new module is covered the moment it exists) plus ``chinwag.errors`` is imported in a
fresh interpreter, which then must not have asyncio, socket, sqlite3, tkinter,
selectors or ssl loaded. A failure names the import chain that pulled one in.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import TIMEOUT

CORE_PACKAGES = ("chinwag.proto", "chinwag.server", "chinwag.auth")
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


# -- no import cycles in chinwag.server -------------------------------------------------
#
# The arrows point one way: state, fan-out and the outgoing messages sit below the core,
# the command families below nothing but state (``Server`` is only a type for them), and
# only ``chinwag.server.build`` knows both the core and the commands.

LOADED = r"""
import importlib, json, sys
for module in sys.argv[1:]:
    importlib.import_module(module)
print(json.dumps(sorted(m for m in sys.modules if m.startswith("chinwag"))))
"""


def loaded_by(*modules: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", LOADED, *modules],
        capture_output=True,
        text=True,
        timeout=6 * TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    ("module", "must_not_load"),
    [
        ("chinwag.server.state", ("chinwag.server.core", "chinwag.server.commands")),
        ("chinwag.server.fanout", ("chinwag.server.core", "chinwag.server.commands")),
        ("chinwag.server.outgoing", ("chinwag.server.core", "chinwag.server.commands")),
        ("chinwag.server.core", ("chinwag.server.commands", "chinwag.server.build")),
        ("chinwag.server.commands", ("chinwag.server.core", "chinwag.server.build")),
    ],
)
def test_lower_floors_do_not_load_higher_ones(module: str, must_not_load: tuple[str]) -> None:
    loaded = loaded_by(module)
    assert module in loaded
    assert not loaded & set(must_not_load), f"{module} loads {loaded & set(must_not_load)}"


def runtime_imports(path: Path, module: str, *, typing_too: bool = False) -> set[str]:
    """The chinwag modules ``module`` imports when it runs (not under TYPE_CHECKING),
    and with ``typing_too`` those it imports for type hints as well."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if (
            not typing_too
            and isinstance(node, ast.If)
            and "TYPE_CHECKING" in ast.unparse(node.test)
        ):
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return {name for name in found if name.startswith("chinwag")}


def test_the_server_package_has_no_import_cycle() -> None:
    """Not at run time, and not through type hints either: the core's helpers type their
    ``server`` against ``chinwag.server.view.CoreView``, not the core itself."""
    names = [m for m in core_modules() if m.startswith("chinwag.server")]
    graph: dict[str, set[str]] = {}
    for name in names:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None
        found = runtime_imports(Path(spec.origin), name, typing_too=True)
        graph[name] = found & set(names) - {name}
    # Parent packages are imported first by Python; that edge is not a cycle.
    for name, edges in graph.items():
        edges -= {p for p in names if name.startswith(p + ".")}
    assert graph["chinwag.server.build"] >= {"chinwag.server.core", "chinwag.server.commands"}
    done: set[str] = set()

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, "import cycle: " + " -> ".join((*path, node))
        if node in done:
            return
        for nxt in sorted(graph[node]):
            visit(nxt, (*path, node))
        done.add(node)

    for name in sorted(graph):
        visit(name, ())


def test_the_cycle_check_sees_a_cycle(tmp_path: Path) -> None:
    # Guard: the import reader finds runtime imports and skips TYPE_CHECKING ones.
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from chinwag.server import state\n"
        "from . import outgoing\n"
        "if TYPE_CHECKING:\n    from chinwag.server.core import Server\n"
    )
    found = runtime_imports(source, "chinwag.server.m")
    assert {"chinwag.server.state", "chinwag.server.outgoing"} <= found
    assert "chinwag.server.core" not in found
    assert "chinwag.server.core" in runtime_imports(source, "chinwag.server.m", typing_too=True)
