"""The house layout (issue 15 point 8): files split by concept stay under the size guideline, and
imports between the project and qualcode.exchange run one way.

Layers, lowest first: `project_core` (with its mixins `project_imports`, `project_editing`,
`project_analysis`) <- `qualcode.exchange` <- `qualcode.project` (the public `Project`).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import qualcode

PACKAGE = Path(qualcode.__file__).parent
LIMIT = 550  # DEVELOPERS.md: "files under ~500 lines"; a little slack before a file must be split again
SPLIT = ("cli", "codebook", "project")  # the files split for issue 15; their parts must stay small too
CORE = ("project_core", "project_imports", "project_editing", "project_analysis")


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at the top, in functions and under TYPE_CHECKING alike."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_the_split_files_and_their_parts_stay_under_the_size_guideline() -> None:
    files = [p for stem in SPLIT for p in PACKAGE.glob(f"{stem}*.py")]
    assert len(files) >= 3 * len(SPLIT)  # each one is now several modules
    too_long = {p.name: n for p in files if (n := len(p.read_text(encoding="utf-8").splitlines())) > LIMIT}
    assert too_long == {}


def test_the_project_core_imports_nothing_from_exchange() -> None:
    for stem in CORE:
        exchange = {m for m in _imports(PACKAGE / f"{stem}.py") if m.startswith("qualcode.exchange")}
        assert exchange == set(), stem


def _exchange_on_core() -> set[str]:
    """The exchange modules that take a project (import the core)."""
    return {f"qualcode.exchange.{p.stem}" for p in (PACKAGE / "exchange").glob("*.py")
            if "qualcode.project_core" in _imports(p)}


def test_exchange_builds_on_the_core_not_on_the_public_project() -> None:
    for path in sorted((PACKAGE / "exchange").glob("*.py")):
        imported = _imports(path)
        assert "qualcode.project" not in imported and "qualcode.project.Project" not in imported, path.name
    assert {"qualcode.exchange.codings", "qualcode.exchange.refi_export"} <= _exchange_on_core()


def test_importing_the_project_loads_no_exchange_module_that_builds_on_it() -> None:
    # A fresh interpreter: the test session has long imported everything.
    code = "import sys, qualcode.project; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert "qualcode.project" in loaded
    assert loaded & _exchange_on_core() == set()
