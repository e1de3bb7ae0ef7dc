"""Command-line start-up: how long ``amparo --help`` and friends take in a fresh process.

Before: the code just before the command line became the ``amparo.cli`` package (by default
the parent of the commit that removed ``src/amparo/cli.py``; ``--baseline REF`` picks another),
extracted with ``git archive`` into a temporary folder. After: this tree's ``src``. Each
command runs in a fresh interpreter with only that ``src`` on ``PYTHONPATH``; the two are
interleaved in the same run, each repeated (one warm-up run each, not counted, writes the
bytecode caches) and the median kept: CPU time of the child (user + system, steadier on a
shared machine) and wall-clock time. The result goes to ``benchmarks/results/cli_startup.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "cli_startup.json"
RUN_CLI = "from amparo.cli import main; main(prog_name='amparo')"
COMMANDS = {
    "amparo --help": ["-c", RUN_CLI, "--help"],
    "amparo export --help": ["-c", RUN_CLI, "export", "--help"],
    "amparo process --help": ["-c", RUN_CLI, "process", "--help"],
    "import amparo.cli": ["-c", "import amparo.cli"],
}


def _git(*arguments: str) -> bytes:
    return subprocess.run(["git", *arguments], cwd=ROOT, check=True, capture_output=True).stdout


def default_baseline() -> str:
    removal = _git("rev-list", "-1", "HEAD", "--", "src/amparo/cli.py").decode().strip()
    if not removal:
        raise SystemExit("cannot find the commit that removed src/amparo/cli.py; use --baseline")
    return f"{removal}^"


def extract_src(ref: str, into: Path) -> tuple[str, Path]:
    commit = _git("rev-parse", ref).decode().strip()
    with tarfile.open(fileobj=BytesIO(_git("archive", commit, "src")), mode="r") as archive:
        archive.extractall(into, filter="data")
    return commit, into / "src"


def run_once(src: Path, arguments: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one fresh interpreter running ``arguments``."""
    environment = {**os.environ, "PYTHONPATH": str(src)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, *arguments], env=environment, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def measure(trees: dict[str, Path], repeats: int) -> dict[str, dict[str, dict[str, float]]]:
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name, arguments in COMMANDS.items():
        samples: dict[str, list[tuple[float, float]]] = {tree: [] for tree in trees}
        for src in trees.values():
            run_once(src, arguments)  # warm-up: bytecode caches
        for _ in range(repeats):
            for tree, src in trees.items():
                samples[tree].append(run_once(src, arguments))
        results[name] = {
            tree: {
                "cpu_s": round(statistics.median(cpu for cpu, _ in runs), 3),
                "wall_s": round(statistics.median(wall for _, wall in runs), 3),
            }
            for tree, runs in samples.items()
        }
        before, after = results[name]["before"]["cpu_s"], results[name]["after"]["cpu_s"]
        results[name]["speedup_cpu"] = round(before / after, 1)
        print(f"{name:24} before {before:.2f} s CPU, after {after:.2f} s CPU "
              f"({before / after:.1f}x)", flush=True)  # fmt: skip
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=None, help="git ref of the 'before' code")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        commit, baseline_src = extract_src(args.baseline or default_baseline(), Path(folder))
        trees = {"before": baseline_src, "after": ROOT / "src"}
        results = measure(trees, args.repeats)
    document = {
        "benchmark": "cli_startup",
        "baseline_commit": commit,
        "after_commit": _git("rev-parse", "HEAD").decode().strip(),
        "repeats": args.repeats,
        "statistic": "median of fresh processes, interleaved; CPU = user + system of the child",
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "commands": results,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
