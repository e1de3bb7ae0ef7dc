"""Checked values: every date, port, id and count is checked here as it enters.

Readers call these at their entry so that an impossible value (a time beyond what a database
and Python can hold once moved to UTC, a port of 70000, an id wider than a 64-bit column) is
refused with the file and the place it came from, never stored as a fact and never raised out
of a command as OverflowError or a database error. Each check raises ``ValueOutOfRange``, an
InvalidInput that is also a ValueError, so readers that already set aside a line or a row on
ValueError (WhatsApp lines, subscriber rows) keep doing so.

Where a value is optional, a reader may null that one value and keep the reason instead of
setting its element aside: ``collecting()`` opens such a scope and ``optional()`` runs one
check inside it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from typing import ParamSpec, TypeVar

from amparo.errors import ValueOutOfRange

_T = TypeVar("_T")
_P = ParamSpec("_P")

# Instants outside these are impossible for evidence Amparo reads (and near Python's limits).
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
EARLIEST_BIRTH = date(1880, 1, 1)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
PORT_MAX = 65535
MINUTES_A_DAY = 24 * 60
AGE_MAX = 150
PDQ_QUALITY_MAX = 100
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,30}")  # ASCII digits only; length bounds int()

_SET_ASIDE: ContextVar[list[ValueOutOfRange] | None] = ContextVar("set_aside", default=None)


def utc_instant(moment: datetime, *, path: str, place: str) -> datetime:
    """An aware ``moment`` in UTC, between 1900 and 2200 both before and after conversion."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueOutOfRange(f"{moment.isoformat()} carries no time zone", path=path, place=place)
    _check_wall_clock(moment, path=path, place=place)
    try:
        utc = moment.astimezone(UTC)
    except OverflowError as error:
        raise _out_of_range(moment.isoformat(), path, place) from error
    if not EARLIEST <= utc < LATEST:
        raise _out_of_range(moment.isoformat(), path, place)
    return utc


def wall_clock(moment: datetime, *, path: str, place: str) -> datetime:
    """A zone-less time as written, refused when its year is outside 1900..2199."""
    _check_wall_clock(moment, path=path, place=place)
    return moment


def utc_from_epoch(seconds: int | float, *, path: str, place: str) -> datetime:
    """Seconds since 1970-01-01 UTC as an aware UTC time, within 1900..2200."""
    low, high = EARLIEST.timestamp(), LATEST.timestamp()
    if not low <= seconds < high:  # NaN fails this too
        raise _out_of_range(f"{seconds} epoch seconds", path, place)
    return datetime.fromtimestamp(seconds, UTC)


def birth_date(text: str, *, path: str, place: str) -> date:
    """An ISO date of birth (``YYYY-MM-DD``, any time part ignored) from 1880 to today."""
    try:
        born = date.fromisoformat(text.strip()[:10])
    except ValueError as error:
        raise ValueOutOfRange(
            f"date of birth {text!r} is not a date", path=path, place=place
        ) from error
    if not EARLIEST_BIRTH <= born <= datetime.now(UTC).date():
        reason = f"date of birth {text!r} is not between {EARLIEST_BIRTH} and today"
        raise ValueOutOfRange(reason, path=path, place=place)
    return born


def whole_number(text: str | int, low: int, high: int, *, what: str, path: str, place: str) -> int:
    """An integer (or its ASCII decimal text) from ``low`` to ``high``."""
    if isinstance(text, bool):
        raise ValueOutOfRange(f"{what} {text!r} is not a whole number", path=path, place=place)
    if isinstance(text, str):
        if not _WHOLE_NUMBER.fullmatch(text.strip()):
            reason = f"{what} {text!r} is not a whole number"
            raise ValueOutOfRange(reason, path=path, place=place)
        text = int(text)
    if not low <= text <= high:
        reason = f"{what} {text!r} is not from {low} to {high}"
        raise ValueOutOfRange(reason, path=path, place=place)
    return text


def port(text: str | int, *, path: str, place: str) -> int:
    """A TCP/UDP port, 0 to 65535."""
    return whole_number(text, 0, PORT_MAX, what="port", path=path, place=place)


def int64(text: str | int, *, what: str, path: str, place: str) -> int:
    """An id that fits a signed 64-bit column (wider ids are kept as text by their readers)."""
    return whole_number(text, INT64_MIN, INT64_MAX, what=what, path=path, place=place)


def offset_minutes(minutes: int, *, path: str, place: str) -> int:
    """A UTC offset in minutes, less than a day either way."""
    return whole_number(
        minutes,
        -MINUTES_A_DAY + 1,
        MINUTES_A_DAY - 1,
        what="UTC offset in minutes",
        path=path,
        place=place,
    )


def int32(text: str | int, *, what: str, path: str, place: str) -> int:
    """A number that fits a signed 32-bit column (a Telegram message id)."""
    return whole_number(text, INT32_MIN, INT32_MAX, what=what, path=path, place=place)


def age(text: str | int, *, path: str, place: str) -> int:
    """An age in years, 0 to 150."""
    return whole_number(text, 0, AGE_MAX, what="age", path=path, place=place)


def pdq_quality(text: str | int, *, path: str, place: str) -> int:
    """A PDQ quality, 0 to 100."""
    return whole_number(text, 0, PDQ_QUALITY_MAX, what="PDQ quality", path=path, place=place)


def seconds_into(text: str, *, path: str, place: str) -> float:
    """A finite, non-negative offset in seconds (a video frame's time)."""
    try:
        seconds = float(text)
    except ValueError as error:
        raise ValueOutOfRange(f"{text!r} is not seconds", path=path, place=place) from error
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueOutOfRange(f"{text!r} is not seconds from 0", path=path, place=place)
    return seconds


@contextmanager
def collecting() -> Iterator[list[ValueOutOfRange]]:
    """A scope in which ``optional`` keeps each refused value's reason instead of raising."""
    set_aside: list[ValueOutOfRange] = []
    token = _SET_ASIDE.set(set_aside)
    try:
        yield set_aside
    finally:
        _SET_ASIDE.reset(token)


def optional(check: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T | None:
    """``check(...)``, or None when it refuses the value inside ``collecting`` (reason kept)."""
    try:
        return check(*args, **kwargs)
    except ValueOutOfRange as refused:
        set_aside = _SET_ASIDE.get()
        if set_aside is None:
            raise
        set_aside.append(refused)
        return None


def _check_wall_clock(moment: datetime, *, path: str, place: str) -> None:
    if not EARLIEST.year <= moment.year < LATEST.year:
        raise _out_of_range(moment.isoformat(), path, place)


def _out_of_range(written: str, path: str, place: str) -> ValueOutOfRange:
    reason = f"time {written} is outside {EARLIEST.year}..{LATEST.year} (UTC)"
    return ValueOutOfRange(reason, path=path, place=place)
