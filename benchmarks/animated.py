"""Animated pictures: what hashing every distinct frame costs, against two baselines.

Generates benign animations (shapes drifting over a gradient, ``amparo.demo.scenes``):
WhatsApp-style stickers (animated WebP, 512 x 512), GIFs and APNGs (320 x 240). Every fourth
frame repeats the one before with one pixel changed (as stickers and GIFs often hold a pose),
so the skipping of near-identical frames has something to skip. Then times, in the same run,
interleaved, each repeated and the median kept (CPU time: these machines are shared):

- first frame: ``analyse_bytes`` as before animations were read (the still-picture analysis of
  the first frame only: what a known picture in frame 5 escaped);
- naive: every frame decoded to RGB and hashed with ``pdqhash.compute`` at full size;
- amparo: ``analyse_bytes`` now (the still analysis, plus every distinct frame).

The result goes to ``benchmarks/results/animated.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image

from amparo.demo.scenes import random_scene
from amparo.media import analyse
from amparo.media.analyse import analyse_bytes

RESULTS = Path(__file__).parent / "results" / "animated.json"
KINDS = {  # format, size, frames, Pillow options
    "sticker (WebP)": ("WEBP", (512, 512), 24, {"quality": 75}),
    "GIF": ("GIF", (320, 240), 40, {}),
    "APNG": ("PNG", (320, 240), 20, {}),
}
MIME = {"WEBP": "image/webp", "GIF": "image/gif", "PNG": "image/apng"}


def make_animation(rng: np.random.Generator, image_format: str, size: tuple[int, int],
                   count: int, options: dict[str, object]) -> bytes:  # fmt: skip
    scene = random_scene(rng)
    frames = []
    for number in range(count):
        frame = scene.frame(number // 2 if number % 4 < 2 else number * 0.5, size)
        if number % 4 == 1:  # held pose: the previous frame with one pixel changed
            frame = frames[-1].copy()
            frame.putpixel((0, 0), (number % 256, 0, 0))
        frames.append(frame)
    buffer = io.BytesIO()
    frames[0].save(buffer, image_format, save_all=True, append_images=frames[1:], duration=80,
                   loop=0, **options)  # fmt: skip
    return buffer.getvalue()


def first_frame(data: bytes, mime_type: str) -> object:
    return analyse._analyse_image(data, mime_type)


def naive(data: bytes, mime_type: str) -> object:
    with Image.open(io.BytesIO(data)) as image:
        hashes = []
        for number in range(image.n_frames):
            image.seek(number)
            hashes.append(pdqhash.compute(np.asarray(image.convert("RGB"))))
        return hashes


def amparo(data: bytes, mime_type: str) -> object:
    return analyse_bytes(data, name="animation")


WAYS: dict[str, Callable[[bytes, str], object]] = {
    "first_frame": first_frame, "naive": naive, "amparo": amparo,
}  # fmt: skip


def timed(files: list[tuple[bytes, str]], rounds: int) -> dict[str, float]:
    """Median milliseconds a file for each way, rounds interleaved."""
    times: dict[str, list[float]] = {name: [] for name in WAYS}
    for _ in range(rounds):
        for name, way in WAYS.items():
            start = time.process_time()
            for data, mime_type in files:
                way(data, mime_type)
            times[name].append((time.process_time() - start) * 1000 / len(files))
    return {name: round(statistics.median(values), 1) for name, values in times.items()}


def measure(files_per_kind: int, rounds: int, seed: int) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    kinds = {}
    for kind, (image_format, size, count, options) in KINDS.items():
        files = [(make_animation(rng, image_format, size, count, options), MIME[image_format])
                 for _ in range(files_per_kind)]  # fmt: skip
        analyses = [analyse_bytes(data, name="animation") for data, _ in files]
        kept = [len(a.video_frames or ()) for a in analyses]
        milliseconds = timed(files, rounds)
        kinds[kind] = {
            "files": files_per_kind,
            "frames_per_file": count,
            "distinct_frames_hashed_median": statistics.median(kept),
            "ms_per_file_median": milliseconds,
            "amparo_ms_per_frame": round(milliseconds["amparo"] / count, 2),
            "amparo_vs_first_frame": round(milliseconds["amparo"] / milliseconds["first_frame"], 1),
            "amparo_speedup_vs_naive": round(milliseconds["naive"] / milliseconds["amparo"], 2),
        }
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=8, help="animations of each kind")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    result = {
        "benchmark": "animated",
        "machine": f"{platform.machine()} {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores visible",
        "versions": {name: metadata.version(name) for name in ("pillow", "pdqhash", "numpy")},
        "time": "CPU time of one process, median of interleaved rounds",
        "kinds": measure(arguments.files, arguments.rounds, arguments.seed),
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
