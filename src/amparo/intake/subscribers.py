"""Internet providers' subscriber returns (CSV) imported once each, by digest, then matched.

A row the reader refuses is kept as a quarantined part of the return's Source, with its row
number and reason; a file refused whole is recorded once as a quarantined source. After every
import the records are matched to the IP events again (``amparo.geo.subscribers``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from amparo.errors import InputRejected, InvalidInput
from amparo.formats.subscriber_csv import (
    RowProblem,
    SubscriberFile,
    SubscriberRow,
    read_subscriber_csv,
)
from amparo.geo.providers import provider_country
from amparo.geo.subscribers import INSERT_CHUNK, match_subscribers, subscriber_answers
from amparo.intake.ledger import (
    QuarantinedPart,
    earlier_source,
    open_source,
    record_parts,
    record_rejected,
)
from amparo.settings import get_setting
from amparo.store import tables
from amparo.store.bounded import read_file_bounded
from amparo.store.refusals import refusals_as_store_errors
from amparo.workspace import Workspace

SUBSCRIBER_RETURN = "subscriber_return"
REFUSED_ROW = "subscriber_row"
MAX_RETURN_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class ImportResult:
    """What one subscriber-return file gave: rows used, rows refused (number and why), matches."""

    path: str
    digest: str
    duplicate: bool
    used: int
    refused: tuple[RowProblem, ...]
    notes: tuple[RowProblem, ...]
    events_answered: int
    ambiguous: int

    @property
    def nothing_usable(self) -> bool:
        return self.used == 0


def import_subscriber_returns(workspace: Workspace, path: Path) -> ImportResult:
    """Import one CSV subscriber return (once: by digest), then re-match every record."""
    data = read_file_bounded(path, MAX_RETURN_BYTES)
    digest = hashlib.sha256(data).hexdigest()
    try:
        refused = f"the database refused subscriber return {path}"
        with refusals_as_store_errors(refused), workspace.session() as session:
            earlier = earlier_source(session.connection(), SUBSCRIBER_RETURN, digest)
            if earlier is not None:
                return _recount(session, earlier, str(path), digest)
            parsed = _parse(session, data, str(path))
            source_id = _store(session, parsed, str(path), digest, len(data))
            match_subscribers(session)
            return _result(session, source_id, str(path), digest, parsed)
    except InputRejected as error:
        record_rejected(workspace, SUBSCRIBER_RETURN, str(path), digest, error, size=len(data))
        raise


_SOURCE = tables.Source


def _parse(session: Session, data: bytes, path: str) -> SubscriberFile:
    home = get_setting(session, "home_country")
    return read_subscriber_csv(data, path=path, country_hint=provider_country, home_country=home)


def _store(session: Session, parsed: SubscriberFile, path: str, digest: str, size: int) -> int:
    connection = session.connection()
    source_id = open_source(connection, SUBSCRIBER_RETURN, path, digest, size=size)
    record_parts(connection, source_id, (_refused_row(path, p) for p in parsed.refused))
    records = [_record_row(source_id, subscriber) for subscriber in parsed.rows]
    for start in range(0, len(records), INSERT_CHUNK):
        session.execute(insert(tables.SubscriberRecord), records[start : start + INSERT_CHUNK])
    return source_id


def _refused_row(path: str, problem: RowProblem) -> QuarantinedPart:
    error = InvalidInput(problem.reason, path=path, place=f"row {problem.row}")
    return QuarantinedPart(REFUSED_ROW, path, None, error)


def _record_row(source_id: int, row: SubscriberRow) -> dict[str, Any]:
    return {
        "source_id": source_id, "row": row.row, "ip": row.ip, "port": row.port,
        "start_at": row.start_at, "end_at": row.end_at, "isp": row.isp,
        "subscriber_name": row.subscriber_name, "address": row.address,
        "postal_code": row.postal_code, "municipality": row.municipality,
        "subdivision": row.subdivision, "subdivision_raw": row.subdivision_raw,
        "country": row.country, "date_of_birth": row.date_of_birth, "details": row.details,
    }  # fmt: skip


def _result(
    session: Session, source_id: int, path: str, digest: str, parsed: SubscriberFile
) -> ImportResult:
    answered, ambiguous = _answered_events(session, source_id)
    return ImportResult(path, digest, False, len(parsed.rows), parsed.refused, parsed.notes,
                        answered, ambiguous)  # fmt: skip


def _recount(session: Session, source_id: int, path: str, digest: str) -> ImportResult:
    """The counts of an earlier import of the same file, read back from the store."""
    used = session.scalar(
        select(func.count()).select_from(tables.SubscriberRecord).filter_by(source_id=source_id)
    )
    parts = session.execute(
        select(_SOURCE.place, _SOURCE.reason).filter_by(parent_id=source_id).order_by(_SOURCE.id)
    )
    refused = tuple(
        RowProblem(_row_number(place), (reason or "").split(f"{place}: ", 1)[-1])
        for place, reason in parts
    )
    answered, ambiguous = _answered_events(session, source_id)
    return ImportResult(path, digest, True, used or 0, refused, (), answered, ambiguous)


def _row_number(place: str | None) -> int:
    return int((place or "row 0").removeprefix("row "))


def _answered_events(session: Session, source_id: int) -> tuple[int, int]:
    """How many events this source's records answer, and how many of them ambiguously."""
    ids = set(session.scalars(select(tables.SubscriberRecord.id).filter_by(source_id=source_id)))
    answers = [a for a in subscriber_answers(session) if a.subscriber_record_id in ids]
    events = {a.ip_event_id for a in answers}
    return len(events), len({a.ip_event_id for a in answers if a.ambiguous})
