"""CyberTipline ``report`` and ``fileDetails`` XML (NCMEC's schema) into domain types.

Fields Amparo models get their own attributes; every other element the schema allows is kept,
structure and attributes included, in a ``details`` mapping, so nothing a platform said is lost.
Report and file annotations are kept by name, whether written ``<spam>true</spam>`` or, as
NCMEC's documentation writes them, ``<spam/>``. The schema is NCMEC's, with the report
annotations NCMEC's current documentation adds (``informational`` and two more; see
``formats/SOURCES.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from lxml import etree

from amparo import values
from amparo.errors import InvalidInput, ValueOutOfRange
from amparo.formats.xml import add_repeated, element_data, load_schema, parse_xml, validate
from amparo.identifiers import (
    imei_check_digit_valid,
    messenger_identifier,
    normalize_identifier,
    read_party_phones,
)
from amparo.model import (
    PHONE_NUMBER_PLATFORMS,
    AccountRef,
    EstimatedLocation,
    FileEntry,
    Identifier,
    IpEvent,
    Party,
    ReportContent,
    Timestamp,
    platform_slug,
)

_T = TypeVar("_T")
SCHEMA_PATH = Path(__file__).with_name("cybertipline.xsd")
PARTY_ROLES = {
    "personOrUserReported": ("reported", "personOrUserReportedPerson"),
    "intendedRecipient": ("recipient", "intendedRecipientPerson"),
    "victim": ("victim", "victimPerson"),
}
_REPORT_MODELLED = {"incidentSummary", "internetDetails", *PARTY_ROLES}
_PARTY_MODELLED = {
    "espIdentifier", "espService", "screenName", "displayName", "profileUrl",
    "ipCaptureEvent", "deviceId", "groupIdentifier", "estimatedLocation",
}  # fmt: skip
_PERSON_MODELLED = {"firstName", "lastName", "phone", "email", "address", "age", "dateOfBirth"}
_FILE_MODELLED = {
    "reportId", "fileId", "fileName", "originalFileName", "uploadedToEspTimestamp",
    "locationOfFile", "fileViewedByEsp", "exifViewedByEsp", "publiclyAvailable", "fileRelevance",
    "fileAnnotations", "industryClassification", "originalFileHash", "ipCaptureEvent", "deviceId",
}  # fmt: skip


def read_report(data: bytes, *, path: str) -> ReportContent:
    """Parse and validate a ``report.xml``; InputRejected names the place of any fault.

    A value out of range is nulled (a time keeps its text) and its reason is in ``set_aside``.
    """
    root = _parse_valid(data, path=path, expected="report")
    with values.collecting() as set_aside:
        content = _report_content(root, path=path)
    return replace(content, set_aside=tuple(set_aside))


def _report_content(root: etree._Element, *, path: str) -> ReportContent:
    summary = root.find("incidentSummary")
    assert summary is not None  # the schema requires it
    incident_at = _timestamp(summary.find("incidentDateTime"), path=path)
    assert incident_at is not None  # the schema requires an xs:dateTime
    annotations = summary.find("reportAnnotations")
    platform = _text(summary, "platform")
    return ReportContent(
        incident_type=_text(summary, "incidentType") or "",
        incident_at=incident_at,
        platform=platform,
        escalate_to_high_priority=_text(summary, "escalateToHighPriority"),
        annotations=_flags(annotations),
        incident_description=_text(summary, "incidentDateTimeDescription"),
        internet_details=tuple(element_data(el) for el in root.iterfind("internetDetails")),
        parties=tuple(_parties(root, platform, path=path)),
        details=_unmodelled(root, _REPORT_MODELLED),
    )


def read_file_details(data: bytes, *, path: str) -> FileEntry:
    """Parse and validate one ``fileDetails`` document."""
    return file_details_from(parse_xml(data, path=path), path=path)


def file_details_from(root: etree._Element, *, path: str) -> FileEntry:
    """A ``fileDetails`` element already parsed with ``parse_xml``, validated here; a value out
    of range is nulled and its reason is in ``set_aside``."""
    _check_valid(root, path=path, expected="fileDetails")
    with values.collecting() as set_aside:
        entry = _file_entry(root, path=path)
    return replace(entry, set_aside=tuple(set_aside))


def _file_entry(root: etree._Element, *, path: str) -> FileEntry:
    relevance = root.find("fileRelevance")
    ip_capture = root.find("ipCaptureEvent")
    return FileEntry(
        report_number=_text(root, "reportId") or "",
        file_id=_text(root, "fileId") or "",
        file_name=_text(root, "fileName"),
        original_file_name=_text(root, "originalFileName"),
        uploaded_at=_timestamp(root.find("uploadedToEspTimestamp"), path=path),
        location_of_file=_text(root, "locationOfFile"),
        viewed_by_esp=_boolean(root, "fileViewedByEsp"),
        exif_viewed_by_esp=_boolean(root, "exifViewedByEsp"),
        publicly_available=_boolean(root, "publiclyAvailable"),
        relevance=None if relevance is None else (relevance.text or "").strip(),
        annotations=_flags(root.find("fileAnnotations")),
        industry_classification=_text(root, "industryClassification"),
        original_hashes={
            el.get("hashType", "").upper(): (el.text or "").strip().lower()
            for el in root.iterfind("originalFileHash")
        },
        ip_event=None if ip_capture is None else _ip_event(ip_capture, path=path),
        device_ids=tuple(_device_id(el, path=path) for el in root.iterfind("deviceId")),
        details=_unmodelled(root, _FILE_MODELLED),
    )


def file_name_place(data: bytes) -> str:
    """Where a valid fileDetails names its file (for quarantine reasons)."""
    element = parse_xml(data, path="(fileDetails)").find("fileName")
    return "fileName" if element is None else f"fileName, line {element.sourceline}"


def _parse_valid(data: bytes, *, path: str, expected: str) -> etree._Element:
    root = parse_xml(data, path=path)
    _check_valid(root, path=path, expected=expected)
    return root


def _check_valid(root: etree._Element, *, path: str, expected: str) -> None:
    if root.tag != expected:
        raise InvalidInput(
            f"expected a <{expected}> document, found <{root.tag!s}>",
            path=path,
            place=f"line {root.sourceline}",
        )
    validate(root, load_schema(SCHEMA_PATH), path=path, what="CyberTipline")


def _parties(root: etree._Element, platform: str | None, *, path: str) -> list[Party]:
    parties = []
    for tag, (role, person_tag) in PARTY_ROLES.items():
        for element in root.iterfind(tag):
            parties.append(_party(element, role, person_tag, platform, path=path))
    return parties


def _party(
    el: etree._Element, role: str, person_tag: str, platform: str | None, *, path: str
) -> Party:
    person = el.find(person_tag)
    service = _text(el, "espService")
    location = el.find("estimatedLocation")
    account = _account(_text(el, "espIdentifier"), service or platform)
    group_id = _text(el, "groupIdentifier")
    # Without an account the group cannot be keyed on a platform; keep what was said.
    unkeyed_group = {"groupIdentifier": group_id} if group_id and account is None else {}
    identifiers = _identifiers(el, person, path=path)
    if account is not None and account.platform in PHONE_NUMBER_PLATFORMS:
        identifiers.insert(0, messenger_identifier(account.user_id))
    party = Party(
        role=role,
        account=account,
        first_name=_text(person, "firstName"),
        last_name=_text(person, "lastName"),
        age=_checked(person, "age", values.age, path=path),
        date_of_birth=_checked(person, "dateOfBirth", values.birth_date, path=path),
        esp_service=service,
        group_id=group_id,
        addresses=tuple(element_data(a) for a in _iter(person, "address")),
        identifiers=tuple(identifiers),
        ip_events=tuple(_ip_event(e, path=path) for e in el.iterfind("ipCaptureEvent")),
        estimated_location=None if location is None else _location(location, path=path),
        details=_unmodelled(el, _PARTY_MODELLED | {person_tag})
        | _unmodelled(person, _PERSON_MODELLED)
        | unkeyed_group,
    )
    return read_party_phones(party)


def _account(user_id: str | None, platform: str | None) -> AccountRef | None:
    if not user_id or not platform or not platform_slug(platform):
        return None
    return AccountRef(platform_slug(platform), user_id)


def _identifiers(
    el: etree._Element, person: etree._Element | None, *, path: str
) -> list[Identifier]:
    found = [_identifier("email", e) for e in _iter(person, "email")]
    found += [_phone(e) for e in _iter(person, "phone")]
    found += [_identifier("screen_name", e) for e in el.iterfind("screenName")]
    found += [_identifier("display_name", e) for e in el.iterfind("displayName")]
    found += [_identifier("profile_url", e) for e in el.iterfind("profileUrl")]
    found += [_device_id(e, path=path) for e in el.iterfind("deviceId")]
    return [identifier for identifier in found if identifier.raw]


def _identifier(kind: str, el: etree._Element) -> Identifier:
    raw = (el.text or "").strip()
    return Identifier(kind, raw, normalize_identifier(kind, raw), dict(el.attrib))


def _phone(el: etree._Element) -> Identifier:
    """Read with the party's context by ``read_party_phones`` once the party is whole."""
    raw = (el.text or "").strip()
    return Identifier("phone", raw, raw, dict(el.attrib))


