"""The stored network stage: what ``amparo process`` costs, and what its readers save.

Generates the demo's operation (``amparo demo``'s options: report packages, a phone's file tree,
chat exports, videos, hash sets left unimported), ingests it into a new SQLite workspace, then:

- ``amparo process`` in a fresh process, wall clock, twice: the first run, and a re-run with
  nothing changed (every stage should skip: the figure is start-up and fingerprints);
- the network stage forced to run again, in-process: the analysis it does once per change;
- the findings document built in-process from the stored network, against the same call with
  the stored results made stale, so that it analyses the network afresh as it did before the
  stage existed (the baseline, in the same run);
- a group page's and a series page's network data (their member and sharer lists and the
  network view's JSON) from their neighbourhood, against the same from the whole network.

In-process figures are medians of ``--rounds`` rounds, the two variants interleaved, each
round in the other order. The result
goes to ``benchmarks/results/network_stage.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.demo import generate_operation
from amparo.export.findings import build_findings
from amparo.intake.dispatch import IngestOptions, ingest_inputs
from amparo.intake.ingest import ingest_paths
from amparo.network.neighbourhood import load_group_neighbourhood, load_series_neighbourhood
from amparo.network.results import STAGE
from amparo.network.store import load_network
from amparo.stages.network import run_network_stage
from amparo.store import tables
from amparo.web.explore import _members, _sharers
from amparo.web.network import group_network, series_network
from amparo.workspace import Workspace, open_workspace

RESULTS = Path(__file__).parent / "results" / "network_stage.json"


def _prepare(root: Path, reports: int) -> Path:
    operation = generate_operation(
        root / "input", reports=reports, seed=7, device_tree=True, chat_exports=True,
        videos=True, messenger_reports=True, phone_shapes="written",
    )  # fmt: skip
    workspace = open_workspace(root / "workspace")
    ingest_paths(workspace, list(operation.packages))
    for device in sorted({file.device for file in operation.device_files}):
        tree = root / "input" / "devices" / device
        ingest_inputs(workspace, [tree], IngestOptions(device=device))
    for chat in operation.chat_exports:
        phone = IngestOptions(zone=ZoneInfo(chat.zone), owner=chat.owner_number)
        ingest_inputs(workspace, [chat.path], phone)
    workspace.close()
    return root / "workspace"


def _process(folder: Path) -> tuple[float, list[str]]:
    amparo = str(Path(sys.executable).with_name("amparo"))
    command = [amparo, "--workspace", str(folder), "process"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=3600)
    lines = [line.strip() for line in done.stderr.splitlines() if line.startswith("  ")]
    return time.perf_counter() - start, [line for line in lines if "━" not in line]


def _ms(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def _interleaved(rounds: int, **calls: Callable[[], object]) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in calls}
    order = list(calls)
    for _ in range(rounds):
        for name in order:
            times[name].append(_ms(calls[name]))
        order.reverse()  # neither variant always runs first
    return {name: round(statistics.median(found), 1) for name, found in times.items()}


def _findings(workspace: Workspace, *, afresh: bool) -> None:
    """The findings; ``afresh``: with the stored network made stale (rolled back after)."""
    with Session(workspace.engine) as session:
        if afresh:
            session.get(tables.StageRun, STAGE).fingerprint = "stale"  # type: ignore[union-attr]
        build_findings(session)
        session.rollback()


def _pages(workspace: Workspace, rounds: int) -> dict[str, Any]:
    with workspace.session() as session:
        group = sorted(m.group for m in load_network(session).memberships)[0]
        new = select(tables.Series.key).where(tables.Series.status == "new")
        series = session.scalars(new.order_by(tables.Series.key)).first()
        assert series is not None
        return {
            "findings_ms": _interleaved(
                rounds, stored=lambda: _findings(workspace, afresh=False),
                analysed_afresh=lambda: _findings(workspace, afresh=True),
            ),
            "group_page_ms": _interleaved(
                rounds,
                neighbourhood=lambda: _group(load_group_neighbourhood(session, group), group),
                whole_network=lambda: _group(load_network(session), group),
            ),
            "series_page_ms": _interleaved(
                rounds,
                neighbourhood=lambda: _series(load_series_neighbourhood(session, series), series),
                whole_network=lambda: _series(load_network(session), series),
            ),
        }  # fmt: skip


def _group(data: Any, group: str) -> None:
    _members(data, group)
    group_network(data, group)


def _series(data: Any, series: str) -> None:
    _sharers(data, series)
    series_network(data, series)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=15)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workspace_folder = _prepare(Path(folder), arguments.reports)
        first, first_lines = _process(workspace_folder)
        again, again_lines = _process(workspace_folder)
        workspace = open_workspace(workspace_folder)
        network_stage = _interleaved(3, forced=lambda: run_network_stage(workspace, force=True))
        result = {
            "reports": arguments.reports,
            "process_first_s": round(first, 2),
            "process_first": first_lines,
            "process_unchanged_s": round(again, 2),
            "process_unchanged": again_lines,
            "network_stage_ms": network_stage["forced"],
            **_pages(workspace, arguments.rounds),
            "machine": f"{platform.machine()}, {platform.python_version()}",
        }
        workspace.close()
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
