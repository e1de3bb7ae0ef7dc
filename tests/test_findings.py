"""The findings document: schema-valid, complete for what is known, null where not yet known."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from amparo.demo import GeneratedOperation, generate_operation, write_bad_packages
from amparo.errors import ExportError
from amparo.export.findings import export_findings, findings_schema, validate_findings
from amparo.intake.ingest import ingest_paths
from amparo.media.pdq import DIHEDRAL_TRANSFORMS
from amparo.workspace import Workspace


@pytest.fixture(scope="module")
def operation(tmp_path_factory: pytest.TempPathFactory) -> GeneratedOperation:
    return generate_operation(tmp_path_factory.mktemp("op") / "input", reports=30, seed=3)


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_bad_packages(tmp_path_factory.mktemp("bad"))


@pytest.fixture
def document(
    workspace: Workspace, operation: GeneratedOperation, bad: dict[str, Path], tmp_path: Path
) -> dict[str, Any]:
    ingest_paths(workspace, [operation.root, bad["orphan_file"], bad["xsd_invalid"]])
    out = tmp_path / "out" / "findings.json"
    returned = export_findings(workspace, out)
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written == returned
    return written


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(findings_schema())


def test_export_matches_the_schema(document: dict[str, Any]) -> None:
    jsonschema.validate(document, findings_schema())
    assert document["format"] == "amparo.findings/1"


def test_the_schema_refuses_an_invented_status(document: dict[str, Any]) -> None:
    broken = copy.deepcopy(document)
    broken["media"][0]["status"] = "probably-known"
    with pytest.raises(ExportError, match="media/0/status"):
        validate_findings(broken)


def test_inputs_count_sources_reports_and_quarantines(
    document: dict[str, Any], operation: GeneratedOperation
) -> None:
    inputs = document["inputs"]
    assert inputs["sources"] == 30 + 2
    assert inputs["reports"] == 30 + 1
    reasons = " | ".join(q["reason"] for q in inputs["quarantined"])
    assert "does not match the CyberTipline schema" in reasons
    assert "no fileDetails in the package names this file" in reasons


def test_media_carry_hashes_and_every_sighting(
    document: dict[str, Any], operation: GeneratedOperation
) -> None:
    expected = Counter(f.sha256 for r in operation.reports for f in r.files)
    by_sha = {m["sha256"]: m for m in document["media"]}
    for sha256, sightings in expected.items():
        assert len(by_sha[sha256]["sightings"]) == sightings
    truth = {f.sha256: f for r in operation.reports for f in r.files}
    for sha256, file in truth.items():
        assert (by_sha[sha256]["md5"], by_sha[sha256]["sha1"]) == (file.md5, file.sha1)


def test_sightings_name_reports_accounts_and_groups(
    document: dict[str, Any], operation: GeneratedOperation
) -> None:
    expected = {(r.number, f.sha256): r for r in operation.reports for f in r.files}
    for media in document["media"]:
        for sighting in media["sightings"]:
            report = expected.get((sighting["report"], media["sha256"]))
            if report is None:
                continue  # the partial bad package's file
            if len(report.accounts) == 1:
                assert sighting["account"] == report.accounts[0]
            assert sighting["group"] in (None, *report.groups)


def test_accounts_and_groups(document: dict[str, Any], operation: GeneratedOperation) -> None:
    keys = {a["key"] for a in document["accounts"]}
    assert operation.account_keys <= keys
    assert all(a["person"] is None for a in document["accounts"])
    groups = {g["key"]: g for g in document["groups"]}
    assert operation.group_keys <= set(groups)
    assert any(g["members"] and g["media_shared"] > 0 for g in groups.values())


def test_later_stages_are_empty_or_null_never_invented(document: dict[str, Any]) -> None:
    assert document["series"] == [] and document["persons"] == []
    assert document["referrals"] == [] and document["legal_requests"] == []
    assert all(m["status"] is None and m["pdq"] is None for m in document["media"])
    assert document["stats"]["persons"] is None
    assert document["stats"]["reports"] == document["inputs"]["reports"]


def test_the_schema_names_every_dihedral_transform() -> None:
    match = findings_schema()["$defs"]["media"]["properties"]["matches"]["items"]
    assert set(match["properties"]["transform"]["enum"]) == {None, *DIHEDRAL_TRANSFORMS}
