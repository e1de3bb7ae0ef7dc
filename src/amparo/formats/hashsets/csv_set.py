"""Hash sets as CSV: a header row, then one known file per row.

Comma-separated, UTF-8 (a BOM is skipped); header names are matched ignoring case and the spaces
around them. Known columns, any subset:

- ``md5``, ``sha1``, ``sha256``, ``pdq`` (``hash,quality`` accepted), ``photodna``: at least one
  of them must be in the header, and every row must fill at least one of the hash columns the
  header has (the others may be empty);
- ``category_scheme`` and ``category_code``: ``Category(scheme lower-cased, code as given)``; a
  row gives both or neither (one without the other fails the file);
- ``id`` (else the entry id is ``line-N``), ``kind``, ``series``;
- ``victim_identified``, ``offender_identified``, ``is_distributed``: true/false, yes/no, 1/0 or
  empty.

Other columns are kept in ``details`` under their header name. Blank rows are skipped. The reader
is strict: any bad row fails the whole file with InvalidInput naming its line (the physical line
the row ends on), since a half-imported hash list is worse than a clear error.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from amparo.errors import InvalidInput
from amparo.formats.hashsets import (
    HASH_FIELDS,
    check_size,
    clean_text,
    csv_header_names,
    entry_hashes,
    flag,
    unique_entries,
)
from amparo.model import Category, HashSetFile, KnownEntry

FORMAT = "csv"
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


def read_csv_set(data: bytes, *, path: str) -> HashSetFile:
    """Every row of a CSV hash set as a known entry (see the module docstring)."""
    check_size(data, path=path)
    rows = _rows(_decoded(data, path=path), path=path)
    header = _header(next(rows, None), path=path)
    located = [
        (f"line {line}", _entry(_cells(header, cells, line, path=path), line, path=path))
        for line, cells in rows
    ]
    return HashSetFile(FORMAT, None, unique_entries(located, what="id", path=path))


def _decoded(data: bytes, *, path: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            "CSV that is not UTF-8", path=path, place=f"byte {error.start}"
        ) from error


def _rows(text: str, *, path: str) -> Iterator[tuple[int, list[str]]]:
    """Non-blank rows with the line each ends on."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield reader.line_num, cells
    except csv.Error as error:
        raise InvalidInput(
            f"not valid CSV: {error}", path=path, place=f"line {reader.line_num}"
        ) from error


def _header(first: tuple[int, list[str]] | None, *, path: str) -> list[str]:
    if first is None:
        raise InvalidInput("empty CSV: no header row", path=path, place="line 1")
    line, cells = first
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


def _cells(header: list[str], cells: list[str], line: int, *, path: str) -> dict[str, str]:
    if len(cells) != len(header):
        raise InvalidInput(
            f"{len(cells)} fields where the header has {len(header)}",
            path=path,
            place=f"line {line}",
        )
    return dict(zip(header, cells, strict=True))


def _entry(cells: dict[str, str], line: int, *, path: str) -> KnownEntry:
    place = f"line {line}"
    found = {field: (cells[field], place) for field in HASH_FIELDS if field in cells}
    hashes, quality = entry_hashes(found, path=path)
    if not hashes:
        raise InvalidInput("row without any hash", path=path, place=place)
    flags = {
        name: flag(cells.get(name), name=name, path=path, place=place) for name in FLAG_COLUMNS
    }
    return KnownEntry(
        entry_id=clean_text(cells.get("id")) or f"line-{line}",
        kind=(clean_text(cells.get("kind")) or "").lower() or None,
        category=_category(cells, path=path, place=place),
        series=clean_text(cells.get("series")),
        **hashes,
        **flags,
        details=_details(cells, quality),
    )


def _category(cells: dict[str, str], *, path: str, place: str) -> Category | None:
    scheme = clean_text(cells.get("category_scheme"))
    code = clean_text(cells.get("category_code"))
    if code is not None and scheme is None:
        raise InvalidInput(
            f"category_code {code!r} without a category_scheme", path=path, place=place
        )
    if scheme is not None and code is None:
        raise InvalidInput(
            f"category_scheme {scheme!r} without a category_code", path=path, place=place
        )
    return None if code is None or scheme is None else Category(scheme.lower(), code)


def _details(cells: dict[str, str], pdq_quality: int | None) -> dict[str, object]:
    details: dict[str, object] = {
        name: value.strip()
        for name, value in cells.items()
        if name not in _KNOWN_COLUMNS and value.strip()
    }
    if pdq_quality is not None:
        details["pdq_quality"] = pdq_quality
    return details
