"""A PDQ index on disk: plain ``.npy`` arrays (memory-mappable, never pickled) and a manifest.

The manifest is written last and removed first, so a folder whose save was interrupted has no
manifest and does not load. Each array goes to a temporary file renamed into place, so saving
over the folder an index was memory-mapped from leaves the mapped files intact.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from amparo.match.pdq_plan import HASH_BITS, Layout
from amparo.match.pdq_segment import ROW, WORD, Segment

FORMAT = "amparo.pdq-index"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
HASH_BYTES = 32


@dataclass(frozen=True)
class StoredIndex:
    """Everything a PDQ index persists."""

    main: Segment
    delta_words: np.ndarray
    delta_ids: np.ndarray
    merge_threshold: int


def save_index(folder: Path, stored: StoredIndex) -> None:
    """Write ``stored`` into ``folder`` (created if missing, replaced if it holds an index)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST).unlink(missing_ok=True)
    for name, array in _arrays(stored).items():
        _write_atomically(folder / f"{name}.npy", _array_writer(array))
    manifest = json.dumps(_manifest(stored), indent=2).encode()
    _write_atomically(folder / MANIFEST, lambda file: file.write(manifest))


def load_index(folder: Path, *, mmap: bool) -> StoredIndex:
    """Read an index saved by :func:`save_index`; ValueError if it is missing or not valid."""
    manifest = _read_manifest(folder)
    layout = Layout(tuple(manifest["substring_widths"]))
    size, delta_size = manifest["size"], manifest["delta_size"]
    if sum(layout.widths) != HASH_BITS or not 0 <= delta_size <= manifest["merge_threshold"]:
        raise ValueError(f"{folder / MANIFEST} describes no valid PDQ index")
    expected: dict[str, tuple[tuple[int, ...], np.dtype | type]] = {
        "hashes": ((size, HASH_BYTES), np.uint8),
        "ids": ((size,), np.int64),
        "rows": ((len(layout.widths), size), ROW),
        "tables": ((sum(layout.table_sizes),), ROW),
        "delta_hashes": ((delta_size, HASH_BYTES), np.uint8),
        "delta_ids": ((delta_size,), np.int64),
    }
    arrays = {
        name: _load_array(folder, name, *shape_dtype, mmap=mmap)
        for name, shape_dtype in expected.items()
    }
    main = Segment(
        arrays["hashes"].view(WORD), arrays["ids"], layout, arrays["rows"], arrays["tables"]
    )
    _check_tables(main, folder)
    return StoredIndex(
        main, arrays["delta_hashes"].view(WORD), arrays["delta_ids"], manifest["merge_threshold"]
    )


def _arrays(stored: StoredIndex) -> dict[str, np.ndarray]:
    return {
        "hashes": stored.main.words.view(np.uint8),
        "ids": stored.main.ids,
        "rows": stored.main.rows,
        "tables": stored.main.tables,
        "delta_hashes": stored.delta_words.view(np.uint8),
        "delta_ids": stored.delta_ids,
    }


def _manifest(stored: StoredIndex) -> dict[str, object]:
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "size": len(stored.main),
        "delta_size": len(stored.delta_ids),
        "substring_widths": list(stored.main.layout.widths),
        "merge_threshold": stored.merge_threshold,
    }


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise ValueError(f"{folder} holds no readable PDQ index manifest: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"{folder / MANIFEST} is not a PDQ index manifest")
    if manifest.get("version") != FORMAT_VERSION:
        raise ValueError(
            f"{folder} holds PDQ index format version {manifest.get('version')!r}; "
            f"this version of Amparo reads version {FORMAT_VERSION} only"
        )
    return manifest


def _load_array(
    folder: Path, name: str, shape: tuple[int, ...], dtype: np.dtype | type, *, mmap: bool
) -> np.ndarray:
    path = folder / f"{name}.npy"
    try:
        array = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot read {path}: {error}") from error
    if array.shape != shape or array.dtype != np.dtype(dtype):
        raise ValueError(f"{path} holds {array.dtype}{array.shape}, expected {dtype}{shape}")
    return array


def _check_tables(main: Segment, folder: Path) -> None:
    for substring in range(len(main.layout.widths)):
        if main.table(substring)[-1] != len(main):
            raise ValueError(f"{folder}: bucket table {substring} does not cover the index")


def _array_writer(array: np.ndarray) -> Callable[[BinaryIO], None]:
    return lambda file: np.save(file, array)


def _write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as file:
        write(file)
    os.replace(temporary, path)
