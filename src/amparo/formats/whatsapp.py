"""WhatsApp "Export chat" text (Android and iOS, many locales) into messages.

A pure parser: it takes the text of ``_chat.txt`` / ``WhatsApp Chat with X.txt`` and the time
zone the phone was set to, and gives back every message with its author, UTC time and text.
The header layouts it reads are listed in ``whatsapp_dates``, attachment wordings in
``whatsapp_attachments``.

The order of day, month and year is decided once per file, never per line
(``whatsapp_dates.decide_order``): the order every date fits; if several fit, the one that
keeps the dates in time order; then one whose dates span far less time than in any other
reading; if nothing decides, the most common order (day/month/year). Whenever the file does
not prove the order, ``ChatExport.notes`` says which was chosen and why, for the caller to
record and show.

Nothing is guessed silently and one bad line costs only that line: a message line whose date or
time cannot be read (an impossible date, a date that fits no order the rest of the file uses),
and text before the first message line, become ``ChatExport.unreadable`` with their line
numbers; every other message is read. Only a text with no message line at all is refused.

Local times are made aware with ``fold=0``: a time that occurs twice (clocks going back) is
taken as its first occurrence, and a time that does not exist (clocks going forward) is read
with the offset in force before the change.

A system line whose text itself contains ``": "`` (for example a group subject with a colon)
cannot be told from a message and is read as one, with the text before the colon as author.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from amparo import values
from amparo.errors import InvalidInput
from amparo.formats.whatsapp_attachments import attachment_name
from amparo.formats.whatsapp_dates import (
    ASCII_DIGITS,
    DATE_FIRST,
    FOREIGN_DIGITS,
    ORDER_NAMES,
    TIME_FIRST,
    DateOrder,
    Triple,
    decide_order,
    era_year,
    fits,
    full_year,
    hour_of_day,
    named_date,
    two_digit_years_buddhist,
)
from amparo.model import Timestamp

# Line breaks of any platform, so line numbers match what an editor shows.
_NEWLINE = re.compile(r"\r\n|\r|\n")

# Invisible marks WhatsApp scatters in exports, at the start of any line or inside it: the
# byte-order mark, LRM, RLM, ALM, LRE..RLO and LRI..PDI.
_INVISIBLE_MARKS = re.compile("[\ufeff\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class ChatMessage:
    line: int
    at: Timestamp
    author: str | None
    text: str
    attachment: str | None
    system: bool


@dataclass(frozen=True)
class UnreadableLines:
    """Lines of the export that are no readable message, kept with why."""

    line: int
    last_line: int
    text: str
    reason: str


@dataclass(frozen=True)
class ChatExport:
    messages: tuple[ChatMessage, ...]
    date_order: DateOrder
    participants: tuple[str, ...]
    unreadable: tuple[UnreadableLines, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def day_first(self) -> bool:
        """Whether the day is written before the month."""
        return self.date_order.order.index("d") < self.date_order.order.index("m")


@dataclass(slots=True)
class _Entry:
    """One message as found: the line it starts on, its header match and its text lines."""

    line: int
    head: re.Match[str]
    first: str  # the first line as written (the header is matched on ASCII digits)
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Calendar:
    """How this file's dates are read, and each date once read (``date``)."""

    order: DateOrder
    buddhist_two_digit: bool
    dates: dict[str, tuple[int, int, int] | str] = field(default_factory=dict)

    def date(self, head: re.Match[str]) -> tuple[int, int, int]:
        """(year, month, day) of a header; ValueError when it cannot be read in this file."""
        written = head["date"]
        found = self.dates.get(written)
        if found is None:
            try:
                found = _date(head, self)
            except ValueError as error:
                found = str(error)
            self.dates[written] = found
        if isinstance(found, str):
            raise ValueError(found)
        return found


def parse_whatsapp(
    text: str, *, path: str, zone: tzinfo, this_year: int | None = None
) -> ChatExport:
    """Every message of a WhatsApp chat export, its times read in the phone's ``zone``.

    ``this_year`` (default: the current year) tells two-digit Buddhist-era years, which would
    lie in the future as 20xx, from Gregorian ones.
    """
    preamble, entries = _split_entries(text, path)
    calendar = _calendar(entries, this_year or datetime.now(UTC).year)
    messages, unreadable = [], [preamble] if preamble else []
    for entry in entries:
        try:
            messages.append(_message(entry, calendar, zone))
        except ValueError as error:
            unreadable.append(_unreadable(entry, str(error)))
    authors = (message.author for message in messages if message.author is not None)
    notes = _notes(calendar, entries)
    return ChatExport(
        tuple(messages), calendar.order, tuple(dict.fromkeys(authors)), tuple(unreadable), notes
    )


