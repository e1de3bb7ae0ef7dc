"""Ingest of generated operations: everything lands once, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amparo.demo import GeneratedOperation, generate_operation
from amparo.intake.ingest import ingest_paths
from amparo.intake.writer import KnownIds, insert_unless_present
from amparo.store import tables
from amparo.workspace import Workspace

COUNTED = tables.Base.__subclasses__()


@pytest.fixture(scope="module")
def operation(tmp_path_factory: pytest.TempPathFactory) -> GeneratedOperation:
    return generate_operation(tmp_path_factory.mktemp("op") / "input", reports=200, seed=11)


@pytest.fixture
def ingested(workspace: Workspace, operation: GeneratedOperation) -> Iterator[Session]:
    summary = ingest_paths(workspace, [operation.root])
    assert summary.quarantined == []
    assert len(summary.ingested) == 200
    with workspace.session() as session:
        yield session


def _count(session: Session, table: type[tables.Base]) -> int:
    return session.scalar(select(func.count()).select_from(table))


def test_every_report_is_stored(ingested: Session, operation: GeneratedOperation) -> None:
    numbers = set(ingested.scalars(select(tables.Report.number)))
    assert numbers == {report.number for report in operation.reports}


def test_every_account_is_stored_once(ingested: Session, operation: GeneratedOperation) -> None:
    keys = [f"{a.platform}:{a.user_id}" for a in ingested.scalars(select(tables.Account))]
    assert sorted(keys) == sorted(operation.account_keys)


def test_every_file_is_stored_once_and_sighted_per_report(
    ingested: Session, operation: GeneratedOperation, workspace: Workspace
) -> None:
    digests = set(ingested.scalars(select(tables.Media.sha256)))
    assert digests == operation.media_sha256
    assert len(digests) < operation.sighting_count, "the generator shares files across reports"
    assert _count(ingested, tables.Sighting) == operation.sighting_count
    for sha256 in list(digests)[:5]:
        assert len(workspace.evidence.read(sha256)) > 0


def test_sightings_name_report_file_and_hashes(
    ingested: Session, operation: GeneratedOperation
) -> None:
    stored = {
        (s.report.number, s.file_id): s.media for s in ingested.scalars(select(tables.Sighting))
    }
    for report in operation.reports:
        for file in report.files:
            media = stored[(report.number, file.file_id)]
            assert (media.sha256, media.md5, media.sha1, media.size) == (
                file.sha256, file.md5, file.sha1, file.size,
            )  # fmt: skip


def test_every_ip_event_is_stored_in_utc(ingested: Session, operation: GeneratedOperation) -> None:
    stored = sorted(
        (e.report.number, e.ip, str(e.port), str(e.at))
        for e in ingested.scalars(select(tables.IPEvent))
    )
    expected = sorted(
        (r.number, e.ip, str(e.port), str(e.at_utc)) for r in operation.reports for e in r.ip_events
    )
    assert stored == expected
    assert len(stored) == operation.ip_event_count


def test_groups_and_memberships(ingested: Session, operation: GeneratedOperation) -> None:
    keys = {f"{g.platform}:{g.group_id}" for g in ingested.scalars(select(tables.Group))}
    assert keys == operation.group_keys
    assert _count(ingested, tables.Membership) > 0


def test_a_second_ingest_adds_nothing(
    ingested: Session, workspace: Workspace, operation: GeneratedOperation
) -> None:
    before = {table.__tablename__: _count(ingested, table) for table in COUNTED}
    evidence_before = sorted(p.name for p in workspace.evidence.root.rglob("*") if p.is_file())
    summary = ingest_paths(workspace, [operation.root])
    assert (summary.ingested, summary.quarantined) == ([], [])
    assert len(summary.duplicates) == 200
    with workspace.session() as session:
        after = {table.__tablename__: _count(session, table) for table in COUNTED}
    assert after == before
    assert sorted(p.name for p in workspace.evidence.root.rglob("*") if p.is_file()) == (
        evidence_before
    )


def test_a_changed_package_with_a_known_number_is_quarantined(
    workspace: Workspace, tmp_path: Path
) -> None:
    first = generate_operation(tmp_path / "a", reports=1, seed=5, zip_every=0)
    ingest_paths(workspace, list(first.packages))
    package = first.packages[0]
    (package / "files" / "extra-note.txt").write_text("a later addition")
    summary = ingest_paths(workspace, [package])
    assert summary.ingested == []
    assert "already ingested" in summary.quarantined[0].reason


def test_an_insert_yields_to_a_row_another_writer_added(workspace: Workspace) -> None:
    key = {"platform": "photonet", "user_id": "u-1"}
    with workspace.session() as session:
        connection = session.connection()
        first = KnownIds().find_or_insert(connection, tables.Account, key, key)
        # What a concurrent writer that looked before this row existed would then do:
        assert insert_unless_present(connection, tables.Account, key, list(key)) is None
        assert KnownIds().find_or_insert(connection, tables.Account, key, key) == first
        assert _count(session, tables.Account) == 1
