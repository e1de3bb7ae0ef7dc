"""Inputs are read with bounded memory whatever their size: a zip or folder of many 1 MiB files
is streamed member by member, never inflated or kept whole.

Memory is the peak of Python's traced allocations (tracemalloc), which counts every member's
bytes read, so it does not depend on timing or on what else the machine runs.
"""

from __future__ import annotations

import os
import tracemalloc
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from amparo.intake.device import DEVICE_LIMITS, ingest_device_tree
from amparo.intake.dispatch import ingest_inputs
from amparo.workspace import Workspace

MIB = 1024**2
ENTRIES = 40  # 40 MiB of input: far above the bound asserted below
PEAK_BOUND = 16 * MIB


def _peak(run: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _random_files(count: int) -> dict[str, bytes]:
    return {f"DCIM/IMG_{index:04}.bin": os.urandom(MIB) for index in range(count)}


def test_a_zip_of_many_one_mib_entries_is_streamed(workspace: Workspace, tmp_path: Path) -> None:
    archive = tmp_path / "WhatsApp Chat with Club.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("_chat.txt", "[01/02/2023, 10:00:00] Ana: IMG_0001.bin (file attached)\n")
        for name, data in _random_files(ENTRIES).items():
            out.writestr(name, data)
    summary = None

    def ingest() -> None:
        nonlocal summary
        summary = ingest_inputs(workspace, [archive])

    peak = _peak(ingest)
    assert summary is not None and summary.ingested == [str(archive)]
    assert peak < PEAK_BOUND, f"peak {peak / MIB:.1f} MiB for {ENTRIES} MiB of entries"


def test_a_folder_keeps_no_more_in_memory_than_its_limit(
    workspace: Workspace, tmp_path: Path
) -> None:
    tree = tmp_path / "dump"
    for name, data in _random_files(ENTRIES).items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_bytes(data)
    limits = replace(DEVICE_LIMITS, keep_in_memory_bytes=4 * MIB)
    peak = _peak(lambda: ingest_device_tree(workspace, "phone-1", tree, limits=limits))
    assert peak < PEAK_BOUND, f"peak {peak / MIB:.1f} MiB for {ENTRIES} MiB of files"
    assert len(list(workspace.evidence.root.rglob("*"))) >= ENTRIES
