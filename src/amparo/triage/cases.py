"""Cases as analysts work them: status, assignee, notes and history, and what findings show.

A case is one person or one new series (``kind``, ``subject``: the person or series key). The
score stage creates cases and keeps their priority current (``case_sync``); analysts move them
through ``new → in_review → referred → closed`` (any order), assign them and add notes here.
Every change is a ``CaseEvent``, so ``case_history`` tells who did what and when.

Errors: an unknown case id, status, kind, subject or user is an ``UnknownReference``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from amparo.errors import UnknownReference
from amparo.model import CaseStatus, SeriesStatus
from amparo.store import tables
from amparo.triage.facts import KINDS, PERSON, SERIES
from amparo.triage.rules import LEVELS, LOW

NEW, IN_REVIEW, REFERRED, CLOSED = CaseStatus
STATUSES = tuple(CaseStatus)
NOBODY = ""  # update_case(assignee=NOBODY) takes the case off whoever had it
PIPELINE = "pipeline"  # the actor of the score stage's events
NEW_SERIES = SeriesStatus.NEW
CREATED, RESCORED, CLOSED_EVENT, REOPENED = "created", "rescored", "closed", "reopened"
STATUS, ASSIGNED, NOTE, OPENED = "status", "assigned", "note", "opened"


def update_case(
    session: Session,
    case_id: int,
    actor: str,
    *,
    status: str | None = None,
    assignee: str | None = None,
    note: str | None = None,
) -> tables.Case:
    """Change a case's status or assignee (a username; ``NOBODY`` to unassign), or add a note.

    Each change is recorded as an event by ``actor``; a blank note or an unchanged value
    records nothing.
    """
    case = _case(session, case_id)
    now = datetime.now(UTC)
    changes = [
        *_set_status(case, status),
        *_assign(session, case, assignee),
        *([(NOTE, {"text": note.strip()})] if note and note.strip() else []),
    ]
    if changes:
        case.updated_at = now
        add_events(session, [_event(case.id, now, actor, a, d) for a, d in changes])
    return case


def open_case(
    session: Session, kind: str, subject: str, actor: str, *, note: str | None = None
) -> tables.Case:
    """An analyst's own case for a person or series the pipeline gave none; scored next run."""
    if kind not in KINDS:
        raise UnknownReference(f"unknown case kind {kind!r}: one of {', '.join(KINDS)}")
    existing = find_case(session, kind, subject)
    if existing is not None:
        return existing
    _check_subject(session, kind, subject)
    now = datetime.now(UTC)
    case = new_case(kind, subject, f"{kind.capitalize()} {subject}", now)
    case.reasons = ["opened by an analyst; scored at the next run of the score stage"]
    session.add(case)
    session.flush()
    events = [_event(case.id, now, actor, OPENED, {})]
    if note and note.strip():
        events.append(_event(case.id, now, actor, NOTE, {"text": note.strip()}))
    add_events(session, events)
    return case


def case_history(session: Session, case_id: int) -> list[dict[str, Any]]:
    """The case's events, oldest first: ``at`` (an aware UTC datetime), actor, action, detail."""
    _case(session, case_id)
    rows = session.scalars(
        select(tables.CaseEvent)
        .where(tables.CaseEvent.case_id == case_id)
        .order_by(tables.CaseEvent.at, tables.CaseEvent.id)
    )
    return [{"at": e.at, "actor": e.actor, "action": e.action, "detail": e.detail} for e in rows]


def find_case(session: Session, kind: str, subject: str) -> tables.Case | None:
    return session.scalars(
        select(tables.Case).where(tables.Case.kind == kind, tables.Case.subject == subject)
    ).one_or_none()


def list_cases(
    session: Session, *, status: str | None = None, kind: str | None = None
) -> list[tables.Case]:
    """Cases most urgent first: by level, then score, then subject."""
    query = select(tables.Case)
    if status is not None:
        query = query.where(tables.Case.status == _checked_status(status))
    if kind is not None:
        query = query.where(tables.Case.kind == kind)
    cases = session.scalars(query).all()
    return sorted(cases, key=lambda c: (_rank(c.priority_level), -c.priority_score, c.subject))


def priority_for_findings(session: Session) -> dict[str, dict[str, Any]]:
    """Each person's priority as the findings document carries it, by person key."""
    rows = session.scalars(select(tables.Case).where(tables.Case.kind == PERSON))
    return {
        case.subject: {
            "score": case.priority_score,
            "level": case.priority_level,
            "reasons": list(case.reasons),
            "flags": list(case.flags),
        }
        for case in rows
    }


def new_case(kind: str, subject: str, title: str, now: datetime) -> tables.Case:
    return tables.Case(
        kind=kind, subject=subject, title=title, status=NEW, assignee_id=None,
        priority_level=LOW, priority_score=0.0, reasons=[], flags=[], created_at=now,
        updated_at=now,
    )  # fmt: skip


def add_events(session: Session, events: list[dict[str, Any]]) -> None:
    if events:
        session.execute(insert(tables.CaseEvent), events)


def _event(
    case_id: int, at: datetime, actor: str, action: str, detail: dict[str, Any]
) -> dict[str, Any]:
    return {"case_id": case_id, "at": at, "actor": actor, "action": action, "detail": detail}


def _case(session: Session, case_id: int) -> tables.Case:
    case = session.get(tables.Case, case_id)
    if case is None:
        raise UnknownReference(f"no case {case_id} in this workspace")
    return case


def _checked_status(status: str) -> str:
    if status not in STATUSES:
        raise UnknownReference(f"unknown case status {status!r}: one of {', '.join(STATUSES)}")
    return status


def _set_status(case: tables.Case, status: str | None) -> list[tuple[str, dict[str, Any]]]:
    if status is None or _checked_status(status) == case.status:
        return []
    before, case.status = case.status, status
    return [(STATUS, {"from": before, "to": status})]


def _assign(
    session: Session, case: tables.Case, username: str | None
) -> list[tuple[str, dict[str, Any]]]:
    if username is None:
        return []
    user = None if username == NOBODY else _user(session, username)
    if (user.id if user else None) == case.assignee_id:
        return []
    before = case.assignee.username if case.assignee else None
    case.assignee = user
    return [(ASSIGNED, {"from": before, "to": user.username if user else None})]


def _user(session: Session, username: str) -> tables.User:
    user = session.scalars(
        select(tables.User).where(tables.User.username == username)
    ).one_or_none()
    if user is None or user.disabled:
        raise UnknownReference(f"no active user {username!r} to assign the case to")
    return user


def _check_subject(session: Session, kind: str, subject: str) -> None:
    table = tables.Person if kind == PERSON else tables.Series
    query = select(table.id).where(table.key == subject)
    if kind == SERIES:
        query = query.where(tables.Series.status == NEW_SERIES)
    if session.scalar(query) is None:
        raise UnknownReference(f"no {'person' if kind == PERSON else 'new series'} {subject!r}")


def _rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)
