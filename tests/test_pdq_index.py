"""The PDQ index: exact range search (100 % recall, exact distances) against a brute-force
reference, incremental adds and merges, persistence, and input errors. Random hashes only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from amparo.match.pdq_index import PdqIndex, PdqMatches, hashes_from_hex, hashes_to_hex
from amparo.match.pdq_plan import Layout, choose_layout, plan_search

PLANTED_DISTANCES = (0, 1, 15, 16, 17, 30, 31, 32)
BYTE_POPCOUNT = np.array([bin(byte).count("1") for byte in range(256)], np.int64)


def random_hashes(rng: np.random.Generator, count: int) -> np.ndarray:
    return rng.integers(0, 256, size=(count, 32), dtype=np.uint8)


def at_distance(rng: np.random.Generator, hash_: np.ndarray, distance: int) -> np.ndarray:
    """A copy of ``hash_`` with exactly ``distance`` bits flipped."""
    bits = np.unpackbits(hash_)
    flipped = rng.choice(256, size=distance, replace=False)
    bits[flipped] ^= 1
    return np.packbits(bits)


def brute_force(hashes: np.ndarray, ids: np.ndarray, queries: np.ndarray, radius: int) -> set:
    """(query, id, distance) of every pair within ``radius``, by a byte-popcount table."""
    found = set()
    for number, query in enumerate(queries):
        distances = BYTE_POPCOUNT[hashes ^ query].sum(axis=1)
        for row in np.flatnonzero(distances <= radius):
            found.add((number, int(ids[row]), int(distances[row])))
    return found


def triples(matches: PdqMatches) -> set:
    columns = (matches.query_index, matches.ids, matches.distances)
    return set(zip(*(column.tolist() for column in columns), strict=True))


@pytest.fixture(scope="module")
def corpus() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """20,000 hashes, among them near-duplicates of the first 40 of 80 queries at each planted
    distance; ids are random int64 (negatives included)."""
    rng = np.random.default_rng(2024)
    queries = random_hashes(rng, 80)
    planted = [at_distance(rng, query, d) for query in queries[:40] for d in PLANTED_DISTANCES]
    hashes = np.concatenate([random_hashes(rng, 20_000 - len(planted)), np.array(planted)])
    hashes = hashes[rng.permutation(len(hashes))]
    ids = rng.choice(np.iinfo(np.int64).max, size=len(hashes), replace=False) - (1 << 62)
    return hashes, ids, queries


@pytest.fixture(scope="module")
def index(corpus: tuple[np.ndarray, np.ndarray, np.ndarray]) -> PdqIndex:
    hashes, ids, _ = corpus
    return PdqIndex.build(hashes, ids)


def test_radius_31_finds_exactly_what_brute_force_finds(corpus: tuple, index: PdqIndex) -> None:
    hashes, ids, queries = corpus
    assert index.search_plan(31).radii is not None  # multi-index hashing, not a scan
    expected = brute_force(hashes, ids, queries, 31)
    assert triples(index.search(queries)) == expected
    planted = {d for _, _, d in expected}
    assert {0, 1, 15, 16, 17, 30, 31} <= planted and 32 not in planted


def test_matches_are_sorted_by_query_distance_then_id(corpus: tuple, index: PdqIndex) -> None:
    matches = index.search(corpus[2])
    order = np.lexsort((matches.ids, matches.distances, matches.query_index))
    assert np.array_equal(order, np.arange(len(matches)))
    assert matches.query_index.dtype == matches.ids.dtype == np.int64
    first = matches.for_query(0)
    assert [d for _, d in first] == [0, 1, 15, 16, 17, 30, 31]


@pytest.mark.parametrize("radius", [0, 8, 47, 100])
def test_other_radii_are_exact(corpus: tuple, index: PdqIndex, radius: int) -> None:
    hashes, ids, queries = corpus
    assert triples(index.search(queries, radius=radius)) == brute_force(
        hashes, ids, queries, radius
    )


@pytest.mark.parametrize("radius", [8, 31, 33])
def test_the_hardest_hash_for_the_plan_is_found(corpus: tuple, radius: int) -> None:
    """Exactly ``radius`` flips spread so that every probed substring but the last differs by one
    more than its probe radius: only the last substring's probes can find it."""
    hashes, _, queries = corpus
    rng = np.random.default_rng(radius)
    layout = choose_layout(len(hashes))
    radii = plan_search(layout, len(hashes), radius).radii
    assert radii is not None and sum(r + 1 for r in radii) == radius + 1
    bits, left = np.unpackbits(queries[-1], bitorder="little"), radius
    for (start, width), substring_radius in zip(layout.substrings, radii, strict=True):
        flips = min(substring_radius + 1, left)
        bits[start + rng.choice(width, size=flips, replace=False)] ^= 1
        left -= flips
    hardest = np.packbits(bits, bitorder="little")
    index = PdqIndex.build(np.concatenate([hashes[1:], hardest[None]]), np.arange(len(hashes)))
    assert (len(hashes) - 1, radius) in index.search_one(queries[-1], radius)


