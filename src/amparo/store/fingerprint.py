"""What a whole-store stage last ran on: a digest of its inputs, so an unchanged re-run skips."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amparo.store import tables


def fingerprint(
    session: Session,
    inputs: Iterable[type[tables.Base]],
    *,
    after: Iterable[str] = (),
    extra: Iterable[str] = (),
) -> str:
    """Row counts and highest ids of ``inputs``, when the stages ``after`` last finished, and
    any ``extra`` facts, digested."""
    parts = list(extra)
    for table in inputs:
        count, highest = session.execute(select(func.count(), func.max(table.id))).one()  # type: ignore[attr-defined]
        parts.append(f"{table.__tablename__}:{count}:{highest}")
    for stage in after:
        run = session.get(tables.StageRun, stage)
        parts.append(f"{stage}:{run.finished_at if run else None}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def value_counts(session: Session, column: Any) -> str:
    """How many rows hold each value of ``column``: catches values changed in place."""
    counts = session.execute(select(column, func.count()).group_by(column)).all()
    return f"{column}:{sorted(counts, key=str)}"


def last_fingerprint(session: Session, stage: str) -> str | None:
    run = session.get(tables.StageRun, stage)
    return None if run is None else run.fingerprint


def record_run(session: Session, stage: str, current: str, now: datetime | None = None) -> None:
    """Remember that ``stage`` finished on inputs whose fingerprint is ``current``."""
    finished = now or datetime.now(UTC)
    session.merge(tables.StageRun(stage=stage, fingerprint=current, finished_at=finished))
