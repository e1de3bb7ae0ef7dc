"""The benign demo generator: schema-valid, reproducible packages that match their ground truth."""

from __future__ import annotations

import csv
import hashlib
import io
import struct
import zipfile
from collections import Counter
from datetime import UTC
from pathlib import Path

import numpy as np
import pdqhash
import pytest
import xmlschema
from lxml import etree
from PIL import Image

from amparo.demo import (
    BAD_PACKAGE_KINDS,
    MEDIA_STATUSES,
    GeneratedOperation,
    HashSetEntry,
    generate_operation,
    write_bad_packages,
)
from amparo.demo.pdq import pdq_hex
from amparo.model import platform_slug

SCHEMA_PATH = Path(__file__).parents[1] / "src" / "amparo" / "formats" / "cybertipline.xsd"
PDQ_VECTORS = Path(__file__).parent / "fixtures" / "pdq"
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
MATCH_THRESHOLD = 31  # the product's PDQ near-match distance
VARIANT_REACH = 24
FAMILY_GAP = 60
HASH_SET_HEADER = ["md5", "sha1", "sha256", "pdq", "category_scheme", "category_code", "series"]


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(SCHEMA_PATH)


@pytest.fixture(scope="module")
def operation(tmp_path_factory: pytest.TempPathFactory) -> GeneratedOperation:
    return generate_operation(
        tmp_path_factory.mktemp("operation"), reports=30, seed=11, hash_sets=True, device_tree=True
    )


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
    extras = {"hash_sets": True, "device_tree": True}
    first = generate_operation(tmp_path / "first", reports=8, seed=3, **extras)
    again = generate_operation(tmp_path / "again", reports=8, seed=3, **extras)
    other = generate_operation(tmp_path / "other", reports=8, seed=4, **extras)
    assert tree_digest(first.root) == tree_digest(again.root)
    assert tree_digest(first.root) != tree_digest(other.root)
    assert [r.package.name for r in first.reports] == [r.package.name for r in again.reports]
    assert first.media_roles == again.media_roles
    assert first.hash_sets == again.hash_sets


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


# Media roles, hash sets and the seized device


def written_files(operation: GeneratedOperation) -> dict[str, bytes]:
    """Every uploaded and device file, by sha256."""
    files = {
        hashlib.sha256(data).hexdigest(): data
        for report in operation.reports
        for name, data in read_package(report.package).items()
        if name.startswith("files/")
    }
    files.update((f.sha256, f.path.read_bytes()) for f in operation.device_files)
    return files


def dihedral_pdq(data: bytes) -> tuple[np.ndarray, int]:
    """The eight dihedral PDQ hashes (as bool rows, own hash first) and the quality."""
    with Image.open(io.BytesIO(data)) as picture:
        hashes, quality = pdqhash.compute_dihedral(np.asarray(picture.convert("RGB")))
    return np.asarray(hashes, dtype=bool), quality


def bits(pdq: str) -> np.ndarray:
    return np.unpackbits(np.frombuffer(bytes.fromhex(pdq), dtype=np.uint8)).astype(bool)


def best_distance(dihedral: np.ndarray, pdq: str) -> int:
    return int((dihedral != bits(pdq)).sum(axis=1).min())


def own_distance(dihedral: np.ndarray, pdq: str) -> int:
    return int((dihedral[0] != bits(pdq)).sum())