def test_large_radii_scan_instead_of_probing(index: PdqIndex) -> None:
    assert index.search_plan(33).radii is not None
    assert index.search_plan(47).radii is None  # the pigeonhole bound no longer pays
    assert index.search_plan(100).radii is None


# (size, radius, radius + 5) around which probing and scanning were measured to cost the same
# (benchmarks/results/pdq_scan_crossover.json): the plan probes at the first, scans at the second.
@pytest.mark.parametrize(
    ("size", "probed", "scanned"),
    [(10_000, 31, 36), (100_000, 36, 41), (1_000_000, 46, 51), (10_000_000, 51, 56)],
)
def test_the_plan_follows_the_measured_crossover(size: int, probed: int, scanned: int) -> None:
    layout = choose_layout(size)
    assert plan_search(layout, size, probed).radii is not None
    assert plan_search(layout, size, scanned).radii is None


@pytest.mark.parametrize("size", [0, 1_000, 20_000, 1_000_000, 10_000_000, 100_000_000])
def test_every_plan_keeps_the_pigeonhole_guarantee(size: int) -> None:
    layout = choose_layout(size)
    assert sum(layout.widths) == 256
    for radius in range(0, 257, 3):
        radii = plan_search(layout, size, radius).radii
        assert radii is None or sum(r + 1 for r in radii) > radius


def test_layouts_split_the_bits_evenly() -> None:
    assert Layout.split(16).widths == (16,) * 16
    assert Layout.split(11).widths == (24, 24, 24) + (23,) * 8
    assert Layout.split(11).starts[:4] == (0, 24, 48, 72)


def test_added_hashes_are_found_before_and_after_merges(corpus: tuple) -> None:
    hashes, ids, queries = corpus
    rng = np.random.default_rng(7)
    index = PdqIndex.build(hashes[:10_000], ids[:10_000], merge_threshold=64)
    index.add(hashes[10_000:10_010], ids[10_000:10_010])  # stays in the delta
    assert len(index) == 10_010
    assert index.search_one(hashes[10_005]) == [(int(ids[10_005]), 0)]
    for first in range(10_010, 20_000, 333):  # each add outgrows the delta: merged
        index.add(hashes[first : first + 333], ids[first : first + 333])
    index.add(hashes[:0], ids[:0])
    assert len(index) == 20_000
    assert triples(index.search(queries)) == brute_force(hashes, ids, queries, 31)
    nearby = np.array([at_distance(rng, queries[0], 3)])
    index.add(nearby, [42])
    assert (42, 3) in index.search_one(queries[0])


def test_one_at_a_time_from_empty_changes_layout_and_stays_exact(corpus: tuple) -> None:
    hashes, ids, queries = corpus
    index = PdqIndex(merge_threshold=16)
    for row in range(3_000):
        index.add(hashes[row : row + 1], ids[row : row + 1])
    index.compact()
    expected = brute_force(hashes[:3_000], ids[:3_000], queries, 40)
    assert triples(index.search(queries, radius=40)) == expected


