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

``SERIALIZED.entry`` matches one rigid shape only: an unprefixed ``image``/``deletedImage``/
``video``/``deletedVideo`` without attributes whose children are, in this order and each at
most once, ``member`` (no attribute, or ``id`` alone), ``timestamp``, ``id`` (required),
``classification`` and ``fingerprints`` (children ``md5``, ``sha1``, ``pdq``, ``pdna`` in this
order, each at most once), every one a leaf without other attributes; text between them
(tails) is allowed, as ``ncmec_batch.plain_entry`` ignores it. Such an entry is one
``plain_entry`` reads, and gives the same columns, ``details`` written as ``details_json``.
Most chunks hold entries of one shape (which children there are, empty or not): the first
entry's shape gives a pattern without optional parts, cheaper to match, and a chunk of several
shapes is matched with ``SERIALIZED.entry``.

``plain_batch`` gives an EntryBatch only when the ``count`` children all match, one after the
other from the section's first, with plain values (an ``id``, hex hashes, no ``&``);
otherwise None, and ``ncmec`` reads the chunk element by element as before.
``tests/test_hashset_batches.py`` checks both ways on generated documents.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from json.encoder import encode_basestring_ascii
from typing import Any

from amparo.formats.hashsets import HEX_LENGTHS, EntryBatch
from amparo.formats.hashsets.ncmec_batch import INDUSTRY_CODES

_HASHES = ("md5", "sha1", "pdq", "pdna")


