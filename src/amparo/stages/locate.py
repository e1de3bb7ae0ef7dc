"""The locate stage: IP lookups, providers' answers matched, persons placed, ages assessed.

Lookups are incremental (only events without one); the rest is recomputed for every person,
which is cheap next to resolution, and skipped when nothing it reads has changed.
"""

from __future__ import annotations

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
from amparo.store.fingerprint import fingerprint, last_fingerprint
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
        current = _fingerprint(session)
        if not force and not looked_up and last_fingerprint(session, STAGE) == current:
            return None
        answered = match_subscribers(session)
        located = locate_persons(session)
        assess_ages(session)
        aged = session.scalar(
            select(func.count()).select_from(tables.PersonAge)
            .where(tables.PersonAge.age.is_not(None))
        ) or 0  # fmt: skip
        session.merge(tables.StageRun(stage=STAGE, fingerprint=current,
                                      finished_at=datetime.now(UTC)))  # fmt: skip
        return LocateReport(looked_up, answered, located, aged)


def _fingerprint(session: Session) -> str:
    """The inputs' row counts and highest ids, when persons were resolved, and the settings."""
    settings = sorted((s.key, str(s.value)) for s in session.scalars(select(tables.Setting)))
    return fingerprint(session, _INPUTS, after=["resolve"], extra=[f"settings:{settings}"])
