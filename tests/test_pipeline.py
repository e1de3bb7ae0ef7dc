"""The media pipeline end to end on a generated operation: every file classified right.

The operation holds known files, re-encoded / resized / cropped / rotated / mirrored variants of
known files, new series with their own variants, unrelated pictures, a non-pertinent meme and
broken media; a hash set imported after the reports turns stored files from new to known.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from amparo.demo import ExpectedMedia, GeneratedOperation, generate_operation
from amparo.export.findings import build_findings
from amparo.export.vics import export_vics
from amparo.formats.hashsets import read_hash_set
from amparo.intake.device import ingest_device_tree
from amparo.intake.hashsets import import_hash_set
from amparo.intake.ingest import ingest_paths
from amparo.model import Category
from amparo.stages.pipeline import run_pipeline
from amparo.workspace import Workspace, open_workspace
from tests.conftest import BACKENDS, new_database_url


@pytest.fixture(scope="module")
def operation(tmp_path_factory: pytest.TempPathFactory) -> GeneratedOperation:
    root = tmp_path_factory.mktemp("op") / "input"
    return generate_operation(root, reports=60, seed=5, hash_sets=True, device_tree=True)


def _media(workspace: Workspace) -> dict[str, dict[str, Any]]:
    with workspace.session() as session:
        return {m["sha256"]: m for m in build_findings(session)["media"]}


def _status(item: dict[str, Any]) -> str | None:
    return "non_pertinent" if item["non_pertinent"] else item["status"]


def _expected(expected: ExpectedMedia) -> str | None:
    """A file that is no picture (a note) is not new material: it stays unclassified."""
    is_picture = expected.pdq is not None or expected.defect is not None
    return expected.status if is_picture or expected.status != "new" else None


@pytest.fixture(scope="module", params=BACKENDS)
def workspace(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workspace]:
    """One workspace per backend for the whole module: processing it once is enough."""
    folder = tmp_path_factory.mktemp("pipeline")
    opened = open_workspace(folder / "workspace", database_url=new_database_url(request, folder))
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def processed(workspace: Workspace, operation: GeneratedOperation) -> dict[str, dict[str, Any]]:
    ingest_paths(workspace, list(operation.packages))
    for device in {f.device for f in operation.device_files}:
        ingest_device_tree(workspace, device, operation.root / "devices" / device)
    run_pipeline(workspace, workers=0)
    before = _media(workspace)
    assert {_status(m) for m in before.values()} <= {"new", "unprocessable", None}
    for name, path in operation.hashset_files.items():
        import_hash_set(workspace, path, name=name.removesuffix(".csv"))
    run_pipeline(workspace, ("match", "cluster"))
    return _media(workspace)


def test_every_file_gets_its_expected_status(
    processed: dict[str, dict[str, Any]], operation: GeneratedOperation
) -> None:
    wrong = {
        sha[:12]: (expected.status, _status(processed[sha]), expected.transform)
        for sha, expected in operation.media_roles.items()
        if _status(processed[sha]) != _expected(expected)
    }
    assert wrong == {}
    assert {e.status for e in operation.media_roles.values()} >= {
        "known", "known_variant", "new", "unprocessable", "non_pertinent",
    }  # fmt: skip


def test_matches_say_algorithm_distance_threshold_and_transform(
    processed: dict[str, dict[str, Any]], operation: GeneratedOperation
) -> None:
    for sha, expected in operation.media_roles.items():
        matches = [m for m in processed[sha]["matches"] if not m["suppressing"]]
        if expected.status == "known_variant":
            assert all(m["algorithm"] == "pdq" for m in matches)
            assert all(0 < m["distance"] <= m["threshold"] == 31 for m in matches)
            if expected.transform and expected.transform.startswith(("rotate", "mirror")):
                assert any(m["transform"] != "original" for m in matches), expected.transform
        if expected.status == "known":
            assert matches and matches[0]["category"]["scheme"]


def test_new_series_group_a_picture_with_its_variants(
    processed: dict[str, dict[str, Any]], operation: GeneratedOperation
) -> None:
    series_by_label: dict[str, set[str | None]] = defaultdict(set)
    for sha, expected in operation.media_roles.items():
        if expected.status == "new" and expected.series_label:
            series_by_label[expected.series_label].add(processed[sha]["series"])
    assert series_by_label, "the operation has new series"
    assert all(len(keys) == 1 and None not in keys for keys in series_by_label.values())
    keys = [next(iter(keys)) for keys in series_by_label.values()]
    assert len(set(keys)) == len(keys), "different new pictures are different series"


def test_known_files_join_their_hash_set_series(
    processed: dict[str, dict[str, Any]], operation: GeneratedOperation
) -> None:
    for sha, expected in operation.media_roles.items():
        if expected.status in {"known", "known_variant"} and expected.hash_set_series:
            assert processed[sha]["series"] == f"known:known:{expected.hash_set_series}"


def test_device_files_are_sighted_and_classified(
    processed: dict[str, dict[str, Any]], operation: GeneratedOperation
) -> None:
    for file in operation.device_files:
        item = processed[file.sha256]
        paths = {s["path"] for s in item["sightings"] if s["device"] == file.device}
        assert file.relative_path in paths


def test_vics_export_reads_back_with_hashes_categories_and_series(
    processed: dict[str, dict[str, Any]], workspace: Workspace, tmp_path: Path
) -> None:
    out = tmp_path / "vics.json"
    assert export_vics(workspace, out, case_name="operation") == len(processed)
    entries = {e.sha256: e for e in read_hash_set(out.read_bytes(), path=str(out)).entries}
    assert set(entries) == set(processed)
    for sha, item in processed.items():
        entry = entries[sha]
        assert (entry.md5, entry.pdq, entry.series) == (item["md5"], item["pdq"], item["series"])
        counted = [m for m in item["matches"] if not m["suppressing"]]
        if counted and counted[0]["category"]["scheme"] == "vics-us":
            assert entry.category == Category("vics-us", counted[0]["category"]["code"])
        reported = any(s["report"] for s in item["sightings"])
        assert entry.is_distributed is (True if reported else None)
