"""Hash-set import speed and memory, end to end: ``amparo hashsets import FILE --name NAME``.

Generates benign synthetic hash sets (random hashes, no pictures) in each format: CSV, NCMEC
hash-sharing XML, VICS JSON as Project VIC distributes sets (``#Media``) and as a case export
(``#Cases``). Each import runs as its own ``amparo`` process into a fresh SQLite workspace
(created beforehand: its one-off schema creation is not counted; the command's start-up, which
imports all of Amparo, and the re-matching it runs after the import, which finds no files here,
are). Measured per run: wall time, the CPU time of the command and of every process it started
(the reader worker of a large file included: this process adopts their orphans), and the peak
resident memory of the largest of them (``wait4``); on a shared, loaded machine the CPU time
says more than the wall time.

Baseline, in the same run: the hash-set code of ``--baseline-ref`` (default ``main``, which
reads the whole file and writes row by row), at ``--baseline-size`` entries, since it is too
slow for a million (the issue measured 406 s for a 1M CSV). The new code runs at that size too,
for the ratio, and at every ``--sizes`` (once where a size is the baseline size). Medians of
``--repeat`` runs, with the load average when each began. The result goes to
``benchmarks/results/hashset_import.json``.

    PYTHONPATH=src python benchmarks/hashset_import.py --sizes 1000000
    PYTHONPATH=src python benchmarks/hashset_import.py --sizes 10000000 --formats csv
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import TextIO

RESULTS = Path(__file__).parent / "results" / "hashset_import.json"
REPOSITORY = Path(__file__).resolve().parent.parent
TARGETS = {"csv": 100_000, "ncmec": 100_000, "vics-media": 50_000, "vics-cases": 50_000}
NCMEC = "https://hashsharing.ncmec.org/hashsharing/v2"
PR_SET_CHILD_SUBREAPER = 36
VICS = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#"


def _hashes(number: int) -> tuple[str, str, str]:
    """Distinct, deterministic md5/sha1/pdq hex for entry ``number``: digests of its number, so
    they are spread as real hashes are. (Hashes that grew with the number, as until round 5,
    arrived sorted, and SQLite built their indexes 3-4 times faster than real sets' at 2M.)"""
    seed = b"%d" % number
    digests = (hashlib.md5(seed), hashlib.sha1(seed), hashlib.sha256(seed))
    return digests[0].hexdigest(), digests[1].hexdigest(), digests[2].hexdigest()


def write_csv(out: TextIO, count: int) -> None:
    out.write("id,md5,sha1,pdq,category_scheme,category_code,series\n")
    for number in range(count):
        md5, sha1, pdq = _hashes(number)
        out.write(f"e{number},{md5},{sha1},{pdq},vics-us,{number % 3},\n")


def write_ncmec(out: TextIO, count: int) -> None:
    out.write(f'<?xml version="1.0"?>\n<queryResult xmlns="{NCMEC}"><images count="{count}">\n')
    for number in range(count):
        md5, sha1, pdq = _hashes(number)
        out.write(
            f'<image><member id="7">Hotline</member><timestamp>2026-01-12T10:00:00Z</timestamp>'
            f"<id>i{number}</id><classification>A1</classification><fingerprints><md5>{md5}"
            f"</md5><sha1>{sha1}</sha1><pdq>{pdq}</pdq></fingerprints></image>\n"
        )
    out.write("</images></queryResult>\n")


def _vics_media(number: int) -> str:
    md5, sha1, pdq = _hashes(number)
    return json.dumps(
        {"MediaID": number, "MD5": md5, "SHA1": sha1, "Category": number % 3,
         "MimeType": "image/jpeg", "MediaSize": 1000 + number, "IsDistributed": True,
         "AlternativeHashes": [{"HashName": "PDQ", "HashValue": pdq}]}
    )  # fmt: skip


def _write_media_list(out: TextIO, count: int) -> None:
    """One media at a time: the benchmark's own memory stays small, since each import it
    starts inherits it in its peak RSS figure (Linux counts the parent's RSS at fork)."""
    for number in range(count):
        out.write(("," if number else "") + _vics_media(number) + "\n")


def write_vics_media(out: TextIO, count: int) -> None:
    out.write(f'{{"@odata.context": "{VICS}Media", "value": [\n')
    _write_media_list(out, count)
    out.write("]}\n")


def write_vics_cases(out: TextIO, count: int) -> None:
    out.write(f'{{"@odata.context": "{VICS}Cases", "value": [{{"CaseID": "c-1", "Media": [\n')
    _write_media_list(out, count)
    out.write("]}]}\n")


WRITERS: dict[str, tuple[str, Callable[[TextIO, int], None]]] = {
    "csv": ("csv", write_csv),
    "ncmec": ("xml", write_ncmec),
    "vics-media": ("json", write_vics_media),
    "vics-cases": ("json", write_vics_cases),
}


def hash_set_file(folder: Path, kind: str, count: int) -> Path:
    suffix, write = WRITERS[kind]
    path = folder / f"{kind}-{count}.{suffix}"
    if not path.exists():
        with path.open("w", encoding="utf-8") as out:
            write(out, count)
        os.sync()  # on the disk, as a user's file is: not still being written back as we read
    return path


def run_import(src: Path, path: Path, scratch: Path) -> tuple[float, float, float]:
    """(seconds, peak RSS in MiB, CPU seconds) of one ``amparo hashsets import`` into a new
    workspace, removed after: left behind, each run's database (385 MiB at 1M) was still
    being written back to the disk while the next run's commit waited on that disk (which
    took 3.7 s against 1.0)."""
    workspace = Path(tempfile.mkdtemp(dir=scratch))
    try:
        return _timed_import(src, path, workspace)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


def _timed_import(src: Path, path: Path, workspace: Path) -> tuple[float, float, float]:
    environment = {**os.environ, "PYTHONPATH": str(src)}
    create = "from pathlib import Path; from amparo.workspace import open_workspace as o; " \
             f"o(Path({str(workspace)!r})).close()"  # fmt: skip
    subprocess.run([sys.executable, "-c", create], env=environment, check=True)
    arguments = ["--workspace", str(workspace), "hashsets", "import", str(path), "--name", "b"]
    command = [sys.executable, "-c", "from amparo.cli import main; main(prog_name='amparo')"]
    command += arguments
    start = time.perf_counter()
    child = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"benchmark invalid: importing {path} with {src} failed")
    cpu, peak = usage.ru_utime + usage.ru_stime, usage.ru_maxrss
    for orphan in _orphans():
        cpu += orphan.ru_utime + orphan.ru_stime
        peak = max(peak, orphan.ru_maxrss)
    return seconds, peak / 1024, cpu


