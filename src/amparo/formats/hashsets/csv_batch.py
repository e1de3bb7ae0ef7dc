"""CSV hash-set rows checked and built a batch at a time, column by column.

A batch of rows that are all plain (the header's width, UTF-8 text without NUL, lower- or
upper-case hex hashes without spaces around them, flags and categories as the rules want,
every row with a hash, no vPDQ) becomes one EntryBatch, checked and built with C-level joins,
translations, splits and maps over whole columns. Any other batch is ``None``: the caller reads
it row by row, so that a bad row is reported with its line exactly as before and costs that row
only. Both ways give the same entries.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from amparo.formats.hashsets import HEX_LENGTHS, EntryBatch

_SEPARATOR = "\x1f"
_LOWER_HEX = b"0123456789abcdef"
_UPPER_HEX = b"ABCDEF"
_ASCII_SPACE = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"  # what str.strip() strips, of ASCII
_SPACE = re.compile(r"\s")  # the same test as str.strip()'s (Py_UNICODE_ISSPACE)
_FLAG_WORDS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}
_FLAG_COLUMNS = ("victim_identified", "offender_identified", "is_distributed")
_TEXT_COLUMNS = ("kind", "series", "photodna")
_KNOWN = {*HEX_LENGTHS, *_FLAG_COLUMNS, *_TEXT_COLUMNS, "vpdq", "id",
          "category_scheme", "category_code"}  # fmt: skip

Texts = Mapping[str, Sequence[str]]


def plain_batch(header: list[str], lines: list[int], rows: list[list[str]]) -> EntryBatch | None:
    """The rows (ending on ``lines``) as an EntryBatch, or None when any of them needs the
    row-by-row reader (see the module docstring)."""
    if set(map(len, rows)) != {len(header)}:
        return None
    texts: Texts = dict(zip(header, zip(*rows, strict=True), strict=True))
    if not all(map(_plain_text, texts.values())):
        return None
    return plain_columns(texts, lines)


def plain_columns(texts: Texts, lines: Sequence[int]) -> EntryBatch | None:
    """Rows given as their columns by header name, every value already known to be UTF-8 text
    without NUL, as an EntryBatch; None as for ``plain_batch``."""
    columns: dict[str, Sequence[Any]] = {}
    if not (_hex_columns(texts, columns) and _photodna(texts, columns) and _has_hash(columns)):
        return None
    if not (_categories(texts, columns) and _flags(texts, columns)):
        return None
    if "kind" in texts:
        columns["kind"] = _or_none(_lowered(_stripped(texts["kind"])))
    if "series" in texts:
        columns["series"] = _or_none(_stripped(texts["series"]))
    columns["entry_id"] = _entry_ids(texts.get("id"), lines)
    _details(texts, columns)
    return EntryBatch([f"line {line}" for line in lines], columns)


def _plain_text(values: Sequence[str]) -> bool:
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


def _stripped(values: Sequence[str]) -> Sequence[str]:
    """The values as ``str.strip`` leaves them; themselves where none holds a space."""
    joined = "".join(values)
    if joined.isascii():
        encoded = joined.encode("ascii")
        if len(encoded.translate(None, _ASCII_SPACE)) == len(encoded):
            return values
    elif _SPACE.search(joined) is None:
        return values
    return [value.strip() for value in values]


def _lowered(values: Sequence[str]) -> Sequence[str]:
    """The values lower-cased; themselves where ASCII text has nothing to lower."""
    joined = "".join(values)
    if joined.isascii() and joined.lower() == joined:
        return values
    return [value.lower() for value in values]


def _or_none(values: Sequence[str]) -> Sequence[str | None]:
    """Blank values as None."""
    if all(values):
        return values
    if not any(values):
        return [None] * len(values)
    return [value or None for value in values]


def _hex_columns(texts: Texts, columns: dict[str, Sequence[Any]]) -> bool:
    """MD5, SHA-1, SHA-256 and PDQ columns: blank, or hex digits of the kind's length."""
    for kind, length in HEX_LENGTHS.items():
        if kind not in texts:
            continue
        values = texts[kind]
        joined = "".join(values)
        if not joined.isascii():
            return False
        not_lower = joined.encode("ascii").translate(None, _LOWER_HEX)
        if not_lower and not_lower.translate(None, _UPPER_HEX):
            return False
        if not set(map(len, values)) <= {0, length}:
            return False
        if not_lower:  # only hex digits, so a line end cannot be inside a value
            values = "\n".join(values).lower().split("\n")
        columns[kind] = _or_none(values)
    return True


def _photodna(texts: Texts, columns: dict[str, Sequence[Any]]) -> bool:
    if "vpdq" in texts and any(_stripped(texts["vpdq"])):
        return False
    if "photodna" in texts:
        columns["photodna"] = _or_none(_stripped(texts["photodna"]))
    return True


def _has_hash(columns: dict[str, Sequence[Any]]) -> bool:
    """Whether every row has a hash (a row without any is the row-by-row reader's to report)."""
    hashes = list(columns.values())
    if not hashes:
        return False
    if any(map(all, hashes)):  # a column that every row fills
        return True
    return all(map(any, zip(*hashes, strict=True)))


def _categories(texts: Texts, columns: dict[str, Sequence[Any]]) -> bool:
    """Scheme (lower-cased) and code, where a row gives both; False if a row gives one."""
    schemes = _lowered(_stripped(texts.get("category_scheme", ())))
    codes = _stripped(texts.get("category_code", ()))
    if not schemes and not codes:
        return True
    if not schemes or not codes:
        return not any(schemes) and not any(codes)
    both = all(schemes) and all(codes)
    if not both and any(bool(s) != bool(c) for s, c in zip(schemes, codes, strict=True)):
        return False
    columns["category_scheme"] = _or_none(schemes)
    columns["category_code"] = _or_none(codes)
    return True


def _flags(texts: Texts, columns: dict[str, Sequence[Any]]) -> bool:
    for name in _FLAG_COLUMNS:
        if name not in texts:
            continue
        words = _lowered(_stripped(texts[name]))
        if not set(words) <= _FLAG_WORDS.keys() | {""}:
            return False
        columns[name] = list(map(_FLAG_WORDS.get, words))
    return True


def _entry_ids(given: Sequence[str] | None, lines: Sequence[int]) -> Sequence[str]:
    """The ids given, else ``line-N`` after the line the row ends on."""
    if given is None:
        return [f"line-{line}" for line in lines]
    stripped = _stripped(given)
    if all(stripped):
        return stripped
    return [value or f"line-{line}" for value, line in zip(stripped, lines, strict=True)]


def _details(texts: Texts, columns: dict[str, Sequence[Any]]) -> None:
    """Columns Amparo does not model, kept under their header name where not blank."""
    others = [name for name in texts if name not in _KNOWN]
    if not others:
        return
    stripped = [_stripped(texts[name]) for name in others]
    columns["details"] = [
        {name: value for name, value in zip(others, row, strict=True) if value}
        for row in zip(*stripped, strict=True)
    ]
