"""Hash sets of known material: VICS JSON 1.x and 2.0, NCMEC hash-sharing v2 XML, and CSV.

Every reader streams: ``open_hash_set`` tells the format from the first bytes of a binary file
(``{`` or ``[`` → VICS, ``<`` → NCMEC, a first line that names a hash column → CSV) and returns
a :class:`HashSetStream` whose ``items`` yields, one at a time and in document order,
``(place, EntryRow)`` per entry or an ``InvalidInput`` naming the place of an entry that could
not be read. Only as much of the file as one entry needs is held in memory, so a bad entry costs
that entry and a file of any size is read in bounded memory. A file whose structure is broken
(not JSON, not well-formed XML, no CSV header) raises InputRejected instead: there is no entry
to blame.

``read_hash_set`` is the strict, whole-file form kept for small files and tests: it raises the
first bad entry, and InvalidInput for an id given twice where the format's ids must be unique.

The rules every reader applies live here: hashes are stripped and lower-cased, MD5 has 32 hex
digits, SHA-1 40, SHA-256 64 and PDQ 64 (a PDQ given as ``hash,quality``, the way the PDQ
reference hasher prints it, keeps its quality apart); PhotoDNA is kept as given. Whole files
over 2 GiB are refused as UnsafeInput by ``read_hash_set`` (the streaming import has no need
of that limit).

NUL characters (``\\x00``) are removed from every text field and from every text (keys
included) inside ``details`` (``nul_free_entry``: by ``read_hash_set`` for every entry, by the
importer for the rare row that holds one), since PostgreSQL refuses NUL in text and JSONB.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import json
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from json import encoder as json_encoder
from typing import Any, BinaryIO, overload

from amparo import values
from amparo.errors import InvalidInput, UnsafeInput
from amparo.model import Category, HashSetFile, KnownEntry

MAX_HASH_SET_BYTES = 2 * 1024**3
HEX_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "pdq": 64}
HASH_FIELDS = (*HEX_LENGTHS, "photodna", "vpdq")
HEX_PATTERNS = {kind: re.compile(f"[0-9a-f]{{{length}}}") for kind, length in HEX_LENGTHS.items()}
_HEX_MATCH = {kind: pattern.fullmatch for kind, pattern in HEX_PATTERNS.items()}
_FLAG_WORDS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16's, which begins it
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HEAD_BYTES = 64 * 1024


# One entry as the readers yield it: the values of KnownEntry's fields, in their order, so that
# ``KnownEntry(*row)`` is the entry. Plain tuples keep the import of millions of entries cheap.
EntryRow = tuple[Any, ...]
ENTRY_FIELDS = tuple(field.name for field in dataclasses.fields(KnownEntry))
ROW_INDEX = {name: position for position, name in enumerate(ENTRY_FIELDS)}


def _json_writer() -> Callable[[Any], str]:
    """``json.dumps`` with its default settings, less its per-call setup: the same C encoder
    (without the check for circular data, which parsed JSON cannot hold)."""
    make_encoder = getattr(json_encoder, "c_make_encoder", None)  # CPython's, if built
    if make_encoder is None:  # no C accelerator: json.dumps itself
        return json.dumps
    default = json.JSONEncoder()
    encode = make_encoder(
        None, default.default, json_encoder.encode_basestring_ascii, None,
        default.key_separator, default.item_separator, False, False, True,
    )  # fmt: skip
    return lambda value: "".join(encode(value, 0))


to_json = _json_writer()


class LinePlaces(Sequence[str]):
    """Places ``line N``, held as their numbers: an EntryBatch of a million entries keeps and
    sends a few megabytes of numbers instead of a million strings."""

    __slots__ = ("lines",)

    def __init__(self, lines: Iterable[int]) -> None:
        self.lines: range | array[int] = lines if isinstance(lines, range | array) else (
            array("q", lines)
        )  # fmt: skip

    @classmethod
    def joined(cls, parts: Iterable[LinePlaces]) -> LinePlaces:
        """The places of ``parts`` one after the other (ranges that continue one another stay
        a range)."""
        joined: range | array[int] = range(0)
        for part in parts:
            lines = part.lines
            if not joined:
                joined = lines
            elif _continues(joined, lines):
                joined = range(joined.start, lines.stop, lines.step)  # type: ignore[union-attr]
            else:
                joined = array("q", joined)
                joined.extend(lines)
        return cls(joined)

    def __len__(self) -> int:
        return len(self.lines)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> LinePlaces: ...
    def __getitem__(self, index: int | slice) -> str | LinePlaces:
        if isinstance(index, slice):
            return LinePlaces(self.lines[index])
        return f"line {self.lines[index]}"

    def __iter__(self) -> Iterator[str]:
        return (f"line {line}" for line in self.lines)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LinePlaces):
            return list(self.lines) == list(other.lines)
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return LinePlaces, (self.lines,)

    def __repr__(self) -> str:
        return f"LinePlaces({list(self.lines)!r})"


def _continues(first: range | array[int], second: range | array[int]) -> bool:
    return (
        isinstance(first, range)
        and isinstance(second, range)
        and first.step == second.step
        and len(first) > 0
        and first[-1] + first.step == second.start
    )


@dataclasses.dataclass(frozen=True)
class EntryBatch:
    """Consecutive good entries as columns, which a reader can check and build at C speed:
    entry ``i`` stands at ``places[i]`` and its field ``name`` is ``columns[name][i]`` (a field
    left out is None for every entry). The fields are KnownEntry's, with ``category`` given as
    ``category_scheme`` and ``category_code``, and ``details`` None where it is empty. A reader
    that can write ``details`` as JSON text at C speed gives the column ``details_json`` instead:
    exactly ``json.dumps(details)`` with its default settings, ``"{}"`` where empty. Text may
    hold NUL: it is removed as for entries given one at a time."""

    places: Sequence[str]
    columns: Mapping[str, Sequence[Any]]

    def rows(self) -> Iterator[tuple[str, EntryRow]]:
        """The entries one at a time, as the readers yield them otherwise."""
        count = len(self.places)
        blank = (None,) * count
        fields = [self.columns.get(name, blank) for name in _BATCH_FIELDS]
        encoded = self.columns.get("details_json")
        if encoded is not None:
            fields[-1] = [json.loads(text) for text in encoded]
        for place, found in zip(self.places, zip(*fields, strict=True), strict=True):
            scheme, code = found[8:10]
            category = None if scheme is None else Category(scheme, code)
            yield place, (*found[:8], category, *found[10:14], bool(found[14]),
                          found[15] or {})  # fmt: skip


_BATCH_FIELDS = (*ENTRY_FIELDS[:8], "category_scheme", "category_code", *ENTRY_FIELDS[9:])


@dataclasses.dataclass
class HashSetStream:
    """A hash-set file being read: its format, its version label (known once reading starts)
    and its entries, each ``(place, EntryRow)``, an EntryBatch of good entries, or the
    InvalidInput that one entry raised.

    ``unique_id`` names the id that must not repeat within a file (``id``, ``MediaID``), or is
    None where a file may give an id again (an NCMEC delta: the last one counts).
    """

    format: str
    version: str | None
    unique_id: str | None
    items: Iterator[tuple[str, EntryRow] | EntryBatch | InvalidInput]


def open_hash_set(file: BinaryIO, *, path: str) -> HashSetStream:
    """A stream of the entries of a seekable binary ``file`` in any supported format."""
    # The readers import the shared rules below from this package, so they load only here.
    from amparo.formats.hashsets import csv_set, ncmec, vics

    readers = {
        "vics": vics.stream_vics,
        "ncmec-hashsharing": ncmec.stream_ncmec,
        "csv": csv_set.stream_csv_set,
    }
    head = file.read(_HEAD_BYTES)
    file.seek(0)
    return readers[detect_format(head, path=path)](file, path=path)


def read_hash_set(data: bytes, *, path: str) -> HashSetFile:
    """The entries of a hash-set file in any supported format; InputRejected says why not."""
    check_size(data, path=path)
    return strict_read(open_hash_set(io.BytesIO(data), path=path), path=path)


def strict_read(stream: HashSetStream, *, path: str) -> HashSetFile:
    """Every entry of ``stream``, or the first bad entry raised (a repeated unique id too)."""
    located = (_strict_entry(item) for item in one_at_a_time(stream.items))
    if stream.unique_id is None:
        entries = tuple(nul_free_entry(entry) for _, entry in located)
    else:
        entries = unique_entries(located, what=stream.unique_id, path=path)
    return HashSetFile(stream.format, stream.version, entries)


def one_at_a_time(
    items: Iterable[tuple[str, EntryRow] | EntryBatch | InvalidInput],
) -> Iterator[tuple[str, EntryRow] | InvalidInput]:
    """A stream's items with every EntryBatch taken apart into its entries."""
    for item in items:
        if isinstance(item, EntryBatch):
            yield from item.rows()
        else:
            yield item