def _device_id(el: etree._Element, *, path: str) -> Identifier:
    raw = _text(el, "idValue") or ""
    at = _timestamp(el.find("dateTime"), path=path)
    id_type = _text(el, "idType")
    attributes: dict[str, Any] = {"id_type": id_type, "event": _text(el, "eventName")}
    if id_type and "imei" in id_type.casefold():
        attributes["imei_check_digit_valid"] = imei_check_digit_valid(raw)
    if at is not None:
        attributes["at"] = at.utc.isoformat() if at.utc else at.raw
    return Identifier("device_id", raw, normalize_identifier("device_id", raw), attributes)


def _ip_event(el: etree._Element, *, path: str) -> IpEvent:
    return IpEvent(
        ip=_text(el, "ipAddress") or "",
        port=_checked(el, "port", values.port, path=path),
        at=_timestamp(el.find("dateTime"), path=path),
        event=_text(el, "eventName"),
        possible_proxy=_boolean(el, "possibleProxy"),
    )


def _location(el: etree._Element, *, path: str) -> EstimatedLocation:
    stamp = el.get("timestamp")
    return EstimatedLocation(
        city=_text(el, "city"),
        region=_text(el, "region"),
        country=_text(el, "countryCode"),
        verified=_xs_boolean(el.get("verified")),
        at=None
        if stamp is None
        else parse_timestamp(stamp, path=path, place=f"estimatedLocation, line {el.sourceline}"),
    )


