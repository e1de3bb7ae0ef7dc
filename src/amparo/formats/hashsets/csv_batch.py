"""CSV hash-set rows checked and built a batch at a time, column by column.

A batch of rows that are all plain (the header's width, UTF-8 text without NUL, lower- or
upper-case hex hashes without spaces around them, flags and categories as the rules want,
every row with a hash, no vPDQ) becomes one EntryBatch, checked with one regular-expression
match per hash column and built with C-level joins, splits and zips. Any other batch is
``None``: the caller reads it row by row, so that a bad row is reported with its line exactly
as before and costs that row only. Both ways give the same entries.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from amparo.formats.hashsets import HEX_LENGTHS, EntryBatch

_SEPARATOR = "\x1f"
_HEX_COLUMNS = {
    kind: re.compile(f"(?:[0-9a-f]{{{n}}})?(?:{_SEPARATOR}(?:[0-9a-f]{{{n}}})?)*")
    for kind, n in HEX_LENGTHS.items()
}
_FLAG_WORDS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}
_FLAG_COLUMNS = ("victim_identified", "offender_identified", "is_distributed")
_TEXT_COLUMNS = ("kind", "series", "photodna")
_KNOWN = {*HEX_LENGTHS, *_FLAG_COLUMNS, *_TEXT_COLUMNS, "vpdq", "id",
          "category_scheme", "category_code"}  # fmt: skip


def plain_batch(header: list[str], lines: list[int], rows: list[list[str]]) -> EntryBatch | None:
    """The rows (ending on ``lines``) as an EntryBatch, or None when any of them needs the
    row-by-row reader (see the module docstring)."""
    if set(map(len, rows)) != {len(header)}:
        return None
    texts = dict(zip(header, zip(*rows, strict=True), strict=True))
    if not all(map(_plain_text, texts.values())):
        return None
    columns: dict[str, Sequence[Any]] = {}
    if not (_hex_columns(texts, columns) and _photodna(texts, columns) and _has_hash(columns)):
        return None
    if not (_categories(texts, columns) and _flags(texts, columns)):
        return None
    for name in ("kind", "series"):
        if name in texts:
            stripped = [value.strip() for value in texts[name]]
            columns[name] = [value.lower() or None for value in stripped] if name == "kind" else [
                value or None for value in stripped
            ]  # fmt: skip
    given = texts.get("id")
    columns["entry_id"] = (
        [f"line-{line}" for line in lines] if given is None
        else [value.strip() or f"line-{line}" for value, line in zip(given, lines, strict=True)]
    )  # fmt: skip
    _details(texts, columns)
    return EntryBatch([f"line {line}" for line in lines], columns)


def _plain_text(values: tuple[str, ...]) -> bool:
    """Whether a column is valid UTF-8 text without NUL (the reader decodes with
    ``surrogateescape``, so bytes that are not UTF-8 stand as lone surrogates)."""
    joined = _SEPARATOR.join(values)
    if "\x00" in joined:
        return False
    if joined.isascii():
        return True
    try:
        joined.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _hex_columns(texts: dict[str, tuple[str, ...]], columns: dict[str, Sequence[Any]]) -> bool:
    """MD5, SHA-1, SHA-256 and PDQ columns, each checked with one match over the column."""
    for kind, pattern in _HEX_COLUMNS.items():
        if kind not in texts:
            continue
        values = texts[kind]
        joined = _SEPARATOR.join(values).lower()
        if joined.count(_SEPARATOR) != len(values) - 1 or pattern.fullmatch(joined) is None:
            return False
        columns[kind] = [value or None for value in joined.split(_SEPARATOR)]
    return True


def _photodna(texts: dict[str, tuple[str, ...]], columns: dict[str, Sequence[Any]]) -> bool:
    if "vpdq" in texts and any(value.strip() for value in texts["vpdq"]):
        return False
    if "photodna" in texts:
        columns["photodna"] = [value.strip() or None for value in texts["photodna"]]
    return True


def _has_hash(columns: dict[str, Sequence[Any]]) -> bool:
    """Whether every row has a hash (a row without any is the row-by-row reader's to report)."""
    hashes = list(columns.values())
    if not hashes:
        return False
    if not any(None in values for values in hashes):
        return True
    return all(map(any, zip(*hashes, strict=True)))


def _categories(texts: dict[str, tuple[str, ...]], columns: dict[str, Sequence[Any]]) -> bool:
    """Scheme (lower-cased) and code, where a row gives both; False if a row gives one."""
    schemes = [value.strip().lower() for value in texts.get("category_scheme", ())]
    codes = [value.strip() for value in texts.get("category_code", ())]
    if not schemes and not codes:
        return True
    if not schemes or not codes:
        return not any(schemes) and not any(codes)
    both = "" not in schemes and "" not in codes
    if not both and any(bool(s) != bool(c) for s, c in zip(schemes, codes, strict=True)):
        return False
    columns["category_scheme"] = [scheme or None for scheme in schemes]
    columns["category_code"] = [code or None for code in codes]
    return True


def _flags(texts: dict[str, tuple[str, ...]], columns: dict[str, Sequence[Any]]) -> bool:
    for name in _FLAG_COLUMNS:
        if name not in texts:
            continue
        words = [value.strip().lower() for value in texts[name]]
        if not all(word in _FLAG_WORDS for word in words if word):
            return False
        columns[name] = [_FLAG_WORDS[word] if word else None for word in words]
    return True


def _details(texts: dict[str, tuple[str, ...]], columns: dict[str, Sequence[Any]]) -> None:
    """Columns Amparo does not model, kept under their header name where not blank."""
    others = [name for name in texts if name not in _KNOWN]
    if not others:
        return
    stripped = [[value.strip() for value in texts[name]] for name in others]
    columns["details"] = [
        {name: value for name, value in zip(others, row, strict=True) if value}
        for row in zip(*stripped, strict=True)
    ]
