"""CyberTipline XML mapped faithfully into domain types, and hostile XML refused."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from amparo.errors import InvalidInput, UnsafeInput
from amparo.export.findings import export_findings
from amparo.formats.cybertipline import read_file_details, read_report
from amparo.formats.xml import parse_xml
from amparo.intake.ingest import ingest_paths
from amparo.model import ReportContent
from amparo.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def report() -> ReportContent:
    return read_report((FIXTURES / "report_full.xml").read_bytes(), path="report_full.xml")


def test_incident_summary(report: ReportContent) -> None:
    assert report.incident_type.startswith("Child Pornography")
    assert report.platform == "Photo Net"
    assert report.incident_at.utc == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert report.incident_at.offset_minutes == 60
    assert report.annotations == ("sextortion", "minorToMinorInteraction")
    assert report.escalate_to_high_priority == "Apparent ongoing abuse"
    assert report.incident_description == "Upload to a private group"


def test_internet_details_and_unmodelled_parts_are_kept(report: ReportContent) -> None:
    chat, web = report.internet_details
    assert chat == {"chatImIncident": {"chatClient": "Photo Net Messenger",
                                       "chatRoomName": "sunset-club"}}  # fmt: skip
    assert web["webPageIncident"]["url"] == [
        "https://photonet.example/p/123",
        "https://photonet.example/p/124",
    ]
    assert report.details["lawEnforcement"]["caseNumber"] == "EX-1"
    assert report.details["additionalInfo"] == "Free text from the platform"
    assert report.details["reporter"]["reportingPerson"]["email"] == "safety@photonet.example"


def test_reported_person(report: ReportContent) -> None:
    person, recipient = report.parties
    assert person.role == "reported"
    assert person.account.key == "photo-net:pn-4242"
    assert (person.first_name, person.last_name) == ("Ana", "Ejemplo")
    assert person.date_of_birth == date(2010, 5, 4)
    assert person.group_id == "grp-77"
    assert person.estimated_location.country == "ES"
    assert person.estimated_location.verified is False
    assert person.details["profileBio"] == "likes sunsets"
    assert person.details["priorCTReports"] == "123456"
    assert recipient.role == "recipient"
    assert recipient.account.key == "photo-net:pn-9000"


def test_identifiers_keep_raw_and_normalised_forms(report: ReportContent) -> None:
    found = {(i.kind, i.raw): i for i in report.parties[0].identifiers}
    phone = found[("phone", "600 11 22 33")]
    assert phone.normalized == "+34600112233"
    assert phone.attributes["countryCallingCode"] == "+34"
    assert found[("email", "Ana.Ejemplo@Example.ORG")].normalized == "ana.ejemplo@example.org"
    device = found[("device_id", "35 209900 176148 1")]
    assert device.attributes == {
        "id_type": "IMEI",
        "event": "Login",
        "at": "2026-03-01T09:00:00+00:00",
        "imei_check_digit_valid": True,
    }
    assert {i.kind for i in found.values()} == {
        "phone", "email", "screen_name", "display_name", "profile_url", "device_id",
    }  # fmt: skip


def test_ip_events_in_utc_with_the_offset_kept(report: ReportContent) -> None:
    login, registration = report.parties[0].ip_events
    assert login.at.utc == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert login.at.offset_minutes == -180
    assert (login.ip, login.port, login.event, login.possible_proxy) == (
        "192.0.2.10", 51234, "Login", False,
    )  # fmt: skip
    assert registration.ip == "2001:db8::7"
    assert registration.at.utc is None, "a time without a zone must not be guessed as UTC"
    assert registration.at.raw == "2025-12-24T23:59:59"


def test_file_details() -> None:
    entry = read_file_details((FIXTURES / "fileDetails-full.xml").read_bytes(), path="fd.xml")
    assert (entry.report_number, entry.file_id, entry.file_name) == (
        "190000001", "f-1", "IMG_0001.jpg",
    )  # fmt: skip
    assert entry.uploaded_at.utc == datetime(2026, 3, 1, 12, 5, tzinfo=UTC)
    assert entry.annotations == ("possibleSelfProduction", "infant")
    assert entry.industry_classification == "A1"
    assert entry.original_hashes == {"MD5": "d41d8cd98f00b204e9800998ecf8427e"}
    assert entry.ip_event.event == "Upload"
    assert entry.viewed_by_esp is True and entry.publicly_available is False
    assert entry.details["details"]["nameValuePair"]["value"] == "Example Cam"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE report [
 <!ENTITY a "aaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<report>&c;</report>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE report [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<report>&x;</report>"""


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["expansion", "xxe"])
def test_entity_declarations_are_refused(payload: bytes) -> None:
    with pytest.raises(UnsafeInput, match="DOCTYPE") as caught:
        parse_xml(payload, path="report.xml")
    assert caught.value.place == "line 2"
    assert "root:" not in str(caught.value)


