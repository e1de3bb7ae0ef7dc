"""Image hashing speed: files per second on one core, end to end, against a plain baseline.

Generates benign JPEGs of 1-3 megapixels (scikit-image's sample photos, upscaled, cropped and
lightly noised, saved at quality 90), then times, in the same run, interleaved, each repeated
and the median kept (these machines are shared and noisy, so the time is CPU time):

- baseline: read the bytes, MD5 + SHA-1 + SHA-256, a full ``Image.open().convert("RGB")``
  decode, ``pdqhash.compute`` on every pixel;
- amparo:   read the bytes, the same digests, ``analyse_bytes`` (reduced JPEG decoding, PDQ with
  all eight dihedral hashes, EXIF).

Each file's PDQ is compared with the baseline's. The baseline is not the reference, though: the
reference implementations reduce an image to 512 pixels a side before hashing, which alone
moves PDQ by several bits. So the distances are also given to a reference-style hash (Pillow's
``thumbnail`` to 512, as ThreatExchange's Python reference does), from the baseline to that
same hash, and to the reference's own vectors in shared/testdata/pdq. The dihedral cost
(``compute_dihedral`` against ``compute`` on the same reduced pixels) is timed separately.
The result goes to ``benchmarks/results/hashing.json``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image
from skimage import data as samples

from amparo.media.analyse import analyse_bytes
from amparo.media.decode import decode_for_pdq
from amparo.media.pdq import bits_to_hex, hamming_distance

RESULTS = Path(__file__).parent / "results" / "hashing.json"
REFERENCE_VECTORS = Path(__file__).parents[1] / "tests" / "fixtures" / "pdq"
TARGET_FILES_PER_SECOND = 100
TARGET_WITHIN_16_BITS = 0.99
SAMPLE_PHOTOS = (
    "astronaut", "camera", "chelsea", "coffee", "rocket", "hubble_deep_field",
    "immunohistochemistry", "retina", "moon", "brick", "grass", "gravel",
)  # fmt: skip
ASPECTS = (4 / 3, 3 / 2, 1.0, 16 / 9, 3 / 4, 2 / 3)


def make_photos(folder: Path, count: int, seed: int) -> list[Path]:
    rng = np.random.default_rng(seed)
    sources = [Image.fromarray(getattr(samples, name)()).convert("RGB") for name in SAMPLE_PHOTOS]
    paths = []
    for number in range(count):
        photo = benign_photo(sources[number % len(sources)], rng)
        path = folder / f"photo-{number:04d}.jpg"
        photo.save(path, quality=90)
        paths.append(path)
    return paths


def benign_photo(source: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A 1-3 megapixel crop of an upscaled sample photo, with a little sensor-like noise."""
    pixels, aspect = rng.uniform(1.0e6, 3.0e6), rng.choice(ASPECTS)
    width = int((pixels * aspect) ** 0.5)
    height = int(pixels / width)
    scale = max(width / source.width, height / source.height) * rng.uniform(1.0, 1.3)
    big = source.resize((int(source.width * scale) + 1, int(source.height * scale) + 1))
    left = int(rng.integers(0, big.width - width + 1))
    top = int(rng.integers(0, big.height - height + 1))
    crop = np.asarray(big.crop((left, top, left + width, top + height)), dtype=np.int16)
    noisy = crop + rng.normal(0, 3, crop.shape).astype(np.int16)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def digests(data: bytes) -> tuple[bytes, ...]:
    return tuple(hashlib.new(name, data).digest() for name in ("md5", "sha1", "sha256"))


def baseline_pdq(path: Path) -> str:
    data = path.read_bytes()
    digests(data)
    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    return bits_to_hex(pdqhash.compute(pixels)[0])


def amparo_pdq(path: Path) -> str:
    data = path.read_bytes()
    digests(data)
    analysis = analyse_bytes(data, name=path.name)
    if analysis.pdq is None:
        sys.exit(f"benchmark invalid: {path.name}: {analysis.error}")
    return analysis.pdq


def reference_style_pdq(path: Path) -> str:
    image = Image.open(path)
    image.thumbnail((512, 512))
    return bits_to_hex(pdqhash.compute(np.asarray(image.convert("RGB")))[0])


def timed_rounds(
    runs: dict[str, Callable[[Path], str]], paths: list[Path], repeat: int
) -> tuple[dict[str, list[float]], dict[str, list[str]]]:
    """Files per CPU second of each run, rounds interleaved, and each run's hashes.

    CPU time of this process, pinned to one core: other processes on a shared machine take
    wall-clock time from it, not CPU time.
    """
    rates: dict[str, list[float]] = {name: [] for name in runs}
    hashes: dict[str, list[str]] = {}
    for _ in range(repeat):
        for name, run in runs.items():
            start = time.process_time()
            hashes[name] = [run(path) for path in paths]
            rates[name].append(len(paths) / (time.process_time() - start))
    return rates, hashes


