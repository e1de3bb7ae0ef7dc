"""Device triage end to end: ``amparo ingest --device`` then ``amparo process``, as a user would.

Builds, in a temporary folder, a phone-dump-like tree (``DCIM/Camera``, WhatsApp images,
screenshots, downloads) of benign 1-3 megapixel JPEGs: scikit-image's sample photos and the
demo's generated pictures (``amparo.demo.images``), cropped, resized, lightly noised and
re-encoded, most with camera EXIF; a notes file; and, when video hashing is installed, a few
short generated videos. Then, in the same run, rounds interleaved, medians kept:

- amparo: fresh processes into a cold workspace (new folder, new database), wall clock:
  ``amparo ingest --device phone-1 TREE``, ``amparo process --stage hash``, then ``amparo process``
  (the remaining stages); every file copied into the evidence store, hashed, sighted, decoded;
- baseline: the naive single process: for each file read, MD5 + SHA-1 + SHA-256, and for a
  picture a full ``Image.open().convert("RGB")`` decode and ``pdqhash.compute``. Its time per
  file does not depend on the other files, so it runs over an evenly spaced sample of the tree
  (``--baseline-files``; the whole tree when 0) and its rate is files per second of that sample.

Both are wall-clock time on the whole machine (Amparo uses every core, the baseline one),
on a machine shared with other work, so the load is recorded with each round. ``--profile``
adds one profiled pass (cProfile) of each command, and of the decoding work run in-process,
and prints where the time goes. The result goes to ``benchmarks/results/triage_e2e.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from importlib import metadata
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image
from skimage import data as samples

from amparo.demo.avi import mjpeg_avi
from amparo.demo.images import generated_picture
from amparo.media.video import vpdq

RESULTS = Path(__file__).parent / "results" / "triage_e2e.json"
TARGET_RATIO = 8.0
DEVICE = "phone-1"
SAMPLE_PHOTOS = (
    "astronaut", "camera", "chelsea", "coffee", "rocket", "hubble_deep_field",
    "immunohistochemistry", "retina", "moon", "brick", "grass", "gravel", "horse", "coins",
)  # fmt: skip
ASPECTS = (4 / 3, 3 / 4, 16 / 9, 9 / 16, 1.0)
GENERATED_SHARE = 0.2
EXIF_SHARE = 0.7
BASE_SIDE = 2600
FOLDERS = (
    ("DCIM/Camera", "IMG_{at:%Y%m%d_%H%M%S}_{n}.jpg"),
    ("WhatsApp/Media/WhatsApp Images", "IMG-{at:%Y%m%d}-WA{n:04d}.jpg"),
    ("WhatsApp/Media/WhatsApp Images/Sent", "IMG-{at:%Y%m%d}-WA{n:04d}.jpg"),
    ("Pictures/Screenshots", "Screenshot_{at:%Y%m%d-%H%M%S}_{n}.jpg"),
    ("Download", "received_{n:05d}.jpg"),
)
START = datetime(2024, 3, 1, 9, 0, 0)


# --- the tree ------------------------------------------------------------------------------


def _bases() -> list[Image.Image]:
    """Sample photos upscaled once to 2,600 px a side, to crop 1-3 MP pictures from."""
    bases = []
    for name in SAMPLE_PHOTOS:
        photo = Image.fromarray(getattr(samples, name)()).convert("RGB")
        scale = BASE_SIDE / min(photo.size)
        size = (round(photo.width * scale), round(photo.height * scale))
        noise = np.random.default_rng(len(bases)).integers(-3, 4, (size[1], size[0], 1))
        pixels = np.asarray(photo.resize(size, Image.Resampling.BICUBIC), dtype=np.int16)
        bases.append(Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8)))
    return bases


_BASES: list[Image.Image] = []


def _picture(number: int, seed: int) -> bytes:
    """One benign 1-3 MP JPEG, distinct from every other (its own crop, tone and quality)."""
    if not _BASES:
        _BASES.extend(_bases())
    rng = np.random.default_rng([seed, number])
    pixels, aspect = rng.uniform(1.0e6, 3.0e6), float(rng.choice(ASPECTS))
    width = int((pixels * aspect) ** 0.5)
    height = int(pixels / width)
    if rng.random() < GENERATED_SHARE:
        picture = generated_picture(rng).resize((width, height), Image.Resampling.BILINEAR)
    else:
        base = _BASES[number % len(_BASES)]
        left = int(rng.integers(0, base.width - width + 1))
        top = int(rng.integers(0, base.height - height + 1))
        picture = base.crop((left, top, left + width, top + height))
    gamma = rng.uniform(0.8, 1.25)
    picture = picture.point([round(255 * (value / 255) ** gamma) for value in range(256)] * 3)
    buffer = io.BytesIO()
    exif = _camera_exif(number, rng) if rng.random() < EXIF_SHARE else Image.Exif()
    picture.save(buffer, "JPEG", quality=int(rng.integers(80, 96)), exif=exif)
    return buffer.getvalue()


def _camera_exif(number: int, rng: np.random.Generator) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Samsung", "SM-A515F"
    exif[0x0112] = 1
    taken = START + timedelta(minutes=number * 7)
    exif[0x8769] = {0x9003: f"{taken:%Y:%m:%d %H:%M:%S}", 0xA431: "R58N12345"}
    if rng.random() < 0.5:
        exif[0x8825] = {1: "N", 2: (40.0, 25.0, 12.5), 3: "W", 4: (3.0, 42.0, 7.25)}
    return exif


def _tree_path(number: int) -> str:
    folder, pattern = FOLDERS[number % len(FOLDERS)]
    return f"{folder}/{pattern.format(at=START + timedelta(minutes=number * 7), n=number)}"


def _write_picture(root: Path, number: int, seed: int) -> int:
    path = root / _tree_path(number)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = _picture(number, seed)
    path.write_bytes(data)
    return len(data)


def build_tree(root: Path, files: int, seed: int, workers: int) -> dict[str, object]:
    """Write the tree; return what it holds."""
    videos = _video_count(files)
    pictures = files - videos - 1
    with ProcessPoolExecutor(workers) as pool:
        sizes = list(pool.map(_write_picture, [root] * pictures, range(pictures),
                              [seed] * pictures, chunksize=32))  # fmt: skip
    (root / "notes.txt").write_text("Shopping list: bread, milk, tomatoes, rice.\n")
    for number in range(videos):
        path = root / "DCIM" / "Camera" / f"VID_{number:04d}.avi"
        path.write_bytes(generated_video(number, seed))
    return {"pictures": pictures, "videos": videos, "other": 1,
            "mean_picture_kib": round(statistics.mean(sizes) / 1024)}  # fmt: skip


def _video_count(files: int) -> int:
    return 0 if vpdq is None else min(8, max(2, files // 1500))


def generated_video(number: int, seed: int, seconds: int = 4, fps: int = 10) -> bytes:
    """A short benign Motion-JPEG AVI: a drifting gradient with a square crossing it."""
    rng = np.random.default_rng([seed, 10**6 + number])
    rows, columns = np.mgrid[0:240, 0:320]
    tint = int(rng.integers(0, 256))
    frames = []
    for frame in range(seconds * fps):
        red = (columns * 255 // 320 + frame * 7 + tint) % 256
        pixels = np.stack([red, rows * 255 // 240, np.full_like(rows, frame * 6 % 256)], 2)
        left = (frame * 9 + number * 31) % 290
        pixels[80:140, left : left + 30] = 255
        frames.append(Image.fromarray(pixels.astype(np.uint8)))
    return mjpeg_avi(frames, fps)


def tree_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


# --- the runs ------------------------------------------------------------------------------


def amparo_commands(tree: Path, workspace: Path) -> dict[str, list[str]]:
    amparo = [str(Path(sys.executable).with_name("amparo")), "--workspace", str(workspace)]
    return {
        "ingest": [*amparo, "ingest", "--device", DEVICE, str(tree)],
        "hash": [*amparo, "process", "--stage", "hash"],
        "other_stages": [*amparo, "process"],
    }


def run_amparo(tree: Path, workspace: Path, files: int) -> dict[str, float]:
    """Seconds of each command, in fresh processes, into a cold workspace."""
    shutil.rmtree(workspace, ignore_errors=True)
    seconds = {}
    for name, command in amparo_commands(tree, workspace).items():
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=_environment())
        seconds[name] = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"benchmark invalid: {name} failed:\n{done.stdout}\n{done.stderr}")
    _check_workspace(workspace, files)
    shutil.rmtree(workspace, ignore_errors=True)
    return seconds


def _environment() -> dict[str, str]:
    source = str(Path(__file__).parents[1] / "src")
    return os.environ | {"PYTHONPATH": source, "COLUMNS": "200"}


def _check_workspace(workspace: Path, files: int) -> None:
    """Every file is a media row, analysed, pictures with a PDQ; else the run proves nothing."""
    import sqlite3

    with sqlite3.connect(workspace / "amparo.db") as database:
        media, analysed, pdq, problems = database.execute(
            "SELECT count(*), count(analysed_at), count(pdq), count(problem) FROM media"
        ).fetchone()
    if media != files or analysed != files or problems:
        sys.exit(f"benchmark invalid: {media} media, {analysed} analysed, {problems} problems")
    if pdq < files * 0.9:
        sys.exit(f"benchmark invalid: only {pdq} of {files} files have a PDQ")


def naive(path: Path) -> str | None:
    """The naive way: read, three digests, full decode and PDQ of a picture."""
    data = path.read_bytes()
    for name in ("md5", "sha1", "sha256"):
        hashlib.new(name, data).digest()
    if path.suffix != ".jpg":
        return None
    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    return pdqhash.compute(pixels)[0].tobytes().hex()


def run_baseline(sample: list[Path]) -> float:
    start = time.perf_counter()
    for path in sample:
        naive(path)
    return time.perf_counter() - start


def settle(seconds: float = 5.0) -> None:
    """Let the disk catch up before a timed part: the previous round wrote (and removed) a copy
    of the whole dump, and the kernel writing it back would slow whichever part came next."""
    os.sync()
    time.sleep(seconds)


def evenly_spaced(paths: list[Path], count: int) -> list[Path]:
    if count <= 0 or count >= len(paths):
        return paths
    step = len(paths) / count
    return [paths[int(index * step)] for index in range(count)]


# --- profile -------------------------------------------------------------------------------


def profile_pass(tree: Path, workspace: Path, out: Path, files: int) -> dict[str, object]:
    """Each command under cProfile (the main process), and the hash stage's work in-process."""
    shutil.rmtree(workspace, ignore_errors=True)
    found: dict[str, object] = {}
    commands = amparo_commands(tree, workspace)
    commands["hash_in_process"] = [*commands.pop("hash"), "--workers", "0"]
    commands["other_stages"] = commands.pop("other_stages")
    for name, command in commands.items():
        stats = out / f"{name}.pstats"
        profiled = [sys.executable, "-c", _PROFILED.format(stats=str(stats)), *command[1:]]
        start = time.perf_counter()
        done = subprocess.run(profiled, capture_output=True, text=True, env=_environment())
        if done.returncode != 0:
            sys.exit(f"profile failed: {name}:\n{done.stderr}")
        found[name] = {"seconds": round(time.perf_counter() - start, 2),
                       "top": _top(stats)}  # fmt: skip
    _check_workspace(workspace, files)
    shutil.rmtree(workspace, ignore_errors=True)
    return found


