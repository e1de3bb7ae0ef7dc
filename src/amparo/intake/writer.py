"""The store adapter of intake: one read report package into rows, each thing stored once.

Written with SQLAlchemy Core rather than the ORM unit of work: a report is a few dozen rows,
and batching them (one multi-row INSERT per table) keeps ingest fast on a single core.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.orm import Session

from amparo import model
from amparo.intake.ledger import QuarantinedPart, open_source, record_parts
from amparo.store import tables
from amparo.store.rows import (
    insert_many_unless_present,
    insert_row,
    insert_rows,
    insert_unless_present,
)

REPORT_PACKAGE = "report_package"
REPORTED = "reported"


@dataclass(frozen=True)
class StoredFile:
    """A file already in the evidence store, with its fileDetails when a report had one."""

    entry: model.FileEntry | None
    digest: model.MediaDigest
    kind: str
    mime_type: str | None


@dataclass(frozen=True)
class _Uploader:
    """The reported user a report's files belong to, when the report names exactly one."""

    party_id: int | None = None
    account_id: int | None = None
    group_id: int | None = None


@dataclass
class _Batch:
    """Rows that nothing else refers to, inserted together at the end."""

    rows: dict[Table, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: type[tables.Base], row: dict[str, Any]) -> None:
        self.rows.setdefault(table.__table__, []).append(row)

    def flush(self, connection: Connection) -> None:
        for table, rows in self.rows.items():
            connection.execute(insert(table), rows)


class KnownIds:
    """Ids of accounts, groups and media already in the store, remembered across packages.

    Only valid while nothing is rolled back: whoever catches a failed write calls ``forget``.
    """

    def __init__(self) -> None:
        self._ids: dict[tuple[str, tuple[Any, ...]], int] = {}

    def get(self, table: type[tables.Base], key: dict[str, Any]) -> int | None:
        return self._ids.get((table.__tablename__, tuple(key.values())))

    def remember(self, table: type[tables.Base], key: dict[str, Any], row_id: int) -> None:
        self._ids[(table.__tablename__, tuple(key.values()))] = row_id

    def forget(self) -> None:
        self._ids.clear()

    def find_or_insert(
        self,
        connection: Connection,
        table: type[tables.Base],
        key: dict[str, Any],
        row: dict[str, Any],
    ) -> int:
        """The id of the row matching ``key`` (a unique key), inserting ``row`` when there is none.

        The insert yields to a concurrent writer that inserted the same key first (PostgreSQL
        teams): it then reads that writer's row instead of failing.
        """
        row_id = self.get(table, key)
        if row_id is None:
            columns = table.__table__.c
            query = select(columns.id).where(*(columns[k] == v for k, v in key.items()))
            row_id = connection.execute(query).scalar_one_or_none()
            if row_id is None:
                row_id = insert_unless_present(connection, table, row, list(key))
                row_id = row_id or connection.execute(query).scalar_one()
            self.remember(table, key, row_id)
        return row_id


def media_id(connection: Connection, known: KnownIds, stored: StoredFile) -> int:
    """The id of the media row of a stored file, created on first sight."""
    row = _media_row(stored)
    return known.find_or_insert(connection, tables.Media, {"sha256": row["sha256"]}, row)


def media_ids(connection: Connection, known: KnownIds, files: list[StoredFile]) -> list[int]:
    """The ids of the media rows of ``files``, in order, those not seen before created.

    In bulk, for device trees of many thousand files: one SELECT per few hundred digests and
    one multi-row INSERT, which yields to a concurrent writer's rows as ``media_id`` does.
    """
    ids: dict[str, int] = {}
    unknown: dict[str, StoredFile] = {}
    for stored in files:
        sha256 = stored.digest.sha256
        row_id = known.get(tables.Media, {"sha256": sha256})
        if row_id is None:
            unknown.setdefault(sha256, stored)
        else:
            ids[sha256] = row_id
    ids |= _media_ids_of(connection, list(unknown))
    missing = [_media_row(stored) for sha256, stored in unknown.items() if sha256 not in ids]
    if missing:
        insert_many_unless_present(connection, tables.Media, missing, ["sha256"])
        ids |= _media_ids_of(connection, [row["sha256"] for row in missing])
    for sha256 in unknown:
        known.remember(tables.Media, {"sha256": sha256}, ids[sha256])
    return [ids[stored.digest.sha256] for stored in files]


