"""CSV text read in blocks of whole lines, and the blocks the csv module would split plainly.

``CsvLines`` reads a binary CSV file as the reader always has (UTF-8, a BOM at the start
skipped, bytes that are not UTF-8 kept as lone surrogates, lines ended by ``\\n``, ``\\r\\n`` or
``\\r`` as ``io.TextIOWrapper(newline="")`` ends them) but a block of whole lines at a time, and
counts the lines handed out. It is the csv module's input line by line, and gives the unread
rest of its block to ``plain_fields``, which splits it at C speed when the csv module would
read it as one row per line, each of ``width`` fields: no quote, no NUL, no carriage return
but in ``\\r\\n``, no field longer than the csv module's field limit, and ``width`` fields on
every line (which rules out blank lines where ``width`` is above one; checked apart at one).
Any other block is the csv module's to read, so both ways give the same rows on the same lines.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

# Read at a time. A block is at most two reads, under the csv module's field limit (131,072
# characters), so that no field of it can pass that; a longer line is read whole, as before.
BLOCK_BYTES = 64 * 1024
LONG_BLOCK = 4 * 1024 * 1024  # a block this long holds a long line: the csv module's, as it was
_LINE_END = "\n"
_ROW_END = ",\n,"  # each line's end becomes a field of its own, so rows can be checked aligned


class CsvLines:
    """The lines of a CSV file, a block at a time (see the module docstring)."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self._undecoded = b""
        self._at_start = True
        self._text = ""
        self._at = 0  # where the unread lines of the block start
        self._lines: io.StringIO | None = None  # the block line by line, made when needed
        self.line = 0  # lines handed out or taken so far: the number of the last one

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if not self.pending() and not self._load():
            raise StopIteration
        if self._lines is None:
            self._lines = io.StringIO(self._text, newline="")
            self._lines.seek(self._at)
        line = self._lines.readline()
        self._at += len(line)
        self.line += 1
        return line

    def pending(self) -> bool:
        """Whether the current block has lines left."""
        return self._at < len(self._text)

    def rest(self) -> str:
        """The unread lines of the current block, or of the next one once it is used up; ""
        at the end of the file. They stay unread until ``take_rest``."""
        if not self.pending() and not self._load():
            return ""
        return self._text[self._at :]

    def take_rest(self, lines: int) -> None:
        """Mark the rest of the block, ``lines`` lines, as read."""
        self._at = len(self._text)
        self.line += lines

    def _load(self) -> bool:
        raw = self._whole_lines()
        if not raw:
            return False
        if self._at_start:
            self._at_start = False
            raw = raw.removeprefix(codecs.BOM_UTF8)
        self._text = raw.decode("utf-8", errors="surrogateescape")
        self._at = 0
        self._lines = None
        return bool(self._text) or self._load()

    def _whole_lines(self) -> bytes:
        """The next bytes up to the end of a line (or of the file). No multi-byte character
        spans a line end, so each block decodes as the whole file would."""
        parts = [self._undecoded]
        while True:
            more = self._file.read(BLOCK_BYTES)
            if not more:
                self._undecoded = b""
                return b"".join(parts)
            end = _line_end(more)
            if end:
                parts.append(more[:end])
                self._undecoded = more[end:]
                return b"".join(parts)
            parts.append(more)


def _line_end(data: bytes) -> int:
    """Just past the last line end in ``data`` that is surely one (a ``\\r`` at the very end may
    be the start of ``\\r\\n``); 0 if none."""
    newline = data.rfind(b"\n") + 1
    return newline or data.rfind(b"\r", 0, len(data) - 1) + 1


@dataclass(frozen=True)
class PlainBlock:
    """Rows split without the csv module: row ``k`` ends on line ``first_line + k`` and holds
    ``fields[k * (width + 1) : k * (width + 1) + width]``."""

    first_line: int
    count: int
    width: int
    fields: list[str]
    utf8: bool  # every field is UTF-8 text (no lone surrogate)

    def lines(self) -> range:
        return range(self.first_line, self.first_line + self.count)

    def column(self, index: int) -> list[str]:
        return self.fields[index : -1 : self.width + 1]

    def rows(self) -> list[list[str]]:
        step = self.width + 1
        return [
            self.fields[start : start + self.width]
            for start in range(0, len(self.fields) - 1, step)
        ]


def plain_fields(text: str, width: int) -> tuple[int, list[str]] | None:
    """The number of lines of ``text`` (whole lines) and their fields, each line's followed by a
    field ``"\\n"``, if the csv module would read it as one row of ``width`` fields per line."""
    if len(text) > LONG_BLOCK or '"' in text or "\x00" in text:
        return None
    if not text.endswith(_LINE_END):
        text += _LINE_END  # the file's last line
    count = text.count(_LINE_END)
    if "\r" in text:
        # Every line ended by \r\n: no \r left once they are marked, and as many \r as \n.
        marked = text.replace("\r\n", _ROW_END)
        if "\r" in marked or text.count("\r") != count:
            return None
    else:
        marked = text.replace(_LINE_END, _ROW_END)
    fields = marked.split(",")
    # Every line end is now a "\n" field and nothing else is: as many of them in the places
    # after every row's last field as there are lines proves that every line has ``width``.
    if len(fields) != count * (width + 1) + 1 or fields[width :: width + 1].count("\n") != count:
        return None
    if width == 1 and not all(fields[:-1:2]):
        return None  # a blank line, which the csv module reads as no field at all
    limit = csv.field_size_limit()
    if len(text) > limit and max(map(len, fields)) > limit:
        return None
    return count, fields
