"""Entity resolution at scale: 100,000 and 1,000,000 generated accounts, on this machine's cores.

Generates a seeded synthetic population (``amparo.demo.identities``: persons with one to four
accounts, households behind one router with one last name, namesakes, carrier-grade NAT and
mobile addresses, heavy-tailed media; everything invented) and times ``resolve()``, the
library call behind the resolve stage, split into its phases (wall clock, since DuckDB uses
every core; CPU time is given beside it, as these machines are shared and noisy):

- build_input: the records as one Arrow table, too common tokens set aside;
- scoring:     splink on DuckDB, u estimated by random sampling, blocked pairs scored;
- guard:       the guard (one weak kind of evidence never merges) and each link's evidence;
- clustering:  igraph components and the persons with their links.

Quality is pairwise, against the generator's truth: of the pairs of accounts put in one person,
how many are one person (precision), and of the pairs that are one person, how many were put
together (recall). In the same run, as a baseline, a deterministic-rules linker: union-find over
accounts sharing an e-mail, phone or device id (held by at most 20 accounts, as resolution
keeps them), with its own time, precision and recall, to show what the model's weak evidence
adds and what it costs.

Each size runs in a fresh process, so its peak RSS is its own (the records in memory are part of
it, as they are for the resolve stage). The 100,000 run is repeated and the median kept; the
1,000,000 run as often as ``--repeats`` says. The result goes to
``benchmarks/results/resolution.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import platform
import resource
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb

from amparo.demo.identities import (
    GeneratedIdentities,
    generate_identities,
    pairwise_precision_recall,
)
from amparo.people import resolve as resolution
from amparo.people.records import MAX_ACCOUNTS_PER_TOKEN, STRONG_FEATURES, AccountRecord

RESULTS = Path(__file__).parent / "results" / "resolution.json"
TARGET_SECONDS_AT_1M = 180
TARGET_PRECISION = 0.99
TARGET_RECALL = 0.95
PHASES = ("build_input", "scoring", "guard", "clustering")
TIMED_CALLS = {"build_input": "build_input", "score_pairs": "scoring", "cluster": "clustering"}


def timed_resolve(records: Sequence[AccountRecord]) -> tuple[resolution.Resolution, dict]:
    """``resolve(records)`` with the wall and CPU seconds of each phase.

    The calls ``resolve`` makes are wrapped where it looks them up; the guard's share is what
    is left of the total.
    """
    seconds: dict[str, float] = {}
    originals = {name: getattr(resolution, name) for name in TIMED_CALLS}
    for name, phase in TIMED_CALLS.items():
        setattr(resolution, name, _stopwatch(originals[name], phase, seconds))
    try:
        start, cpu = time.perf_counter(), time.process_time()
        result = resolution.resolve(records)
        total, total_cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        for name, original in originals.items():
            setattr(resolution, name, original)
    seconds["guard"] = total - sum(seconds[p] for p in TIMED_CALLS.values())
    seconds["guard_cpu"] = total_cpu - sum(seconds[f"{p}_cpu"] for p in TIMED_CALLS.values())
    seconds["total"], seconds["total_cpu"] = total, total_cpu
    return result, seconds


def _stopwatch(call: Callable, phase: str, seconds: dict[str, float]) -> Callable:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start, cpu = time.perf_counter(), time.process_time()
        try:
            return call(*args, **kwargs)
        finally:
            seconds[phase] = time.perf_counter() - start
            seconds[f"{phase}_cpu"] = time.process_time() - cpu

    return timed


def strong_identifier_clusters(records: Sequence[AccountRecord]) -> list[list[str]]:
    """The baseline: accounts sharing an e-mail, phone or device id are one person, transitively;
    a value held by more than MAX_ACCOUNTS_PER_TOKEN accounts is set aside, as in resolution."""
    holders: dict[str, list[int]] = {}
    for number, record in enumerate(records):
        for feature in STRONG_FEATURES:
            for value in getattr(record, feature):
                holders.setdefault(f"{feature}:{value}", []).append(number)
    parent = list(range(len(records)))
    for accounts in holders.values():
        if 1 < len(accounts) <= MAX_ACCOUNTS_PER_TOKEN:
            root = _root(parent, accounts[0])
            for other in accounts[1:]:
                parent[_root(parent, other)] = root
    clusters: dict[int, list[str]] = {}
    for number, record in enumerate(records):
        clusters.setdefault(_root(parent, number), []).append(record.key)
    return list(clusters.values())


def _root(parent: list[int], node: int) -> int:
    while parent[node] != node:
        parent[node] = parent[parent[node]]
        node = parent[node]
    return node


def run_size(accounts: int, repeat: int, seed: int) -> dict:
    """Generate ``accounts``, then resolve them and run the baseline ``repeat`` times each."""
    start = time.perf_counter()
    population = generate_identities(accounts, seed=seed)
    generation = time.perf_counter() - start
    rss_records = _rss_gib()
    runs, baseline_seconds = [], []
    for _ in range(repeat):
        result, seconds = timed_resolve(population.records)
        runs.append({key: round(value, 2) for key, value in seconds.items()})
        gc.disable()  # as resolve() does for its millions of small objects
        start = time.perf_counter()
        baseline = strong_identifier_clusters(population.records)
        baseline_seconds.append(time.perf_counter() - start)
        gc.enable()
    return summarise_size(population, result, runs, generation, rss_records) | {
        "baseline": summarise_baseline(population, baseline, baseline_seconds)
    }


def summarise_size(
    population: GeneratedIdentities,
    result: resolution.Resolution,
    runs: list[dict],
    generation_seconds: float,
    rss_records: float,
) -> dict:
    clusters = [person.accounts for person in result.persons]
    precision, recall = pairwise_precision_recall(clusters, population.person_of)
    median = {key: round(statistics.median(run[key] for run in runs), 2) for key in runs[0]}
    return {
        "accounts": len(population.records),
        "true_persons": len(set(population.person_of.values())),
        "true_pairs": _pairs_of(population.person_of.values()),
        "households": len(population.households),
        "namesakes": len(population.namesakes),
        "generation_seconds": round(generation_seconds, 1),
        "repeats": len(runs),
        "resolve_seconds": [run["total"] for run in runs],
        "resolve_seconds_median": median["total"],
        "phase_seconds_median": {phase: median[phase] for phase in PHASES},
        "phase_cpu_seconds_median": {phase: median[f"{phase}_cpu"] for phase in PHASES},
        "resolve_cpu_seconds_median": median["total_cpu"],
        "runs": runs,
        "rss_gib_after_generation": rss_records,
        "peak_rss_gib": _rss_gib(),
        "pairs_scored": result.pairs_scored,
        "pairs_rejected_by_guard": result.pairs_rejected,
        "links": sum(len(person.links) for person in result.persons),
        "tokens_set_aside": len(result.common_tokens),
        "persons": len(result.persons),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
    }


def summarise_baseline(
    population: GeneratedIdentities, clusters: list[list[str]], seconds: list[float]
) -> dict:
    precision, recall = pairwise_precision_recall(clusters, population.person_of)
    return {
        "rule": "union-find over a shared e-mail, phone or device id",
        "seconds": [round(s, 2) for s in seconds],
        "seconds_median": round(statistics.median(seconds), 2),
        "persons": len(clusters),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
    }


def _pairs_of(persons: Any) -> int:
    return sum(n * (n - 1) // 2 for n in Counter(persons).values())


def _rss_gib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)  # KiB on Linux


def in_fresh_process(accounts: int, repeat: int, seed: int) -> dict:
    """``run_size`` in a new interpreter, so that its peak RSS is its own."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(run_size, (accounts, repeat, seed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--repeats", type=int, nargs="+", default=[3, 2], help="runs per size, as --sizes"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sizes = []
    for number, accounts in enumerate(args.sizes):
        repeat = args.repeats[min(number, len(args.repeats) - 1)]
        load = os.getloadavg()[0]
        size = in_fresh_process(accounts, repeat, args.seed)
        sizes.append(size | {"load_average_before": round(load, 2)})
        print(json.dumps(sizes[-1], indent=2), flush=True)
    result = summarise(sizes, args.seed)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "sizes"}, indent=2))


def summarise(sizes: list[dict], seed: int) -> dict:
    largest = max(sizes, key=lambda size: size["accounts"])
    return {
        "benchmark": "resolution",
        "seed": seed,
        "cores": os.cpu_count(),
        "duckdb_threads": duckdb.execute("select current_setting('threads')").fetchone()[0],
        "machine": f"{platform.machine()} {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores visible",
        "versions": {
            name: metadata.version(name)
            for name in ("splink", "duckdb", "pyarrow", "igraph", "numpy")
        },
        "target_seconds_at_1m": TARGET_SECONDS_AT_1M,
        "target_precision": TARGET_PRECISION,
        "target_recall": TARGET_RECALL,
        "meets_time_target": largest["accounts"] >= 1_000_000
        and largest["resolve_seconds_median"] < TARGET_SECONDS_AT_1M,
        "meets_quality_target": all(
            size["precision"] >= TARGET_PRECISION and size["recall"] >= TARGET_RECALL
            for size in sizes
        ),
        "sizes": sizes,
    }


if __name__ == "__main__":
    main()
