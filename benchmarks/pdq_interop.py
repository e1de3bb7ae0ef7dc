"""PDQ interoperability: entries hashed by other tools found at full precision, against fast only.

Hash sets arrive hashed by other software. This benchmark, on benign pictures only (scikit-image's
sample photos, the PDQ reference's test photos in shared/testdata/pdq, the demo's generated
pictures and lfw faces), measures in one run:

1. spread: how far Amparo's fast PDQ (reduced JPEG decode) lies from the same file's
   full-precision hashes (``amparo.media.pdq_preparations``: full-size decode, resize-first),
   on 1-3 megapixel JPEGs made from the sample photos, on the reference's photos and on the
   demo's pictures. ``amparo.match.confirm.PREPARATION_SPREAD`` must cover it;
2. recall: for each of ``--photos`` other photos (other seed), an entry made by each of three
   emulated outside hashers (full-size decode + ``pdqhash`` as Meta's HMA does; the array
   conversion of python-threatexchange's ``pdq_hasher``; the C++ reference's nearest-neighbour
   resize to 512 x 512 first), with 12-30 random bits flipped, planted among random filler
   entries (1M and 10M by default). Baseline: the fast hash's eight dihedral hashes searched at
   the threshold (31), as before. Amparo: the same, plus the original-orientation fast hash
   searched at threshold + spread, and candidates confirmed with ``closest_matches`` over the
   fast and full-precision hashes (the same functions the match stage calls);
3. false matches: ``--pairs`` pairs (file, entry) of unrelated pictures (tiles of different
   source pictures), the entry made by one of the three outside hashers, decided the same way.

Timings are wall-clock medians on a shared machine. Results: benchmarks/results/pdq_interop.json.

The widened search alone, against the numpy scan before: ``pdq_widened_search.py``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image
from skimage import data as samples

from amparo.demo.images import generated_picture, photo_variant
from amparo.match.confirm import (
    PREPARATION_SPREAD,
    WIDENED_TRANSFORMS,
    candidate_radius,
    closest_matches,
    fast_preparation,
    is_candidate,
)
from amparo.match.matcher import MIN_PDQ_QUALITY, EntryInfo
from amparo.match.pdq_index import PdqIndex, hashes_from_hex
from amparo.media.analyse import analyse_bytes
from amparo.media.pdq import DIHEDRAL_TRANSFORMS, bits_to_hex, hamming_distance
from amparo.media.pdq_preparations import PreparedPdq, full_precision_pdq

RESULTS = Path(__file__).parent / "results" / "pdq_interop.json"
TESTDATA = Path("/work/shared/testdata/pdq")
THRESHOLD = 31
FLIPS = (12, 30)
# Sample photos bundled with scikit-image (no download); textures and a scanned page included.
PHOTOS = (
    "astronaut", "brick", "camera", "cat", "cell", "chelsea", "clock", "coffee", "coins",
    "grass", "gravel", "hubble_deep_field", "immunohistochemistry", "microaneurysms", "moon",
    "page", "retina", "rocket", "text",
)  # fmt: skip
ASPECTS = (4 / 3, 3 / 2, 1.0, 16 / 9, 3 / 4, 2 / 3)
WIDENED = [DIHEDRAL_TRANSFORMS.index(name) for name in sorted(WIDENED_TRANSFORMS)]


@dataclass(frozen=True)
class Hashed:
    """One picture: where it came from, its fast and full-precision hashes."""

    source: str
    fast: PreparedPdq
    prepared: tuple[PreparedPdq, ...]

    @property
    def all(self) -> list[PreparedPdq]:
        return [self.fast, *self.prepared]


# --- pictures -------------------------------------------------------------------------------


def sample_photos() -> dict[str, Image.Image]:
    photos = {name: _rgb(getattr(samples, name)()) for name in PHOTOS}
    photos["motorcycle"] = _rgb(samples.stereo_motorcycle()[0])
    return photos


def _rgb(array: np.ndarray) -> Image.Image:
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    return Image.fromarray(array).convert("RGB")


def phone_photo(source: Image.Image, rng: np.random.Generator) -> bytes:
    """A 1-3 megapixel JPEG: a random crop of ``source``, resized, lightly noised."""
    pixels, aspect = rng.uniform(1.0e6, 3.0e6), rng.choice(ASPECTS)
    width = int((pixels * aspect) ** 0.5)
    height = int(pixels / width)
    crop = _crop(source, rng, rng.uniform(0.6, 1.0))
    resized = np.asarray(crop.resize((width, height), Image.Resampling.LANCZOS), dtype=np.int16)
    noisy = resized + rng.normal(0, rng.uniform(0, 3), resized.shape).astype(np.int16)
    return _jpeg(Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)), rng)


def _crop(picture: Image.Image, rng: np.random.Generator, share: float) -> Image.Image:
    width, height = max(8, int(picture.width * share)), max(8, int(picture.height * share))
    left = int(rng.integers(0, picture.width - width + 1))
    top = int(rng.integers(0, picture.height - height + 1))
    return picture.crop((left, top, left + width, top + height))


def _jpeg(picture: Image.Image, rng: np.random.Generator) -> bytes:
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=int(rng.integers(75, 96)))
    return out.getvalue()


def hashed(data: bytes, source: str) -> Hashed | None:
    """The picture's hashes, or None when its fast hash is not matched at all (low quality)."""
    analysis = analyse_bytes(data, name="")
    if analysis.pdq_dihedral is None or (analysis.pdq_quality or 0) < MIN_PDQ_QUALITY:
        return None
    fast = fast_preparation(analysis.pdq_quality or 0, analysis.pdq_dihedral)
    return Hashed(source, fast, tuple(full_precision_pdq(data)))


