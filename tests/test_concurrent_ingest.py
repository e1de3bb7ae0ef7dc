"""Two ``amparo ingest`` processes on one workspace and the same inputs: what each reports is
what it did, their reports add up to what is stored, and no quarantine is invented.

Both processes start, import everything, then wait for one signal file, so their ingests overlap
from the first input; the assertions hold however the two interleave.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from amparo.demo import GeneratedOperation, generate_operation
from amparo.intake.dispatch import ingest_inputs
from amparo.store import tables
from amparo.workspace import open_workspace

pytestmark = pytest.mark.slow

WAIT_THEN_RUN_CLI = """
import sys, time
from pathlib import Path
from amparo.cli import main
ready, go = Path(sys.argv.pop(1)), Path(sys.argv.pop(1))
ready.touch()
while not go.exists():
    time.sleep(0.01)
sys.argv[0] = "amparo"
main()
"""
SUMMARY = re.compile(
    r"Ingested\s+(\d+)\s+input\(s\);\s+(\d+)\s+were\s+already\s+in\s+the\s+workspace;"
    r"\s+(\d+)\s+item\(s\)\s+quarantined"
)


@pytest.fixture(scope="module")
def operation(tmp_path_factory: pytest.TempPathFactory) -> GeneratedOperation:
    root = tmp_path_factory.mktemp("concurrent") / "input"
    return generate_operation(root, reports=24, seed=31, zip_every=3, chat_exports=True)


def _start(folder: Path, name: str, url: str, inputs: Path) -> subprocess.Popen[str]:
    env = os.environ | {"AMPARO_DATABASE_URL": url}
    signals = [str(folder / f"{name}.ready"), str(folder / "go")]
    command = [sys.executable, "-c", WAIT_THEN_RUN_CLI, *signals]
    command += ["--workspace", str(folder / "ws"), "ingest", str(inputs)]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _run_together(folder: Path, url: str, inputs: Path) -> list[tuple[int, int, int]]:
    processes = [_start(folder, name, url, inputs) for name in ("first", "second")]
    while not all((folder / f"{name}.ready").exists() for name in ("first", "second")):
        assert all(p.poll() is None for p in processes), [p.communicate() for p in processes]
        time.sleep(0.05)
    (folder / "go").touch()
    counts = []
    for process in processes:
        output, _ = process.communicate(timeout=600)
        assert process.returncode == 0, output
        found = SUMMARY.search(output)
        assert found, output
        counts.append(tuple(int(n) for n in found.groups()))
    return counts


def test_two_ingests_of_the_same_inputs_add_up(
    tmp_path: Path, database_url: str, operation: GeneratedOperation
) -> None:
    inputs = operation.root
    (tmp_path / "ws").mkdir()
    open_workspace(tmp_path / "ws", database_url=database_url).close()  # migrated once
    counts = _run_together(tmp_path, database_url, inputs)
    workspace = open_workspace(tmp_path / "ws", database_url=database_url)
    try:
        again = ingest_inputs(workspace, [inputs])
        total = len(again.duplicates)
        assert again.ingested == [] and again.quarantined == []
        with workspace.session() as session:
            tops = session.execute(
                select(tables.Source.kind, tables.Source.digest, tables.Source.status).where(
                    tables.Source.parent_id.is_(None)
                )
            ).all()
            reports = session.scalar(select(func.count()).select_from(tables.Report))
            parts = session.scalar(select(func.count()).where(tables.Source.parent_id.is_not(None)))
    finally:
        workspace.close()
    ingested = [(kind, digest) for kind, digest, status in tops if status == "ingested"]
    assert [status for *_, status in tops if status != "ingested"] == [], "no phantom quarantine"
    assert Counter(ingested).most_common(1)[0][1] == 1, "each input stored once"
    assert len(ingested) == total == sum(c[0] for c in counts)
    assert reports == len(operation.packages)
    for ingested_here, already, _quarantined in counts:
        assert ingested_here + already == total, counts
    assert sum(c[2] for c in counts) == parts, "quarantines reported are the parts stored"
