"""Message-line headers of WhatsApp exports: their shapes, and the dates and times they hold.

A header is the date and time that start a message line, in one of the layouts the apps write:

- date first (``13/06/2018, 21:25``, ``[2018/06/13, 21:25:15]``, ``13.6.2018 klo 21.25.15``,
  ``17/12/2022 à 17:25``, ``15 Jan 2014, 10:20``, ``Jan 15, 2014, 10:20 PM``) or time first
  (``[21:25:15, 13/06/2018]``, as iOS writes Vietnamese);
- 12-hour clocks with ``am``/``a. m.``/``p.m.`` after the time (any space, U+202F included),
  Arabic ``ص``/``م`` after it, or Chinese, Japanese and Korean markers before it; hour 0 is
  read as the apps write it (``00:08 a. m.`` is 00:08);
- Arabic-Indic and Persian digits and the Arabic comma; Buddhist-era years (Thai, ``2561`` is
  2018) and Japanese eras (``令和2`` or ``R2`` is 2020, ``平成30`` or ``H30`` is 2018).

The order of the three numbers of a date is decided once per file by ``decide_order``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

# Month names of early Android exports and of locales that spell the month, lower case.
_MONTHS = {
    "en": "january february march april may june july august september october november december",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro "
    "dezembro",
    "de": "januar februar märz april mai juni juli august september oktober november dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre "
    "dicembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
}
MONTH_NUMBERS: dict[str, int] = {}
for _names in _MONTHS.values():
    for _number, _name in enumerate(_names.split(), start=1):
        MONTH_NUMBERS.setdefault(_name, _number)
        MONTH_NUMBERS.setdefault(_name[:3], _number)
        MONTH_NUMBERS.setdefault(_name[:4], _number)  # "sept", "juil", "févr"
_MONTH_NAME = "|".join(sorted(MONTH_NUMBERS, key=len, reverse=True))

_NUMERIC_DATE = r"""
    (?P<era>令和|平成|昭和|[RHS](?=\d))?
    (?P<n1>\d{1,4}) [./-]\ ? (?P<n2>\d{1,4}) [./-]\ ? (?P<n3>\d{1,4}) \.?"""
_NAMED_DATE = rf"""
    (?: (?P<nd1>\d{{1,2}}) \.?\ (?P<nm1>{_MONTH_NAME}) \.?,?\ (?P<ny1>\d{{4}})
      | (?P<nm2>{_MONTH_NAME}) \.?\ (?P<nd2>\d{{1,2}}) ,?\ (?P<ny2>\d{{4}}) )"""
_DATE = rf"(?P<date> {_NUMERIC_DATE} | {_NAMED_DATE} )"
_TIME = r"""
    (?: (?P<pre>上午|下午|午前|午後|오전|오후) \s? )?
    (?P<hour>\d{1,2}) [:.] (?P<minute>\d{2}) (?: [:.] (?P<second>\d{2}) )?"""
_AMPM = r"(?P<ampm>[ap]\.?\s?m\.?|ص|م)"
_DATE_TIME_GAP = r"(?: [,،]\s* | \s+ ) (?: (?:klo|à|um|at|às|alle|om|kl\.) \s+ )?"
# The end of the header: "]" when bracketed, else " - ", ": " or a bare space.
_END = r"(?(open) \]\s* | (?: \s[-\u2013]\s | :\s | \s ) ) (?P<rest>.*)"
_FLAGS = re.VERBOSE | re.IGNORECASE | re.DOTALL

DATE_FIRST = re.compile(
    rf"""(?P<open>\[)? (?P<stamp> {_DATE} {_DATE_TIME_GAP} {_TIME}
        (?: \s* {_AMPM} (?= \] | \s[-\u2013]\s | :\s ) )? ) {_END}""",
    _FLAGS,
)
TIME_FIRST = re.compile(
    rf"""(?P<open>\[)? (?P<stamp> {_TIME} (?: \s* {_AMPM} )? {_DATE_TIME_GAP} {_DATE} ) {_END}""",
    _FLAGS,
)

# Arabic-Indic and Extended (Persian) digits, read as ASCII; one character for one.
FOREIGN_DIGITS = re.compile("[\u0660-\u0669\u06f0-\u06f9]")
ASCII_DIGITS = str.maketrans(
    {chr(0x0660 + n): str(n) for n in range(10)} | {chr(0x06F0 + n): str(n) for n in range(10)}
)

_ERA_START = {"令和": 2018, "r": 2018, "平成": 1988, "h": 1988, "昭和": 1925, "s": 1925}
BUDDHIST_ERA_OFFSET = 543
_FIRST_BUDDHIST_YEAR = 2400  # a four-digit year from here on is Buddhist-era (Thai)
_PM_MARKERS = frozenset({"下午", "午後", "오후"})

# The orders a numeric date is written in, most common first: the tie-break when nothing in
# the file decides. Letters name the three numbers: day, month, year. Year/day/month is
# written with two-digit years only, month/year/day with four-digit years only.
ORDERS = ("dmy", "mdy", "ymd", "ydm", "myd")
_YEAR_DIGITS = {"ydm": (2,), "myd": (4,)}
ORDER_NAMES = {order: "/".join({"d": "day", "m": "month", "y": "year"}[c] for c in order)
               for order in ORDERS}  # fmt: skip

Triple = tuple[str, str, str]


@dataclass(frozen=True)
class DateOrder:
    """How a file's numeric dates are read, why, and whether the file itself proves it."""

    order: str
    reason: str
    proven: bool

    @property
    def name(self) -> str:
        return ORDER_NAMES[self.order]


def fits(order: str, triple: Triple) -> bool:
    """Whether the three numbers can be a date read in ``order`` (ranges only)."""
    for role, text in zip(order, triple, strict=True):
        if role == "y":
            if len(text) not in _YEAR_DIGITS.get(order, (2, 4)):
                return False
        elif len(text) > 2 or not 1 <= int(text) <= (12 if role == "m" else 31):
            return False
    return True


def decide_order(dates: dict[Triple, int]) -> DateOrder:
    """The order of a file's numeric dates (``dates``: each distinct date and its first line).

    The orders every date fits; among them those with the fewest steps back in time from one
    date to the next; among those the one whose dates span a far shorter time than in any
    other reading (a chat of ``19-11-03`` to ``19-11-28`` spans 25 days read year first, 25
    years read day first); else the most common order. Dates that fit no order are left to
    the caller (unreadable lines).
    """
    if not dates:
        return DateOrder("dmy", "the file has no numeric dates", proven=True)
    misfits = {order: [t for t in dates if not fits(order, t)] for order in ORDERS}
    fewest = min(len(found) for found in misfits.values())
    fitting = [order for order in ORDERS if len(misfits[order]) == fewest]
    if len(fitting) == 1:
        return DateOrder(fitting[0], _proof(fitting[0], misfits, dates), proven=True)
    readable = {order: [t for t in dates if fits(order, t)] for order in fitting}
    steps = {order: _steps_back(order, readable[order]) for order in fitting}
    ordered = [order for order in fitting if steps[order] == min(steps.values())]
    if len(ordered) == 1:
        return _unproven(ordered[0], fitting, "only it keeps the dates in time order")
    spans = {order: _span(order, readable[order]) for order in ordered}
    shortest = min(ordered, key=spans.__getitem__)
    if all(spans[shortest] * _SPAN_RATIO < spans[o] for o in ordered if o != shortest):
        why = f"its dates span {spans[shortest]} days, against {_spans(spans, shortest)}"
        return _unproven(shortest, fitting, f"in time order either way, {why}")
    return _unproven(ordered[0], fitting, "nothing else decides, and it is the most common order")


# A reading is chosen for its shorter span only when every other spans this many times longer.
_SPAN_RATIO = 10


def _unproven(chosen: str, fitting: list[str], why: str) -> DateOrder:
    others = " or ".join(ORDER_NAMES[order] for order in fitting if order != chosen)
    reason = f"every date could be read {ORDER_NAMES[chosen]} or {others}; {why}"
    return DateOrder(chosen, reason, proven=False)


def _span(order: str, triples: list[Triple]) -> int:
    """About how many days the dates span, read in ``order``."""
    days = [
        year * 365 + month * 30 + day for year, month, day in (_sort_key(order, t) for t in triples)
    ]
    return max(days) - min(days) if days else 0  # no date fits any order: nothing to span


def _spans(spans: dict[str, int], chosen: str) -> str:
    return ", ".join(f"{days} read {ORDER_NAMES[o]}" for o, days in spans.items() if o != chosen)


def _proof(order: str, misfits: dict[str, list[Triple]], dates: dict[Triple, int]) -> str:
    """Why ``order`` is the only one: a date each other plausible order cannot read."""
    witnesses = []
    for other in ORDERS:
        if other != order and misfits[other] and len(misfits[other]) < len(dates):
            triple = misfits[other][0]
            witnesses.append(
                f"line {dates[triple]} ({'-'.join(triple)}) is no {ORDER_NAMES[other]}"
            )
    return f"the only order every date fits: {'; '.join(witnesses) or 'no other order fits'}"


def _steps_back(order: str, triples: Iterable[Triple]) -> int:
    keys = [_sort_key(order, triple) for triple in triples]
    return sum(1 for earlier, later in pairwise(keys) if later < earlier)


def _sort_key(order: str, triple: Triple) -> tuple[int, int, int]:
    by_role = dict(zip(order, triple, strict=True))
    year = by_role["y"]
    return (int(year) + (2000 if len(year) == 2 else 0), int(by_role["m"]), int(by_role["d"]))


def two_digit_years_buddhist(dates: Iterable[Triple], order: str, this_year: int) -> bool:
    """Whether two-digit years read as 20xx would lie in the future (Thai ``13/6/61``)."""
    position = order.index("y")
    years = [int(triple[position]) for triple in dates if len(triple[position]) == 2]
    return bool(years) and 2000 + max(years) > this_year


def full_year(text: str, buddhist_two_digit: bool) -> int:
    """The Gregorian year of a written year (two digits, four, or Buddhist-era)."""
    year = int(text)
    if len(text) == 2:
        year += 2500 - BUDDHIST_ERA_OFFSET if buddhist_two_digit else 2000
    elif year >= _FIRST_BUDDHIST_YEAR:
        year -= BUDDHIST_ERA_OFFSET
    return year


def era_year(era: str, year: str) -> int:
    """The Gregorian year of a Japanese-era year (``令和2`` or ``R2`` is 2020)."""
    return _ERA_START[era.lower()] + int(year)


def named_date(head: re.Match[str]) -> tuple[int, int, int]:
    """(year, month, day) of a header whose date has a month name."""
    month = head["nm1"] or head["nm2"]
    day, year = head["nd1"] or head["nd2"], head["ny1"] or head["ny2"]
    return full_year(year, False), MONTH_NUMBERS[month.lower()], int(day)


def hour_of_day(head: re.Match[str]) -> int:
    """The 24-hour hour of a header's clock reading; ValueError for no such hour."""
    hour, ampm, pre = int(head["hour"]), head["ampm"], head["pre"]
    if ampm is None and pre is None:
        return hour
    if hour > 12:
        raise ValueError(f"hour {hour} on a 12-hour clock")
    marker = (ampm or pre).lower()
    afternoon = marker.startswith("p") or marker == "م" or marker in _PM_MARKERS
    return hour % 12 + (12 if afternoon else 0)
