"""Where scanning every PDQ hash beats multi-index probing: CPU time per query, one core.

For each index size and search radius, over random hashes and random queries: the probing plan
the cost model would use (``amparo.match.pdq_plan.cheapest_probing``, queries chunked as
``PdqIndex`` chunks them) and the scan (``amparo.match.pdq_segment.scan``, FAISS), each timed on
the same queries; the median of ``--repeat`` CPU times, in a process pinned to one core (FAISS
with one thread). Beside each, what the cost model predicts, so that its constants can be
checked: it should pick whichever is measured cheaper, except near the crossover.
Results: benchmarks/results/pdq_scan_crossover.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from amparo.match.pdq_index import PROBES_PER_CHUNK
from amparo.match.pdq_plan import (
    SCAN_NS,
    Plan,
    cheapest_probing,
    choose_layout,
    plan_search,
)
from amparo.match.pdq_segment import WORD, Found, Segment, build_segment, probe, scan

RESULTS = Path(__file__).parent / "results" / "pdq_scan_crossover.json"


def measure_size(size: int, radii: list[int], queries: int, repeat: int) -> dict:
    rng = np.random.default_rng(size)
    words = rng.integers(0, 256, size=(size, 32), dtype=np.uint8).view(WORD)
    query_words = rng.integers(0, 256, size=(queries, 32), dtype=np.uint8).view(WORD)
    segment = build_segment(words, np.arange(size, dtype=np.int64), choose_layout(size))
    rows = []
    for radius in radii:
        probing = cheapest_probing(segment.layout, size, radius)
        row: dict = {"radius": radius}
        row["scan_ms_per_query"] = cpu_ms(lambda r=radius: scan(words, query_words, r), queries,
                                          repeat)  # fmt: skip
        row["scan_ns_per_pair"] = round(row["scan_ms_per_query"] * 1e6 / size, 3)
        row["model_scan_ms"] = round(SCAN_NS * size / 1e6, 3)
        if probing is not None:
            search = lambda p=probing, r=radius: probed(segment, query_words, r, p)  # noqa: E731
            row["probe_ms_per_query"] = cpu_ms(search, queries, repeat)
            row["model_probe_ms"] = round(probing.cost_ns / 1e6, 3)
            row["probe_radii"] = list(probing.radii or ())
        row["measured_cheaper"] = cheaper(row)
        row["model_chooses"] = (
            "probe" if plan_search(segment.layout, size, radius).radii else "scan"
        )
        rows.append(row)
        print(size, row, flush=True)
    return {"size": size, "substrings": len(segment.layout.widths), "radii": rows}


def probed(segment: Segment, query_words: np.ndarray, radius: int, plan: Plan) -> Found:
    chunk = max(1, PROBES_PER_CHUNK // plan.probes)
    parts = [
        probe(segment, query_words[first : first + chunk], radius, plan.radii or ())
        for first in range(0, len(query_words), chunk)
    ]
    return Found.concatenate(parts)


def cpu_ms(search: Callable[[], object], queries: int, repeat: int) -> float:
    search()  # warm-up: page in, build flip masks
    seconds = []
    for _ in range(repeat):
        start = time.process_time()
        search()
        seconds.append(time.process_time() - start)
    return round(statistics.median(seconds) * 1000 / queries, 4)


def cheaper(row: dict) -> str:
    if "probe_ms_per_query" not in row:
        return "scan"
    return "probe" if row["probe_ms_per_query"] < row["scan_ms_per_query"] else "scan"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+",
                        default=[10_000, 100_000, 1_000_000, 10_000_000])  # fmt: skip
    parser.add_argument("--radii", type=int, nargs="+", default=[31, 36, 41, 46, 51, 56, 61])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    load_before = os.getloadavg()[0]
    started = time.time()
    sizes = [measure_size(size, args.radii, args.queries, args.repeat) for size in args.sizes]
    result = {
        "benchmark": "pdq_scan_crossover",
        "machine": f"{platform.machine()} Python {platform.python_version()}, one core pinned",
        "load_average_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "queries": args.queries,
        "repeats": args.repeat,
        "model_scan_ns": SCAN_NS,
        "seconds": round(time.time() - started),
        "sizes": sizes,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
