"""Plain NCMEC entries read a chunk at a time, column by column, from libxml2's own
serialization of the entries it has already parsed.

The file is parsed by lxml (hardened as ``amparo.formats.xml`` says); ``ncmec`` hands this
module the first ``count`` children of a section and the section serialized by
``etree.tostring``. That text is libxml2's, not the file's: attributes in double quotes, every
``<``, ``>`` and ``&`` in text and attribute values (and ``"``, tab, newline and carriage
return in attribute values) written as a character reference, comments and processing
instructions gone (the parser drops them), an element in another namespace than its parent's
default carrying a prefix or an ``xmlns`` attribute. So every ``<`` starts a tag, and a value
without ``&`` is its text exactly.

``_ENTRY`` matches one rigid shape only: an unprefixed ``image``/``deletedImage``/``video``/
``deletedVideo`` without attributes whose children are, in this order and each at most once,
``member`` (no attribute, or ``id`` alone), ``timestamp``, ``id`` (required),
``classification`` and ``fingerprints`` (children ``md5``, ``sha1``, ``pdq``, ``pdna`` in this
order, each at most once), every one a leaf without other attributes; text between them
(tails) is allowed, as ``ncmec_batch.plain_entry`` ignores it. Such an entry is one
``plain_entry`` reads, and gives the same columns, ``details`` written as ``details_json``.
Most chunks hold entries of one shape (which children there are, empty or not): the first
entry's shape gives a pattern without optional parts, cheaper to match, and a chunk of several
shapes is matched with ``_ENTRY``.

``plain_batch`` gives an EntryBatch only when the ``count`` children all match, one after the
other from the section's first, with plain values (an ``id``, hex hashes, no ``&``);
otherwise None, and ``ncmec`` reads the chunk element by element as before.
``tests/test_hashset_batches.py`` checks both ways on generated documents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from json.encoder import encode_basestring_ascii
from typing import Any

from amparo.formats.hashsets import HEX_LENGTHS, EntryBatch
from amparo.formats.hashsets.ncmec_batch import INDUSTRY_CODES

_TEXT = r"[^<]*"  # text up to the next tag; a value holding "&" (a reference) is refused
_HASHES = ("md5", "sha1", "pdq", "pdna")


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
    + rf"(?:<fingerprints>{_TEXT}{''.join(map(_leaf, _HASHES))}</fingerprints>{_TEXT}"
    rf"|<fingerprints/>{_TEXT})?"
    r"</(?P=tag)>"
)
_VALUES = ("member_id", "member", "timestamp", "id", "classification", *_HASHES)
_KINDS = {
    "image": ("image", False),
    "deletedImage": ("image", True),
    "video": ("video", False),
    "deletedVideo": ("video", True),
}
_HEX = {kind: re.compile(f"[0-9a-f]{{{n}}}").fullmatch for kind, n in HEX_LENGTHS.items()}
_SHAPES: dict[tuple[str, ...], re.Pattern[str]] = {}
_MAX_SHAPES = 256  # a file has few shapes; a hostile one cannot grow this


def plain_batch(serialized: str, count: int, places: list[str]) -> EntryBatch | None:
    """The first ``count`` children of the section serialized in ``serialized`` as one
    EntryBatch (entry ``i`` at ``places[i]``), or None when any of them is not plain."""
    first_child = serialized.find("<", 1)
    first = None if first_child < 0 else _ENTRY.match(serialized, first_child)
    if first is None:
        return None
    groups = _groups(_shaped(first), serialized, count) or _groups(_ENTRY, serialized, count)
    if groups is None:
        return None
    if "&" in serialized and any("&" in "".join(groups[name]) for name in _VALUES):
        return None  # a character reference stands for a character of the value
    columns = _columns(groups, count)
    if columns is None:
        return None
    return EntryBatch(places, columns)


def _groups(pattern: re.Pattern[str], serialized: str, count: int) -> dict[str, list[Any]] | None:
    """Each group of ``pattern`` over the first ``count`` children, or None unless they all
    match, one after the other from the first (text alone between them). A value is "" where
    the entry has no such element or it is empty; ``member_e``, ``member_a`` and
    ``timestamp_e`` are None where the entry has no member, no member id, no timestamp."""
    stride = pattern.groups + 1
    parts = pattern.split(serialized, maxsplit=count)
    if (len(parts) - 1) // stride < count or parts[0].count("<") != 1:
        return None  # the section's start tag, then the first child must match
    if "<" in "".join(parts[stride : count * stride : stride]):
        return None  # an element not of the shape between two that are
    groups: dict[str, list[Any]] = dict.fromkeys(_VALUES, [""] * count)
    groups |= dict.fromkeys(("member_e", "member_a", "timestamp_e"), [None] * count)
    for name, index in pattern.groupindex.items():
        found = parts[index : count * stride : stride]
        if pattern is _ENTRY and name in _VALUES:  # optional parts, absent in some entries
            found = ["" if value is None else value for value in found]
        groups[name] = found
    return groups


def _shaped(first: re.Match[str]) -> re.Pattern[str]:
    """The pattern of entries shaped as ``first`` is, without optional parts."""
    text = first.group(0)
    member = "" if first["member_e"] is None else "t" if first["member"] is not None else "/"
    if member and first["member_a"] is not None:
        member = "i" + member
    forms = {name: "/" if f"<{name}/>" in text else "t" if f"<{name}>" in text else ""
             for name in ("timestamp", "classification", "fingerprints", *_HASHES)}  # fmt: skip
    shape = (first["tag"], member, *forms.values())
    pattern = _SHAPES.get(shape)
    if pattern is None:
        pattern = re.compile(_shape_pattern(first["tag"], member, forms))
        if len(_SHAPES) < _MAX_SHAPES:
            _SHAPES[shape] = pattern
    return pattern


def _shape_pattern(tag: str, member: str, forms: dict[str, str]) -> str:
    members = {
        "": "",
        "/": "<member/>",
        "t": f"<member>(?P<member>{_TEXT})</member>",
        "i/": '<member id="(?P<member_id>[^"]*)"/>',
        "it": f'<member id="(?P<member_id>[^"]*)">(?P<member>{_TEXT})</member>',
    }
    pattern = f"<(?P<tag>{tag})>{_TEXT}"
    if member:
        attribute = "(?P<member_a>)" if member.startswith("i") else ""
        pattern += f"{members[member]}(?P<member_e>){attribute}{_TEXT}"
    pattern += _form("timestamp", forms["timestamp"])
    if forms["timestamp"]:
        pattern += "(?P<timestamp_e>)"
    pattern += f"<id>(?P<id>{_TEXT})</id>{_TEXT}" + _form("classification", forms["classification"])
    if forms["fingerprints"] == "/":
        pattern += f"<fingerprints/>{_TEXT}"
    elif forms["fingerprints"]:
        hashes = "".join(_form(name, forms[name]) for name in _HASHES)
        pattern += f"<fingerprints>{_TEXT}{hashes}</fingerprints>{_TEXT}"
    return pattern + f"</{tag}>"


def _form(name: str, form: str) -> str:
    if form == "/":
        return f"<{name}/>{_TEXT}"
    return f"<{name}>(?P<{name}>{_TEXT})</{name}>{_TEXT}" if form else ""


def _columns(groups: dict[str, list[Any]], count: int) -> dict[str, Sequence[Any]] | None:
    ids = _stripped(groups["id"])
    if "" in ids:
        return None
    columns: dict[str, Sequence[Any]] = {}
    for kind in ("md5", "sha1", "pdq"):
        hashes = _hashes(kind, groups[kind])
        if hashes is None:
            return None
        columns[kind] = hashes
    columns["entry_id"] = _entry_ids(_stripped(groups["member_id"]), ids)
    tags = groups["tag"]
    if len(set(tags)) == 1:
        kind, deleted = _KINDS[tags[0]]
        columns["kind"], columns["deleted"] = [kind] * count, [deleted] * count
    else:
        kinds = [_KINDS[tag] for tag in tags]
        columns["kind"] = [kind for kind, _ in kinds]
        columns["deleted"] = [deleted for _, deleted in kinds]
    columns["photodna"] = [text or None for text in _stripped(groups["pdna"])]
    _categories(_stripped(groups["classification"]), columns)
    columns["details_json"] = _details(groups, ids)
    return columns


def _stripped(values: list[str]) -> list[str]:
    """Values stripped as ``clean_text`` strips them."""
    return list(map(str.strip, values))


def _entry_ids(member_ids: list[str], ids: list[str]) -> list[str]:
    """``{member id}-{id}``, or the id alone where the member has no id."""
    members = set(member_ids)
    if len(members) == 1 and "" not in members:
        return list(map(f"{member_ids[0]}-".__add__, ids))
    return [
        f"{member}-{entry}" if member else entry
        for member, entry in zip(member_ids, ids, strict=True)
    ]


def _hashes(kind: str, texts: list[str]) -> list[str | None] | None:
    """Lower-case hex hashes (None where blank), or None when one is not hex."""
    if set(map(len, texts)) <= {0, HEX_LENGTHS[kind]}:
        joined = "\n".join(texts)
        if joined.isascii() and _all_hex(joined, len(texts)):
            return [text or None for text in joined.lower().split("\n")]
    found: list[str | None] = []
    for text in texts:  # spaces around a hash, or a value that is not one
        value = text.strip().lower()
        if value and _HEX[kind](value) is None:
            return None
        found.append(value or None)
    return found


def _all_hex(joined: str, count: int) -> bool:
    """Whether ``count`` values joined by newlines are hex digits alone (``bytes.fromhex``
    skips whitespace: every digit is read only if no other whitespace than the
    ``count - 1`` newlines stands among them)."""
    try:
        digits = 2 * len(bytes.fromhex(joined))
    except ValueError:
        return False
    return digits == len(joined) - (count - 1)


def _categories(codes: list[str], columns: dict[str, Sequence[Any]]) -> None:
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


def _details(groups: dict[str, list[Any]], ids: list[str]) -> list[str]:
    """``json.dumps(details)`` of each entry: the member (text, or its id attribute and text),
    the timestamp, the id, each where the entry has it, in that order."""
    texts = _encoded(_stripped(groups["member"]))
    attributes = _encoded(groups["member_id"])
    stamps = _encoded(_stripped(groups["timestamp"]))
    entries = _encoded(ids)
    if None not in groups["member_a"] and None not in groups["timestamp_e"]:  # the usual shape
        return [
            f'{{"member": {{"@id": {identifier}, "#text": {text}}}, "timestamp": {stamp}, '
            f'"id": {entry}}}'
            for identifier, text, stamp, entry in zip(attributes, texts, stamps, entries,
                                                      strict=True)
        ]  # fmt: skip
    members = [
        "" if there is None else f'"member": {text}, ' if attribute is None
        else f'"member": {{"@id": {identifier}, "#text": {text}}}, '
        for there, attribute, identifier, text in zip(
            groups["member_e"], groups["member_a"], attributes, texts, strict=True
        )
    ]  # fmt: skip
    stamped = [
        "" if there is None else f'"timestamp": {stamp}, '
        for there, stamp in zip(groups["timestamp_e"], stamps, strict=True)
    ]
    return [
        f'{{{member}{stamp}"id": {entry}}}'
        for member, stamp, entry in zip(members, stamped, entries, strict=True)
    ]


def _encoded(values: list[str]) -> list[str]:
    """Each text as a JSON string, as ``json.dumps`` writes it."""
    return list(map(encode_basestring_ascii, values))
