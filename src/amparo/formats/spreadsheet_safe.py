"""CSV that is safe to open in a spreadsheet: every CSV Amparo writes goes through here.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
spreadsheet programs as a formula (OWASP, "CSV Injection"): ``=cmd|' /C calc'!A0`` in an ISP
name, a series or an address would run when an investigator opens the file. Such a cell is
written with a leading single quote, which spreadsheets show as text and do not evaluate.

One exception keeps figures readable: a cell that is, as a whole, a plain decimal number
(``-12``, ``-0.5``, ``-3e4``) is left as it is. A spreadsheet reads it as that number; no
function, reference or operator fits in it, so nothing can be evaluated. Numbers given as
``int`` or ``float`` are written unchanged for the same reason.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
_PLAIN_NUMBER = re.compile(r"-(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def neutralised(value: Any) -> Any:
    """``value`` as a spreadsheet will not evaluate it (strings only; numbers pass)."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return QUOTE + value


class SafeWriter:
    """``csv.writer`` whose every cell is :func:`neutralised`."""

    def __init__(self, stream: IO[str], **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralised(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """``csv.DictWriter`` whose every cell (the header too) is :func:`neutralised`."""

    def __init__(self, stream: IO[str], fieldnames: Sequence[str], **options: Any) -> None:
        self._writer = csv.DictWriter(stream, fieldnames=fieldnames, **options)
        self.fieldnames = list(fieldnames)

    def writeheader(self) -> None:
        self._writer.writerow({name: neutralised(name) for name in self.fieldnames})

    def writerow(self, row: Mapping[str, Any]) -> None:
        self._writer.writerow({name: neutralised(value) for name, value in row.items()})
