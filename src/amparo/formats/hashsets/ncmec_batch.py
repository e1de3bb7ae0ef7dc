"""NCMEC entries gathered into batches of columns when each one is plain.

An entry is plain when every child has a plain tag, it has an ``<id>``, and its ``md5``,
``sha1`` and ``pdq`` fingerprints are hex (any case, spaces around them) or blank: then
``plain_entry`` builds its columns in one pass over its children, with none of the general
path's checks per value; the entry, its ``details`` included, is the same as ``ncmec._entry``
makes (``tests/test_hashset_batches.py`` checks both on generated entries). Any other entry is
``None``, left to ``ncmec._entry``, which says what is wrong and where. Runs of plain entries
are staged as one EntryBatch, without a row tuple and a staging row per entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lxml import etree

from amparo.formats.hashsets import HEX_PATTERNS, EntryBatch, clean_text
from amparo.formats.xml import add_repeated, element_data

# Columns of a plain entry, in the order ``plain_entry`` gives them.
COLUMNS = ("entry_id", "kind", "md5", "sha1", "pdq", "photodna", "category_scheme",
           "category_code", "deleted", "details")  # fmt: skip
INDUSTRY_CODES = {"A1", "A2", "B1", "B2"}
_HEX = {name: HEX_PATTERNS[name].fullmatch for name in ("md5", "sha1", "pdq")}
_MODELLED = {"classification", "fingerprints"}
_names: dict[str, str] = {}


def local(tag: object) -> str | None:
    """The local name of an element's tag; None for a tag that is not text (an entity)."""
    if type(tag) is not str:
        return None
    name = _names.get(tag)
    if name is None:
        name = tag.rpartition("}")[2]
        if len(_names) < 1024:  # a file names few tags; a hostile one cannot grow this
            _names[tag] = name
    return name


def plain_entry(element: etree._Element, kind: str, deleted: bool) -> tuple[Any, ...] | None:
    """The entry's columns (``COLUMNS``), or None when the general path must read it."""
    details: dict[str, Any] = {}
    first: dict[str, etree._Element] = {}
    for child in element:
        name = local(child.tag)
        if name is None:
            return None
        if name not in first:
            first[name] = child
        if name not in _MODELLED:
            value = element_data(child) if len(child) or child.attrib else _leaf(child)
            add_repeated(details, name, value)
    identifier = first.get("id")
    entry_id = None if identifier is None else clean_text(identifier.text)
    if entry_id is None:
        return None
    member = first.get("member")
    member_id = None if member is None else clean_text(member.get("id"))
    if member_id is not None:
        entry_id = f"{member_id}-{entry_id}"
    hashes = _fingerprints(first.get("fingerprints"), details)
    if hashes is None:
        return None
    scheme, code = _category(first.get("classification"))
    return (entry_id, kind, *hashes, scheme, code, deleted, details or None)


def _leaf(element: etree._Element) -> str:
    text = element.text
    return text.strip() if text else ""


def _fingerprints(
    element: etree._Element | None, details: dict[str, Any]
) -> tuple[str | None, ...] | None:
    """(md5, sha1, pdq, photodna); the other fingerprints go to ``details``; None when a hash
    is not plain hex."""
    found: dict[str, str | None] = {}
    other: dict[str, Any] = {}
    for child in () if element is None else element:
        name = local(child.tag)
        if name is None:
            return None
        if name == "pdna":
            found["photodna"] = clean_text(child.text)
        elif name in _HEX:
            text = _leaf(child).lower()
            if text and _HEX[name](text) is None:
                return None
            found[name] = text or None
        else:
            add_repeated(other, name, element_data(child))
    if other:
        details["fingerprints"] = other
    return found.get("md5"), found.get("sha1"), found.get("pdq"), found.get("photodna")


def _category(element: etree._Element | None) -> tuple[str | None, str | None]:
    code = None if element is None else clean_text(element.text)
    if code is None:
        return None, None
    if code.upper() in INDUSTRY_CODES:
        return "ncmec-industry", code.upper()
    return "ncmec", code


def batch(places: list[str], rows: list[tuple[Any, ...]]) -> EntryBatch:
    """Plain entries (``plain_entry``) at ``places`` as one EntryBatch."""
    columns: dict[str, Sequence[Any]] = dict(zip(COLUMNS, zip(*rows, strict=True), strict=True))
    return EntryBatch(places, columns)
