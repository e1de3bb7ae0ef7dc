"""Re-running stages and re-importing hash sets: right answers, nothing added twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from amparo.demo import generate_operation
from amparo.export.findings import build_findings
from amparo.intake.hashsets import import_hash_set
from amparo.intake.ingest import ingest_paths
from amparo.stages.pipeline import run_pipeline
from amparo.store import tables
from amparo.workspace import Workspace

NCMEC = "https://hashsharing.ncmec.org/hashsharing/v2"


@pytest.fixture
def media(workspace: Workspace, tmp_path: Path) -> list[dict[str, Any]]:
    operation = generate_operation(tmp_path / "op", reports=12, seed=2)
    ingest_paths(workspace, list(operation.packages))
    run_pipeline(workspace, workers=0)
    with workspace.session() as session:
        return [m for m in build_findings(session)["media"] if m["pdq"]]


def _csv(path: Path, column: str, values: list[str]) -> Path:
    rows = [f"{column},category_scheme,category_code"] + [f"{v},vics-us,1" for v in values]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _statuses(workspace: Workspace) -> dict[str, str | None]:
    with workspace.session() as session:
        return dict(session.execute(select(tables.Media.sha256, tables.Media.status)).all())


def _counts(workspace: Workspace) -> dict[str, int]:
    with workspace.session() as session:
        return {
            t.__tablename__: session.scalar(select(func.count()).select_from(t))
            for t in (tables.Match, tables.Series, tables.KnownEntry, tables.Source)
        }


def test_reverting_a_hash_set_rematches_against_the_current_entries(
    workspace: Workspace, media: list[dict[str, Any]], tmp_path: Path
) -> None:
    by_pdq = _csv(tmp_path / "v1.csv", "pdq", [m["pdq"] for m in media[:3]])
    by_md5 = _csv(tmp_path / "v2.csv", "md5", [m["md5"] for m in media[3:4]])
    other = _csv(tmp_path / "o.csv", "md5", [m["md5"] for m in media[5:6]])
    for path, name in [(by_pdq, "s"), (other, "o"), (by_md5, "s"), (by_pdq, "s")]:
        import_hash_set(workspace, path, name=name)
        run_pipeline(workspace, ("match", "cluster"))
    statuses = _statuses(workspace)
    assert [statuses[m["sha256"]] for m in media[:3]] == ["known"] * 3
    assert statuses[media[3]["sha256"]] == "new", "v2's entry is gone again"
    assert statuses[media[5]["sha256"]] == "known"


def test_running_everything_again_adds_nothing(
    workspace: Workspace, media: list[dict[str, Any]], tmp_path: Path
) -> None:
    hash_set = _csv(tmp_path / "set.csv", "pdq", [m["pdq"] for m in media[:4]])
    import_hash_set(workspace, hash_set, name="partner")
    run_pipeline(workspace)
    before, statuses = _counts(workspace), _statuses(workspace)
    assert import_hash_set(workspace, hash_set, name="partner").unchanged
    run_pipeline(workspace)
    assert (_counts(workspace), _statuses(workspace)) == (before, statuses)


def test_an_ncmec_delta_withdraws_an_earlier_entry(workspace: Workspace, tmp_path: Path) -> None:
    def document(body: str) -> Path:
        path = tmp_path / f"ncmec-{len(list(tmp_path.iterdir()))}.xml"
        path.write_text(f'<queryResult xmlns="{NCMEC}"><images>{body}</images></queryResult>')
        return path

    def image(tag: str, ncmec_id: str) -> str:
        md5 = f"{ncmec_id[-1] * 32}"
        return (f'<{tag}><member id="7">Hotline</member><id>{ncmec_id}</id>'
                f"<fingerprints><md5>{md5}</md5></fingerprints></{tag}>")  # fmt: skip

    import_hash_set(workspace, document(image("image", "a1") + image("image", "a2")), name="n")
    result = import_hash_set(workspace, document(image("deletedImage", "a1")), name="n")
    assert (result.entries, result.removed) == (1, 1)
    with workspace.session() as session:
        assert session.scalars(select(tables.KnownEntry.entry_id)).all() == ["7-a2"]


def test_an_older_ncmec_delta_offered_again_changes_nothing(
    workspace: Workspace, tmp_path: Path
) -> None:
    older = tmp_path / "older.xml"
    older.write_text(f'<queryResult xmlns="{NCMEC}"><images><image><member id="7">H</member>'
                     f"<id>x</id><fingerprints><md5>{'a' * 32}</md5></fingerprints></image>"
                     "</images></queryResult>")  # fmt: skip
    newer = tmp_path / "newer.xml"
    newer.write_text(f'<queryResult xmlns="{NCMEC}"><images><deletedImage><member id="7">H'
                     "</member><id>x</id></deletedImage></images></queryResult>")  # fmt: skip
    import_hash_set(workspace, older, name="n")
    import_hash_set(workspace, newer, name="n")
    assert import_hash_set(workspace, older, name="n").unchanged
    with workspace.session() as session:
        assert session.scalars(select(tables.KnownEntry)).all() == []
