"""mypy, with the [tool.mypy] settings of pyproject.toml, finds no error in src/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_mypy_finds_no_error() -> None:
    # The cache (.mypy_cache in the repository root) makes re-runs take seconds.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "pyproject.toml"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode not in (0, 1):
        pytest.fail(f"mypy did not run (exit {result.returncode}):\n{result.stdout}{result.stderr}")
    errors = [line for line in result.stdout.splitlines() if line.startswith("src/")]
    assert result.returncode == 0 and not errors, "mypy found errors:\n" + "\n".join(errors)