_IN_LIST = 500  # digests per SELECT ... IN, well under every database's parameter limit


def _media_ids_of(connection: Connection, digests: list[str]) -> dict[str, int]:
    columns = tables.Media.__table__.c
    found: dict[str, int] = {}
    for start in range(0, len(digests), _IN_LIST):
        chunk = digests[start : start + _IN_LIST]
        query = select(columns.sha256, columns.id).where(columns.sha256.in_(chunk))
        found.update((sha256, row_id) for sha256, row_id in connection.execute(query))
    return found


def _media_row(stored: StoredFile) -> dict[str, Any]:
    digest = stored.digest
    return {"sha256": digest.sha256, "md5": digest.md5, "sha1": digest.sha1,
            "size": digest.size, "kind": stored.kind, "mime_type": stored.mime_type}  # fmt: skip


def write_package(
    session: Session,
    label: str,
    digest: str,
    number: str,
    content: model.ReportContent,
    files: list[StoredFile],
    parts: list[QuarantinedPart],
    known: KnownIds,
) -> int:
    """Write a package's Source, its report and its quarantined parts; return the report id."""
    connection = session.connection()
    source_id = open_source(connection, REPORT_PACKAGE, label, digest)
    record_parts(connection, source_id, parts)
    batch = _Batch()
    writer = _ReportWriter(connection, source_id, batch, known)
    report_id = writer.write(number, content, files)
    batch.flush(connection)
    return report_id


class _ReportWriter:
    """Looks up or creates accounts, groups and media once each, and collects the rest."""

    def __init__(
        self, connection: Connection, source_id: int, batch: _Batch, known: KnownIds
    ) -> None:
        self.connection = connection
        self.source_id = source_id
        self.batch = batch
        self.known = known
        self._memberships: set[tuple[int, int]] = set()

    def write(self, number: str, content: model.ReportContent, files: list[StoredFile]) -> int:
        columns = _report_columns(number, content) | {"source_id": self.source_id}
        report_id = insert_row(self.connection, tables.Report, columns)
        uploaders = self._parties(report_id, content.parties)
        reported = [
            u for p, u in zip(content.parties, uploaders, strict=True) if p.role == REPORTED
        ]
        self._sightings(report_id, files, reported[0] if len(reported) == 1 else _Uploader())
        return report_id

    def _parties(self, report_id: int, parties: tuple[model.Party, ...]) -> list[_Uploader]:
        """Insert the report's parties in one statement; queue their identifiers and IPs."""
        owners = [self._owner(party) for party in parties]
        rows = [
            _party_columns(party) | {"report_id": report_id, "position": position,
                                     "account_id": owner.account_id, "group_id": owner.group_id}
            for position, (party, owner) in enumerate(zip(parties, owners, strict=True))
        ]  # fmt: skip
        party_ids = insert_rows(self.connection, tables.Party, rows)
        uploaders = []
        for party, owner, party_id in zip(parties, owners, party_ids, strict=True):
            keys = {"party_id": party_id, "account_id": owner.account_id}
            for identifier in party.identifiers:
                self.batch.add(tables.Identifier, _identifier_columns(identifier) | keys)
            for event in party.ip_events:
                row = _ip_event_columns(event) | keys | {"report_id": report_id}
                self.batch.add(tables.IPEvent, row)
            uploaders.append(_Uploader(party_id, owner.account_id, owner.group_id))
        return uploaders

    def _owner(self, party: model.Party) -> _Uploader:
        """The account and group ids of a party (no party id yet)."""
        if party.account is None:
            return _Uploader()
        account_id = self._account(party.account)
        group_id = None
        if party.group_id:
            group_id = self._group(party.account.platform, party.group_id)
            self._membership(group_id, account_id)
        return _Uploader(None, account_id, group_id)

    def _sightings(self, report_id: int, files: list[StoredFile], uploader: _Uploader) -> None:
        """Insert the upload IP events in one statement, then queue the sightings."""
        owner = {"report_id": report_id, "party_id": uploader.party_id,
                 "account_id": uploader.account_id}  # fmt: skip
        with_ip = [
            (stored, event) for stored in files if (event := _entry_of(stored).ip_event) is not None
        ]
        upload_ids = insert_rows(
            self.connection,
            tables.IPEvent,
            [_ip_event_columns(event) | owner for _, event in with_ip],
        )
        upload_of = {
            id(stored): upload for (stored, _), upload in zip(with_ip, upload_ids, strict=True)
        }
        for stored in files:
            self.batch.add(tables.Sighting, _sighting_columns(_entry_of(stored)) | {
                "media_id": self._media(stored), "report_id": report_id,
                "ip_event_id": upload_of.get(id(stored)), "account_id": uploader.account_id,
                "group_id": uploader.group_id,
            })  # fmt: skip

    def _account(self, ref: model.AccountRef) -> int:
        key = {"platform": ref.platform, "user_id": ref.user_id}
        return self.known.find_or_insert(self.connection, tables.Account, key, key)

    def _group(self, platform: str, group_id: str) -> int:
        key = {"platform": platform, "group_id": group_id}
        return self.known.find_or_insert(self.connection, tables.Group, key, key)

    def _media(self, stored: StoredFile) -> int:
        return media_id(self.connection, self.known, stored)

    def _membership(self, group_id: int, account_id: int) -> None:
        if (group_id, account_id) not in self._memberships:
            self._memberships.add((group_id, account_id))
            self.batch.add(tables.Membership, {
                "group_id": group_id, "account_id": account_id, "source_id": self.source_id,
            })  # fmt: skip


