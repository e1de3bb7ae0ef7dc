"""The daily exposure budget: seconds of revealed media each user has viewed today, counted by
the server.

Each reveal opens an interval (:class:`tables.ExposureInterval`) that runs until the item is
blurred again or the reveal expires; viewing a revealed item by its URL opens one too when
none is running. The page's heartbeat can only end this session's intervals sooner (the page
was hidden or left) or, while the page shows revealed media, keep them running within the
reveal's own expiry: it never adds time the server would not count. A day's exposure is the
time covered by at least one interval (two tabs at once count once), plus the seconds kept on
the day's :class:`tables.Exposure` row. At 80 % of the user's budget (four hours by default)
every page shows a warning; at 100 % reveals and views are refused until a supervisor
releases the user for the rest of the day. Days are the server's local days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from amparo.store import tables

WARN_FRACTION = 0.8
HEARTBEAT_SECONDS = 30
EX = tables.Exposure
EI = tables.ExposureInterval


def utc_now() -> datetime:
    return datetime.now(UTC)


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


def today(now: datetime | None = None) -> date:
    return (now or utc_now()).astimezone().date()


def exposure_state(
    session: Session, user_id: int, budget: int, now: datetime | None = None
) -> ExposureState:
    now = now or utc_now()
    row = session.scalar(select(EX).where(EX.user_id == user_id, EX.day == today(now)))
    viewed = viewed_seconds(session, user_id, now)
    if row is None:
        return ExposureState(viewed, budget)
    return ExposureState(row.seconds + viewed, budget, row.released_by, row.released_at)


def viewed_seconds(session: Session, user_id: int, now: datetime) -> int:
    """Seconds of today, up to ``now``, that at least one of the user's intervals covers."""
    start, end = _day_bounds(now)
    end = min(end, now)
    rows = session.execute(
        select(EI.started_at, EI.until, EI.ended_at).where(
            EI.user_id == user_id, EI.started_at < end, EI.until > start
        )
    ).all()
    spans = sorted(
        (max(begin, start), min(ended or until, until, end)) for begin, until, ended in rows
    )
    return int(_covered(spans).total_seconds())


def _covered(spans: list[tuple[datetime, datetime]]) -> timedelta:
    total, reach = timedelta(0), None
    for begin, finish in spans:
        if reach is not None and begin < reach:
            begin = reach
        if finish > begin:
            total += finish - begin
            reach = finish
    return total


def _day_bounds(now: datetime) -> tuple[datetime, datetime]:
    local = now.astimezone()
    start = datetime.combine(local.date(), time.min, tzinfo=local.tzinfo)
    return start, start + timedelta(days=1)


def start_viewing(
    session: Session, user_id: int, session_key: str, sha256: str, now: datetime, until: datetime
) -> None:
    """Count from ``now`` until ``until`` unless an interval of this session for this item is
    already running (a reveal, or a view by URL after the page said it stopped)."""
    if until <= now or _running(session, user_id, session_key, sha256, now):
        return
    session.add(EI(user_id=user_id, session_key=session_key, sha256=sha256,
                   started_at=now, until=until))  # fmt: skip


def stop_viewing(
    session: Session, user_id: int, session_key: str, now: datetime, sha256: str | None = None
) -> None:
    """End this session's running intervals (of one item, or all) at ``now``: never later
    than they would have ended, never before they began."""
    statement = update(EI).where(EI.session_key == session_key, *_running_at(user_id, now))
    if sha256 is not None:
        statement = statement.where(EI.sha256 == sha256)
    session.execute(statement.values(ended_at=now))


def _running(session: Session, user_id: int, session_key: str, sha256: str, now: datetime) -> bool:
    mine = (EI.session_key == session_key, EI.sha256 == sha256, *_running_at(user_id, now))
    return session.scalar(select(EI.id).where(*mine).limit(1)) is not None


def _running_at(user_id: int, now: datetime) -> tuple[Any, ...]:
    """The conditions of the user's intervals running at ``now``."""
    return (EI.user_id == user_id, EI.ended_at.is_(None), EI.started_at <= now, EI.until > now)


def release(session: Session, user_id: int, supervisor: str, now: datetime | None = None) -> None:
    """Lift today's budget for ``user_id``; the supervisor's name and the time are kept."""
    now = now or utc_now()
    _ensure_row(session, user_id, today(now))
    session.execute(
        update(EX)
        .where(EX.user_id == user_id, EX.day == today(now))
        .values(released_by=supervisor, released_at=now)
    )


def _ensure_row(session: Session, user_id: int, day: date) -> None:
    """The day's row for ``user_id``, inserted unless it is there (or another request won)."""
    if session.scalar(select(EX.id).where(EX.user_id == user_id, EX.day == day)):
        return
    try:
        with session.begin_nested():
            session.add(EX(user_id=user_id, day=day, seconds=0))
    except IntegrityError:
        pass  # inserted meanwhile by a request from another tab