def _adopt_orphans() -> None:
    """Make this process the one that reaps the command's orphaned descendants (Linux's child
    subreaper): the fork server that starts the reader worker outlives the command, and with
    it the worker's CPU time, which ``wait4`` on the command alone does not count."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("benchmark invalid: cannot count the CPU time of the command's workers")


def _orphans() -> list[os.struct_rusage]:
    """The usage of each orphaned descendant, waited for until none is left (each one's
    includes that of the processes it reaped: the fork server's includes its workers')."""
    found = []
    while True:
        try:
            _, _, usage = os.wait4(-1, 0)
        except ChildProcessError:
            return found
        found.append(usage)


def startup(src: Path, repeat: int = 3) -> dict[str, float]:
    """Median wall and CPU seconds of starting the command (importing ``amparo.cli``), which
    every run above includes."""
    environment = {**os.environ, "PYTHONPATH": str(src)}
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", "import amparo.cli"], env=environment)
        _, _, usage = os.wait4(child.pid, 0)
        runs.append((time.perf_counter() - start, usage.ru_utime + usage.ru_stime))
    return {
        "wall_seconds_median": round(statistics.median(run[0] for run in runs), 2),
        "cpu_seconds_median": round(statistics.median(run[1] for run in runs), 2),
    }


def measure(src: Path, path: Path, count: int, repeat: int, scratch: Path) -> dict[str, object]:
    runs, loads = [], []
    for _ in range(repeat):
        loads.append(round(os.getloadavg()[0], 1))
        runs.append(run_import(src, path, scratch))
    seconds = statistics.median(run[0] for run in runs)
    return {
        "entries": count,
        "file_mib": round(path.stat().st_size / 2**20, 1),
        "load_average_at_start": loads,
        "seconds": [round(run[0], 2) for run in runs],
        "peak_rss_mib": [round(run[1], 1) for run in runs],
        "cpu_seconds": [round(run[2], 2) for run in runs],
        "entries_per_second_median": round(count / seconds),
        "entries_per_cpu_second_median": round(count / statistics.median(r[2] for r in runs)),
        "cpu_seconds_median": round(statistics.median(run[2] for run in runs), 2),
        "peak_rss_mib_median": round(statistics.median(run[1] for run in runs), 1),
    }


def baseline_src(ref: str, scratch: Path) -> Path:
    """The ``src`` folder of ``ref``, unpacked from git."""
    archive = subprocess.run(
        ["git", "-C", str(REPOSITORY), "archive", ref, "src"], check=True, capture_output=True
    ).stdout
    target = scratch / "baseline"
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--formats", nargs="+", default=list(WRITERS), choices=list(WRITERS))
    parser.add_argument("--baseline-ref", default="main")
    parser.add_argument("--baseline-size", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs at the baseline size")
    parser.add_argument("--large-repeat", type=int, default=1, help="runs at --sizes")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--scratch", type=Path, default=None, help="where files are generated")
    parser.add_argument("--output", type=Path, default=RESULTS)
    options = parser.parse_args()
    _adopt_orphans()
    src = REPOSITORY / "src"
    results: dict[str, object] = {
        "benchmark": "hashset_import",
        "command": "amparo hashsets import FILE --name NAME (SQLite workspace, own process)",
        "machine": f"{platform.machine()} CPython {platform.python_version()}, "
        f"{os.cpu_count()} cores visible, load average {os.getloadavg()[0]:.1f} at start",
        "baseline_ref": None if options.no_baseline else options.baseline_ref,
        "targets_entries_per_second": TARGETS,
        "formats": {},
    }
    with tempfile.TemporaryDirectory(dir=options.scratch) as temporary:
        scratch = Path(temporary)
        old_src = None if options.no_baseline else baseline_src(options.baseline_ref, scratch)
        results["startup"] = {"new": startup(src)}
        if old_src is not None:
            results["startup"]["baseline"] = startup(old_src)  # type: ignore[index]
        for kind in options.formats:
            entry: dict[str, object] = {}
            small = hash_set_file(scratch, kind, options.baseline_size)
            if old_src is not None:
                entry["baseline"] = measure(old_src, small, options.baseline_size,
                                            options.repeat, scratch)  # fmt: skip
                entry["new_at_baseline_size"] = measure(src, small, options.baseline_size,
                                                        options.repeat, scratch)  # fmt: skip
                entry["speed_ratio_at_baseline_size"] = round(
                    entry["new_at_baseline_size"]["entries_per_second_median"]
                    / entry["baseline"]["entries_per_second_median"], 1
                )  # fmt: skip
                entry["cpu_ratio_at_baseline_size"] = round(
                    entry["new_at_baseline_size"]["entries_per_cpu_second_median"]
                    / entry["baseline"]["entries_per_cpu_second_median"], 1
                )  # fmt: skip
            small.unlink()
            for size in options.sizes:
                if old_src is not None and size == options.baseline_size:
                    measured = dict(entry["new_at_baseline_size"])  # type: ignore[call-overload]
                else:
                    path = hash_set_file(scratch, kind, size)
                    measured = measure(src, path, size, options.large_repeat, scratch)
                    path.unlink()
                measured["meets_target"] = measured["entries_per_second_median"] >= TARGETS[kind]
                entry[f"new_{size}"] = measured
                print(kind, size, measured, flush=True)
            results["formats"][kind] = entry  # type: ignore[index]
            print(kind, json.dumps(entry), flush=True)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(options.output.read_text()) if options.output.exists() else {}
    formats = previous.get("formats", {})
    for kind, entry in results["formats"].items():  # type: ignore[attr-defined]
        formats[kind] = {**formats.get(kind, {}), **entry}
    startups = {**previous.get("startup", {}), **results["startup"]}  # type: ignore[dict-item]
    merged = {**previous, **results, "formats": formats, "startup": startups}
    options.output.write_text(json.dumps(merged, indent=2) + "\n")


if __name__ == "__main__":
    main()