def read_hash_set(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        assert reader.fieldnames == HASH_SET_HEADER
        return list(reader)


def classify(data: bytes, known: list[HashSetEntry], non_pertinent: list[HashSetEntry]) -> str:
    """The product's rules, restated: exact or PDQ-0 match, near match, no match, undecodable."""
    digest = hashlib.sha256(data).hexdigest()
    if digest in {entry.sha256 for entry in non_pertinent}:
        return "non_pertinent"
    if digest in {entry.sha256 for entry in known}:
        return "known"
    try:
        dihedral, _ = dihedral_pdq(data)
    except Image.UnidentifiedImageError:
        return "new"  # not a picture at all
    except (OSError, Image.DecompressionBombError):
        return "unprocessable"
    if any(own_distance(dihedral, entry.pdq) == 0 for entry in known):
        return "known"
    if any(best_distance(dihedral, entry.pdq) <= MATCH_THRESHOLD for entry in known):
        return "known_variant"
    return "new"


@pytest.fixture(scope="module")
def files(operation: GeneratedOperation) -> dict[str, bytes]:
    return written_files(operation)


@pytest.fixture(scope="module")
def known_set(operation: GeneratedOperation) -> list[HashSetEntry]:
    return list(operation.hash_sets["known.csv"])


def test_pdq_hex_packing_matches_the_reference() -> None:
    with (PDQ_VECTORS / "expected.csv").open(newline="") as stream:
        first = next(csv.DictReader(stream))
    with Image.open(PDQ_VECTORS / first["file"]) as picture:
        own_bits, _ = pdqhash.compute(np.asarray(picture.convert("RGB")))
    distance = bin(int(pdq_hex(own_bits), 16) ^ int(first["pdq_hex"], 16)).count("1")
    assert distance <= 16


def test_every_written_file_has_an_expected_status(
    operation: GeneratedOperation, files: dict[str, bytes]
) -> None:
    assert set(operation.media_roles) == set(files)
    assert operation.media_sha256 <= set(operation.media_roles)
    statuses = Counter(media.status for media in operation.media_roles.values())
    assert set(statuses) == set(MEDIA_STATUSES)
    assert all(sha == media.sha256 for sha, media in operation.media_roles.items())


def test_statuses_follow_from_recomputed_pdq_distances(
    operation: GeneratedOperation, files: dict[str, bytes], known_set: list[HashSetEntry]
) -> None:
    non_pertinent = list(operation.hash_sets["non_pertinent.csv"])
    wrong = {
        sha: (media.status, classify(files[sha], known_set, non_pertinent))
        for sha, media in operation.media_roles.items()
        if classify(files[sha], known_set, non_pertinent) != media.status
    }
    assert wrong == {}


def test_known_variants_stay_close_to_their_source(
    operation: GeneratedOperation, files: dict[str, bytes], known_set: list[HashSetEntry]
) -> None:
    entries = {entry.sha256: entry for entry in known_set}
    variants = [m for m in operation.media_roles.values() if m.status == "known_variant"]
    assert {m.transform for m in variants} - {None}
    for variant in variants:
        source = entries[variant.source_sha256]
        dihedral, quality = dihedral_pdq(files[variant.sha256])
        assert quality >= 50
        assert 0 < best_distance(dihedral, source.pdq) <= VARIANT_REACH
        assert pdq_hex(dihedral[0]) == variant.pdq
        assert variant.hash_set_series == source.series
        others = [e for e in known_set if e.sha256 != source.sha256]
        assert all(best_distance(dihedral, e.pdq) >= FAMILY_GAP - VARIANT_REACH for e in others)


def test_edited_copies_of_known_pictures_keep_their_pdq(
    operation: GeneratedOperation, files: dict[str, bytes], known_set: list[HashSetEntry]
) -> None:
    entries = {entry.sha256: entry for entry in known_set}
    edits = [m for m in operation.media_roles.values() if m.status == "known" and m.source_sha256]
    assert edits
    for edit in edits:
        assert edit.sha256 not in entries
        assert edit.transform == "metadata_edit"
        dihedral, _ = dihedral_pdq(files[edit.sha256])
        assert own_distance(dihedral, entries[edit.source_sha256].pdq) == 0


def test_new_pictures_are_far_from_known_ones_and_from_other_series(
    operation: GeneratedOperation, files: dict[str, bytes], known_set: list[HashSetEntry]
) -> None:
    roles = operation.media_roles
    new = {sha: dihedral_pdq(files[sha])[0] for sha in operation.sha256_with_status("new")
           if roles[sha].pdq is not None}  # fmt: skip
    family = {sha: roles[sha].series_label or sha for sha in new}
    for sha, dihedral in new.items():
        assert all(best_distance(dihedral, entry.pdq) >= FAMILY_GAP for entry in known_set)
        for other, other_dihedral in new.items():
            distance = best_distance(dihedral, pdq_hex(other_dihedral[0]))
            if family[other] == family[sha]:
                assert distance <= VARIANT_REACH
            else:
                assert distance >= FAMILY_GAP


def test_new_series_have_variants_and_good_quality(operation: GeneratedOperation) -> None:
    series = Counter(m.series_label for m in operation.media_roles.values() if m.series_label)
    assert max(series.values()) >= 2
    members = [m for m in operation.media_roles.values() if m.series_label]
    assert all(m.status == "new" and m.pdq_quality >= 50 for m in members)


def test_hash_sets_parse_with_csv_and_hold_exactly_the_known_pictures(
    operation: GeneratedOperation, known_set: list[HashSetEntry]
) -> None:
    assert set(operation.hashset_files) == {"known.csv", "non_pertinent.csv"}
    rows = read_hash_set(operation.hashset_files["known.csv"])
    assert [row["sha256"] for row in rows] == [entry.sha256 for entry in known_set]
    exact_known = {m.sha256 for m in operation.media_roles.values()
                   if m.status == "known" and m.source_sha256 is None}  # fmt: skip
    assert exact_known <= {row["sha256"] for row in rows}
    categories = Counter((row["category_scheme"], row["category_code"]) for row in rows)
    assert categories[("caid-uk", "A")] == 2
    assert categories[("vics-us", "1")] == len(rows) - 2
    assert all(row["series"].startswith("Series-") and len(row["pdq"]) == 64 for row in rows)


def test_the_non_pertinent_meme_is_in_its_own_set_and_reported(
    operation: GeneratedOperation,
) -> None:
    [row] = read_hash_set(operation.hashset_files["non_pertinent.csv"])
    assert (row["category_scheme"], row["category_code"], row["series"]) == ("vics-us", "0", "")
    assert operation.sha256_with_status("non_pertinent") == {row["sha256"]}
    assert row["sha256"] in operation.media_sha256


def test_bad_media_really_are_bad(operation: GeneratedOperation, files: dict[str, bytes]) -> None:
    bad = [m for m in operation.media_roles.values() if m.status == "unprocessable"]
    assert {m.defect for m in bad} == {"truncated", "pixel_bomb"}
    assert {m.sha256 for m in bad} <= operation.media_sha256
    for media in bad:
        data = files[media.sha256]
        if media.defect == "truncated":
            with Image.open(io.BytesIO(data)) as picture, pytest.raises(OSError):
                picture.load()
        else:
            width, height = struct.unpack(">II", data[16:24])
            assert width * height >= 100_000_000 and len(data) < 10_000
            with pytest.raises(Image.DecompressionBombError):
                Image.open(io.BytesIO(data))


def test_the_device_tree_holds_the_expected_files(operation: GeneratedOperation) -> None:
    device_root = operation.root / "devices" / "phone-1"
    on_disk = sorted(p.relative_to(device_root).as_posix() for p in device_root.rglob("*")
                     if p.is_file())  # fmt: skip
    assert on_disk == sorted(f.relative_path for f in operation.device_files)
    for file in operation.device_files:
        assert hashlib.sha256(file.path.read_bytes()).hexdigest() == file.sha256
        assert file.status == operation.media_roles[file.sha256].status
    folders = {file.relative_path.rsplit("/", 1)[0] for file in operation.device_files}
    assert {"DCIM/Camera", "WhatsApp/Media/WhatsApp Images"} <= folders
    assert "WhatsApp/Media/WhatsApp Images/Sent" in folders
    assert "notes.txt" in on_disk
    reported = [f for f in operation.device_files if f.sha256 in operation.media_sha256]
    assert len(reported) == 1
    statuses = {file.status for file in operation.device_files}
    assert {"known", "known_variant", "new"} <= statuses
    labels = {operation.media_roles[f.sha256].series_label for f in operation.device_files}
    reported_labels = {operation.media_roles[sha].series_label for sha in operation.media_sha256}
    assert labels & reported_labels - {None}


def test_hash_sets_and_device_tree_are_off_by_default(tmp_path: Path) -> None:
    operation = generate_operation(tmp_path, reports=3, seed=1)
    assert operation.hashset_files == {} and operation.device_files == ()
    assert not (tmp_path / "hashsets").exists() and not (tmp_path / "devices").exists()
    assert set(operation.media_roles) == operation.media_sha256
