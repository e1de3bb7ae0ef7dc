"""The benign demo generator: schema-valid, reproducible packages that match their ground truth."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections import Counter
from datetime import UTC
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from amparo.demo import (
    BAD_PACKAGE_KINDS,
    GeneratedOperation,
    generate_operation,
    write_bad_packages,
)
from amparo.model import platform_slug

SCHEMA_PATH = Path(__file__).parents[1] / "src" / "amparo" / "formats" / "cybertipline.xsd"
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(SCHEMA_PATH)


@pytest.fixture(scope="module")
def operation(tmp_path_factory: pytest.TempPathFactory) -> GeneratedOperation:
    return generate_operation(tmp_path_factory.mktemp("operation"), reports=30, seed=11)


@pytest.fixture(scope="module")
def bad_packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_bad_packages(tmp_path_factory.mktemp("bad"))


def read_package(package: Path) -> dict[str, bytes]:
    """Every entry of a folder or zip package, by its name relative to the package root."""
    if package.is_dir():
        files = sorted(path for path in package.rglob("*") if path.is_file())
        return {path.relative_to(package).as_posix(): path.read_bytes() for path in files}
    with zipfile.ZipFile(package) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def xml_entries(entries: dict[str, bytes]) -> dict[str, bytes]:
    return {name: data for name, data in entries.items() if name.endswith(".xml")}


def file_details(entries: dict[str, bytes]) -> list[etree._Element]:
    names = sorted(name for name in entries if name.startswith("fileDetails-"))
    return [etree.fromstring(entries[name]) for name in names]


def is_valid(schema: xmlschema.XMLSchema, data: bytes) -> bool:
    return schema.is_valid(io.BytesIO(data))


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def test_every_document_validates_against_the_xsd(
    operation: GeneratedOperation, schema: xmlschema.XMLSchema
) -> None:
    invalid = [
        f"{report.package.name}/{name}"
        for report in operation.reports
        for name, data in xml_entries(read_package(report.package)).items()
        if not is_valid(schema, data)
    ]
    assert invalid == []


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    first = generate_operation(tmp_path / "first", reports=8, seed=3)
    again = generate_operation(tmp_path / "again", reports=8, seed=3)
    other = generate_operation(tmp_path / "other", reports=8, seed=4)
    assert tree_digest(first.root) == tree_digest(again.root)
    assert tree_digest(first.root) != tree_digest(other.root)
    assert [r.package.name for r in first.reports] == [r.package.name for r in again.reports]


def test_ground_truth_matches_the_files_on_disk(operation: GeneratedOperation) -> None:
    for report in operation.reports:
        entries = read_package(report.package)
        uploaded = {name.removeprefix("files/"): data for name, data in entries.items()
                    if name.startswith("files/")}  # fmt: skip
        assert set(uploaded) == {file.file_name for file in report.files}
        for file in report.files:
            data = uploaded[file.file_name]
            assert hashlib.sha256(data).hexdigest() == file.sha256
            assert (hashlib.md5(data).hexdigest(), len(data)) == (file.md5, file.size)
            assert hashlib.sha1(data).hexdigest() == file.sha1
        details = file_details(entries)
        assert {d.findtext("reportId") for d in details} == {report.number}
        assert {d.findtext("fileId") for d in details} == {f.file_id for f in report.files}


def test_fileDetails_declare_the_real_md5_and_name_their_file(
    operation: GeneratedOperation,
) -> None:
    declared = 0
    for report in operation.reports:
        md5_by_name = {file.file_name: file.md5 for file in report.files}
        for details in file_details(read_package(report.package)):
            assert details.findtext("fileName") in md5_by_name
            for digest in details.iterfind("originalFileHash[@hashType='MD5']"):
                assert digest.text == md5_by_name[details.findtext("fileName")]
                declared += 1
    assert declared > 0


def test_report_xml_matches_platform_accounts_and_ip_events(
    operation: GeneratedOperation,
) -> None:
    for report in operation.reports:
        entries = read_package(report.package)
        root = etree.fromstring(entries["report.xml"])
        assert root.findtext("incidentSummary/platform") == report.platform
        persons = root.findall("personOrUserReported")
        keys = [f"{platform_slug(p.findtext('espService'))}:{p.findtext('espIdentifier')}"
                for p in persons]  # fmt: skip
        assert tuple(keys) == report.accounts
        ips = [e.findtext("ipAddress") for p in persons for e in p.iterfind("ipCaptureEvent")]
        ips += [e.findtext("ipAddress") for d in file_details(entries)
                for e in d.iterfind("ipCaptureEvent")]  # fmt: skip
        assert sorted(ips) == sorted(event.ip for event in report.ip_events)


def test_ip_event_times_are_utc(operation: GeneratedOperation) -> None:
    events = [event for report in operation.reports for event in report.ip_events]
    assert events
    assert all(event.at_utc is not None and event.at_utc.utcoffset() == UTC.utcoffset(None)
               for event in events)  # fmt: skip


def test_incident_times_mix_time_zones(operation: GeneratedOperation) -> None:
    stamps = [
        etree.fromstring(read_package(r.package)["report.xml"]).findtext(
            "incidentSummary/incidentDateTime"
        )
        for r in operation.reports
    ]
    assert any(stamp.endswith("Z") for stamp in stamps)
    assert any(stamp[-6] in "+-" for stamp in stamps)


def test_accounts_and_media_recur_across_reports(operation: GeneratedOperation) -> None:
    account_reports = Counter(key for r in operation.reports for key in set(r.accounts))
    media_reports = Counter(sha for r in operation.reports for sha in {f.sha256 for f in r.files})
    assert max(account_reports.values()) > 1
    assert max(media_reports.values()) > 1
    assert len(operation.account_keys) >= 5
    assert operation.sighting_count == sum(media_reports.values())
    assert operation.ip_event_count == sum(len(r.ip_events) for r in operation.reports)


def test_operation_mixes_zip_and_folder_packages_with_distinct_numbers(
    operation: GeneratedOperation,
) -> None:
    kinds = {"zip" if package.suffix == ".zip" else "dir" for package in operation.packages}
    assert kinds == {"zip", "dir"}
    numbers = [report.number for report in operation.reports]
    assert len(set(numbers)) == len(numbers) == 30
    assert all(report.package.name.removesuffix(".zip") == report.number
               for report in operation.reports)  # fmt: skip


def test_platforms_and_groups_are_consistent(operation: GeneratedOperation) -> None:
    platforms = {report.platform for report in operation.reports}
    assert 3 <= len(platforms) <= 4
    slugs = {platform_slug(name) for name in platforms}
    assert {key.split(":", 1)[0] for key in operation.account_keys} <= slugs
    assert {key.split(":", 1)[0] for key in operation.group_keys} <= slugs


def test_zip_every_zero_writes_only_folders(tmp_path: Path) -> None:
    operation = generate_operation(tmp_path, reports=4, seed=0, zip_every=0)
    assert all(package.is_dir() for package in operation.packages)


def test_platform_slug_collapses_non_alphanumerics() -> None:
    assert platform_slug("  Chatter--Box! 2 ") == "chatter-box-2"


def test_there_is_one_bad_package_per_kind(bad_packages: dict[str, Path]) -> None:
    assert set(bad_packages) == set(BAD_PACKAGE_KINDS)
    assert all(path.exists() for path in bad_packages.values())
    assert len(set(bad_packages.values())) == len(bad_packages)


def test_not_well_formed_report_is_truncated(bad_packages: dict[str, Path]) -> None:
    report = read_package(bad_packages["not_well_formed"])["report.xml"]
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(report, SAFE_PARSER)


def test_xsd_invalid_report_lacks_incident_type(
    bad_packages: dict[str, Path], schema: xmlschema.XMLSchema
) -> None:
    entries = read_package(bad_packages["xsd_invalid"])
    report = etree.fromstring(entries["report.xml"])
    assert report.find("incidentSummary/incidentType") is None
    assert not is_valid(schema, entries["report.xml"])
    assert all(is_valid(schema, data) for name, data in xml_entries(entries).items()
               if name != "report.xml")  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "entity", "declaration"),
    [
        ("entity_expansion", "lol9", b'<!ENTITY lol9 "&lol8;&lol8;'),
        ("external_entity", "x", b'<!ENTITY x SYSTEM "file:///etc/passwd">'),
    ],
)
def test_entity_packages_use_their_entity_in_a_text_node(
    bad_packages: dict[str, Path], kind: str, entity: str, declaration: bytes
) -> None:
    report = read_package(bad_packages[kind])["report.xml"]
    assert declaration in report
    assert f"<platform>&{entity};</platform>".encode() in report


def test_entity_expansion_nests_ten_levels_of_ten(bad_packages: dict[str, Path]) -> None:
    report = read_package(bad_packages["entity_expansion"])["report.xml"]
    assert report.count(b"<!ENTITY lol") == 10
    assert report.count(b"&lol8;") == 10


def test_external_entity_report_is_otherwise_well_formed(bad_packages: dict[str, Path]) -> None:
    report = read_package(bad_packages["external_entity"])["report.xml"]
    root = etree.fromstring(report, SAFE_PARSER)
    references = list(root.iter(etree.Entity))
    assert [(node.name, node.getparent().tag) for node in references] == [("x", "platform")]


def test_zip_slip_package_has_an_escaping_entry_beside_a_valid_report(
    bad_packages: dict[str, Path], schema: xmlschema.XMLSchema
) -> None:
    with zipfile.ZipFile(bad_packages["zip_slip"]) as archive:
        assert "../../evil.txt" in archive.namelist()
        assert is_valid(schema, archive.read("report.xml"))


def test_missing_file_package_names_a_file_it_lacks(bad_packages: dict[str, Path]) -> None:
    entries = read_package(bad_packages["missing_file"])
    named = {details.findtext("fileName") for details in file_details(entries)}
    present = {name.removeprefix("files/") for name in entries if name.startswith("files/")}
    assert named - present


def test_orphan_file_package_has_a_file_nobody_names(bad_packages: dict[str, Path]) -> None:
    entries = read_package(bad_packages["orphan_file"])
    named = {details.findtext("fileName") for details in file_details(entries)}
    present = {name.removeprefix("files/") for name in entries if name.startswith("files/")}
    assert present - named


def test_unreadable_zip_is_not_a_zip(bad_packages: dict[str, Path]) -> None:
    path = bad_packages["unreadable_zip"]
    assert path.suffix == ".zip"
    assert path.read_bytes().startswith(b"PK\x03\x04")
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(path)


def test_zip_bomb_declares_far_more_than_it_weighs(bad_packages: dict[str, Path]) -> None:
    path = bad_packages["zip_bomb"]
    with zipfile.ZipFile(path) as archive:
        largest = max(archive.infolist(), key=lambda info: info.file_size)
    assert largest.file_size >= 200 * 1024**2
    assert largest.compress_size < 1024**2
    assert path.stat().st_size < 1024**2
