"""The PDQ brute-force scan (FAISS's Hamming range search) against a plain numpy reference:
exact triples, inclusive radius, memory-mapped hashes read in place. Random hashes only."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import faiss
import numpy as np
import pytest

from amparo.match.pdq_index import PdqIndex
from amparo.match.pdq_segment import WORD, Found, scan

RADII = (0, 31, 81, 256)


def at_distance(rng: np.random.Generator, hash_: np.ndarray, distance: int) -> np.ndarray:
    """A copy of ``hash_`` with exactly ``distance`` bits flipped."""
    bits = np.unpackbits(hash_)
    bits[rng.choice(256, size=distance, replace=False)] ^= 1
    return np.packbits(bits)


def reference(hashes: np.ndarray, queries: np.ndarray, radius: int) -> set:
    """(query, row, distance) of every pair within ``radius``, pair by pair in numpy."""
    distances = np.bitwise_count(hashes[None, :, :] ^ queries[:, None, :]).sum(axis=2)
    queries_found, rows = np.nonzero(distances <= radius)
    return set(zip(queries_found.tolist(), rows.tolist(),
                   distances[queries_found, rows].tolist(), strict=True))  # fmt: skip


def triples(found: Found) -> set:
    return set(zip(*(array.tolist() for array in found.arrays), strict=True))


def words(hashes: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(hashes).view(WORD)


@pytest.fixture(scope="module")
def planted() -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per radius: 3,000 random hashes with, for each of 6 queries, one at exactly the radius
    and one a bit beyond (where there is a beyond), shuffled; and the queries."""
    rng = np.random.default_rng(81)
    queries = rng.integers(0, 256, size=(6, 32), dtype=np.uint8)
    corpora = {}
    for radius in RADII:
        near = [at_distance(rng, q, d) for q in queries for d in (radius, radius + 1) if d <= 256]
        hashes = np.concatenate([rng.integers(0, 256, size=(3_000, 32), dtype=np.uint8), near])
        corpora[radius] = (hashes[rng.permutation(len(hashes))], queries)
    return corpora


@pytest.mark.parametrize("radius", RADII)
def test_scan_finds_exactly_what_numpy_finds(planted: dict, radius: int) -> None:
    hashes, queries = planted[radius]
    found = triples(scan(words(hashes), words(queries), radius))
    assert found == reference(hashes, queries, radius)
    distances = {d for _, _, d in found}
    assert radius in distances and radius + 1 not in distances  # the radius is inclusive


@pytest.mark.parametrize("radius", RADII)
def test_one_query_and_none(planted: dict, radius: int) -> None:
    hashes, queries = planted[radius]
    assert triples(scan(words(hashes), words(queries[2:3]), radius)) == {
        (0, row, distance) for _, row, distance in reference(hashes, queries[2:3], radius)
    }
    nothing = scan(words(hashes), np.empty((0, 4), WORD), radius)
    assert all(len(array) == 0 for array in nothing.arrays)


def test_empty_hashes(planted: dict) -> None:
    _, queries = planted[81]
    assert len(scan(np.empty((0, 4), WORD), words(queries), 256).rows) == 0
    empty = PdqIndex()
    assert len(empty.search(queries, 256)) == 0


def test_found_arrays_have_the_segment_types(planted: dict) -> None:
    hashes, queries = planted[31]
    found = scan(words(hashes), words(queries), 31)
    assert found.queries.dtype == found.rows.dtype == np.intp
    assert found.distances.dtype == np.int16


@pytest.mark.parametrize("radius", RADII)
def test_memory_mapped_index_scanned_in_place(planted: dict, tmp_path: Path, radius: int) -> None:
    """A loaded index's main hashes are read-only maps of the file; the widened search scans
    them without copying them."""
    hashes, queries = planted[radius]
    PdqIndex.build(hashes, np.arange(len(hashes)) + 10).save(tmp_path)
    mapped = np.load(tmp_path / "hashes.npy", mmap_mode="r")
    assert not mapped.flags.writeable
    tracemalloc.start()
    try:
        found = scan(words(mapped), words(queries), radius)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert triples(found) == reference(hashes, queries, radius)
    assert peak < mapped.nbytes // 2 + 200 * len(found.rows)  # the results, not a copy
    loaded = PdqIndex.load(tmp_path, mmap=True)
    matches = loaded.search(queries, radius)
    columns = (matches.query_index, matches.ids - 10, matches.distances)
    by_row = set(zip(*(column.tolist() for column in columns), strict=True))
    assert by_row == reference(hashes, queries, radius)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity here")
def test_threads_never_outnumber_the_usable_cores(planted: dict) -> None:
    hashes, queries = planted[81]
    cores = os.sched_getaffinity(0)
    faiss.omp_set_num_threads(len(cores) + 3)
    try:
        os.sched_setaffinity(0, {min(cores)})
        scan(words(hashes), words(queries), 81)
        assert faiss.omp_get_max_threads() == 1
    finally:
        os.sched_setaffinity(0, cores)