def distances(first: list[str], second: list[str]) -> dict[str, float]:
    values = np.array([hamming_distance(a, b) for a, b in zip(first, second, strict=True)])
    return {
        "min": int(values.min()),
        "median": float(np.median(values)),
        "p99": int(np.percentile(values, 99, method="higher")),
        "max": int(values.max()),
        "within_16_bits": round(float(np.mean(values <= 16)), 4),
    }


def worst_by_sample(first: list[str], second: list[str]) -> dict[str, int]:
    """The largest distance among the photos made from each sample (they take turns)."""
    worst = dict.fromkeys(SAMPLE_PHOTOS, 0)
    for number, (a, b) in enumerate(zip(first, second, strict=True)):
        name = SAMPLE_PHOTOS[number % len(SAMPLE_PHOTOS)]
        worst[name] = max(worst[name], hamming_distance(a, b))
    return worst


def reference_vector_distances() -> dict[str, int] | None:
    expected = REFERENCE_VECTORS / "expected.csv"
    if not expected.exists():
        return None
    with expected.open(newline="") as rows:
        found = {
            row["file"]: hamming_distance(
                analyse_bytes((REFERENCE_VECTORS / row["file"]).read_bytes(), name="").pdq or "",
                row["pdq_hex"],
            )
            for row in csv.DictReader(rows)
        }
    return {"files": len(found), "max_distance": max(found.values())}


def dihedral_cost_ms(paths: list[Path]) -> dict[str, float]:
    """Median milliseconds of pdqhash's single and dihedral hash on the same reduced pixels."""
    single, dihedral = [], []
    for path in paths:
        pixels = decode_for_pdq(path.read_bytes(), jpeg_luma=False).pixels
        single.append(_milliseconds(pdqhash.compute, pixels))
        dihedral.append(_milliseconds(pdqhash.compute_dihedral, pixels))
    return {
        "compute_ms_median": round(statistics.median(single), 2),
        "compute_dihedral_ms_median": round(statistics.median(dihedral), 2),
    }


def _milliseconds(action: Callable[[np.ndarray], object], pixels: np.ndarray) -> float:
    start = time.process_time()
    action(pixels)
    return (time.process_time() - start) * 1000


def photo_stats(paths: list[Path]) -> dict[str, float]:
    megapixels = [np.prod(Image.open(path).size) / 1e6 for path in paths]
    return {
        "megapixels_min": round(float(min(megapixels)), 2),
        "megapixels_median": round(float(statistics.median(megapixels)), 2),
        "megapixels_max": round(float(max(megapixels)), 2),
        "mean_file_kib": round(statistics.mean(path.stat().st_size for path in paths) / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    with tempfile.TemporaryDirectory(prefix="amparo-bench-") as folder:
        paths = make_photos(Path(folder), args.files, seed=1)
        runs = {"baseline": baseline_pdq, "amparo": amparo_pdq}
        rates, hashes = timed_rounds(runs, paths, args.repeat)
        reference = [reference_style_pdq(path) for path in paths]
        result = summarise(rates, hashes, reference)
        result.update(photo_stats(paths), dihedral_cost=dihedral_cost_ms(paths))
        result["preparation_example"] = analyse_bytes(paths[0].read_bytes(), name="").preparation
    result["reference_vectors"] = reference_vector_distances()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


def summarise(
    rates: dict[str, list[float]], hashes: dict[str, list[str]], reference: list[str]
) -> dict:
    baseline = statistics.median(rates["baseline"])
    amparo = statistics.median(rates["amparo"])
    to_baseline = distances(hashes["amparo"], hashes["baseline"])
    return {
        "benchmark": "hashing",
        "files": len(reference),
        "cores": 1,
        "machine": f"{platform.machine()} {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores visible",
        "versions": {name: metadata.version(name) for name in ("pillow", "pdqhash", "numpy")},
        "baseline_files_per_second": [round(rate, 1) for rate in rates["baseline"]],
        "amparo_files_per_second": [round(rate, 1) for rate in rates["amparo"]],
        "baseline_files_per_second_median": round(baseline, 1),
        "amparo_files_per_second_median": round(amparo, 1),
        "speedup": round(amparo / baseline, 1),
        "distance_to_baseline": to_baseline,
        "distance_to_baseline_worst_by_sample": worst_by_sample(
            hashes["amparo"], hashes["baseline"]
        ),
        "distance_to_reference_style": distances(hashes["amparo"], reference),
        "baseline_distance_to_reference_style": distances(hashes["baseline"], reference),
        "target_files_per_second": TARGET_FILES_PER_SECOND,
        "target_within_16_bits_of_baseline": TARGET_WITHIN_16_BITS,
        "meets_speed_target": amparo >= TARGET_FILES_PER_SECOND,
        "meets_distance_target": to_baseline["within_16_bits"] >= TARGET_WITHIN_16_BITS,
    }


if __name__ == "__main__":
    main()
