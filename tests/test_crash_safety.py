"""Crash safety: ``kill -9`` during ``ingest`` and during each stage of ``process``, then a
re-run, leaves findings identical to an uninterrupted run.

The kill is deterministic, not a race: each crashing command runs the real CLI in a fresh
process with a SQLAlchemy ``commit`` listener that sends the process SIGKILL just before its
Nth commit reaches the database, so the work of that transaction and everything after it is lost
as in a power cut.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from amparo.demo import GeneratedOperation, generate_operation
from amparo.stages.pipeline import STAGE_NAMES

pytestmark = pytest.mark.slow

KILL_AT_COMMIT = "AMPARO_TEST_KILL_AT_COMMIT"
CLI_WITH_KILL_SWITCH = f"""
import atexit, os, signal, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine

kill_at = int(os.environ.get({KILL_AT_COMMIT!r}, "0"))
commits = 0

@atexit.register
def _count():
    print(f"commits: {{commits}}", file=sys.stderr)

@event.listens_for(Engine, "commit")
def _power_cut(connection):
    global commits
    commits += 1
    if kill_at and commits >= kill_at:
        os.kill(os.getpid(), signal.SIGKILL)

from amparo.cli import main
sys.argv[0] = "amparo"
main()
"""


@pytest.fixture(scope="module")
def operation(tmp_path_factory: pytest.TempPathFactory) -> GeneratedOperation:
    root = tmp_path_factory.mktemp("crash-op") / "input"
    return generate_operation(root, reports=10, seed=11, hash_sets=True)


def _amparo(workspace: Path, *args: str, kill_at: int = 0) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if name != "AMPARO_DATABASE_URL"}
    env[KILL_AT_COMMIT] = str(kill_at)
    command = [sys.executable, "-c", CLI_WITH_KILL_SWITCH, "--workspace", str(workspace), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def _ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr


def _findings(workspace: Path) -> dict[str, Any]:
    out = workspace.parent / f"{workspace.name}-findings.json"
    _ok(_amparo(workspace, "export", "findings", "-o", str(out)))
    document = json.loads(out.read_text(encoding="utf-8"))
    document.pop("generated_at")
    return document


def _import_hash_sets(workspace: Path, operation: GeneratedOperation) -> None:
    for name, path in sorted(operation.hashset_files.items()):
        name = name.removesuffix(".csv")
        _ok(_amparo(workspace, "hashsets", "import", str(path), "--name", name))


def _commits(result: subprocess.CompletedProcess[str]) -> int:
    _ok(result)
    return int(result.stderr.rsplit("commits: ", 1)[1].split()[0])


def _crash_then_rerun(workspace: Path, args: list[str], commits: int) -> bool:
    """Run a command killed halfway through its commits, then again; True if it was killed."""
    crashed = _amparo(workspace, *args, kill_at=max(1, (commits + 1) // 2))
    killed = crashed.returncode == -signal.SIGKILL
    assert killed, crashed.stdout + crashed.stderr
    _ok(_amparo(workspace, *args))
    return killed


def test_kill_9_in_ingest_and_every_stage_then_rerun_gives_identical_findings(
    operation: GeneratedOperation, tmp_path: Path
) -> None:
    """Each command is killed at the middle of the commits it makes in an uninterrupted run."""
    ingest = ["ingest", *(str(path) for path in operation.packages)]
    stages = [["process", "--stage", stage] for stage in STAGE_NAMES]
    clean = tmp_path / "clean"
    commits = {"ingest": _commits(_amparo(clean, *ingest))}
    _import_hash_sets(clean, operation)
    for args in stages:
        commits[args[-1]] = _commits(_amparo(clean, *args))

    crashed = tmp_path / "crashed"
    _crash_then_rerun(crashed, ingest, commits["ingest"])
    _import_hash_sets(crashed, operation)
    for args in stages:
        _crash_then_rerun(crashed, args, commits[args[-1]])

    assert commits["ingest"] > 2 and max(commits.values()) > 3, commits
    assert _findings(crashed) == _findings(clean)
