"""The score stage's side of cases: create, re-score, close and reopen, never overrule analysts.

One case per (kind, subject). A new subject gets a case and a ``created`` event; a case whose
level changes gets a ``rescored`` event (a changed score or reason alone is updated quietly).
Status and assignee are the analysts'. The one exception: a case whose subject no longer exists
(a person merged into another, a series no longer new) is closed with a ``closed`` event, and
reopened, to the status it had, if the subject comes back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.store import tables
from amparo.triage.cases import (
    CLOSED,
    CLOSED_EVENT,
    CREATED,
    NEW,
    PIPELINE,
    REOPENED,
    RESCORED,
    STATUS,
    add_events,
    new_case,
)
from amparo.triage.score import Priority

SUBJECT_GONE = "subject no longer exists"
SUBJECT_BACK = "subject exists again"
_STATUS_ACTIONS = (STATUS, CLOSED_EVENT, REOPENED)


@dataclass(frozen=True)
class Scored:
    """A subject's current priority, as the score stage computed it."""

    kind: str
    subject: str
    title: str
    priority: Priority


@dataclass(frozen=True)
class CaseSync:
    cases: int  # subjects scored, each with its case
    created: int
    rescored: int  # cases whose level changed
    closed: int
    reopened: int


def sync_cases(session: Session, scored: Iterable[Scored], *, now: datetime) -> CaseSync:
    """Bring the cases in line with ``scored``: every subject that exists, and only those."""
    existing = {(c.kind, c.subject): c for c in session.scalars(select(tables.Case))}
    fresh: list[Scored] = []
    events: list[dict[str, Any]] = []
    rescored = 0
    back: list[tables.Case] = []
    scored = list(scored)
    for item in scored:
        case = existing.pop((item.kind, item.subject), None)
        if case is None:
            fresh.append(item)
            continue
        back += [case] if case.status == CLOSED else []
        change = _update(case, item, now)
        if change is not None:
            rescored += 1
            events.append(_event(case, now, RESCORED, change))
    reopened = _reopen(session, back, now, events)
    closed = _close(existing.values(), now, events)
    events += _create(session, fresh, now)
    add_events(session, events)
    return CaseSync(len(scored), len(fresh), rescored, closed, reopened)


def _create(session: Session, fresh: list[Scored], now: datetime) -> list[dict[str, Any]]:
    cases = [new_case(item.kind, item.subject, item.title, now) for item in fresh]
    for case, item in zip(cases, fresh, strict=True):
        _apply(case, item)
    session.add_all(cases)
    session.flush()
    return [_event(case, now, CREATED, _summary(case)) for case in cases]


def _update(case: tables.Case, item: Scored, now: datetime) -> dict[str, Any] | None:
    """Apply the new priority; the ``rescored`` detail when the level changed, else None."""
    before = (case.title, case.priority_level, case.priority_score, case.reasons, case.flags)
    level = case.priority_level
    _apply(case, item)
    after = (case.title, case.priority_level, case.priority_score, case.reasons, case.flags)
    if after != before:
        case.updated_at = now
    if case.priority_level == level:
        return None
    return {"from": level, "to": case.priority_level} | _summary(case)


def _apply(case: tables.Case, item: Scored) -> None:
    priority = item.priority
    case.title = item.title
    case.priority_level, case.priority_score = priority.level, priority.score
    case.reasons, case.flags = list(priority.reasons), list(priority.flags)


def _summary(case: tables.Case) -> dict[str, Any]:
    return {"level": case.priority_level, "score": case.priority_score, "reasons": case.reasons}


def _close(gone: Iterable[tables.Case], now: datetime, events: list[dict[str, Any]]) -> int:
    closed = 0
    for case in gone:
        if case.status != CLOSED:
            detail = {"reason": SUBJECT_GONE, "previous_status": case.status}
            events.append(_event(case, now, CLOSED_EVENT, detail))
            case.status, case.updated_at = CLOSED, now
            closed += 1
    return closed


def _reopen(
    session: Session, closed: list[tables.Case], now: datetime, events: list[dict[str, Any]]
) -> int:
    """Cases the pipeline closed because their subject was gone, now that it is back."""
    last = _last_status_events(session, [case.id for case in closed])
    reopened = 0
    for case in closed:
        event = last.get(case.id)
        if event is not None and event.action == CLOSED_EVENT and event.actor == PIPELINE:
            status = event.detail.get("previous_status") or NEW
            events.append(_event(case, now, REOPENED, {"reason": SUBJECT_BACK, "status": status}))
            case.status, case.updated_at = status, now
            reopened += 1
    return reopened


def _last_status_events(session: Session, case_ids: list[int]) -> dict[int, tables.CaseEvent]:
    """Each case's latest event that set its status (an analyst's, or a close or reopen)."""
    if not case_ids:
        return {}
    e = tables.CaseEvent
    rows = session.scalars(
        select(e).where(e.case_id.in_(case_ids), e.action.in_(_STATUS_ACTIONS))
        .order_by(e.at, e.id)
    )  # fmt: skip
    return {event.case_id: event for event in rows}


def _event(case: tables.Case, at: datetime, action: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {"case_id": case.id, "at": at, "actor": PIPELINE, "action": action, "detail": detail}
