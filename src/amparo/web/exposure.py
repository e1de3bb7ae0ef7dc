"""The daily exposure budget: seconds of revealed media each user has viewed today.

The pages' script reports revealed viewing every 30 seconds. At 80 % of the user's budget
(four hours by default) every page shows a warning; at 100 % reveals are refused until a
supervisor releases the user for the rest of the day. Days are the server's local days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from amparo.store import tables

WARN_FRACTION = 0.8
HEARTBEAT_SECONDS = 30
EX = tables.Exposure


@dataclass(frozen=True)
class ExposureState:
    seconds: int
    budget: int
    released_by: str | None = None
    released_at: datetime | None = None

    @property
    def fraction(self) -> float:
        return self.seconds / self.budget if self.budget > 0 else 1.0

    @property
    def warn(self) -> bool:
        return self.fraction >= WARN_FRACTION

    @property
    def exhausted(self) -> bool:
        return self.fraction >= 1.0 and self.released_by is None

    def document(self) -> dict[str, object]:
        return {
            "seconds": self.seconds,
            "budget": self.budget,
            "warn": self.warn,
            "exhausted": self.exhausted,
            "released_by": self.released_by,
        }


def today() -> date:
    return datetime.now().astimezone().date()


def exposure_state(session: Session, user_id: int, budget: int) -> ExposureState:
    row = session.scalar(select(EX).where(EX.user_id == user_id, EX.day == today()))
    if row is None:
        return ExposureState(0, budget)
    return ExposureState(row.seconds, budget, row.released_by, row.released_at)


def add_exposure(session: Session, user_id: int, seconds: int) -> None:
    """Count ``seconds`` more of revealed viewing today (atomic; safe from several tabs)."""
    if seconds > 0 and not _increment(session, user_id, seconds):
        _ensure_row(session, user_id)
        _increment(session, user_id, seconds)


def release(session: Session, user_id: int, supervisor: str) -> None:
    """Lift today's budget for ``user_id``; the supervisor's name and the time are kept."""
    _ensure_row(session, user_id)
    session.execute(
        update(EX)
        .where(EX.user_id == user_id, EX.day == today())
        .values(released_by=supervisor, released_at=datetime.now(UTC))
    )


def _increment(session: Session, user_id: int, seconds: int) -> bool:
    statement = (
        update(EX)
        .where(EX.user_id == user_id, EX.day == today())
        .values(seconds=EX.seconds + seconds)
    )
    return session.execute(statement).rowcount > 0


def _ensure_row(session: Session, user_id: int) -> None:
    """Today's row for ``user_id``, inserted unless it is there (or another request won)."""
    if session.scalar(select(EX.id).where(EX.user_id == user_id, EX.day == today())):
        return
    try:
        with session.begin_nested():
            session.add(EX(user_id=user_id, day=today(), seconds=0))
    except IntegrityError:
        pass  # inserted meanwhile by a request from another tab
