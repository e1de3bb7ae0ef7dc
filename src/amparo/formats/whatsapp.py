"""WhatsApp "Export chat" text (Android and iOS, many locales) into messages.

A pure parser: it takes the text of ``_chat.txt`` / ``WhatsApp Chat with X.txt`` and the time
zone the phone was set to, and gives back every message with its author, UTC time and text.

Day/month order is decided once per file, never per line:

1. a date whose first number exceeds 12 makes the file day-first; one whose second number
   exceeds 12 makes it month-first; both in one file is refused (``InvalidInput``);
2. otherwise the file is day-first, unless its dates are in non-decreasing order only when read
   month-first (then month-first).

Year-first dates (``2018/06/13``) are unambiguous and take no part in the decision.
Two-digit years are 20xx.

Local times are made aware with ``datetime.replace(tzinfo=zone)`` and ``fold=0``: a time that
occurs twice (clocks going back) is taken as its first occurrence, and a time that does not
exist (clocks going forward) is read with the offset in force before the change.

A system line whose text itself contains ``": "`` (for example a group subject with a colon)
cannot be told from a message and is read as one, with the text before the colon as author.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from itertools import pairwise

from amparo.errors import InvalidInput
from amparo.model import Timestamp

# Line breaks of any platform, so line numbers match what an editor shows.
_NEWLINE = re.compile(r"\r\n|\r|\n")

# Invisible direction marks WhatsApp scatters in exports: LRM, RLM, LRE..RLO, LRI..PDI.
_DIRECTION_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")

# The start of a message line: optional "[", the date (year-first, or d/m/y in either order
# with "/", "." or "-" and optional spaces as in "13. 6. 2018."), an optional "," and/or
# Finnish "klo", the time with ":" or "." and optional seconds, an optional 12-hour marker
# (am, a.m., a. m., with any space before it, U+202F included), then the end of the time part:
# "]" when bracketed, else " - ", ": " or a bare space. The rest of the line is in "rest".
_HEADER = re.compile(
    r"""
    (?P<open>\[)?
    (?P<stamp>
        (?: (?P<y1>\d{4}) [./-] (?P<m1>\d{1,2}) [./-] (?P<d1>\d{1,2})
          | (?P<a>\d{1,2}) [./-]\ ? (?P<b>\d{1,2}) [./-]\ ? (?P<y>\d{4}|\d{2}) \.? )
        (?: ,\s* | \s+ ) (?: klo\s+ )?
        (?P<hour>\d{1,2}) [:.] (?P<minute>\d{2}) (?: [:.] (?P<second>\d{2}) )?
        (?: \s* (?P<ampm>[ap]\.?\s?m\.?) (?= \] | \s[-\u2013]\s | :\s ) )?
    )
    (?(open) \]\s* | (?: \s[-\u2013]\s | :\s | \s ) )
    (?P<rest>.*)
    """,
    re.VERBOSE | re.IGNORECASE,
)

# An attachment as the whole first line of a message: iOS "<attached: NAME>" (English) or
# "<adjunto: NAME>" (Spanish), Android "NAME (file attached)" or "NAME (archivo adjunto)".
_ATTACHMENT = re.compile(
    r"<(?:attached|adjunto):\s*(?P<ios>[^>]+)>"
    r"|(?P<android>.+?)\s\((?:file attached|archivo adjunto)\)"
)


@dataclass(frozen=True)
class ChatMessage:
    line: int
    at: Timestamp
    author: str | None
    text: str
    attachment: str | None
    system: bool


@dataclass(frozen=True)
class ChatExport:
    messages: tuple[ChatMessage, ...]
    day_first: bool
    participants: tuple[str, ...]


@dataclass
class _Entry:
    """One message as found: the line it starts on, its header match and its text lines."""

    line: int
    head: re.Match[str]
    lines: list[str] = field(default_factory=list)


def parse_whatsapp(text: str, *, path: str, zone: tzinfo) -> ChatExport:
    """Every message of a WhatsApp chat export, its times read in the phone's ``zone``."""
    entries = _split_entries(text, path)
    day_first = _decide_day_first(entries, path)
    messages = tuple(_message(entry, day_first, zone, path) for entry in entries)
    authors = (message.author for message in messages if message.author is not None)
    return ChatExport(messages, day_first, tuple(dict.fromkeys(authors)))


