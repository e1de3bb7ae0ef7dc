"""The widened PDQ search alone, against the numpy brute force it replaced, in the same process.

The match stage searches each picture's original-orientation fast PDQ at threshold + spread
(31 + 50 = 81), where multi-index hashing cannot prune: the index compares every pair. Here the
recall photos of ``pdq_interop.py`` (the same seeds, so the same photos and sets of 1M and 10M
entries) are searched at that radius all at once, interleaved for ``--rounds`` rounds:

- numpy_scan_before:  the numpy brute force ``PdqIndex`` used before FAISS (a copy of it);
- faiss_one_core:     ``PdqIndex.search``, the process pinned to one core (one OpenMP thread);
- faiss_usable_cores: ``PdqIndex.search`` on every usable core.

Wall and CPU milliseconds a photo, medians and every round, with the load average; the methods
must find the same matches. Results: benchmarks/results/pdq_widened_search.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.pdq_interop import (
    THRESHOLD,
    WIDENED,
    Planted,
    _machine,
    _step,
    planted_photos,
    set_with_planted,
)

from amparo.cores import usable_cores
from amparo.match.confirm import WIDENED_TRANSFORMS, candidate_radius
from amparo.match.pdq_index import PdqIndex, hashes_from_hex
from amparo.match.pdq_segment import WORD

RESULTS = Path(__file__).parent / "results" / "pdq_widened_search.json"


def widened_search_timing(size: int, planted: list[Planted], seed: int, rounds: int) -> dict:
    """Wall and CPU milliseconds a photo of the widened search, per method, round by round."""
    hashes = set_with_planted(size, planted, seed)
    index = PdqIndex.build(hashes, np.arange(len(hashes), dtype=np.int64))
    queries = hashes_from_hex([p.photo.fast.dihedral[t] for p in planted for t in WIDENED])
    radius = candidate_radius(THRESHOLD)
    methods: dict[str, Callable[[], object]] = {
        "numpy_scan_before": lambda: numpy_scan(hashes.view(WORD), queries.view(WORD), radius),
        "faiss_one_core": lambda: _on_one_core(lambda: index.search(queries, radius)),
        "faiss_usable_cores": lambda: index.search(queries, radius),
    }
    _check_same_matches(index, hashes, queries, radius)
    load_before = os.getloadavg()[0]
    times: dict[str, dict[str, list[float]]] = {m: {"wall": [], "cpu": []} for m in methods}
    for _ in range(rounds):
        for name, search in methods.items():
            wall, cpu = time.perf_counter(), time.process_time()
            search()
            times[name]["wall"].append((time.perf_counter() - wall) * 1000 / len(planted))
            times[name]["cpu"].append((time.process_time() - cpu) * 1000 / len(planted))
    return {
        "entries": len(hashes), "queries": len(queries), "radius": radius,
        "usable_cores": usable_cores(),
        "load_average_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "ms_per_photo": {name: _medians(clocks) for name, clocks in times.items()},
    }  # fmt: skip


def numpy_scan(words: np.ndarray, query_words: np.ndarray, radius: int) -> list[np.ndarray]:
    """The brute force ``PdqIndex`` used at large radii before FAISS (amparo 4fdf60d,
    ``pdq_segment.scan``): all pairs in blocks of 2**16, popcounts in numpy.
    ``(query, row, distance)`` arrays."""
    parts = []
    for first_query in range(0, len(query_words), 16):
        block_queries = query_words[first_query : first_query + 16]
        block_rows = (1 << 16) // len(block_queries)
        for first_row in range(0, len(words), block_rows):
            columns = np.ascontiguousarray(words[first_row : first_row + block_rows].T)
            bits = [np.bitwise_count(columns[w] ^ block_queries[:, w, None]) for w in range(4)]
            distances = (bits[0] + bits[1]).astype(np.int16) + (bits[2] + bits[3])
            queries, rows = np.nonzero(distances <= radius)
            if len(queries):
                parts.append(np.stack([queries + first_query, rows + first_row,
                                       distances[queries, rows]]))  # fmt: skip
    return parts


def _on_one_core(search: Callable[[], object]) -> object:
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cores)})
    try:
        return search()
    finally:
        os.sched_setaffinity(0, cores)


def _check_same_matches(
    index: PdqIndex, hashes: np.ndarray, queries: np.ndarray, radius: int
) -> None:
    """The numpy scan and the index find the same (query, entry, distance) triples (ids are
    row numbers)."""
    parts = numpy_scan(hashes.view(WORD), queries.view(WORD), radius)
    before = np.concatenate(parts, axis=1) if parts else np.empty((3, 0), np.int64)
    matches = index.search(queries, radius)
    after = np.stack([matches.query_index, matches.ids, matches.distances])
    if _triples(before) != _triples(after):
        raise SystemExit(f"benchmark invalid: the matches differ ({len(hashes):,} entries)")


def _triples(columns: np.ndarray) -> set[tuple[int, ...]]:
    return set(zip(*(column.tolist() for column in columns), strict=True))


def _medians(clocks: dict[str, list[float]]) -> dict:
    return {f"{clock}_median": round(statistics.median(values), 2)
            for clock, values in clocks.items()} | {
        f"{clock}_rounds": [round(value, 2) for value in values]
        for clock, values in clocks.items()}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--photos", type=int, default=144)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.time()
    planted, _, _ = planted_photos(args.photos, seed=12)
    result: dict = {"benchmark": "pdq_widened_search", "machine": _machine(),
                    "photos": len(planted), "widened_transforms": sorted(WIDENED_TRANSFORMS),
                    "rounds": args.rounds}  # fmt: skip
    result["sizes"] = [
        _step(f"widened search {size:,}",
              lambda s=size: widened_search_timing(s, planted, seed=13, rounds=args.rounds))
        for size in args.sizes
    ]  # fmt: skip
    result["seconds"] = round(time.time() - started)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