def _strict_entry(item: tuple[str, EntryRow] | InvalidInput) -> tuple[str, KnownEntry]:
    if isinstance(item, InvalidInput):
        raise item
    place, row = item
    return place, KnownEntry(*row)


def detect_format(data: bytes, *, path: str) -> str:
    """``vics``, ``ncmec-hashsharing`` or ``csv``, judged from the first bytes alone (64 KiB
    are enough)."""
    head = _head_text(data).lstrip()
    # JSON in UTF-16 or UTF-32 without a byte-order mark reads here as its ASCII characters
    # between NULs; the VICS reader finds its encoding from them (RFC 8259).
    if head.replace("\x00", "").lstrip().startswith(("{", "[")):
        return "vics"
    if head.startswith("<"):
        return "ncmec-hashsharing"
    first_line = head.partition("\n")[0]
    if set(csv_header_names(next(csv.reader([first_line]), []))) & set(HASH_FIELDS):
        return "csv"
    raise InvalidInput(
        "not a hash set: neither JSON (VICS), XML (NCMEC hash sharing) nor CSV whose header "
        f"names a hash column ({', '.join(HASH_FIELDS)}); it starts {first_line[:80]!r}",
        path=path,
        place="line 1",
    )


def csv_header_names(cells: Iterable[str]) -> list[str]:
    """Header cells as column names: spaces around them and letter case do not count."""
    return [cell.strip().lower() for cell in cells]