# --- outside hashers, emulated for making entries -----------------------------------------


def hma_pdqhash(data: bytes) -> str:
    """Meta's hasher-matcher-actioner: the full-size decode as RGB, ``pdqhash.compute``."""
    return _pdq(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))


def threatexchange_pdq(data: bytes) -> str:
    """python-threatexchange's ``pdq_hasher``: the array of the image as decoded."""
    image = Image.open(io.BytesIO(data))
    array = np.asarray(image.convert("RGB") if image.mode == "LA" else image)
    return _pdq(np.dstack([array] * 3) if array.ndim == 2 else array)


def reference_resize_first(data: bytes) -> str:
    """The C++ reference: over 512 on a side, CImg's nearest-neighbour resize to 512 x 512."""
    array = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    height, width = array.shape[:2]
    if max(height, width) > 512:
        array = array[(np.arange(512) * height) // 512][:, (np.arange(512) * width) // 512]
    return _pdq(np.ascontiguousarray(array))


def _pdq(array: np.ndarray) -> str:
    return bits_to_hex(pdqhash.compute(array)[0])


OUTSIDE_HASHERS: dict[str, Callable[[bytes], str]] = {
    "hma_pdqhash_full_decode": hma_pdqhash,
    "threatexchange_pdq_hasher": threatexchange_pdq,
    "reference_resize_first": reference_resize_first,
}


# --- 1. spread ------------------------------------------------------------------------------


def measure_spread(count: int, seed: int) -> dict:
    """Fast to full-precision distances by picture group. The demo's generated pictures
    (gradients, stripes, shapes) are not photos and are reported apart, not in ``photos``."""
    rng = np.random.default_rng(seed)
    photos = sample_photos()
    names = list(photos)
    groups: dict[str, list[Hashed]] = {
        "phone_photos_1_3mp": [], "reference_photos": [], "demo_photo_variants": [],
    }  # fmt: skip
    for number in range(count):
        name = names[number % len(names)]
        _keep(groups["phone_photos_1_3mp"], hashed(phone_photo(photos[name], rng), name))
    for path in sorted(TESTDATA.glob("*.jpg")) + sorted(TESTDATA.glob("*.png")):
        _keep(groups["reference_photos"], hashed(path.read_bytes(), path.name))
    for _ in range(count // 2):
        _keep(groups["demo_photo_variants"], hashed(_jpeg(photo_variant(rng), rng), "demo"))
    generated: list[Hashed] = []
    for _ in range(count // 4):
        _keep(generated, hashed(_jpeg(generated_picture(rng), rng), "generated"))
    return {group: _spread(items) for group, items in groups.items()} | {
        "photos": _spread([item for items in groups.values() for item in items]),
        "demo_generated_pictures": _spread(generated),
        "worst_by_source": _worst_by_source(groups["phone_photos_1_3mp"]),
    }


def _keep(items: list[Hashed], item: Hashed | None) -> None:
    if item is not None:
        items.append(item)


def _spread(items: list[Hashed]) -> dict:
    result: dict = {"pictures": len(items)}
    for preparation in ("full", "threatexchange", "resized"):
        values = [_distance(item, preparation) for item in items]
        values = [value for value in values if value is not None]
        if values:
            result[preparation] = _summary(values)
    return result


def _distance(item: Hashed, preparation: str) -> int | None:
    for prepared in item.prepared:
        if prepared.preparation == preparation and prepared.quality >= MIN_PDQ_QUALITY:
            return hamming_distance(item.fast.dihedral[0], prepared.dihedral[0])
    return None


def _summary(values: list[int]) -> dict:
    array = np.asarray(values)
    return {
        "median": float(np.median(array)),
        "p99": int(np.percentile(array, 99, method="higher")),
        "max": int(array.max()),
        "within_spread": round(float(np.mean(array <= PREPARATION_SPREAD)), 4),
    }


def _worst_by_source(items: list[Hashed]) -> dict[str, int]:
    worst: Counter[str] = Counter()
    for item in items:
        worst[item.source] = max(worst[item.source], _distance(item, "full") or 0)
    return dict(worst.most_common())


# --- 2. recall in large sets ------------------------------------------------------------------


@dataclass(frozen=True)
class Planted:
    """A recall photo's hashes and the entries each outside hasher made of it (bits flipped)."""

    photo: Hashed
    entries: dict[str, str]
    flips: dict[str, int]


def planted_photos(count: int, seed: int) -> tuple[list[Planted], int, list[float]]:
    """Recall photos, how many were left out (fast hash of low quality), full-precision ms."""
    rng = np.random.default_rng(seed)
    photos = sample_photos()
    names = list(photos)
    planted, left_out, confirm_ms = [], 0, []
    for number in range(count):
        data = phone_photo(photos[names[number % len(names)]], rng)
        start = time.perf_counter()
        photo = hashed(data, names[number % len(names)])
        confirm_ms.append((time.perf_counter() - start) * 1000)
        if photo is None:
            left_out += 1
            continue
        flips = {name: int(rng.integers(FLIPS[0], FLIPS[1] + 1)) for name in OUTSIDE_HASHERS}
        entries = {name: flip_bits(hasher(data), flips[name], rng)
                   for name, hasher in OUTSIDE_HASHERS.items()}  # fmt: skip
        planted.append(Planted(photo, entries, flips))
    return planted, left_out, confirm_ms


def flip_bits(pdq: str, bits: int, rng: np.random.Generator) -> str:
    value = int(pdq, 16)
    for bit in rng.choice(256, size=bits, replace=False):
        value ^= 1 << int(bit)
    return f"{value:064x}"


def recall_at(size: int, planted: list[Planted], seed: int) -> dict:
    """Recall of the planted entries among ``size`` random fillers, fast only and confirmed."""
    names = list(OUTSIDE_HASHERS)
    hashes = set_with_planted(size, planted, seed)
    start = time.perf_counter()
    index = PdqIndex.build(hashes, np.arange(len(hashes), dtype=np.int64))
    build_s = time.perf_counter() - start
    fast, fast_s = _search(index, planted, range(8), THRESHOLD)
    widened, widened_s = _search(index, planted, WIDENED, candidate_radius(THRESHOLD))
    found_fast = {(q, i) for q, i, d in fast}
    candidates = {(q, i) for q, i, d in fast + widened if is_candidate(_entry(i), d)}
    start = time.perf_counter()
    confirmed = _confirm(candidates, planted, hashes)
    decide_s = time.perf_counter() - start
    return {
        "entries": len(hashes),
        "index_build_s": round(build_s, 1),
        "recall_fast_only": _recall(found_fast, planted, size, names),
        "recall_amparo": _recall(confirmed, planted, size, names),
        "matched_by_preparation": dict(Counter(prep for _, _, prep in confirmed.values())),
        "filler_candidates": sum(1 for _, i in candidates if i < size),
        "filler_matches": sum(1 for _, i in confirmed if i < size),
        "fast_search_ms_per_photo": round(fast_s * 1000 / len(planted), 2),
        "widened_search_ms_per_photo": round(widened_s * 1000 / len(planted), 2),
        "deciding_ms_per_photo": round(decide_s * 1000 / len(planted), 3),
    }


def set_with_planted(size: int, planted: list[Planted], seed: int) -> np.ndarray:
    """``size`` random fillers, then each photo's entries in the order of OUTSIDE_HASHERS."""
    rng = np.random.default_rng(seed)
    planted_hex = [p.entries[name] for p in planted for name in OUTSIDE_HASHERS]
    fillers = rng.integers(0, 256, size=(size, 32), dtype=np.uint8)
    return np.concatenate([fillers, hashes_from_hex(planted_hex)])


def _entry(entry_id: int) -> EntryInfo:
    return EntryInfo(entry_id, "block", THRESHOLD, None)


def _search(
    index: PdqIndex, planted: list[Planted], transforms: range | list[int], radius: int
) -> tuple[list[tuple[int, int, int]], float]:
    """``(photo number, entry id, distance)`` hits of the given fast dihedral hashes."""
    owners = [n for n, p in enumerate(planted) for _ in transforms]
    queries = [p.photo.fast.dihedral[t] for p in planted for t in transforms]
    start = time.perf_counter()
    found = index.search(hashes_from_hex(queries), radius)
    seconds = time.perf_counter() - start
    hits = zip(
        found.query_index.tolist(), found.ids.tolist(), found.distances.tolist(), strict=True
    )
    return [(owners[q], i, d) for q, i, d in hits], seconds


def _confirm(
    candidates: set[tuple[int, int]], planted: list[Planted], hashes: np.ndarray
) -> dict[tuple[int, int], tuple[int, str, str]]:
    """``(photo, entry) -> (distance, transform, preparation)`` of the confirmed matches."""
    confirmed = {}
    for photo, entry_id in candidates:
        entry_hex = hashes[entry_id].tobytes().hex()
        for match in closest_matches([(_entry(entry_id), entry_hex)], planted[photo].photo.all):
            confirmed[photo, entry_id] = (match.distance, match.transform or "", match.preparation)
    return confirmed


def _recall(found: object, planted: list[Planted], size: int, names: list[str]) -> dict:
    result = {}
    for offset, name in enumerate(names):
        hits = sum(
            (n, size + n * len(names) + offset) in found  # type: ignore[operator]
            for n in range(len(planted))
        )
        result[name] = {"found": hits, "of": len(planted), "recall": round(hits / len(planted), 4)}
    return result


# --- 3. false matches between unrelated pictures --------------------------------------------


def tile_pictures(count: int, seed: int) -> list[tuple[Hashed, dict[str, str]]]:
    """Tiles of many different benign pictures, each with every outside hasher's entry."""
    rng = np.random.default_rng(seed)
    sources = list(sample_photos().items())
    sources += [(p.name, _rgb(np.asarray(Image.open(p).convert("RGB"))))
                for p in sorted(TESTDATA.glob("*.jpg")) if "dih_" not in p.name]  # fmt: skip
    faces = samples.lfw_subset()
    sources += [(f"lfw-{n}", _rgb((face * 255).astype(np.uint8))) for n, face in enumerate(faces)]
    tiles = []
    while len(tiles) < count:
        name, source = sources[int(rng.integers(len(sources)))]
        tile = _crop(source, rng, rng.uniform(0.3, 0.7))
        side = int(rng.integers(300, 1400))
        scale = side / max(tile.size)
        tile = tile.resize((max(1, round(tile.width * scale)), max(1, round(tile.height * scale))))
        data = _jpeg(tile, rng)
        picture = hashed(data, name)
        if picture is not None:
            tiles.append((picture, {n: hasher(data) for n, hasher in OUTSIDE_HASHERS.items()}))
    return tiles


def false_matches(tiles: list[tuple[Hashed, dict[str, str]]], pairs: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    names = list(OUTSIDE_HASHERS)
    counts: Counter[str] = Counter(dict.fromkeys(("pairs", "fast_matches", "candidates",
                                                   "amparo_matches"), 0))  # fmt: skip
    closest: list[int] = []
    while counts["pairs"] < pairs:
        first, second = (int(n) for n in rng.integers(len(tiles), size=2))
        if tiles[first][0].source == tiles[second][0].source:
            continue
        picture, entry_hex = tiles[first][0], tiles[second][1][names[counts["pairs"] % 3]]
        counts["pairs"] += 1
        fast = [hamming_distance(h, entry_hex) for h in picture.fast.dihedral]
        counts["fast_matches"] += min(fast) <= THRESHOLD
        widened = min(fast[t] for t in WIDENED)
        if min(fast) <= THRESHOLD or widened <= candidate_radius(THRESHOLD):
            counts["candidates"] += 1
            entry = _entry(0)
            counts["amparo_matches"] += bool(closest_matches([(entry, entry_hex)], picture.all))
        closest.append(min(hamming_distance(h, entry_hex) for p in picture.all for h in p.dihedral))
    sources = len({picture.source for picture, _ in tiles})
    return dict(counts) | {
        "pictures": len(tiles),
        "sources": sources,
        "closest_distance_any_preparation": _summary_low(closest),
    }


def _summary_low(values: list[int]) -> dict:
    array = np.asarray(values)
    return {"min": int(array.min()), "p1": int(np.percentile(array, 1)),
            "median": float(np.median(array))}  # fmt: skip


# --- run ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--spread-photos", type=int, default=240)
    parser.add_argument("--photos", type=int, default=144)
    parser.add_argument("--tiles", type=int, default=600)
    parser.add_argument("--pairs", type=int, default=50_000)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.time()
    result: dict = {"benchmark": "pdq_interop", "machine": _machine(), "threshold": THRESHOLD,
                    "preparation_spread": PREPARATION_SPREAD,
                    "candidate_radius": candidate_radius(THRESHOLD),
                    "widened_transforms": sorted(WIDENED_TRANSFORMS)}  # fmt: skip
    result["spread"] = _step("spread", lambda: measure_spread(args.spread_photos, seed=11))
    planted, left_out, confirm_ms = planted_photos(args.photos, seed=12)
    result["recall_photos"] = {"used": len(planted), "left_out_low_quality": left_out,
                               "full_precision_hashing_ms_median": round(
                                   statistics.median(confirm_ms), 1)}  # fmt: skip
    result["recall"] = [_step(f"recall {size:,}", lambda s=size: recall_at(s, planted, seed=13))
                        for size in args.sizes]  # fmt: skip
    tiles = _step("tiles", lambda: tile_pictures(args.tiles, seed=14))
    result["false_matches"] = _step("pairs", lambda: false_matches(tiles, args.pairs, seed=15))
    result["seconds"] = round(time.time() - started)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


def _step(label: str, action: Callable[[], object]) -> object:
    start = time.time()
    value = action()
    print(f"{label}: {time.time() - start:.0f} s", flush=True)
    return value


def _machine() -> str:
    python = f"Python {platform.python_version()}"
    return f"{platform.machine()} {python}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"


if __name__ == "__main__":
    main()