def _split_entries(text: str, path: str) -> tuple[UnreadableLines | None, list[_Entry]]:
    """Group lines into messages; non-blank lines before the first one are unreadable."""
    body = _INVISIBLE_MARKS.sub("", text).rstrip("\r\n")
    lines = _NEWLINE.split(body)
    readable = lines
    if FOREIGN_DIGITS.search(body):
        readable = _NEWLINE.split(body.translate(ASCII_DIGITS))
    entries: list[_Entry] = []
    date_first, time_first = DATE_FIRST.match, TIME_FIRST.match
    for index, line in enumerate(readable):
        head = date_first(line) or time_first(line)
        if head:
            first = lines[index]
            entries.append(_Entry(index + 1, head, first, [first[head.start("rest") :]]))
        elif entries:
            entries[-1].lines.append(lines[index])
    if not entries:
        raise InvalidInput("no WhatsApp message lines found", path=path, place="line 1")
    return _preamble(lines[: entries[0].line - 1]), entries


def _preamble(lines: list[str]) -> UnreadableLines | None:
    if not any(line.strip() for line in lines):
        return None
    reason = "text before the first message line"
    return UnreadableLines(1, len(lines), "\n".join(lines), reason)


def _calendar(entries: list[_Entry], this_year: int) -> _Calendar:
    dates: dict[Triple, int] = {}
    for entry in entries:
        head = entry.head
        if head["n1"] is not None and head["era"] is None:
            dates.setdefault((head["n1"], head["n2"], head["n3"]), entry.line)
    order = decide_order(dates)
    readable = [triple for triple in dates if fits(order.order, triple)]
    return _Calendar(order, two_digit_years_buddhist(readable, order.order, this_year))


def _notes(calendar: _Calendar, entries: list[_Entry]) -> tuple[str, ...]:
    """What the file did not prove about its dates, and what was chosen."""
    notes = []
    if not calendar.order.proven:
        notes.append(f"dates read {calendar.order.name}: {calendar.order.reason}")
    if calendar.buddhist_two_digit:
        notes.append(
            "two-digit years read as Buddhist-era (Thai) years, 543 years ahead of the "
            "Gregorian: read as 20xx they would lie in the future"
        )
    return tuple(notes)


def _message(entry: _Entry, calendar: _Calendar, zone: tzinfo) -> ChatMessage:
    at = _timestamp(entry, calendar, zone)
    text = "\n".join(entry.lines)
    author, separator, said = text.partition(": ")
    if not separator or "\n" in author or not author.strip():
        return ChatMessage(entry.line, at, None, text, None, system=True)
    attachment = attachment_name(said.split("\n", 1)[0])
    return ChatMessage(entry.line, at, author.strip(), said, attachment, system=False)


def _unreadable(entry: _Entry, reason: str) -> UnreadableLines:
    last = entry.line + len(entry.lines) - 1
    text = entry.first[: entry.head.start("rest")] + "\n".join(entry.lines)
    return UnreadableLines(entry.line, last, text, reason)


def _timestamp(entry: _Entry, calendar: _Calendar, zone: tzinfo) -> Timestamp:
    """The header's time as written, in UTC and with the zone's offset at that moment."""
    head = entry.head
    raw = head["stamp"] if head.string is entry.first else _written(entry, "stamp")
    try:
        year, month, day = calendar.date(head)
        hour, second = hour_of_day(head), int(head["second"] or 0)
        local = datetime(year, month, day, hour, int(head["minute"]), second, tzinfo=zone)
        utc = values.utc_instant(local, path="", place="")  # the line is named by the caller
    except ValueError as error:
        raise ValueError(f"unreadable date or time {raw!r}: {error}") from error
    offset = local.utcoffset()
    if offset is None:
        raise TypeError(f"time zone {zone!r} gives no UTC offset")
    return Timestamp(raw, utc, int(offset.total_seconds()) // 60)


def _written(entry: _Entry, group: str) -> str:
    """A part of the header as the file writes it (the match ran on ASCII digits)."""
    return entry.first[entry.head.start(group) : entry.head.end(group)]


def _date(head: re.Match[str], calendar: _Calendar) -> tuple[int, int, int]:
    """(year, month, day) of a header; ValueError when it cannot be read in this file."""
    n1 = head["n1"]
    if n1 is None:
        return named_date(head)
    if head["era"] is not None:
        return era_year(head["era"], n1), int(head["n2"]), int(head["n3"])
    order = calendar.order.order
    triple = (n1, head["n2"], head["n3"])
    if not fits(order, triple):
        raise ValueError(f"no date read {ORDER_NAMES[order]}, the order of this file's dates")
    by_role = dict(zip(order, triple, strict=True))
    year = full_year(by_role["y"], calendar.buddhist_two_digit)
    return year, int(by_role["m"]), int(by_role["d"])