def parse_timestamp(raw: str, *, path: str, place: str) -> Timestamp:
    """An xs:dateTime; UTC only when the text carries a zone, since guessing one would invent.

    A time Python cannot hold or outside ``values``' range is refused (ValueOutOfRange), or,
    inside ``values.collecting``, kept as text without UTC and its reason set aside.
    """
    text = raw.strip()
    moment = values.optional(lambda: _date_time(text, path=path, place=place))
    if moment is None:
        return Timestamp(raw=text, utc=None, offset_minutes=None)
    offset = moment.utcoffset()
    if offset is None:
        return Timestamp(raw=text, utc=None, offset_minutes=None)
    utc = values.optional(lambda: values.utc_instant(moment, path=path, place=place))
    return Timestamp(text, utc, int(offset.total_seconds() // 60))


def _date_time(text: str, *, path: str, place: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise ValueOutOfRange(f"not a date and time: {text!r}", path=path, place=place) from error
    if moment.utcoffset() is None:
        return values.wall_clock(moment, path=path, place=place)
    return moment


def _timestamp(el: etree._Element | None, *, path: str) -> Timestamp | None:
    if el is None or el.text is None or not el.text.strip():
        return None
    return parse_timestamp(el.text, path=path, place=f"{el.tag!s}, line {el.sourceline}")


def _flags(el: etree._Element | None) -> tuple[str, ...]:
    """Names of the annotation elements set: the schema fixes each to true, so an empty one
    (``<informational/>``, as NCMEC's own example writes them) is true too."""
    if el is None:
        return ()
    return tuple(str(child.tag) for child in el if _xs_boolean(child.text or "true"))


def _unmodelled(el: etree._Element | None, modelled: set[str]) -> dict[str, Any]:
    """The children Amparo has no column for, kept as data."""
    data: dict[str, Any] = {}
    for child in [] if el is None else el:
        if child.tag not in modelled:
            add_repeated(data, str(child.tag), element_data(child))
    return data


def _iter(el: etree._Element | None, tag: str) -> list[etree._Element]:
    return [] if el is None else list(el.iterfind(tag))


def _text(el: etree._Element | None, tag: str) -> str | None:
    if el is None:
        return None
    value = el.findtext(tag)
    return None if value is None else value.strip()


def _xs_boolean(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.strip() in {"true", "1"}


def _boolean(el: etree._Element | None, tag: str) -> bool | None:
    return _xs_boolean(None if el is None else el.findtext(tag))


def _checked(
    el: etree._Element | None, tag: str, check: Callable[..., _T], *, path: str
) -> _T | None:
    """An optional child's text through a ``values`` check; out of range, null (reason kept)."""
    value = _text(el, tag)
    if not value:
        return None
    found = None if el is None else el.find(tag)
    assert found is not None  # it has text
    place = f"{tag}, line {found.sourceline}"
    return values.optional(lambda: check(value, path=path, place=place))