_PROFILED = (
    "import cProfile, sys; from amparo.cli import main; sys.argv[0] = 'amparo'\n"
    "profile = cProfile.Profile(); profile.enable()\n"
    "try: main(standalone_mode=False)\n"
    "finally: profile.disable(); profile.dump_stats({stats!r})"
)


def _top(stats_path: Path, count: int = 25) -> list[str]:
    """The ``count`` functions of most cumulative time, one line each."""
    entries = pstats.Stats(str(stats_path)).stats  # type: ignore[attr-defined]
    rows = []
    for (file, line, function), (_, calls, _, cumulative, _) in entries.items():
        where = f"{Path(file).name}:{line} {function}"
        rows.append((cumulative, f"{cumulative:8.2f}s {calls:>8} {where}"))
    rows.sort(reverse=True)
    return [text for _, text in rows[:count]]


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline-files", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-save", action="store_true", help="print, do not write the result")
    parser.add_argument(
        "--tree",
        type=Path,
        help="keep the generated dump in this folder, or reuse the one built there before with "
        "the same --files and --seed (building 10,000 files takes minutes)",
    )
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory(prefix="amparo-triage-") as folder:
        root = Path(folder)
        start = time.perf_counter()
        tree, contents = _the_tree(args.tree or root / "phone-dump", args, cores)
        build_seconds = time.perf_counter() - start
        paths = tree_files(tree)
        sample = evenly_spaced(paths, args.baseline_files)
        rounds: list[dict] = []
        for _ in range(args.repeat):
            load = os.getloadavg()[0]
            settle()
            baseline = run_baseline(sample)
            settle()
            amparo = run_amparo(tree, root / "workspace", len(paths))
            rounds.append({"load_1min_before": round(load, 2), "baseline_s": baseline,
                           "amparo_s": amparo})  # fmt: skip
            print(json.dumps(rounds[-1]), file=sys.stderr)
            result = summarise(rounds, len(paths), len(sample), contents, cores)
            if args.tree is None or build_seconds > 1:
                result["tree_build_seconds"] = round(build_seconds, 1)
            if not args.no_save:  # after every round, so that a long run stopped keeps its rounds
                RESULTS.parent.mkdir(parents=True, exist_ok=True)
                RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        if args.profile:
            print(json.dumps(profile_pass(tree, root / "workspace", root, len(paths)), indent=2))
    if rounds:
        print(json.dumps(result, indent=2))


