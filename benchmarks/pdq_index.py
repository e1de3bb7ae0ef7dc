"""PDQ range search at distance <= 31 with 100 % recall: queries per second on one core.

Times, in the same run and on the same random data (1M and 10M hashes by default, 1 % of them
planted near-duplicates of others; 1,000 queries, half of them planted at distances 0 to 31 from
indexed hashes, half random):

- amparo:          ``amparo.match.pdq_index.PdqIndex`` (multi-index hashing over numpy arrays);
- faiss_flat:      FAISS ``IndexBinaryFlat``, exact brute force, ``range_search`` at radius 32
                   (FAISS returns distances *below* the radius; checked at start-up). It is
                   timed on the first queries only when all of them would take too long;
- faiss_multihash: FAISS ``IndexBinaryMultiHash(256, 16, 16)`` with ``nflip=1`` inside an
                   ``IndexBinaryIDMap2``: python-threatexchange's PDQ index.

Each method runs in its own process pinned to one core (FAISS with one OpenMP thread), so that
its peak RSS is its own; every timing is repeated and the median kept, as the machine is noisy
(the load average is recorded too). For amparo it also records single-query latency, save and
memory-mapped load, add() of one hash and the add() that merges a full delta.
Recall is measured against faiss_flat on the queries flat was timed on; amparo must also give
exactly the same (query, id, distance) triples. Results go to ``benchmarks/results/pdq_index.json``.

Plan for 100M hashes on a 24 GB machine. The cost model picks 10 substrings of 25-26 bits (the
widest its 64-bytes-per-hash table budget allows), probed at radii (3, 3, 2 x 8). Memory: hashes
3.2 GB + ids 0.8 GB + row lists 10 x 4 B x 100M = 4.0 GB + bucket tables 2.1 GB = 10.2 GB of plain
.npy files. Build offline (peak about 17 GB: the index, a copy of the input, one substring's sort
at a time; pass the input memory-mapped so it can be paged out), save, and serve with
``PdqIndex.load(folder)``: the arrays are memory-mapped read-only, so they live once in the page
cache, shared by one serving process per core, leaving about 12 GB for everything else. Daytime
add()s go to the delta; the main segment is rebuilt offline (a merge rewrites 10 GB) and swapped
in by loading the new folder. Speed: a query probes 8,616 buckets and verifies about 14,800
candidates. With exactly that layout and those radii over 30M random hashes (4,400 candidates a
query) one core of this machine took 0.69 ms a query, which extrapolates to about 1.7 ms at 100M:
about 600 queries/s per core, 1,100/s on both cores. faiss_flat would manage about 4 queries/s;
faiss_multihash, by its RSS growth at 10M, would need about 30 GB.
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
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np

from amparo.match.pdq_index import DEFAULT_MERGE_THRESHOLD, PdqIndex, PdqMatches

RESULTS = Path(__file__).parent / "results" / "pdq_index.json"
RADIUS = 31
METHODS = ("faiss_flat", "amparo", "faiss_multihash")
TARGET_QPS_AT_10M = 1000
TARGET_INDEX_BYTES_AT_10M = 2 * 10**9
FLAT_PAIRS_PER_REPEAT = 2 * 10**9  # caps the queries faiss_flat is timed on (about 5 s each)
PLANTED_IN_INDEX = 0.01
SEED = 31


def main(args: argparse.Namespace) -> None:
    check_faiss_radius_semantics()
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="amparo-pdq-bench-") as scratch:
        sizes = [measure_size(size, args, Path(scratch)) for size in args.sizes]
    result = summarise(args, sizes, time.time() - started)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print_summary(result, args.output)
    if any(not size["recall_against_flat"].get("amparo_identical_to_flat", True) for size in sizes):
        sys.exit("benchmark invalid: amparo's matches differ from faiss_flat's")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--worker", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--scratch", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def check_faiss_radius_semantics() -> None:
    """FAISS binary range_search must return distances strictly below its radius."""
    hashes = np.zeros((2, 32), np.uint8)
    hashes[1, :4] = 0xFF  # distance 32 from hashes[0]
    flat = faiss.IndexBinaryFlat(256)
    flat.add(hashes)
    below, at = (len(flat.range_search(hashes[:1], radius)[2]) for radius in (32, 33))
    if (below, at) != (1, 2):
        sys.exit("FAISS binary range_search no longer excludes its radius: benchmark invalid")


# --- data -----------------------------------------------------------------------------------


def dataset(size: int, queries: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hashes, ids and queries, the same in every process. The query order is shuffled so that
    any prefix mixes planted and random queries."""
    rng = np.random.default_rng(SEED)
    hashes = rng.integers(0, 256, size=(size, 32), dtype=np.uint8)
    variants = rng.choice(size, size=int(size * PLANTED_IN_INDEX), replace=False)
    originals = rng.integers(0, size, size=len(variants))
    distances = rng.integers(1, RADIUS + 1, size=len(variants))
    hashes[variants] = flip_bits(hashes[originals], distances, rng)
    ids = rng.permutation(size).astype(np.int64) + 10**12
    planted = queries // 2
    planted_distances = rng.integers(0, RADIUS + 1, size=planted)
    near = flip_bits(hashes[rng.integers(0, size, size=planted)], planted_distances, rng)
    far = rng.integers(0, 256, size=(queries - planted, 32), dtype=np.uint8)
    return hashes, ids, np.concatenate([near, far])[rng.permutation(queries)]