@pytest.mark.parametrize("mmap", [True, False])
def test_save_and_load_give_identical_results(corpus: tuple, tmp_path: Path, mmap: bool) -> None:
    hashes, ids, queries = corpus
    index = PdqIndex.build(hashes[:19_000], ids[:19_000])
    index.add(hashes[19_000:], ids[19_000:])  # a delta to persist too
    index.save(tmp_path / "pdq")
    loaded = PdqIndex.load(tmp_path / "pdq", mmap=mmap)
    assert len(loaded) == len(index)
    for radius in (31, 100):
        assert triples(loaded.search(queries, radius)) == triples(index.search(queries, radius))


def test_saving_over_the_folder_it_was_mapped_from(corpus: tuple, tmp_path: Path) -> None:
    hashes, ids, queries = corpus
    PdqIndex.build(hashes[:15_000], ids[:15_000]).save(tmp_path)
    loaded = PdqIndex.load(tmp_path)
    loaded.add(hashes[15_000:], ids[15_000:])
    loaded.compact()
    loaded.save(tmp_path)
    again = PdqIndex.load(tmp_path)
    assert triples(again.search(queries)) == brute_force(hashes, ids, queries, 31)


def test_load_refuses_another_format_version(index: PdqIndex, tmp_path: Path) -> None:
    index.save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    (tmp_path / "manifest.json").write_text(json.dumps({**manifest, "version": 2}))
    with pytest.raises(ValueError, match="version 2"):
        PdqIndex.load(tmp_path)


def test_load_refuses_missing_or_mismatched_files(index: PdqIndex, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="manifest"):
        PdqIndex.load(tmp_path / "absent")
    index.save(tmp_path)
    np.save(tmp_path / "ids.npy", np.zeros(3, np.int64))
    with pytest.raises(ValueError, match=r"ids\.npy"):
        PdqIndex.load(tmp_path)


def test_empty_index_and_empty_batches(corpus: tuple) -> None:
    hashes, ids, queries = corpus
    empty = PdqIndex()
    assert len(empty) == 0 and len(empty.search(queries)) == 0
    assert empty.search_one(queries[0]) == []
    nothing = PdqIndex.build(hashes, ids).search(np.empty((0, 32), np.uint8))
    assert len(nothing) == 0 and nothing.ids.dtype == np.int64


@pytest.mark.parametrize(
    "queries",
    [
        np.zeros((3, 32), np.uint16),
        np.zeros((3, 32), np.float64),
        np.zeros((3, 31), np.uint8),
        np.zeros(32, np.uint8),
        np.zeros((2, 3, 32), np.uint8),
        [[0] * 32],
    ],
)
def test_wrong_query_shapes_and_dtypes_are_refused(index: PdqIndex, queries: object) -> None:
    with pytest.raises(ValueError, match=r"\(n, 32\)"):
        index.search(queries)  # type: ignore[arg-type]


@pytest.mark.parametrize("radius", [-1, 257, 3.5, True, "31"])
def test_wrong_radii_are_refused(index: PdqIndex, radius: object) -> None:
    with pytest.raises(ValueError, match="radius"):
        index.search(np.zeros((1, 32), np.uint8), radius=radius)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "ids", [np.arange(3), np.arange(2, dtype=np.float64), np.arange(2, dtype=np.uint64), ["a", "b"]]
)
def test_wrong_ids_are_refused(ids: object) -> None:
    with pytest.raises(ValueError, match="ids"):
        PdqIndex().add(np.zeros((2, 32), np.uint8), ids)  # type: ignore[arg-type]


def test_hex_round_trip_and_errors() -> None:
    hashes = random_hashes(np.random.default_rng(3), 5)
    texts = hashes_to_hex(hashes)
    assert all(len(text) == 64 for text in texts)
    assert np.array_equal(hashes_from_hex(texts), hashes)
    assert hashes_from_hex([]).shape == (0, 32)
    for bad in ("ab" * 31, "zz" * 32, "a b" * 21 + "a"):
        with pytest.raises(ValueError, match="64 hex digits"):
            hashes_from_hex([bad])


def test_search_one_takes_hex(corpus: tuple, index: PdqIndex) -> None:
    hashes, ids, _ = corpus
    assert index.search_one(hashes_to_hex(hashes[7:8])[0], radius=0) == [(int(ids[7]), 0)]
