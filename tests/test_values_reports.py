"""Issue 12: a report value out of range costs that value, never the package or the batch."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from amparo.cli import main
from amparo.intake.ingest import IngestSummary, ingest_paths
from amparo.store import tables
from amparo.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures"
REPORT = (FIXTURES / "report_full.xml").read_text()
FILE_DETAILS = (FIXTURES / "fileDetails-full.xml").read_text()
GOOD_UPLOAD = "<uploadedToEspTimestamp>2026-03-01T09:05:00-03:00</uploadedToEspTimestamp>"


def write_package(
    folder: Path, number: int, *, report: str = REPORT, details: str = FILE_DETAILS
) -> Path:
    """A report package: report.xml, one fileDetails and the file it names."""
    folder.mkdir(parents=True)
    (folder / "report.xml").write_text(report)
    (folder / "fileDetails-f-1.xml").write_text(
        details.replace("<reportId>190000001</reportId>", f"<reportId>{number}</reportId>")
    )
    (folder / "IMG_0001.jpg").write_bytes(f"benign bytes of package {number}".encode())
    return folder


def _report_with(old: str, new: str) -> str:
    assert old in REPORT
    return REPORT.replace(old, new, 1)


def _details_with(old: str, new: str) -> str:
    assert old in FILE_DETAILS
    return FILE_DETAILS.replace(old, new, 1)


INCIDENT = "<incidentDateTime>2026-03-01T10:30:00+01:00</incidentDateTime>"
BIRTH = "<dateOfBirth>2010-05-04</dateOfBirth>"
IP_TIME = "<dateTime>2026-03-01T09:00:00-03:00</dateTime>"
LOCATION = 'timestamp="2026-03-01T09:00:00Z"'
REPORT_PORT = "<port>51234</port>"

# finding -> (report.xml, fileDetails, the element named in the reason)
BAD_REPORTS = {
    "incident 9999 in New York": (
        _report_with(INCIDENT, "<incidentDateTime>9999-12-31T23:59:59-05:00</incidentDateTime>"),
        FILE_DETAILS, "incidentDateTime"),
    "birth 10000-01-01": (
        _report_with(BIRTH, "<dateOfBirth>10000-01-01</dateOfBirth>"), FILE_DETAILS,
        "dateOfBirth"),
    "birth -0001-01-01": (
        _report_with(BIRTH, "<dateOfBirth>-0001-01-01</dateOfBirth>"), FILE_DETAILS,
        "dateOfBirth"),
    "ip event 0001 in Tokyo": (
        _report_with(IP_TIME, "<dateTime>0001-01-01T00:00:00+09:00</dateTime>"), FILE_DETAILS,
        "dateTime"),
    "estimated location 9999": (
        _report_with(LOCATION, 'timestamp="9999-12-31T23:59:59-05:00"'), FILE_DETAILS,
        "estimatedLocation"),
    "upload 9999": (
        REPORT, _details_with(GOOD_UPLOAD, GOOD_UPLOAD.replace("2026-03-01T09:05:00-03:00",
                                                               "9999-12-31T23:00:00-03:00")),
        "uploadedToEspTimestamp"),
    "port -1": (_report_with(REPORT_PORT, "<port>-1</port>"), FILE_DETAILS, "port"),
    "port 70000": (_report_with(REPORT_PORT, "<port>70000</port>"), FILE_DETAILS, "port"),
    "port 2147483647": (
        REPORT, _details_with(REPORT_PORT, "<port>2147483647</port>"), "port"),
}  # fmt: skip


@pytest.fixture
def batch(tmp_path: Path) -> dict[str, Path]:
    """Each bad package between good ones, in the order a folder walk gives them."""
    packages = {}
    for index, (finding, (report, details, _)) in enumerate(sorted(BAD_REPORTS.items())):
        packages[finding] = write_package(
            tmp_path / f"in/{index:02d}-bad", 190000100 + index, report=report, details=details
        )
        packages[f"good after {finding}"] = write_package(
            tmp_path / f"in/{index:02d}-good", 190000200 + index
        )
    return packages


@pytest.fixture
def summary(workspace: Workspace, batch: dict[str, Path]) -> IngestSummary:
    return ingest_paths(workspace, [next(iter(batch.values())).parent])


def test_every_package_of_the_batch_is_ingested(
    summary: IngestSummary, batch: dict[str, Path]
) -> None:
    assert sorted(summary.ingested) == sorted(str(p) for p in batch.values())


@pytest.mark.parametrize("finding", sorted(BAD_REPORTS))
def test_the_value_is_set_aside_with_file_and_place(
    finding: str, summary: IngestSummary, batch: dict[str, Path]
) -> None:
    element = BAD_REPORTS[finding][2]
    reasons = [q.reason for q in summary.quarantined if q.path.startswith(str(batch[finding]))]
    assert len(reasons) == 1, reasons
    assert re.search(rf"\.xml, {element}, line \d+: ", reasons[0]), reasons[0]


def test_out_of_range_values_are_null_and_times_keep_their_text(
    summary: IngestSummary, workspace: Workspace
) -> None:
    with workspace.session() as session:
        incident = session.execute(
            select(tables.Report.incident_at, tables.Report.incident_at_raw).filter_by(
                number=str(190000100 + sorted(BAD_REPORTS).index("incident 9999 in New York"))
            )
        ).one()
        assert incident == (None, "9999-12-31T23:59:59-05:00")
        ports = set(session.scalars(select(tables.IPEvent.port)))
        assert ports == {51234, None}
        births = set(session.scalars(select(tables.Party.date_of_birth)))
        assert {b.isoformat() for b in births if b} == {"2010-05-04"}


def test_set_aside_values_are_quarantined_parts_in_the_store(
    summary: IngestSummary, workspace: Workspace
) -> None:
    with workspace.session() as session:
        parts = session.scalars(select(tables.Source).filter_by(kind="value")).all()
        assert sorted(p.reason for p in parts) == sorted(q.reason for q in summary.quarantined)
        assert all(p.status == tables.SOURCE_QUARANTINED and p.parent_id for p in parts)


def test_the_cli_ingests_the_packages_after_a_bad_value(
    tmp_path: Path, batch: dict[str, Path]
) -> None:
    result = CliRunner().invoke(
        main, ["--workspace", str(tmp_path / "ws"), "ingest", str(tmp_path / "in")]
    )
    assert result.exception is None, result.output
    assert result.exit_code == 0, result.output
    assert f"Ingested {len(batch)} input(s)" in result.output
