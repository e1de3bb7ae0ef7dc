"""Interoperable PDQ: entries hashed by other tools' preparations are found, and say how."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data as samples
from sqlalchemy import select

from amparo.export.findings import build_findings, findings_schema, validate_findings
from amparo.intake.device import ingest_device_tree
from amparo.intake.hashsets import import_hash_set
from amparo.match.confirm import closest_matches
from amparo.match.matcher import EntryInfo
from amparo.media.pdq import hamming_distance
from amparo.media.pdq_preparations import (
    FAST,
    FULL,
    PREPARATIONS,
    RESIZED,
    PreparedPdq,
    full_precision_pdq,
    reference_resized,
)
from amparo.stages.pipeline import run_pipeline
from amparo.store import tables
from amparo.workspace import Workspace

THRESHOLD = 31
VARIANT_BITS = 28


def _photo(path: Path) -> bytes:
    """A benign 1.96-megapixel JPEG whose fast PDQ lies far from its full-size-decode PDQ."""
    brick = Image.fromarray(samples.brick()).convert("RGB")
    brick.resize((1400, 1400), Image.Resampling.BICUBIC).save(path, quality=90)
    return path.read_bytes()


def _flipped(pdq: str, bits: int, rng: np.random.Generator) -> str:
    value = int(pdq, 16)
    for bit in rng.choice(256, size=bits, replace=False):
        value ^= 1 << int(bit)
    return f"{value:064x}"


def _hash_set(path: Path, pdq: str) -> Path:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "pdq", "category_scheme", "category_code"])
        writer.writerow(["entry-1", pdq, "vics-us", "1"])
    return path


@pytest.mark.parametrize("preparation", [FULL, RESIZED])
def test_a_28_bit_variant_of_another_tools_entry_is_found_and_says_how(
    workspace: Workspace, tmp_path: Path, preparation: str
) -> None:
    dump = tmp_path / "dump"
    dump.mkdir()
    data = _photo(dump / "IMG_0001.jpg")
    prepared = {p.preparation: p.dihedral[0] for p in full_precision_pdq(data)}
    entry = _flipped(prepared[preparation], VARIANT_BITS, np.random.default_rng(7))
    ingest_device_tree(workspace, "phone-1", dump)
    run_pipeline(workspace, ("hash",), workers=0)
    with workspace.session() as session:
        fast = session.scalars(select(tables.Media.pdq_dihedral)).one()
    # Out of reach of the fast hash alone: none of its eight dihedral hashes is within threshold.
    assert min(hamming_distance(pdq, entry) for pdq in fast) > THRESHOLD
    import_hash_set(workspace, _hash_set(tmp_path / "set.csv", entry), name="partner")
    run_pipeline(workspace, ("match",), workers=0)
    with workspace.session() as session:
        document = build_findings(session)
    validate_findings(document)
    (media,) = document["media"]
    assert media["status"] == "known_variant"
    (match,) = media["matches"]
    assert (match["entry"], match["algorithm"]) == ("entry-1", "pdq")
    assert match["preparation"] == preparation
    assert match["distance"] == VARIANT_BITS
    assert match["transform"] == "original"


def test_a_fast_match_stays_fast_when_no_preparation_is_closer() -> None:
    entry = EntryInfo(1, "block", THRESHOLD, None)
    fast = PreparedPdq(FAST, 100, ("0" * 64,) * 8)
    full = PreparedPdq(FULL, 100, ("f" * 64,) * 8)
    (match,) = closest_matches([(entry, "0" * 63 + "7")], [fast, full])
    assert (match.preparation, match.distance) == (FAST, 3)
    assert closest_matches([(entry, "f" * 64)], [fast, full])[0].preparation == FULL
    assert closest_matches([(entry, "0" * 56 + "f" * 8)], [fast, full]) == []


def test_a_low_quality_preparation_never_matches() -> None:
    entry = EntryInfo(1, "block", THRESHOLD, None)
    flat = PreparedPdq(FULL, 10, ("f" * 64,) * 8)
    assert closest_matches([(entry, "f" * 64)], [flat]) == []


def test_the_reference_resize_is_corner_aligned_nearest_neighbour() -> None:
    pixels = np.arange(1024 * 600, dtype=np.uint32).reshape(600, 1024)
    resized = reference_resized(pixels)
    assert resized.shape == (512, 512)
    assert resized[0, 0] == 0
    assert resized[1, 1] == pixels[1, 2]  # row 1 * 600 // 512 = 1, column 1 * 1024 // 512 = 2
    assert resized[511, 511] == pixels[598, 1022]
    small = np.zeros((300, 512, 3), np.uint8)
    assert reference_resized(small) is small


def test_the_schema_names_every_preparation() -> None:
    match = findings_schema()["$defs"]["media"]["properties"]["matches"]["items"]
    assert set(match["properties"]["preparation"]["enum"]) == {None, *PREPARATIONS}
