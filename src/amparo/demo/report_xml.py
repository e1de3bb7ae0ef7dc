"""``report.xml`` and ``fileDetails`` documents for a planned report, in the XSD's order."""

from __future__ import annotations

from datetime import date, datetime

from lxml import etree

from amparo.demo.networks import provider_of
from amparo.demo.people import Device, Persona, Platform
from amparo.demo.phone_shapes import CleanPhones, PhoneWriter, WrittenPhone
from amparo.demo.plan import ChatIncident, IpEvent, ReportedPerson, ReportPlan, Upload, WebIncident

Element = etree._Element


def xs_datetime(moment: datetime) -> str:
    """An aware datetime as xs:dateTime, whole seconds, ``Z`` for UTC."""
    text = moment.isoformat(timespec="seconds")
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def xs_boolean(value: bool) -> str:
    return "true" if value else "false"


def serialize(root: Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def render_report(plan: ReportPlan, phones: PhoneWriter | None = None) -> bytes:
    """The report; ``phones`` writes numbers and messenger ids (default: clean, E.164)."""
    report = etree.Element("report")
    _incident_summary(report, plan)
    if plan.internet_incident is not None:
        _internet_details(report, plan.internet_incident)
    _reporter(report, plan.platform)
    for person in plan.persons:
        _person_or_user_reported(report, person, plan.incident_at.date(), phones or CleanPhones())
    return serialize(report)


def render_file_details(report_number: int, upload: Upload) -> bytes:
    details = etree.Element("fileDetails")
    _sub(details, "reportId", str(report_number))
    _sub(details, "fileId", upload.file_id)
    _sub(details, "fileName", upload.file_name)
    _sub(details, "originalFileName", upload.original_file_name)
    _sub(details, "uploadedToEspTimestamp", xs_datetime(upload.uploaded_at))
    _sub(details, "fileViewedByEsp", xs_boolean(upload.viewed_by_esp))
    _sub(details, "publiclyAvailable", xs_boolean(upload.publicly_available))
    if upload.annotations:
        _flags(details, "fileAnnotations", upload.annotations)
    if upload.industry_class:
        _sub(details, "industryClassification", upload.industry_class)
    if upload.declares_md5:
        _sub(details, "originalFileHash", upload.media.md5, hashType="MD5")
    if upload.upload_event is not None:
        _ip_capture_event(details, upload.upload_event)
    return serialize(details)


def _sub(parent: Element, tag: str, text: str | None = None, **attributes: str) -> Element:
    element = etree.SubElement(parent, tag, attributes)
    element.text = text
    return element


def _flags(parent: Element, tag: str, names: tuple[str, ...]) -> None:
    holder = _sub(parent, tag)
    for name in names:
        _sub(holder, name, "true")


def _incident_summary(report: Element, plan: ReportPlan) -> None:
    summary = _sub(report, "incidentSummary")
    _sub(summary, "incidentType", plan.incident_type)
    _sub(summary, "platform", plan.platform.name)
    if plan.escalation:
        _sub(summary, "escalateToHighPriority", plan.escalation)
    if plan.annotations:
        _flags(summary, "reportAnnotations", plan.annotations)
    _sub(summary, "incidentDateTime", xs_datetime(plan.incident_at))


def _internet_details(report: Element, incident: ChatIncident | WebIncident) -> None:
    details = _sub(report, "internetDetails")
    if isinstance(incident, ChatIncident):
        chat = _sub(details, "chatImIncident")
        _sub(chat, "chatClient", incident.client)
        _sub(chat, "chatRoomName", incident.room)
    else:
        _sub(_sub(details, "webPageIncident"), "url", incident.url)


def _reporter(report: Element, platform: Platform) -> None:
    person = _sub(_sub(report, "reporter"), "reportingPerson")
    _sub(person, "firstName", platform.staff_name[0])
    _sub(person, "lastName", platform.staff_name[1])
    _sub(person, "email", platform.safety_email)


def _person_or_user_reported(
    report: Element, person: ReportedPerson, day: date, phones: PhoneWriter
) -> None:
    element = _sub(report, "personOrUserReported")
    account = person.account
    # Whether the report gives the person's country besides the number (see phone_shapes).
    context = person.shows_location or any(
        not e.possible_proxy and provider_of(e.ip) is not None for e in person.ip_events
    )
    _reported_person(element, person, day, phones.phone(account.persona, context))
    user_id = account.user_id
    if account.platform.keyed_by_phone:
        user_id = phones.messenger_id(account.persona, context)
    _sub(element, "espIdentifier", user_id)
    _sub(element, "espService", account.platform.name)
    _sub(element, "screenName", account.screen_name)
    _sub(element, "displayName", account.display_name)
    _sub(element, "profileUrl", account.profile_url)
    for event in person.ip_events:
        _ip_capture_event(element, event)
    device = account.persona.device
    if person.shows_device and device is not None:
        _device_id(element, device)
    if person.group_id:
        _sub(element, "groupIdentifier", person.group_id)
    if person.shows_location:
        _estimated_location(element, account.persona)


def _reported_person(
    parent: Element, person: ReportedPerson, day: date, phone: WrittenPhone
) -> None:
    persona = person.account.persona
    element = _sub(parent, "personOrUserReportedPerson")
    _sub(element, "firstName", persona.first_name)
    _sub(element, "lastName", persona.last_name)
    if person.shows_phone:
        _sub(element, "phone", phone.text, **phone.attributes)
    _sub(element, "email", person.account.email)
    if person.shows_phone and phone.address_country:
        _sub(_sub(element, "address", type="Home"), "country", phone.address_country)
    if person.shows_birth_date:
        _sub(element, "dateOfBirth", persona.birth_date.isoformat())
    else:
        _sub(element, "age", str(persona.age_on(day)))


def _ip_capture_event(parent: Element, event: IpEvent) -> None:
    element = _sub(parent, "ipCaptureEvent")
    _sub(element, "ipAddress", event.ip)
    if event.event:
        _sub(element, "eventName", event.event)
    _sub(element, "dateTime", xs_datetime(event.at))
    if event.possible_proxy:
        _sub(element, "possibleProxy", "true")
    if event.port is not None:
        _sub(element, "port", str(event.port))


def _device_id(parent: Element, device: Device) -> None:
    element = _sub(parent, "deviceId")
    _sub(element, "idType", device.id_type)
    _sub(element, "idValue", device.id_value)


def _estimated_location(parent: Element, persona: Persona) -> None:
    element = _sub(parent, "estimatedLocation")
    _sub(element, "city", persona.place.city)
    _sub(element, "region", persona.place.region)
    _sub(element, "countryCode", persona.locale.country_code)
