"""Bad input is quarantined with a reason naming the file and the place; the batch goes on."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from amparo.cli import main
from amparo.demo import generate_operation, write_bad_packages
from amparo.intake.ingest import IngestSummary, ingest_paths
from amparo.intake.package import is_safe_member_name
from amparo.store import tables
from amparo.workspace import Workspace

# kind -> (what the reason must say, the file it must name, the place it must give)
EXPECTED = {
    "not_well_formed": (r"not well-formed XML", r"report\.xml", r"line \d+, column \d+"),
    "xsd_invalid": (r"does not match the CyberTipline schema", r"report\.xml", r"line \d+"),
    "entity_expansion": (r"DOCTYPE declaration is refused", r"report\.xml", r"line \d+"),
    "external_entity": (r"DOCTYPE declaration is refused", r"report\.xml", r"line \d+"),
    "zip_slip": (r"would escape the package folder", r"\.zip", r"entry '\.\./\.\./evil\.txt'"),
    "missing_file": (r"not in the package", r"fileDetails-\S+\.xml", r"fileName, line \d+"),
    "orphan_file": (r"no fileDetails in the package names", r"unlisted_picture\.png", r""),
    "unreadable_zip": (r"not a readable zip archive", r"\.zip", r""),
    "zip_bomb": (r"decompression bomb", r"\.zip", r"entry '"),
}  # fmt: skip
PARTIAL = {"missing_file", "orphan_file"}  # the report lands; only the faulty part is set aside


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], dict[str, Path]]:
    root = tmp_path_factory.mktemp("batch")
    good = generate_operation(root / "good", reports=4, seed=21)
    bad = write_bad_packages(root / "bad")
    return list(good.packages), bad


@pytest.fixture
def summary(workspace: Workspace, batch: tuple[list[Path], dict[str, Path]]) -> IngestSummary:
    good, bad = batch
    return ingest_paths(workspace, [*good, *bad.values()])


def _reasons_for(summary: IngestSummary, package: Path) -> list[str]:
    return [q.reason for q in summary.quarantined if q.path.startswith(str(package))]


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_bad_kind_is_quarantined_with_file_and_place(
    kind: str, summary: IngestSummary, batch: tuple[list[Path], dict[str, Path]]
) -> None:
    said, names, place = EXPECTED[kind]
    reasons = _reasons_for(summary, batch[1][kind])
    assert len(reasons) == 1, reasons
    assert re.search(said, reasons[0]), reasons[0]
    assert re.search(names, reasons[0]), reasons[0]
    assert re.search(place, reasons[0]), reasons[0]


def test_the_good_packages_of_the_batch_are_ingested(
    summary: IngestSummary, batch: tuple[list[Path], dict[str, Path]]
) -> None:
    good, bad = batch
    expected = {str(p) for p in good} | {str(bad[kind]) for kind in PARTIAL}
    assert set(summary.ingested) == expected


def test_quarantines_are_sources_in_the_store(summary: IngestSummary, workspace: Workspace) -> None:
    with workspace.session() as session:
        quarantined = session.scalars(
            select(tables.Source).filter_by(status=tables.SOURCE_QUARANTINED)
        ).all()
        assert sorted(s.reason for s in quarantined) == sorted(
            q.reason for q in summary.quarantined
        )
        orphan = next(s for s in quarantined if s.kind == "file")
        assert orphan.parent_id is not None
    assert orphan.digest in workspace.evidence, "a quarantined file is kept, not lost"


def test_offering_the_batch_again_adds_no_quarantine(
    summary: IngestSummary, workspace: Workspace, batch: tuple[list[Path], dict[str, Path]]
) -> None:
    with workspace.session() as session:
        before = len(session.scalars(select(tables.Source)).all())
    again = ingest_paths(workspace, [*batch[0], *batch[1].values()])
    assert again.ingested == []
    with workspace.session() as session:
        assert len(session.scalars(select(tables.Source)).all()) == before


def test_nothing_is_written_outside_the_workspace(
    summary: IngestSummary, batch: tuple[list[Path], dict[str, Path]], tmp_path: Path
) -> None:
    bad_root = batch[1]["zip_slip"].parent
    for folder in (bad_root, bad_root.parent, bad_root.parent.parent, tmp_path):
        assert not (folder / "evil.txt").exists()


@pytest.mark.parametrize(
    ("name", "safe"),
    [("files/a.jpg", True), ("report.xml", True), ("../x", False), ("a/../../x", False),
     ("/etc/passwd", False), ("C:/x", False), ("a\\..\\x", False), ("", False)],
)  # fmt: skip
def test_member_names_that_could_escape_are_refused(name: str, safe: bool) -> None:
    assert is_safe_member_name(name) is safe


def test_cli_exits_non_zero_only_when_nothing_could_be_ingested(
    tmp_path: Path, batch: tuple[list[Path], dict[str, Path]]
) -> None:
    runner = CliRunner()
    workspace = ["--workspace", str(tmp_path / "ws")]
    only_bad = runner.invoke(main, [*workspace, "ingest", str(batch[1]["xsd_invalid"])])
    assert only_bad.exit_code == 1
    assert "quarantined" in only_bad.output
    mixed = runner.invoke(main, [*workspace, "ingest", str(batch[0][0]), str(batch[1]["zip_bomb"])])
    assert mixed.exit_code == 0, mixed.output
    assert "Ingested 1 input(s)" in mixed.output


def test_a_repeated_file_id_is_set_aside_and_the_report_lands(
    workspace: Workspace, batch: tuple[list[Path], dict[str, Path]], tmp_path: Path
) -> None:
    package = tmp_path / "repeated"
    shutil.copytree(next(p for p in batch[0] if p.is_dir()), package)
    details = sorted(package.glob("fileDetails-*.xml"))[0]
    copy = package / "fileDetails-copy.xml"
    copy.write_bytes(details.read_bytes().replace(b"<fileName>", b"<fileName>copy-of-"))
    (package / "files" / f"copy-of-{_file_name(details)}").write_bytes(b"second upload")
    summary = ingest_paths(workspace, [package])
    assert summary.ingested == [str(package)]
    reasons = " | ".join(q.reason for q in summary.quarantined)
    assert "is already used by" in reasons and "fileDetails-copy.xml" in reasons
    assert "copy-of-" in reasons, "the file the repeat names is kept apart, not lost"


def _file_name(details: Path) -> str:
    return details.read_text(encoding="utf-8").split("<fileName>")[1].split("<")[0]


def test_a_bomb_spread_over_many_small_entries_is_refused_before_any_byte_is_stored(
    workspace: Workspace, tmp_path: Path
) -> None:
    """1,000 entries of 1 MiB each, every one below the per-entry ratio check's floor."""
    bomb = tmp_path / "many-small.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("report.xml", "<report/>")
        for index in range(1000):
            archive.writestr(f"file-{index:04}.bin", bytes(1024**2))
    assert bomb.stat().st_size < 2 * 1024**2
    summary = ingest_paths(workspace, [bomb])
    assert [q.path for q in summary.quarantined] == [str(bomb)]
    assert "decompression bomb" in summary.quarantined[0].reason
    assert "1,048,576,009 bytes in all" in summary.quarantined[0].reason
    stored = sum(f.stat().st_size for f in workspace.root.rglob("*") if f.is_file()
                 and "evidence" in f.parts)  # fmt: skip
    assert stored == 0