def test_not_well_formed_xml_names_line_and_column() -> None:
    with pytest.raises(InvalidInput) as caught:
        read_report(b"<report>\n  <incidentSummary>\n</report>", path="pkg/report.xml")
    assert caught.value.place.startswith("line 3, column")
    assert "pkg/report.xml" in str(caught.value)


def test_schema_violation_names_the_line() -> None:
    invalid = (
        (FIXTURES / "report_full.xml")
        .read_text()
        .replace(
            "<incidentType>Child Pornography (possession, manufacture, and distribution)"
            "</incidentType>",
            "",
        )
    )
    with pytest.raises(InvalidInput, match="CyberTipline schema") as caught:
        read_report(invalid.encode(), path="report.xml")
    assert caught.value.place.startswith("line ")


def test_a_file_details_document_is_not_a_report() -> None:
    data = (FIXTURES / "fileDetails-full.xml").read_bytes()
    with pytest.raises(InvalidInput, match="expected a <report>"):
        read_report(data, path="report.xml")


def test_a_group_of_a_user_without_an_account_id_is_kept() -> None:
    data = (FIXTURES / "report_full.xml").read_text()
    data = data.replace("<espIdentifier>pn-4242</espIdentifier>", "")
    person = read_report(data.encode(), path="report.xml").parties[0]
    assert person.account is None
    assert person.details["groupIdentifier"] == "grp-77"


NCMEC_EXAMPLE = FIXTURES / "report_ncmec_example.xml"


def test_ncmec_documented_example_keeps_every_annotation_informational_too() -> None:
    example = read_report(NCMEC_EXAMPLE.read_bytes(), path=NCMEC_EXAMPLE.name)
    assert example.annotations == (
        "sextortion", "csamSolicitation", "minorToMinorInteraction", "spam",
        "sadisticOnlineExploitation", "informational",
    )  # fmt: skip


@pytest.mark.parametrize("written", ["<spam/>", "<spam></spam>", "<spam>true</spam>"])
def test_an_annotation_is_set_however_it_is_written(written: str) -> None:
    data = NCMEC_EXAMPLE.read_bytes()
    start, end = data.index(b"<reportAnnotations>"), data.index(b"</reportAnnotations>")
    data = data[:start] + f"<reportAnnotations>{written}".encode() + data[end:]
    assert read_report(data, path="report.xml").annotations == ("spam",)


def test_a_report_with_newer_annotations_is_ingested_and_shown_in_the_findings(
    workspace: Workspace, tmp_path: Path
) -> None:
    package = tmp_path / "9000001"
    package.mkdir()
    shutil.copy(NCMEC_EXAMPLE, package / "report.xml")
    summary = ingest_paths(workspace, [package])
    assert (summary.ingested, summary.quarantined) == ([str(package)], [])
    findings = export_findings(workspace, tmp_path / "findings.json")
    annotations = findings["inputs"]["report_annotations"]
    assert annotations["informational"] == ["9000001"]
    assert sorted(annotations) == sorted(
        ["sextortion", "csamSolicitation", "minorToMinorInteraction", "spam",
         "sadisticOnlineExploitation", "informational"]
    )  # fmt: skip
