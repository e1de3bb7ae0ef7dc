"""Plain NCMEC entries read a chunk at a time, column by column, from libxml2's own
serialization of the entries it has already parsed.

The file is parsed by lxml (hardened as ``amparo.formats.xml`` says); ``ncmec`` hands this
module the first ``count`` children of a section and the section serialized by
``etree.tostring``. That serialization is libxml2's, not the file's bytes: attributes in
double quotes, every ``<``, ``>`` and ``&`` in text and attribute values (and ``"``, tab,
newline and carriage return in attribute values) written as a character reference, comments
and processing instructions gone (the parser removes them), elements in another namespace
than their parent's default carrying a prefix or an ``xmlns`` attribute. ``_ENTRY`` matches
one rigid shape only: an unprefixed ``image``/``deletedImage``/``video``/``deletedVideo``
without attributes whose children are, in this order and each at most once, ``member``
(no attribute or just ``id``), ``timestamp``, ``id`` (required), ``classification`` and
``fingerprints`` (no attribute; children ``md5``, ``sha1``, ``pdq``, ``pdna`` in this order,
each at most once), every one of them a leaf without attributes (but ``member``'s ``id``)
whose text holds no character reference. Such a value is its text exactly, and the entry is
one ``ncmec_batch.plain_entry`` reads: the same columns, ``details`` the same (written as
``details_json``). Text between elements (tails) is allowed, as ``plain_entry`` ignores it.

``plain_batch`` gives an EntryBatch only when the ``count`` children are all entries of that
shape, matched one after another from the section's first child, with plain values (an
``id``, hex hashes, as ``plain_entry`` checks them); otherwise None, and ``ncmec`` reads the
chunk element by element as before. ``tests/test_hashset_batches.py`` checks both ways on
generated documents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

from amparo.formats.hashsets import HEX_LENGTHS, EntryBatch
from amparo.formats.hashsets.ncmec_batch import INDUSTRY_CODES

_TEXT = r"[^<]*"  # text up to the next tag; a value holding "&" (a reference) is refused


def _leaf(name: str) -> str:
    """An optional leaf ``<name>text</name>`` or ``<name/>``; group ``name`` is its text (None
    when it is absent or empty)."""
    return rf"(?:<{name}>(?P<{name}>{_TEXT})</{name}>{_TEXT}|<{name}/>{_TEXT})?"


def _present(name: str, attributes: str = "") -> str:
    """An optional leaf whose presence counts: group ``name_e`` is "" when it is there."""
    return rf"(?:<{name}{attributes}(?:/>|>(?P<{name}>{_TEXT})</{name}>)(?P<{name}_e>){_TEXT})?"


_ENTRY = re.compile(
    rf"<(?P<tag>image|deletedImage|video|deletedVideo)>{_TEXT}"
    + _present("member", attributes=r'(?P<member_a> id="(?P<member_id>[^"]*)")?')
    + _present("timestamp")
    + rf"<id>(?P<id>{_TEXT})</id>{_TEXT}"
    + _leaf("classification")
    + rf"(?:<fingerprints>{_TEXT}{_leaf('md5')}{_leaf('sha1')}{_leaf('pdq')}{_leaf('pdna')}"
    rf"</fingerprints>{_TEXT}|<fingerprints/>{_TEXT})?"
    r"</(?P=tag)>"
)
_VALUES = ("member_id", "member", "timestamp", "id", "classification", "md5", "sha1", "pdq",
           "pdna")  # fmt: skip
_GROUPS = {name: index for name, index in _ENTRY.groupindex.items()}
_STRIDE = _ENTRY.groups + 1
_KINDS = {
    "image": ("image", False),
    "deletedImage": ("image", True),
    "video": ("video", False),
    "deletedVideo": ("video", True),
}
_HEX_COLUMNS = {
    kind: re.compile(f"(?:[0-9a-fA-F]{{{n}}})?(?:\n(?:[0-9a-fA-F]{{{n}}})?)*")
    for kind, n in HEX_LENGTHS.items()
}
_HEX = {kind: re.compile(f"[0-9a-f]{{{n}}}").fullmatch for kind, n in HEX_LENGTHS.items()}
# details as json.dumps writes them: the member (none, a leaf, or with its id attribute),
# the timestamp where there is one, and the id, in the order the shape has them.
_MEMBER_JSON = {
    None: "",
    "leaf": '"member": {1}, ',
    "id": '"member": {{"@id": {0}, "#text": {1}}}, ',
}
_DETAILS = {
    (member, timestamp): "{{" + _MEMBER_JSON[member] + ('"timestamp": {2}, ' if timestamp else "")
    + '"id": {3}}}'
    for member in _MEMBER_JSON
    for timestamp in (False, True)
}  # fmt: skip


def plain_batch(serialized: str, count: int, places: list[str]) -> EntryBatch | None:
    """The first ``count`` children of the section serialized in ``serialized`` as one
    EntryBatch (entry ``i`` at ``places[i]``), or None when any of them is not plain."""
    parts = _ENTRY.split(serialized, maxsplit=count)
    if (len(parts) - 1) // _STRIDE < count or parts[0].count("<") != 1:
        return None  # the section's start tag, then the first child must match
    if "<" in "".join(parts[_STRIDE : count * _STRIDE : _STRIDE]):
        return None  # something other than text (an element not of the shape) between two
    groups = {name: parts[index : count * _STRIDE : _STRIDE] for name, index in _GROUPS.items()}
    if any("&" in "".join(filter(None, groups[name])) for name in _VALUES):
        return None  # a character reference stands for a character of the value
    columns = _columns(groups)
    if columns is None:
        return None
    return EntryBatch(places, columns)


def _columns(groups: dict[str, list[str | None]]) -> dict[str, Sequence[Any]] | None:
    ids = [value.strip() for value in groups["id"]]  # type: ignore[union-attr]
    if "" in ids:
        return None
    columns: dict[str, Sequence[Any]] = {}
    for kind in ("md5", "sha1", "pdq"):
        hashes = _hashes(kind, groups[kind])
        if hashes is None:
            return None
        columns[kind] = hashes
    member_ids = [(value or "").strip() for value in groups["member_id"]]
    columns["entry_id"] = [
        f"{member}-{entry}" if member else entry
        for member, entry in zip(member_ids, ids, strict=True)
    ]
    kinds = [_KINDS[tag] for tag in groups["tag"]]  # type: ignore[index]
    columns["kind"] = [kind for kind, _ in kinds]
    columns["deleted"] = [deleted for _, deleted in kinds]
    columns["photodna"] = [(value or "").strip() or None for value in groups["pdna"]]
    _categories(groups["classification"], columns)
    columns["details_json"] = _details(groups, ids)
    return columns


def _hashes(kind: str, values: list[str | None]) -> list[str | None] | None:
    """Lower-case hex hashes (None where blank), or None when one is not hex."""
    texts = ["" if value is None else value for value in values]
    joined = "\n".join(texts)
    plain = joined.isascii() and joined.count("\n") == len(texts) - 1
    if plain and _HEX_COLUMNS[kind].fullmatch(joined) is not None:
        return [text or None for text in joined.lower().split("\n")]
    found: list[str | None] = []
    for text in texts:  # spaces around a hash, or a value that is not one
        value = text.strip().lower()
        if value and _HEX[kind](value) is None:
            return None
        found.append(value or None)
    return found


def _categories(values: list[str | None], columns: dict[str, Sequence[Any]]) -> None:
    codes = [(value or "").strip() for value in values]
    known = {code: _category(code) for code in set(codes)}
    found = [known[code] for code in codes]
    columns["category_scheme"] = [scheme for scheme, _ in found]
    columns["category_code"] = [code for _, code in found]


def _category(code: str) -> tuple[str | None, str | None]:
    if not code:
        return None, None
    if code.upper() in INDUSTRY_CODES:
        return "ncmec-industry", code.upper()
    return "ncmec", code


def _details(groups: dict[str, list[str | None]], ids: list[str]) -> list[str]:
    """``json.dumps(details)`` of each entry, from a format string per shape."""
    members = [
        None if there is None else "leaf" if attribute is None else "id"
        for there, attribute in zip(groups["member_e"], groups["member_a"], strict=True)
    ]
    formats = [
        _DETAILS[member, timestamp is not None]
        for member, timestamp in zip(members, groups["timestamp_e"], strict=True)
    ]
    return list(
        map(
            str.format,
            formats,
            map(_json, groups["member_id"]),
            map(_json_stripped, groups["member"]),
            map(_json_stripped, groups["timestamp"]),
            map(encode_basestring_ascii, ids),
        )
    )


def _json(value: str | None) -> str:
    return encode_basestring_ascii(value or "")  # type: ignore[no-any-return]


def _json_stripped(value: str | None) -> str:
    return encode_basestring_ascii(value.strip() if value else "")  # type: ignore[no-any-return]
