"""Evidence encryption's cost: device ingest and the hash stage, encryption on against off.

Builds, in a temporary folder, a phone-dump-like tree of benign 1-3 megapixel JPEGs (the
triage benchmark's pictures, :mod:`benchmarks.triage_e2e`), then, in the same run, rounds
alternating on and off, each into a fresh workspace (SQLite in the workspace):

- ingest: ``ingest_device_tree`` (every file read, hashed, kept in the evidence store: sealed
  with Tink's AES-256-GCM-HKDF streaming AEAD when on, in clear when off);
- hash: ``run_hash_stage`` in this process (``workers=0``: each file read through the store,
  decrypted when sealed, checked against its SHA-256, decoded, PDQ-hashed), so its CPU time is
  measured whole; and again with the default worker processes, wall clock.

CPU time (``time.process_time``: this process and its threads) is the figure compared, since
the machine is shared; wall clock is recorded beside it (and is the figure for the worker
processes, whose CPU time this process cannot see). A warm-up round of each mode comes first
(imports, caches), then medians over the rounds; ``paired_slowdown`` is the median of each
round's on/off ratio (the two modes of a round run back to back, under much the same load).
The target is encryption costing under 15 % of each. The result goes to
``benchmarks/results/evidence_encryption.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.triage_e2e import _write_picture  # the same benign pictures

RESULTS = Path(__file__).parent / "results" / "evidence_encryption.json"
TARGET_SLOWDOWN = 0.15
MODES = {"off": False, "on": True}


def build_tree(root: Path, pictures: int, seed: int) -> int:
    """The pictures under a phone-like tree; their total size in bytes."""
    return sum(_write_picture(root, number, seed) for number in range(pictures))


def timed(work: Callable[[], object]) -> dict[str, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    work()
    return {"cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall}


def one_round(tree: Path, folder: Path, encrypt: bool) -> dict[str, dict[str, float]]:
    from amparo.intake.device import ingest_device_tree
    from amparo.settings import set_setting
    from amparo.stages.hashing import run_hash_stage
    from amparo.store import tables
    from amparo.workspace import open_workspace

    for copy in ("serial", "workers"):
        workspace = open_workspace(folder / copy)
        with workspace.session() as session:
            set_setting(session, "evidence_encryption", "on" if encrypt else "off")
        workspace.close()
    serial, parallel = open_workspace(folder / "serial"), open_workspace(folder / "workers")
    assert serial.evidence.encrypt is encrypt
    figures = {"ingest": timed(lambda: ingest_device_tree(serial, "phone-1", tree))}
    ingest_device_tree(parallel, "phone-1", tree)
    figures["hash"] = timed(lambda: run_hash_stage(serial, workers=0))
    figures["hash_workers"] = timed(lambda: run_hash_stage(parallel))
    with serial.session() as session:
        problems = session.query(tables.Media).filter(tables.Media.problem.is_not(None)).count()
    assert problems == 0, f"{problems} files failed to analyse"
    serial.close()
    parallel.close()
    return figures


def summarise(rounds: dict[str, list[dict[str, dict[str, float]]]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for step in ("ingest", "hash", "hash_workers"):
        medians = {mode: {measure: statistics.median(r[step][measure] for r in rounds[mode])
                          for measure in ("cpu_s", "wall_s")} for mode in MODES}  # fmt: skip
        measure = "wall_s" if step == "hash_workers" else "cpu_s"
        slowdown = medians["on"][measure] / medians["off"][measure] - 1
        pairs = zip(rounds["on"], rounds["off"], strict=True)
        paired = statistics.median(on[step][measure] / off[step][measure] - 1 for on, off in pairs)
        summary[step] = {
            "median": medians,
            "compared": measure,
            "slowdown": round(slowdown, 4),
            "paired_slowdown": round(paired, 4),
            "within_target": slowdown < TARGET_SLOWDOWN,
        }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pictures", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5, help="rounds per mode, alternating")
    parser.add_argument("--seed", type=int, default=5)
    arguments = parser.parse_args()
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="amparo-enc-bench-"))
    try:
        tree = scratch / "tree"
        size = build_tree(tree, arguments.pictures, arguments.seed)
        for mode in MODES:  # warm-up, not counted: imports (Tink), caches
            one_round(tree, scratch / f"warm-{mode}", MODES[mode])
        rounds: dict[str, list[dict[str, dict[str, float]]]] = {mode: [] for mode in MODES}
        for number in range(arguments.rounds):
            for mode in MODES if number % 2 == 0 else reversed(MODES):
                folder = scratch / f"ws-{mode}-{number}"
                rounds[mode].append(one_round(tree, folder, MODES[mode]))
                shutil.rmtree(folder)
                print(mode, json.dumps(rounds[mode][-1]), flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result = {
        "benchmark": "evidence_encryption",
        "pictures": arguments.pictures,
        "mean_picture_kib": round(size / arguments.pictures / 1024),
        "rounds_per_mode": arguments.rounds,
        "target_slowdown": TARGET_SLOWDOWN,
        "summary": summarise(rounds),
        "rounds": rounds,
        "run_s": round(time.perf_counter() - started, 1),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_after": os.getloadavg(),
            "tink": metadata.version("tink"),
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result["summary"], indent=2))


if __name__ == "__main__":
    main()
