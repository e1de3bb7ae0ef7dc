"""``amparo --help`` starts without the heavy libraries: a fact about imports, not a timing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("matplotlib", "splink", "duckdb", "pandas", "fastapi")
GROUPS = ("export", "people", "process", "hashsets", "serve", "demo")

# Runs the command line in-process, then reports which heavy modules got imported.
WRAPPER = """
import json, sys
from amparo.cli import main
try:
    main(sys.argv[1:], prog_name="amparo")
except SystemExit:
    pass
print(json.dumps([name for name in {heavy!r} if name in sys.modules]))
"""


def _heavy_imported(*arguments: str) -> list[str]:
    command = [sys.executable, "-c", WRAPPER.format(heavy=HEAVY), *arguments]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    assert "Usage: amparo" in done.stdout
    return json.loads(done.stdout.splitlines()[-1])


def test_help_imports_no_heavy_library() -> None:
    assert _heavy_imported("--help") == []


@pytest.mark.parametrize("group", GROUPS)
def test_group_help_imports_no_heavy_library(group: str) -> None:
    assert _heavy_imported(group, "--help") == []


def test_the_check_sees_a_heavy_import() -> None:
    """The wrapper would notice: a command that does need the library imports it."""
    script = WRAPPER.format(heavy=HEAVY).replace(
        "from amparo.cli", "import matplotlib\nfrom amparo.cli"
    )
    done = subprocess.run([sys.executable, "-c", script, "--help"], capture_output=True,
                          text=True, check=True, timeout=120)  # fmt: skip
    assert json.loads(done.stdout.splitlines()[-1]) == ["matplotlib"]
