"""Hash sets as CSV: a header row, then one known file per row.

Comma-separated, UTF-8 (a BOM is skipped); header names are matched ignoring case and the spaces
around them. Known columns, any subset:

- ``md5``, ``sha1``, ``sha256``, ``pdq`` (``hash,quality`` accepted), ``photodna``, ``vpdq``: at
  least one of them must be in the header, and every row must fill at least one of the hash
  columns the header has (the others may be empty);
- ``category_scheme`` and ``category_code``: ``Category(scheme lower-cased, code as given)``; a
  row gives both or neither;
- ``id`` (else the entry id is ``line-N``), ``kind``, ``series``;
- ``victim_identified``, ``offender_identified``, ``is_distributed``: true/false, yes/no, 1/0 or
  empty.

Other columns are kept in ``details`` under their header name. Blank rows are skipped. The file
is read in blocks of whole lines: a block the csv module would read as one row per line is split
at C speed (``csv_plain``) and its rows checked a column at a time (``csv_batch``), any other
block is read by the csv module row by row, and both give the same rows on the same lines. A bad
row (wrong number of fields, a malformed hash or flag, bytes that are not UTF-8) is an
InvalidInput naming its line (the physical line the row ends on) and costs that row only. A
header without any hash column fails the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from amparo.errors import InvalidInput
from amparo.formats.hashsets import (
    ENTRY_FIELDS,
    HASH_FIELDS,
    HEX_PATTERNS,
    EntryBatch,
    EntryRow,
    HashSetStream,
    check_size,
    clean_text,
    csv_header_names,
    flag,
    hex_hash,
    nul_free_entry,
    pdq_hash,
    strict_read,
    vpdq_features,
)
from amparo.formats.hashsets.csv_batch import plain_batch, plain_columns
from amparo.formats.hashsets.csv_plain import CsvLines, PlainBlock, plain_fields
from amparo.model import Category, HashSetFile, KnownEntry

FORMAT = "csv"
READ_BATCH = 1024  # rows checked together; small enough to keep reading memory flat
FLAG_COLUMNS = ("victim_identified", "offender_identified", "is_distributed")
_KNOWN_COLUMNS = {
    *HASH_FIELDS,
    *FLAG_COLUMNS,
    "category_scheme",
    "category_code",
    "id",
    "kind",
    "series",
}
_ROW_HASHES = ("md5", "sha1", "sha256", "pdq", "photodna", "vpdq")  # EntryRow positions 2..7
_HEX_CHECKS = {2 + i: HEX_PATTERNS[kind].fullmatch for i, kind in enumerate(_ROW_HASHES[:4])}


def read_csv_set(data: bytes, *, path: str) -> HashSetFile:
    """Every row of a CSV hash set as a known entry; the first bad row raises InvalidInput."""
    check_size(data, path=path)
    return strict_read(stream_csv_set(io.BytesIO(data), path=path), path=path)


def stream_csv_set(file: BinaryIO, *, path: str) -> HashSetStream:
    """The rows of a CSV hash set, read as they come (see the module docstring)."""
    lines = CsvLines(file)
    rows = _CsvRows(lines, path=path)
    header = _header(next(_rows(rows), None), path=path)
    chunks = _chunks(lines, rows, width=len(header))
    return HashSetStream(FORMAT, None, "id", _entries(header, chunks, path=path))


@dataclass(frozen=True)
class _Columns:
    """Where each known column stands in a row, so that rows are read by position."""

    width: int
    hashes: tuple[tuple[int, int], ...]  # (EntryRow position, column)
    flags: tuple[int | None, ...]
    named: tuple[int | None, int | None, int | None]  # id, kind, series
    category: tuple[int | None, int | None]
    others: tuple[tuple[str, int], ...]

    @classmethod
    def of(cls, header: list[str]) -> _Columns:
        at = {name: index for index, name in enumerate(header)}
        return cls(
            width=len(header),
            hashes=tuple((2 + i, at[h]) for i, h in enumerate(_ROW_HASHES) if h in at),
            flags=tuple(at.get(name) for name in FLAG_COLUMNS),
            named=(at.get("id"), at.get("kind"), at.get("series")),
            category=(at.get("category_scheme"), at.get("category_code")),
            others=tuple((n, i) for n, i in at.items() if n not in _KNOWN_COLUMNS),
        )


class _CsvRows:
    """Rows as the csv module reads them from ``lines``, each with the line it ends on, and an
    InvalidInput for each row it refuses."""

    def __init__(self, lines: CsvLines, *, path: str) -> None:
        self._lines = lines
        self._reader = csv.reader(lines)
        self._path = path
        self._last_error_line = -1

    def next(self) -> tuple[int, list[str]] | InvalidInput | None:
        """The next row, or None at the end of the file."""
        try:
            cells = next(self._reader)
        except StopIteration:
            return None
        except csv.Error as error:
            line = self._lines.line
            found = InvalidInput(f"not valid CSV: {error}", path=self._path, place=f"line {line}")
            if line == self._last_error_line:
                raise found from error
            self._last_error_line = line
            return found
        return self._lines.line, cells


def _rows(rows: _CsvRows) -> Iterator[tuple[int, list[str] | InvalidInput]]:
    """Non-blank rows with the line each ends on; a row the CSV parser refuses is an error."""
    while (row := rows.next()) is not None:
        if isinstance(row, InvalidInput):
            yield int(str(row.place).removeprefix("line ")), row
        elif not _blank(row[1]):
            yield row


_Chunk = tuple[list[int], list[list[str]]] | PlainBlock | InvalidInput


def _chunks(
    lines: CsvLines, rows: _CsvRows, *, width: int, size: int = READ_BATCH
) -> Iterator[_Chunk]:
    """The rest of the file: blocks of lines split plainly where the csv module would read them
    so, else up to ``size`` rows at a time (blank ones too) with the lines they end on, and an
    InvalidInput for each row the csv module refuses."""
    while text := lines.rest():
        plain = plain_fields(text, width)
        if plain is not None:
            count, fields = plain
            first_line = lines.line + 1
            lines.take_rest(count)
            yield PlainBlock(first_line, count, width, fields, _is_utf8(text))
            continue
        numbers: list[int] = []
        found: list[list[str]] = []
        while lines.pending() and (row := rows.next()) is not None:
            if isinstance(row, InvalidInput):
                if found:
                    yield numbers, found
                    numbers, found = [], []
                yield row
                continue
            numbers.append(row[0])
            found.append(row[1])
            if len(found) >= size:
                yield numbers, found
                numbers, found = [], []
        if found:
            yield numbers, found


def _is_utf8(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _header(first: tuple[int, list[str] | InvalidInput] | None, *, path: str) -> list[str]:
    if first is None:
        raise InvalidInput("empty CSV: no header row", path=path, place="line 1")
    line, cells = first
    if isinstance(cells, InvalidInput):
        raise cells
    names = csv_header_names(cells)
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InvalidInput(f"header repeats {', '.join(repeated)}", path=path, place=f"line {line}")
    if not set(names) & set(HASH_FIELDS):
        raise InvalidInput(
            f"header names no hash column ({', '.join(HASH_FIELDS)}): {', '.join(names)}",
            path=path,
            place=f"line {line}",
        )
    return names


def _entries(
    header: list[str],
    chunks: Iterator[_Chunk],
    *,
    path: str,
) -> Iterator[tuple[str, EntryRow] | EntryBatch | InvalidInput]:
    """A batch of entries where the rows are plain, else entries and errors row by row."""
    columns = _Columns.of(header)
    for chunk in chunks:
        if isinstance(chunk, InvalidInput):
            yield chunk
            continue
        batch = _batch(header, chunk)
        if batch is not None:
            yield batch
            continue
        if isinstance(chunk, PlainBlock):
            chunk = (list(chunk.lines()), chunk.rows())
        for line, cells in zip(*chunk, strict=True):
            if _blank(cells):
                continue
            place = f"line {line}"
            try:
                yield place, _entry(columns, cells, line, path=path, place=place)
            except InvalidInput as error:
                yield error


def _batch(
    header: list[str], chunk: tuple[list[int], list[list[str]]] | PlainBlock
) -> EntryBatch | None:
    if not isinstance(chunk, PlainBlock):
        return plain_batch(header, *chunk)
    if not chunk.utf8:
        return None
    texts = {name: chunk.column(index) for index, name in enumerate(header)}
    return plain_columns(texts, chunk.lines())


def _entry(columns: _Columns, cells: list[str], line: int, *, path: str, place: str) -> EntryRow:
    if len(cells) != columns.width:
        raise InvalidInput(
            f"{len(cells)} fields where the header has {columns.width}", path=path, place=place
        )
    joined = "\x1f".join(cells)
    if not joined.isascii():
        _require_utf8(joined, path=path, place=place)
    row: list[Any] = [None] * 15
    quality = _hashes(row, columns, cells, path=path, place=place)
    entry_id, kind, series = (None if at is None else clean_text(cells[at]) for at in columns.named)
    row[0] = entry_id or f"line-{line}"
    row[1] = kind.lower() if kind else None
    row[8] = _category(cells, columns, path=path, place=place)
    row[9] = series
    for offset, index in enumerate(columns.flags):
        if index is not None:
            name = FLAG_COLUMNS[offset]
            row[10 + offset] = flag(cells[index], name=name, path=path, place=place)
    row[13] = False
    row[14] = _details(cells, columns, quality)
    return tuple(row) if "\x00" not in joined else _nul_free(tuple(row))


def _hashes(
    row: list[Any], columns: _Columns, cells: list[str], *, path: str, place: str
) -> int | None:
    """Fill the hash positions of ``row``; return the PDQ quality if one came with the PDQ."""
    quality = None
    for position, column in columns.hashes:
        value = cells[column].strip()
        if not value:
            continue
        if position < 6:  # a hex hash: checked here on the common path, by the rules otherwise
            lowered = value.lower()
            if _HEX_CHECKS[position](lowered) is not None:
                row[position] = lowered
            elif position == 5:
                row[5], quality = pdq_hash(value, path=path, place=place)
            else:
                row[position] = hex_hash(_ROW_HASHES[position - 2], value, path=path, place=place)
        elif position == 6:
            row[6] = value
        else:
            row[7] = vpdq_features(value, path=path, place=place)
    if not any(row[2:8]):
        raise InvalidInput("row without any hash", path=path, place=place)
    return quality


def _require_utf8(text: str, *, path: str, place: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidInput("CSV row that is not UTF-8", path=path, place=place) from error


def _category(cells: list[str], columns: _Columns, *, path: str, place: str) -> Category | None:
    scheme_at, code_at = columns.category
    scheme = None if scheme_at is None else clean_text(cells[scheme_at])
    code = None if code_at is None else clean_text(cells[code_at])
    if code is not None and scheme is None:
        raise InvalidInput(
            f"category_code {code!r} without a category_scheme", path=path, place=place
        )
    if scheme is not None and code is None:
        raise InvalidInput(
            f"category_scheme {scheme!r} without a category_code", path=path, place=place
        )
    return None if code is None or scheme is None else Category(scheme.lower(), code)


def _details(cells: list[str], columns: _Columns, pdq_quality: int | None) -> dict[str, object]:
    details: dict[str, object] = {}
    for name, index in columns.others:
        value = cells[index].strip()
        if value:
            details[name] = value
    if pdq_quality is not None:
        details["pdq_quality"] = pdq_quality
    return details


def _nul_free(row: EntryRow) -> EntryRow:
    entry = nul_free_entry(KnownEntry(*row))
    return tuple(getattr(entry, name) for name in ENTRY_FIELDS)