def _split_entries(text: str, path: str) -> list[_Entry]:
    """Group lines into messages; lines before the first message line are ignored."""
    entries: list[_Entry] = []
    body = text.removeprefix("\ufeff").rstrip("\r\n")
    for number, raw_line in enumerate(_NEWLINE.split(body), start=1):
        line = _DIRECTION_MARKS.sub("", raw_line)
        head = _HEADER.match(line)
        if head:
            entries.append(_Entry(number, head, [head["rest"]]))
        elif entries:
            entries[-1].lines.append(line)
    if not entries:
        raise InvalidInput("no WhatsApp message lines found", path=path, place="line 1")
    return entries


def _decide_day_first(entries: list[_Entry], path: str) -> bool:
    """The file's day/month order, by the rule in the module docstring."""
    ambiguous = [entry for entry in entries if entry.head["a"] is not None]
    day_witness = next((e for e in ambiguous if int(e.head["a"]) > 12), None)
    month_witness = next((e for e in ambiguous if int(e.head["b"]) > 12), None)
    if day_witness and month_witness:
        place = f"line {max(day_witness.line, month_witness.line)}"
        raise InvalidInput("dates mix day-first and month-first order", path=path, place=place)
    if day_witness or month_witness:
        return day_witness is not None
    return _in_order(ambiguous, day_first=True) or not _in_order(ambiguous, day_first=False)


def _in_order(entries: list[_Entry], *, day_first: bool) -> bool:
    """Whether the dates are non-decreasing when read in the given order."""
    keys = [_date_key(entry.head, day_first) for entry in entries]
    return all(earlier <= later for earlier, later in pairwise(keys))


def _date_key(head: re.Match[str], day_first: bool) -> tuple[int, int, int]:
    """(year, month, day) of a header's date read in the given order."""
    first, second = int(head["a"]), int(head["b"])
    day, month = (first, second) if day_first else (second, first)
    return _full_year(head["y"]), month, day


def _full_year(year: str) -> int:
    return int(year) + 2000 if len(year) == 2 else int(year)


def _message(entry: _Entry, day_first: bool, zone: tzinfo, path: str) -> ChatMessage:
    at = _timestamp(entry, day_first, zone, path)
    text = "\n".join(entry.lines)
    author, separator, said = text.partition(": ")
    if not separator or "\n" in author or not author.strip():
        return ChatMessage(entry.line, at, None, text, None, system=True)
    return ChatMessage(entry.line, at, author.strip(), said, _attachment(said), system=False)


def _attachment(text: str) -> str | None:
    """The attached file's name when the message's first line announces one."""
    found = _ATTACHMENT.fullmatch(text.split("\n", 1)[0].strip())
    return (found["ios"] or found["android"]).strip() if found else None


def _timestamp(entry: _Entry, day_first: bool, zone: tzinfo, path: str) -> Timestamp:
    """The header's time as written, in UTC and with the zone's offset at that moment."""
    raw = entry.head["stamp"]
    try:
        local = _local_time(entry.head, day_first).replace(tzinfo=zone, fold=0)
    except ValueError as error:
        reason = f"impossible date or time {raw!r}: {error}"
        raise InvalidInput(reason, path=path, place=f"line {entry.line}") from error
    offset = local.utcoffset()
    if offset is None:
        raise ValueError(f"time zone {zone!r} gives no UTC offset")
    return Timestamp(raw, local.astimezone(UTC), int(offset.total_seconds()) // 60)


def _local_time(head: re.Match[str], day_first: bool) -> datetime:
    """The naive local time of a header; ValueError when no such time exists."""
    if head["y1"] is not None:
        year, month, day = int(head["y1"]), int(head["m1"]), int(head["d1"])
    else:
        year, month, day = _date_key(head, day_first)
    hour = _hour(int(head["hour"]), head["ampm"])
    return datetime(year, month, day, hour, int(head["minute"]), int(head["second"] or 0))


def _hour(hour: int, ampm: str | None) -> int:
    """The 24-hour hour of a clock reading, with its am/pm marker if any."""
    if ampm is None:
        return hour
    if not 1 <= hour <= 12:
        raise ValueError(f"hour {hour} on a 12-hour clock")
    return hour % 12 + (12 if ampm.lower().startswith("p") else 0)