def _report_columns(number: str, content: model.ReportContent) -> dict[str, Any]:
    return {
        "number": number,
        "incident_type": content.incident_type,
        "incident_at": content.incident_at.utc,
        "incident_at_raw": content.incident_at.raw,
        "incident_offset_minutes": content.incident_at.offset_minutes,
        "incident_description": content.incident_description,
        "platform": content.platform,
        "escalate_to_high_priority": content.escalate_to_high_priority,
        "annotations": list(content.annotations),
        "internet_details": list(content.internet_details),
        "details": content.details,
    }


def _party_columns(party: model.Party) -> dict[str, Any]:
    location = party.estimated_location
    return {
        "role": party.role,
        "first_name": party.first_name,
        "last_name": party.last_name,
        "age": party.age,
        "date_of_birth": party.date_of_birth,
        "esp_service": party.esp_service,
        "addresses": list(party.addresses),
        "est_city": location and location.city,
        "est_region": location and location.region,
        "est_country": location and location.country,
        "est_verified": location and location.verified,
        "est_at": location and location.at and location.at.utc,
        "details": party.details,
    }


def _identifier_columns(identifier: model.Identifier) -> dict[str, Any]:
    return {
        "kind": identifier.kind,
        "raw": identifier.raw,
        "normalized": identifier.normalized,
        "attributes": identifier.attributes,
    }


def _ip_event_columns(event: model.IpEvent) -> dict[str, Any]:
    return {
        "ip": event.ip,
        "port": event.port,
        "at": event.at and event.at.utc,
        "at_raw": event.at and event.at.raw,
        "offset_minutes": event.at and event.at.offset_minutes,
        "event": event.event,
        "possible_proxy": event.possible_proxy,
    }


def _sighting_columns(entry: model.FileEntry) -> dict[str, Any]:
    at = entry.uploaded_at or (entry.ip_event and entry.ip_event.at)
    devices = [{"raw": d.raw, **d.attributes} for d in entry.device_ids]
    return {
        "file_id": entry.file_id,
        "file_name": entry.file_name,
        "original_file_name": entry.original_file_name,
        "at": at and at.utc,
        "at_raw": at and at.raw,
        "location_of_file": entry.location_of_file,
        "viewed_by_esp": entry.viewed_by_esp,
        "exif_viewed_by_esp": entry.exif_viewed_by_esp,
        "publicly_available": entry.publicly_available,
        "relevance": entry.relevance,
        "annotations": list(entry.annotations),
        "industry_classification": entry.industry_classification,
        "original_hashes": entry.original_hashes,
        "details": {**entry.details, **({"deviceId": devices} if devices else {})},
    }


def _entry_of(stored: StoredFile) -> model.FileEntry:
    """The fileDetails of a file a report listed (only a device's files come without)."""
    assert stored.entry is not None
    return stored.entry