def _the_tree(tree: Path, args: argparse.Namespace, cores: int) -> tuple[Path, dict[str, object]]:
    """The dump at ``tree``: built there, or reused when a manifest says it was built alike."""
    manifest = tree.with_name(tree.name + ".benchmark.json")  # beside it: not a file of the dump
    wanted = {"files": args.files, "seed": args.seed}
    if manifest.is_file():
        built = json.loads(manifest.read_text())
        if built["made_with"] == wanted:
            return tree, built["contents"]
        sys.exit(f"{tree} holds a dump built with {built['made_with']}, not {wanted}")
    if tree.exists() and any(tree.iterdir()):
        sys.exit(f"{tree} is not empty and holds no benchmark dump")
    contents = build_tree(tree, args.files, args.seed, cores)
    manifest.write_text(json.dumps({"made_with": wanted, "contents": contents}))
    return tree, contents


def summarise(
    rounds: list[dict], files: int, sample: int, contents: dict[str, object], cores: int
) -> dict[str, object]:
    baseline_rates = [sample / r["baseline_s"] for r in rounds]
    amparo_totals = [sum(r["amparo_s"].values()) for r in rounds]
    amparo_rates = [files / total for total in amparo_totals]
    ratios = [a / b for a, b in zip(amparo_rates, baseline_rates, strict=True)]
    baseline, amparo = statistics.median(baseline_rates), statistics.median(amparo_rates)
    return {
        "benchmark": "triage_e2e",
        "files": files,
        "tree": contents,
        "cores": cores,
        "machine": f"{platform.machine()} {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores visible",
        "versions": {name: metadata.version(name) for name in ("pillow", "pdqhash", "numpy")},
        "baseline_sample_files": sample,
        "baseline_files_per_second": [round(rate, 1) for rate in baseline_rates],
        "amparo_files_per_second": [round(rate, 1) for rate in amparo_rates],
        "amparo_seconds_by_command": [
            {name: round(seconds, 2) for name, seconds in r["amparo_s"].items()} for r in rounds
        ],
        "load_1min_before_each_round": [r["load_1min_before"] for r in rounds],
        "ratio_by_round": [round(ratio, 2) for ratio in ratios],
        "baseline_files_per_second_median": round(baseline, 1),
        "amparo_files_per_second_median": round(amparo, 1),
        "ratio_of_medians": round(amparo / baseline, 2),
        "target_ratio": TARGET_RATIO,
        "meets_target": amparo / baseline >= TARGET_RATIO,
    }


if __name__ == "__main__":
    main()