@dataclasses.dataclass(frozen=True)
class Grammar:
    """How the entries' text is written: ``value`` a value's text, ``tail`` the text between
    elements, ``attribute`` the member id's text; ``whole`` wraps each entry and the tail
    after it in a group of that name. ``entry`` matches any plain entry, ``shapes`` holds the
    patterns of the shapes met (``shaped``)."""

    value: str
    tail: str
    attribute: str
    whole: bool
    entry: re.Pattern[str] = dataclasses.field(init=False)
    shapes: dict[tuple[str, ...], re.Pattern[str]] = dataclasses.field(
        init=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        value, tail = self.value, self.tail
        fingerprints = "".join(self.leaf(name) for name in _HASHES)
        pattern = (
            rf"<(?P<tag>image|deletedImage|video|deletedVideo)>{tail}"
            + self.present("member", rf'(?P<member_a> id="(?P<member_id>{self.attribute})")?')
            + self.present("timestamp")
            + rf"<id>(?P<id>{value})</id>{tail}"
            + self.leaf("classification")
            + rf"(?:<fingerprints>{tail}{fingerprints}</fingerprints>{tail}"
            rf"|<fingerprints/>{tail})?"
            r"</(?P=tag)>"
        )
        object.__setattr__(self, "entry", re.compile(self.wrapped(pattern)))

    def wrapped(self, pattern: str) -> str:
        return f"(?P<whole>{pattern}{self.tail})" if self.whole else pattern

    def leaf(self, name: str) -> str:
        """An optional leaf ``<name>text</name>`` or ``<name/>``; group ``name`` is its text
        (None when it is absent or empty)."""
        value, tail = self.value, self.tail
        return rf"(?:<{name}>(?P<{name}>{value})</{name}>{tail}|<{name}/>{tail})?"

    def present(self, name: str, attributes: str = "") -> str:
        """An optional leaf whose presence counts: group ``name_e`` is "" when it is there."""
        value, tail = self.value, self.tail
        return rf"(?:<{name}{attributes}(?:/>|>(?P<{name}>{value})</{name}>)(?P<{name}_e>){tail})?"

    def form(self, name: str, form: str) -> str:
        if form == "/":
            return f"<{name}/>{self.tail}"
        if not form:
            return ""
        return f"<{name}>(?P<{name}>{self.value})</{name}>{self.tail}"


# libxml2's serialization of a parsed section (``plain_batch``): text up to the next tag; a
# value holding "&" (a reference) is refused.
SERIALIZED = Grammar(value="[^<]*", tail="[^<]*", attribute='[^"]*', whole=False)
# The file's own text (``ncmec_raw``, which refuses a run holding "&", a CR or a character XML
# forbids): whitespace alone between elements; an attribute with a tab or a newline, which XML
# reads as a space, is not matched.
RAW = Grammar(value="[^<]*", tail="[ \t\n]*", attribute='[^"<\t\n]*', whole=True)
_VALUES = ("member_id", "member", "timestamp", "id", "classification", *_HASHES)
_KINDS = {
    "image": ("image", False),
    "deletedImage": ("image", True),
    "video": ("video", False),
    "deletedVideo": ("video", True),
}
_HEX = {kind: re.compile(f"[0-9a-f]{{{n}}}").fullmatch for kind, n in HEX_LENGTHS.items()}
_MAX_SHAPES = 256  # a file has few shapes; a hostile one cannot grow this


def plain_batch(serialized: str, count: int, places: list[str]) -> EntryBatch | None:
    """The first ``count`` children of the section serialized in ``serialized`` as one
    EntryBatch (entry ``i`` at ``places[i]``), or None when any of them is not plain."""
    first_child = serialized.find("<", 1)
    first = None if first_child < 0 else SERIALIZED.entry.match(serialized, first_child)
    if first is None:
        return None
    groups = _groups(shaped(SERIALIZED, first), serialized, count) or _groups(
        SERIALIZED.entry, serialized, count
    )
    if groups is None:
        return None
    if "&" in serialized and any("&" in "".join(groups[name]) for name in _VALUES):
        return None  # a character reference stands for a character of the value
    found = columns(groups, count)
    if found is None:
        return None
    return EntryBatch(places, found)


def _groups(pattern: re.Pattern[str], serialized: str, count: int) -> dict[str, list[Any]] | None:
    """Each group of ``pattern`` over the first ``count`` children, or None unless they all
    match, one after the other from the first (text alone between them)."""
    stride = pattern.groups + 1
    parts = pattern.split(serialized, maxsplit=count)
    if (len(parts) - 1) // stride < count or parts[0].count("<") != 1:
        return None  # the section's start tag, then the first child must match
    if "<" in "".join(parts[stride : count * stride : stride]):
        return None  # an element not of the shape between two that are
    return groups_of(pattern, parts, count, general=pattern is SERIALIZED.entry)


def groups_of(
    pattern: re.Pattern[str], parts: list[Any], count: int, *, general: bool
) -> dict[str, list[Any]]:
    """The groups of the first ``count`` matches in ``pattern.split``'s ``parts``. A value is
    "" where the entry has no such element or it is empty; ``member_e``, ``member_a`` and
    ``timestamp_e`` are None where the entry has no member, no member id, no timestamp.
    ``general``: ``pattern`` has optional parts, absent (None) in some entries."""
    stride = pattern.groups + 1
    groups: dict[str, list[Any]] = dict.fromkeys(_VALUES, [""] * count)
    groups |= dict.fromkeys(("member_e", "member_a", "timestamp_e"), [None] * count)
    for name, index in pattern.groupindex.items():
        found = parts[index : count * stride : stride]
        if general and name in _VALUES:
            found = ["" if value is None else value for value in found]
        groups[name] = found
    return groups


def shaped(grammar: Grammar, first: re.Match[str]) -> re.Pattern[str]:
    """The pattern of entries shaped as ``first`` is, without optional parts."""
    text = first.group(0)
    member = "" if first["member_e"] is None else "t" if first["member"] is not None else "/"
    if member and first["member_a"] is not None:
        member = "i" + member
    forms = {name: "/" if f"<{name}/>" in text else "t" if f"<{name}>" in text else ""
             for name in ("timestamp", "classification", "fingerprints", *_HASHES)}  # fmt: skip
    shape = (first["tag"], member, *forms.values())
    pattern = grammar.shapes.get(shape)
    if pattern is None:
        pattern = re.compile(grammar.wrapped(_shape_pattern(grammar, first["tag"], member, forms)))
        if len(grammar.shapes) < _MAX_SHAPES:
            grammar.shapes[shape] = pattern
    return pattern


def _shape_pattern(grammar: Grammar, tag: str, member: str, forms: dict[str, str]) -> str:
    value, tail, attribute = grammar.value, grammar.tail, grammar.attribute
    members = {
        "": "",
        "/": "<member/>",
        "t": f"<member>(?P<member>{value})</member>",
        "i/": f'<member id="(?P<member_id>{attribute})"/>',
        "it": f'<member id="(?P<member_id>{attribute})">(?P<member>{value})</member>',
    }
    pattern = f"<(?P<tag>{tag})>{tail}"
    if member:
        marker = "(?P<member_a>)" if member.startswith("i") else ""
        pattern += f"{members[member]}(?P<member_e>){marker}{tail}"
    pattern += grammar.form("timestamp", forms["timestamp"])
    if forms["timestamp"]:
        pattern += "(?P<timestamp_e>)"
    pattern += f"<id>(?P<id>{value})</id>{tail}" + grammar.form(
        "classification", forms["classification"]
    )
    if forms["fingerprints"] == "/":
        pattern += f"<fingerprints/>{tail}"
    elif forms["fingerprints"]:
        hashes = "".join(grammar.form(name, forms[name]) for name in _HASHES)
        pattern += f"<fingerprints>{tail}{hashes}</fingerprints>{tail}"
    return pattern + f"</{tag}>"


def columns(groups: dict[str, list[Any]], count: int) -> dict[str, Sequence[Any]] | None:
    """The columns of ``count`` entries from their groups (``groups_of``), or None when any
    of them is not plain (no id, a hash that is not hex)."""
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
            lowered = joined.lower()
            if lowered == joined and "" not in texts:  # as a program writes them
                return list(texts)
            return [text or None for text in lowered.split("\n")]
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
    texts, stamps = _stripped(groups["member"]), _stripped(groups["timestamp"])
    attributes = groups["member_id"]
    usual = None not in groups["member_a"] and None not in groups["timestamp_e"]
    if usual and all(map(_json_as_is, (texts, attributes, stamps, ids))):
        return [
            f'{{"member": {{"@id": "{identifier}", "#text": "{text}"}}, "timestamp": "{stamp}", '
            f'"id": "{entry}"}}'
            for identifier, text, stamp, entry in zip(attributes, texts, stamps, ids, strict=True)
        ]
    texts, attributes, stamps, entries = map(_encoded, (texts, attributes, stamps, ids))
    if usual:
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


def _json_as_is(values: list[str]) -> bool:
    """Whether each text is written in JSON as it is, between quotes (printable ASCII without
    a quote or a backslash)."""
    joined = "".join(values)
    return joined.isascii() and joined.isprintable() and '"' not in joined and "\\" not in joined


def _encoded(values: list[str]) -> list[str]:
    """Each text as a JSON string, as ``json.dumps`` writes it."""
    return list(map(encode_basestring_ascii, values))
