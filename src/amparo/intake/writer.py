"""The store adapter of intake: one read report package into rows, each thing stored once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo import model
from amparo.store import tables

REPORTED = "reported"


@dataclass(frozen=True)
class StoredFile:
    """An uploaded file already in the evidence store."""

    entry: model.FileEntry
    digest: model.MediaDigest
    kind: str
    mime_type: str | None


@dataclass(frozen=True)
class _Uploader:
    """The reported user a report's files belong to, when the report names exactly one."""

    party: tables.Party | None
    account: tables.Account | None
    group: tables.Group | None


def write_report(
    session: Session,
    source: tables.Source,
    number: str,
    content: model.ReportContent,
    files: list[StoredFile],
) -> tables.Report:
    report = _report_row(source, number, content)
    session.add(report)
    parties = [_write_party(session, report, source, i, p) for i, p in enumerate(content.parties)]
    uploader = _uploader(parties)
    for stored in files:
        _write_sighting(session, report, stored, uploader)
    return report


def _report_row(source: tables.Source, number: str, content: model.ReportContent) -> tables.Report:
    return tables.Report(
        number=number,
        source=source,
        incident_type=content.incident_type,
        incident_at=content.incident_at.utc,
        incident_at_raw=content.incident_at.raw,
        incident_offset_minutes=content.incident_at.offset_minutes,
        incident_description=content.incident_description,
        platform=content.platform,
        escalate_to_high_priority=content.escalate_to_high_priority,
        annotations=list(content.annotations),
        internet_details=list(content.internet_details),
        details=content.details,
    )


def _write_party(
    session: Session,
    report: tables.Report,
    source: tables.Source,
    position: int,
    party: model.Party,
) -> tuple[model.Party, tables.Party]:
    account = None if party.account is None else get_account(session, party.account)
    group = None
    if party.group_id and party.account is not None:
        group = get_group(session, party.account.platform, party.group_id)
        _add_membership(session, group, account, source)
    row = _party_row(report, position, party, account, group)
    session.add(row)
    for identifier in party.identifiers:
        session.add(_identifier_row(row, account, identifier))
    for event in party.ip_events:
        session.add(_ip_event_row(report, row, account, event))
    return party, row


def _party_row(
    report: tables.Report,
    position: int,
    party: model.Party,
    account: tables.Account | None,
    group: tables.Group | None,
) -> tables.Party:
    location = party.estimated_location
    return tables.Party(
        report=report,
        position=position,
        role=party.role,
        account=account,
        first_name=party.first_name,
        last_name=party.last_name,
        age=party.age,
        date_of_birth=party.date_of_birth,
        esp_service=party.esp_service,
        group=group,
        addresses=list(party.addresses),
        est_city=location and location.city,
        est_region=location and location.region,
        est_country=location and location.country,
        est_verified=location and location.verified,
        est_at=location and location.at and location.at.utc,
        details=party.details,
    )


def _identifier_row(
    party: tables.Party, account: tables.Account | None, identifier: model.Identifier
) -> tables.Identifier:
    return tables.Identifier(
        party=party,
        account=account,
        kind=identifier.kind,
        raw=identifier.raw,
        normalized=identifier.normalized,
        attributes=identifier.attributes,
    )


def _ip_event_row(
    report: tables.Report,
    party: tables.Party | None,
    account: tables.Account | None,
    event: model.IpEvent,
) -> tables.IPEvent:
    return tables.IPEvent(
        report=report,
        party=party,
        account=account,
        ip=event.ip,
        port=event.port,
        at=event.at and event.at.utc,
        at_raw=event.at and event.at.raw,
        offset_minutes=event.at and event.at.offset_minutes,
        event=event.event,
        possible_proxy=event.possible_proxy,
    )


def _uploader(parties: list[tuple[model.Party, tables.Party]]) -> _Uploader:
    reported = [(party, row) for party, row in parties if party.role == REPORTED]
    if len(reported) != 1:
        return _Uploader(None, None, None)
    _, row = reported[0]
    return _Uploader(row, row.account, row.group)


def _write_sighting(
    session: Session, report: tables.Report, stored: StoredFile, uploader: _Uploader
) -> None:
    entry = stored.entry
    upload = None
    if entry.ip_event is not None:
        upload = _ip_event_row(report, uploader.party, uploader.account, entry.ip_event)
        session.add(upload)
    at = entry.uploaded_at or (entry.ip_event and entry.ip_event.at)
    session.add(
        tables.Sighting(
            media=get_media(session, stored),
            report=report,
            account=uploader.account,
            group=uploader.group,
            ip_event=upload,
            file_id=entry.file_id,
            file_name=entry.file_name,
            original_file_name=entry.original_file_name,
            at=at and at.utc,
            at_raw=at and at.raw,
            location_of_file=entry.location_of_file,
            viewed_by_esp=entry.viewed_by_esp,
            exif_viewed_by_esp=entry.exif_viewed_by_esp,
            publicly_available=entry.publicly_available,
            relevance=entry.relevance,
            annotations=list(entry.annotations),
            industry_classification=entry.industry_classification,
            original_hashes=entry.original_hashes,
            details=_file_details_extra(entry),
        )
    )


def _file_details_extra(entry: model.FileEntry) -> dict[str, object]:
    devices = [{"raw": d.raw, **d.attributes} for d in entry.device_ids]
    return {**entry.details, **({"deviceId": devices} if devices else {})}


def get_account(session: Session, ref: model.AccountRef) -> tables.Account:
    query = select(tables.Account).filter_by(platform=ref.platform, user_id=ref.user_id)
    account = session.scalars(query).one_or_none()
    if account is None:
        account = tables.Account(platform=ref.platform, user_id=ref.user_id)
        session.add(account)
    return account


def get_group(session: Session, platform: str, group_id: str) -> tables.Group:
    query = select(tables.Group).filter_by(platform=platform, group_id=group_id)
    group = session.scalars(query).one_or_none()
    if group is None:
        group = tables.Group(platform=platform, group_id=group_id)
        session.add(group)
    return group


def get_media(session: Session, stored: StoredFile) -> tables.Media:
    digest = stored.digest
    media = session.scalars(select(tables.Media).filter_by(sha256=digest.sha256)).one_or_none()
    if media is None:
        media = tables.Media(
            sha256=digest.sha256,
            md5=digest.md5,
            sha1=digest.sha1,
            size=digest.size,
            kind=stored.kind,
            mime_type=stored.mime_type,
        )
        session.add(media)
    return media


def _add_membership(
    session: Session, group: tables.Group, account: tables.Account | None, source: tables.Source
) -> None:
    if account is None:
        return
    query = select(tables.Membership).filter_by(group=group, account=account, source=source)
    if session.scalars(query).first() is None:
        session.add(tables.Membership(group=group, account=account, source=source))
