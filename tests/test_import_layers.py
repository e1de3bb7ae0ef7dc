"""The package graph stays as written down: layers without cycles, and small modules.

The allowed graph is the import-linter contract in pyproject.toml ([tool.importlinter]); this
runs `lint-imports` on it. Migrations are not a package, so import-linter does not see them:
they are checked here to import only the store and what lies below it.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "amparo"
MIGRATIONS = PACKAGE / "store" / "migrations"
MAX_MODULE_LINES = 500
# What a migration may import: the store and the layers below it (pyproject.toml).
BELOW_MIGRATIONS = ("store", "identifiers", "model", "values", "terminal", "keys", "errors")


def test_the_package_layers_hold() -> None:
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert command is not None, "lint-imports is missing: pip install -e '.[test]'"
    environment = os.environ | {"PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [command, "--no-cache"], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_migrations_import_only_the_store_and_below() -> None:
    upward = [
        f"{path.relative_to(PACKAGE)}:{line} imports {module}"
        for path in sorted(MIGRATIONS.rglob("*.py"))
        for line, module in _amparo_imports(path)
        if module.split(".")[1] not in BELOW_MIGRATIONS
    ]
    assert upward == []


def test_no_module_is_over_500_lines_outside_migrations() -> None:
    long = [
        f"{path.relative_to(PACKAGE)}: {lines} lines"
        for path in sorted(PACKAGE.rglob("*.py"))
        if not path.is_relative_to(MIGRATIONS)
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert long == []


def _amparo_imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return [(line, module) for line, module in found if module.startswith("amparo.")]