def check_size(data: bytes, *, path: str) -> None:
    if len(data) > MAX_HASH_SET_BYTES:
        raise UnsafeInput(f"hash set larger than the {MAX_HASH_SET_BYTES:,}-byte limit", path=path)


def clean_text(value: object) -> str | None:
    """A value as stripped text, or None when it is missing or blank."""
    text = "" if value is None else str(value).strip()
    return text or None


def is_hex_hash(kind: str, text: str) -> bool:
    """Whether ``text`` is a lower-case ``kind`` hash (md5, sha1, sha256, pdq)."""
    return HEX_PATTERNS[kind].fullmatch(text) is not None


def hex_hash(kind: str, value: object, *, path: str, place: str) -> str | None:
    """``value`` as a lower-case ``kind`` hash, None when blank, else InvalidInput."""
    text = clean_text(value)
    if text is None:
        return None
    if not is_hex_hash(kind, text.lower()):
        raise InvalidInput(
            f"{kind} must be {HEX_LENGTHS[kind]} hex digits, found {text!r}", path=path, place=place
        )
    return text.lower()


def pdq_hash(value: object, *, path: str, place: str) -> tuple[str | None, int | None]:
    """A PDQ hash and the quality that came with it as ``hash,quality``, if any."""
    digits, comma, quality = (clean_text(value) or "").partition(",")
    if comma and not quality.strip().isdigit():
        raise InvalidInput(
            f"PDQ quality must be a number, found {quality!r}", path=path, place=place
        )
    checked = values.pdq_quality(quality, path=path, place=place) if comma else None
    return hex_hash("pdq", digits, path=path, place=place), checked


def vpdq_features(value: object, *, path: str, place: str) -> tuple[str, ...] | None:
    """A vPDQ hash as ThreatExchange exchanges it: a JSON list of ``"pdq_hex,quality,seconds"``
    frame features, checked and kept in that compact form; None when blank."""
    text = clean_text(value)
    if text is None:
        return None
    try:
        features = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"vPDQ is not a JSON list: {error.msg}", path=path, place=place
        ) from error
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise InvalidInput("vPDQ must be a JSON list of text features", path=path, place=place)
    return tuple(_vpdq_feature(feature, path=path, place=place) for feature in features) or None


