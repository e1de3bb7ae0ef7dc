"""The locate stage: IP lookups, providers' answers matched, persons placed, ages assessed.

Lookups are incremental (only events without one); the rest is recomputed for every person,
which is cheap next to resolution, and skipped when nothing it reads has changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amparo.geo.ages import assess_ages
from amparo.geo.locate_store import locate_persons
from amparo.geo.lookup import run_ip_lookups
from amparo.geo.subscribers import match_subscribers
from amparo.store import tables
from amparo.workspace import Workspace

STAGE = "locate"
_INPUTS = (tables.IPEvent, tables.SubscriberRecord, tables.Party, tables.Identifier)


@dataclass(frozen=True)
class LocateReport:
    looked_up: int
    answered: int  # IP events a subscriber record answers
    located: int  # persons placed in a country
    aged: int  # persons whose age is known


def run_locate_stage(
    workspace: Workspace,
    *,
    force: bool = False,
    on_total: Callable[[int], None] | None = None,
    on_done: Callable[[int], None] | None = None,
) -> LocateReport | None:
    """Locate every person; None when nothing changed since the last run."""
    with workspace.session() as session:
        looked_up = run_ip_lookups(session, on_total=on_total, on_done=on_done)
        fingerprint = _fingerprint(session)
        last = session.get(tables.StageRun, STAGE)
        if not force and not looked_up and last is not None and last.fingerprint == fingerprint:
            return None
        answered = match_subscribers(session)
        located = locate_persons(session)
        assess_ages(session)
        aged = session.scalar(
            select(func.count()).select_from(tables.PersonAge)
            .where(tables.PersonAge.age.is_not(None))
        ) or 0  # fmt: skip
        session.merge(tables.StageRun(stage=STAGE, fingerprint=fingerprint,
                                      finished_at=datetime.now(UTC)))  # fmt: skip
        return LocateReport(looked_up, answered, located, aged)


def _fingerprint(session: Session) -> str:
    """The inputs' row counts and highest ids, and when persons were last resolved."""
    parts = []
    for table in _INPUTS:
        count, highest = session.execute(select(func.count(), func.max(table.id))).one()
        parts.append(f"{table.__tablename__}:{count}:{highest}")
    resolved = session.get(tables.StageRun, "resolve")
    parts.append(f"resolved:{resolved.finished_at if resolved else None}")
    settings = sorted((s.key, str(s.value)) for s in session.scalars(select(tables.Setting)))
    parts.append(f"settings:{settings}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()
