"""Ingest speed: reports per second, XSD validation included, on one core.

Generates a benign synthetic operation (1,000 reports by default), then times, in the same run:

- baseline: reading and validating every report.xml and fileDetails, with no store at all;
- ingest:   the library call behind ``amparo ingest``, into a fresh SQLite workspace
            (validation, hashing, evidence store, database rows); creating the workspace
            and its schema, a one-off, is not counted.

Each is repeated and the median kept, since these machines are noisy; the ratio shows what the
store costs on top of parsing. The result goes to ``benchmarks/results/ingest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from amparo.demo import generate_operation
from amparo.formats.xml import MAX_XML_BYTES
from amparo.intake.ingest import ingest_paths
from amparo.intake.package import open_package
from amparo.intake.report_package import read_report_package
from amparo.workspace import open_workspace

RESULTS = Path(__file__).parent / "results" / "ingest.json"
TARGET_REPORTS_PER_SECOND = 200


def parse_only(packages: list[Path]) -> None:
    for path in packages:
        with open_package(path) as package:
            read_report_package(package)
            for name in package.members:
                package.read(name, max_bytes=MAX_XML_BYTES * 64)


def ingest_once(packages: list[Path], scratch: Path) -> float:
    """Seconds to ingest ``packages`` into a new workspace (its one-off creation not counted)."""
    workspace = open_workspace(scratch, database_url=None)
    start = time.perf_counter()
    summary = ingest_paths(workspace, packages)
    seconds = time.perf_counter() - start
    workspace.close()
    if len(summary.ingested) != len(packages):
        sys.exit(f"benchmark invalid: only {len(summary.ingested)} of {len(packages)} ingested")
    return seconds


def timed(action: Callable[..., object], *args: object) -> float:
    start = time.perf_counter()
    action(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    with tempfile.TemporaryDirectory(prefix="amparo-bench-") as folder:
        root = Path(folder)
        operation = generate_operation(root / "input", reports=args.reports, seed=1)
        packages = list(operation.packages)
        baseline = [timed(parse_only, packages) for _ in range(args.repeat)]
        ingest = [ingest_once(packages, root / f"ws{i}") for i in range(args.repeat)]
    result = summarise(args.reports, baseline, ingest, operation.sighting_count)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


def summarise(reports: int, baseline: list[float], ingest: list[float], files: int) -> dict:
    base, full = statistics.median(baseline), statistics.median(ingest)
    return {
        "benchmark": "ingest",
        "reports": reports,
        "files": files,
        "cores": 1,
        "machine": f"{platform.machine()} {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores visible",
        "baseline_parse_validate_seconds": [round(t, 3) for t in baseline],
        "ingest_seconds": [round(t, 3) for t in ingest],
        "baseline_reports_per_second_median": round(reports / base, 1),
        "ingest_reports_per_second_median": round(reports / full, 1),
        "ingest_over_baseline_time_ratio": round(full / base, 2),
        "target_reports_per_second": TARGET_REPORTS_PER_SECOND,
        "meets_target": reports / full >= TARGET_REPORTS_PER_SECOND,
    }


if __name__ == "__main__":
    main()