def flip_bits(hashes: np.ndarray, distances: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Copies of ``hashes`` with exactly ``distances[i]`` random bits of row ``i`` flipped."""
    flipped = hashes.copy()
    for first in range(0, len(hashes), 65536):
        chunk = slice(first, first + 65536)
        ranks = rng.random((len(flipped[chunk]), 256)).argsort(axis=1)  # random permutations
        flipped[chunk] ^= np.packbits(ranks < distances[chunk, None], axis=1)
    return flipped


# --- orchestration --------------------------------------------------------------------------


def measure_size(size: int, args: argparse.Namespace, scratch: Path) -> dict:
    """Every method on ``size`` hashes, each in a fresh process, then recall against flat."""
    print(f"{size:,} hashes:", flush=True)
    measured = {}
    for method in args.methods:
        measured[method] = run_worker(method, size, args, scratch)
        print(
            f"  {method:16s} {measured[method]['queries_per_second']:10.1f} queries/s", flush=True
        )
    measured["recall_against_flat"] = recall(args.methods, scratch, size)
    measured["ratios"] = ratios(measured)
    return {"size": size, **measured}


def run_worker(method: str, size: int, args: argparse.Namespace, scratch: Path) -> dict:
    command = [sys.executable, __file__, "--worker", method, "--size", str(size)]
    command += ["--queries", str(args.queries), "--repeat", str(args.repeat)]
    command += ["--scratch", str(scratch)]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(done.stdout.splitlines()[-1])


def recall(methods: list[str], scratch: Path, size: int) -> dict:
    if "faiss_flat" not in methods:
        return {"note": "faiss_flat not run: recall not measured"}
    truth = load_triples(scratch / f"faiss_flat-{size}.npz")
    sample = int(np.load(scratch / f"faiss_flat-{size}.npz")["sample"])
    measured: dict[str, object] = {"queries_compared": sample, "matches_in_truth": len(truth)}
    for method in (m for m in methods if m != "faiss_flat"):
        found = load_triples(scratch / f"{method}-{size}.npz", sample)
        measured[method] = len(found & truth) / max(1, len(truth))
        measured[f"{method}_identical_to_flat"] = found == truth
    return measured


def load_triples(path: Path, below_query: int | None = None) -> set[tuple[int, int, int]]:
    saved = np.load(path, allow_pickle=False)
    keep = slice(None) if below_query is None else saved["query_index"] < below_query
    columns = (saved["query_index"][keep], saved["ids"][keep], saved["distances"][keep])
    return set(zip(*(column.astype(np.int64).tolist() for column in columns), strict=True))


def ratios(measured: dict) -> dict:
    ours = measured.get("amparo", {}).get("queries_per_second")
    return {
        f"amparo_over_{baseline}": round(ours / measured[baseline]["queries_per_second"], 1)
        for baseline in ("faiss_flat", "faiss_multihash")
        if ours and baseline in measured
    }


# --- workers --------------------------------------------------------------------------------


def worker(args: argparse.Namespace) -> None:
    """Build and time one method in this process, print its figures as one JSON line."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    faiss.omp_set_num_threads(1)
    hashes, ids, queries = dataset(args.size, args.queries)
    load_before = os.getloadavg()[0]
    figures = WORKERS[args.worker](hashes, ids, queries, args)
    figures["peak_rss_bytes"] = peak_rss()
    figures["load_average_before_after"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    print(json.dumps(figures))


def measure_amparo(
    hashes: np.ndarray, ids: np.ndarray, queries: np.ndarray, args: argparse.Namespace
) -> dict:
    rss_before = current_rss()
    build_seconds, index = timed(lambda: PdqIndex.build(hashes, ids))
    figures = {"build_seconds": round(build_seconds, 2), "index_bytes": index.nbytes}
    figures["rss_growth_bytes"] = current_rss() - rss_before
    figures["search_plan"] = str(index.search_plan(RADIUS))
    figures |= time_queries(lambda batch: index.search(batch, RADIUS), queries, args.repeat)
    figures["single_query_ms_median"] = single_query_ms(index, queries[:200])
    figures["peak_rss_before_reload_bytes"] = peak_rss()  # the reload maps a second copy
    save_triples(args, index.search(queries, RADIUS), len(queries))
    figures |= time_persistence(index, queries, args)
    figures |= time_adds(index, hashes, ids)
    return figures


def measure_flat(
    hashes: np.ndarray, ids: np.ndarray, queries: np.ndarray, args: argparse.Namespace
) -> dict:
    rss_before = current_rss()
    flat = faiss.IndexBinaryFlat(256)
    build_seconds, _ = timed(lambda: flat.add(hashes))
    sample = min(len(queries), max(10, FLAT_PAIRS_PER_REPEAT // len(hashes)))
    figures = {
        "build_seconds": round(build_seconds, 2),
        "rss_growth_bytes": current_rss() - rss_before,
    }
    figures["queries_timed"] = sample
    figures |= time_queries(
        lambda batch: flat.range_search(batch, RADIUS + 1), queries[:sample], args.repeat
    )
    lims, distances, rows = flat.range_search(queries[:sample], RADIUS + 1)
    save_faiss_triples(args, lims, distances, ids[rows], sample)
    return figures


def measure_multihash(
    hashes: np.ndarray, ids: np.ndarray, queries: np.ndarray, args: argparse.Namespace
) -> dict:
    rss_before = current_rss()
    multihash = faiss.IndexBinaryMultiHash(256, 16, 16)
    multihash.nflip = 1
    index = faiss.IndexBinaryIDMap2(multihash)
    build_seconds, _ = timed(lambda: index.add_with_ids(hashes, ids))
    figures = {
        "build_seconds": round(build_seconds, 2),
        "rss_growth_bytes": current_rss() - rss_before,
    }
    figures |= time_queries(
        lambda batch: index.range_search(batch, RADIUS + 1), queries, args.repeat
    )
    lims, distances, found_ids = index.range_search(queries, RADIUS + 1)
    save_faiss_triples(args, lims, distances, found_ids, len(queries))
    figures["add_one_ms_median"] = median_ms(
        [
            timed(lambda i=i: index.add_with_ids(hashes[i : i + 1], ids[i : i + 1] + 1))[0]
            for i in range(200)
        ]
    )
    return figures


WORKERS: dict[str, Callable[..., dict]] = {
    "amparo": measure_amparo,
    "faiss_flat": measure_flat,
    "faiss_multihash": measure_multihash,
}


def time_queries(search: Callable[[np.ndarray], object], queries: np.ndarray, repeat: int) -> dict:
    """Median wall and CPU seconds of searching all ``queries`` at once, after one warm-up."""
    search(queries[:10])
    wall, cpu = [], []
    for _ in range(repeat):
        cpu_start = time.process_time()
        wall.append(timed(lambda: search(queries))[0])
        cpu.append(time.process_time() - cpu_start)
    return {
        "queries_per_second": round(len(queries) / statistics.median(wall), 1),
        "queries_per_cpu_second": round(len(queries) / statistics.median(cpu), 1),
        "wall_seconds": [round(seconds, 3) for seconds in wall],
    }


def single_query_ms(index: PdqIndex, queries: np.ndarray) -> float:
    return median_ms([timed(lambda q=q: index.search_one(q, RADIUS))[0] for q in queries])


def time_persistence(index: PdqIndex, queries: np.ndarray, args: argparse.Namespace) -> dict:
    folder = args.scratch / f"amparo-{args.size}-saved"
    save_seconds, _ = timed(lambda: index.save(folder))
    load_seconds, loaded = timed(lambda: PdqIndex.load(folder))
    mapped = time_queries(lambda batch: loaded.search(batch, RADIUS), queries, args.repeat)
    return {
        "saved_bytes": sum(path.stat().st_size for path in folder.iterdir()),
        "save_seconds": round(save_seconds, 2),
        "load_mmap_seconds": round(load_seconds, 3),
        "mmap_warm_cache_queries_per_second": mapped["queries_per_second"],
    }


def time_adds(index: PdqIndex, hashes: np.ndarray, ids: np.ndarray) -> dict:
    """add() of one hash (into the delta), and the add() that merges a full delta."""
    index.compact()
    one = [
        timed(lambda i=i: index.add(hashes[i : i + 1], ids[i : i + 1] + 1))[0] for i in range(200)
    ]
    fill = slice(200, DEFAULT_MERGE_THRESHOLD)  # fills the delta exactly
    index.add(hashes[fill], ids[fill] + 1)
    merge_seconds, _ = timed(lambda: index.add(hashes[:1], ids[:1] + 2))
    if (int(ids[0]) + 2, 0) not in index.search_one(hashes[0], 0):
        sys.exit("benchmark invalid: a hash added by merge is not found")
    return {"add_one_ms_median": median_ms(one), "add_with_merge_seconds": round(merge_seconds, 2)}


def save_triples(args: argparse.Namespace, matches: PdqMatches, queries: int) -> None:
    np.savez(
        args.scratch / f"{args.worker}-{args.size}.npz",
        query_index=matches.query_index,
        ids=matches.ids,
        distances=matches.distances,
        sample=queries,
    )


def save_faiss_triples(
    args: argparse.Namespace,
    lims: np.ndarray,
    distances: np.ndarray,
    found_ids: np.ndarray,
    queries: int,
) -> None:
    query_index = np.repeat(np.arange(queries), np.diff(lims).astype(np.intp))
    np.savez(
        args.scratch / f"{args.worker}-{args.size}.npz",
        query_index=query_index,
        ids=found_ids,
        distances=distances,
        sample=queries,
    )


def timed(action: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    value = action()
    return time.perf_counter() - start, value


def median_ms(seconds: list[float]) -> float:
    return round(statistics.median(seconds) * 1000, 3)


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def current_rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# --- summary --------------------------------------------------------------------------------


def summarise(args: argparse.Namespace, sizes: list[dict], seconds: float) -> dict:
    return {
        "benchmark": "pdq_index",
        "command": " ".join(["python benchmarks/pdq_index.py", *sys.argv[1:]]),
        "radius": RADIUS,
        "queries": args.queries,
        "planted_queries": args.queries // 2,
        "planted_near_duplicates_in_index": PLANTED_IN_INDEX,
        "cores": 1,
        "repeats": args.repeat,
        "machine": f"{platform.machine()} {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores visible",
        "versions": {"numpy": np.__version__, "faiss": faiss.__version__},
        "run_seconds": round(seconds),
        "sizes": sizes,
        "targets": {
            "queries_per_second_at_10m": TARGET_QPS_AT_10M,
            "index_bytes_at_10m": TARGET_INDEX_BYTES_AT_10M,
        },
        "meets_targets": meets_targets(sizes),
        "plan_100m": " ".join(__doc__.split("Plan for 100M")[1].split()),
    }


def meets_targets(sizes: list[dict]) -> bool | None:
    at_10m = [s["amparo"] for s in sizes if s["size"] == 10_000_000 and "amparo" in s]
    if not at_10m:
        return None
    return (
        at_10m[0]["queries_per_second"] >= TARGET_QPS_AT_10M
        and at_10m[0]["index_bytes"] <= TARGET_INDEX_BYTES_AT_10M
    )


def print_summary(result: dict, output: Path) -> None:
    for size in result["sizes"]:
        print(
            f"\n{size['size']:,} hashes, radius {RADIUS}, one core (median of {result['repeats']})"
        )
        for method in METHODS:
            if method in size:
                figures = size[method]
                timed_on = figures.get("queries_timed", result["queries"])
                print(
                    f"  {method:16s} {figures['queries_per_second']:9.1f} queries/s"
                    f"  build {figures['build_seconds']:7.1f} s"
                    f"  peak RSS {search_peak_rss(figures) / 2**30:5.2f} GiB"
                    f"  ({timed_on} queries timed)"
                )
        print(f"  ratios {size['ratios']}  recall {size['recall_against_flat']}")
    print(f"\nmeets targets: {result['meets_targets']}; written to {output}")


def search_peak_rss(figures: dict) -> int:
    return figures.get("peak_rss_before_reload_bytes", figures["peak_rss_bytes"])


if __name__ == "__main__":
    arguments = parse_arguments()
    if arguments.worker:
        worker(arguments)
    else:
        main(arguments)