def _vpdq_feature(feature: str, *, path: str, place: str) -> str:
    parts = [part.strip() for part in feature.split(",")]
    try:
        digits, quality, seconds = parts
        checked = hex_hash("pdq", digits, path=path, place=place)
        frame_quality = values.pdq_quality(quality, path=path, place=place)
        return f"{checked},{frame_quality},{values.seconds_into(seconds, path=path, place=place):g}"
    except ValueError as error:
        reason = f"vPDQ feature {feature!r} is not 'pdq_hex,quality,seconds'"
        raise InvalidInput(reason, path=path, place=place) from error


def entry_hashes(
    found: Mapping[str, tuple[object, str]], *, path: str
) -> tuple[dict[str, Any], int | None]:
    """Checked hashes by KnownEntry field, from ``{field: (value, place)}``; and the PDQ quality.

    Blank values are left out, so the result can be passed straight to ``KnownEntry(**...)``.
    """
    hashes: dict[str, Any] = {}
    quality = None
    for field, (value, place) in found.items():
        if field in _HEX_MATCH and isinstance(value, str):  # the common case, checked at once
            lowered = value.strip().lower()
            if _HEX_MATCH[field](lowered) is not None:
                hashes[field] = lowered
                continue
        if field == "pdq":
            hashes["pdq"], quality = pdq_hash(value, path=path, place=place)
        elif field == "vpdq":
            hashes["vpdq"] = vpdq_features(value, path=path, place=place)
        elif field == "photodna":
            hashes["photodna"] = clean_text(value)
        else:
            hashes[field] = hex_hash(field, value, path=path, place=place)
    return {field: text for field, text in hashes.items() if text is not None}, quality


def flag(value: object, *, name: str, path: str, place: str) -> bool | None:
    """A yes/no flag given as a boolean or as true/false, yes/no, 1/0 text; None when blank."""
    if isinstance(value, bool):
        return value
    text = clean_text(value)
    if text is None:
        return None
    if text.lower() not in _FLAG_WORDS:
        raise InvalidInput(f"{name} must be true or false, found {text!r}", path=path, place=place)
    return _FLAG_WORDS[text.lower()]


def unique_entries(
    located: Iterable[tuple[str, KnownEntry]], *, what: str, path: str
) -> tuple[KnownEntry, ...]:
    """The entries, in order and NUL-free, or InvalidInput at the first id given twice."""
    first_place: dict[str, str] = {}
    entries = []
    for place, found in located:
        entry = nul_free_entry(found)
        if entry.entry_id in first_place:
            raise InvalidInput(
                f"{what} {entry.entry_id!r} given twice (first at {first_place[entry.entry_id]})",
                path=path,
                place=place,
            )
        first_place[entry.entry_id] = place
        entries.append(entry)
    return tuple(entries)


def nul_free_entry(entry: KnownEntry) -> KnownEntry:
    """``entry`` without NUL characters in any text field, category or ``details`` value."""
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(entry):
        value = getattr(entry, field.name)
        if isinstance(value, str) and "\x00" in value:
            changes[field.name] = value.replace("\x00", "")
    category = entry.category
    if category is not None and "\x00" in category.scheme + category.code:
        changes["category"] = Category(
            category.scheme.replace("\x00", ""), category.code.replace("\x00", "")
        )
    details = without_nul(entry.details)
    if details != entry.details:
        changes["details"] = details
    return dataclasses.replace(entry, **changes) if changes else entry


def without_nul(value: Any) -> Any:
    """JSON-ready data with NUL removed from every string, mapping keys included.

    A key that only differs from another by its NULs keeps them as U+FFFD instead, so that no
    value is overwritten.
    """
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    if isinstance(value, tuple):
        return tuple(without_nul(item) for item in value)
    if isinstance(value, dict):
        cleaned: dict[Any, Any] = {}
        for key, item in value.items():
            new_key = key.replace("\x00", "") if isinstance(key, str) else key
            if new_key in cleaned and new_key != key:
                new_key = key.replace("\x00", "\ufffd")
            cleaned[new_key] = without_nul(item)
        return cleaned
    return value


def _head_text(data: bytes) -> str:
    """The first bytes as text, for format detection only (undecodable bytes dropped)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) : _HEAD_BYTES].decode(encoding, errors="ignore")
    return data[:_HEAD_BYTES].decode("utf-8", errors="ignore")
