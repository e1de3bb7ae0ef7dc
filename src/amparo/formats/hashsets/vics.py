"""Project VIC VICS JSON (OData): data model 1.x (``odata.metadata``) and 2.0 (``@odata.context``).

Reading. ``value[]`` holds cases, each with ``Media[]`` (``...$metadata#Cases``), or, as Project
VIC and CAID distribute their sets, the media themselves (``...#Media``); both are read. For each
media:

- ``entry_id`` is ``MediaID``. Exporters number media per case, so when a document holds more
  than one case the id becomes ``CaseID/MediaID`` (``case-N/MediaID`` when the case at position
  N has no CaseID); a case found among the media of a ``#Media`` document always gives its
  media that prefix (the document is streamed, so whether another case follows is not known).
  A media without MediaID is a bad entry; ``read_hash_set`` also refuses an id given twice.
- Hashes: ``MD5``, ``SHA1``, ``PhotoDNA`` (kept as given) and, where a media has them,
  ``SHA256`` and ``PDQ``; 2.0 also lists hashes as ``AlternativeHashes[]`` items
  ``{"HashName", "HashValue"}``, from which SHA1, SHA256 (or SHA-256), PDQ and PhotoDNA are taken
  when the media has no such top-level field. Media with no hash at all are still returned, every
  hash None, for the importer to report.
- ``Category`` (number or text): a number is kept under the scheme the context URL names after
  ``DataModels/2.0.xml/``: ``US`` and ``Default`` (Project VIC's own sets) → ``vics-us``, ``UK`` →
  ``vics-uk`` (UK exports write numbers too, and their mapping to CAID letters is not published,
  so it is not guessed), any other segment ``X`` → ``vics-x``; 1.x URLs name no scheme →
  ``vics-us``. A letter A, B or C (also "Cat A", "Category A") → ``caid-uk``.
- ``VictimIdentified``, ``OffenderIdentified``, ``IsDistributed``: booleans or "true"/"false"
  (any case; yes/no and 1/0 too), None when missing or empty.
- ``kind`` is the major type of ``MimeType`` when it is image or video.
- Everything else (``MediaFiles``, ``MimeType``, ``Tags``, ``Comments``, ``IsPrecategorized``,
  ``AlternativeHashes``, OData links, ...) stays in ``details`` under its VICS name, with
  ``MediaSize`` as an integer, the enclosing case's ``CaseID`` and ``pdq_quality`` if given.

Reading streams (see ``vics_stream``): one run of at most 128 media at a time is in memory, a
run of plain media is checked and built at once (``vics_batch``), and a bad media (a malformed
hash, flag or category, no MediaID) is an InvalidInput naming its place that costs that media
only.

Writing. ``write_vics`` produces a 2.0 document with one case (``US`` scheme, ``#Cases``); SHA256
and PDQ go into ``AlternativeHashes`` with HashName ``SHA256`` and ``PDQ``.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from amparo import values
from amparo.errors import ExportError, InvalidInput
from amparo.formats.hashsets import (
    EntryBatch,
    EntryRow,
    HashSetStream,
    check_size,
    clean_text,
    entry_hashes,
    flag,
    is_hex_hash,
    strict_read,
)
from amparo.formats.hashsets.vics_batch import plain_media
from amparo.formats.hashsets.vics_stream import (
    Located,
    MediaRun,
    Outline,
    media_of_cases,
    media_of_list,
    outline,
    utf8_file,
)
from amparo.model import Category, HashSetFile

FORMAT = "vics"
CONTEXT_2_0 = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Cases"
_MODEL_URL = re.compile(r"DataModels/(\d+(?:\.\d+)*)\.xml(?:/([^/$#]+))?")
_SCHEME_ALIASES = {"us": "vics-us", "default": "vics-us", "uk": "vics-uk"}
_CAID_LETTER = re.compile(r"(?:cat(?:egory)?[\s_-]*)?([abc])", re.IGNORECASE)
_TOP_LEVEL_HASHES = {
    "md5": "MD5",
    "sha1": "SHA1",
    "sha256": "SHA256",
    "pdq": "PDQ",
    "photodna": "PhotoDNA",
}
_ALTERNATIVE_HASHES = {
    "sha1": "sha1",
    "sha256": "sha256",
    "sha-256": "sha256",
    "pdq": "pdq",
    "photodna": "photodna",
}
_FLAGS = {
    "victim_identified": "VictimIdentified",
    "offender_identified": "OffenderIdentified",
    "is_distributed": "IsDistributed",
}
_MODELLED = {
    *_TOP_LEVEL_HASHES.values(),
    *_FLAGS.values(),
    "MediaID",
    "Category",
    "Series",
    "MediaSize",
}
_CASE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:amparo:vics-case")


def read_vics(data: bytes, *, path: str) -> HashSetFile:
    """The media of a VICS 1.x or 2.0 document as known entries (see the module docstring)."""
    check_size(data, path=path)
    return strict_read(stream_vics(io.BytesIO(data), path=path), path=path)


def stream_vics(file: BinaryIO, *, path: str) -> HashSetStream:
    """The media of a VICS document, read one at a time (see ``vics_stream``)."""
    file = utf8_file(file)
    found = outline(file, path=path)
    version, scheme = _data_model(found, path=path)
    if not found.has_value:
        raise InvalidInput("expected a JSON array", path=path, place="value")
    if found.cases:
        runs = media_of_cases(file, found, path=path)
        prefix_case = (
            sum(1 for index in range(len(found.case_ids)) if index not in found.media_items) > 1
        )
    else:
        runs, prefix_case = media_of_list(file, found, path=path), None
    return HashSetStream(FORMAT, version, "MediaID", _entries(runs, scheme, prefix_case, path=path))


def _entries(
    runs: Iterator[MediaRun | InvalidInput], scheme: str, prefix_case: bool | None, *, path: str
) -> Iterator[tuple[str, EntryRow] | EntryBatch | InvalidInput]:
    """Runs of plain media as batches (``vics_batch``), the others media by media."""
    for run in runs:
        if isinstance(run, InvalidInput):
            yield run
            continue
        batch = plain_media(run, scheme, prefix_case)
        if batch is not None:
            yield batch
            continue
        for place, media in zip(run.places, run.media, strict=True):
            try:
                item = Located(place, run.case_index, run.case_id, media)
                yield place, _entry(item, scheme, prefix_case, path=path)
            except InvalidInput as error:
                yield error


def _data_model(found: Outline, *, path: str) -> tuple[str, str]:
    """The data-model version and the category scheme its URL names."""
    if found.context is None:
        raise InvalidInput(
            "JSON without 'odata.metadata' (VICS 1.x) or '@odata.context' (VICS 2.0): not VICS",
            path=path,
            place="top level",
        )
    default_version, url = found.context
    return _version_and_scheme(url, default_version=default_version)


def _version_and_scheme(url: object, *, default_version: str) -> tuple[str, str]:
    match = _MODEL_URL.search(str(url))
    if match is None:
        return default_version, "vics-us"
    segment = (match.group(2) or "us").lower()
    return match.group(1), _SCHEME_ALIASES.get(segment, f"vics-{segment}")


def _array(value: object, *, path: str, place: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidInput("expected a JSON array", path=path, place=place)
    return value


def _require_object(value: object, *, path: str, place: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput("expected a JSON object", path=path, place=place)
    return value


def _entry(item: Located, scheme: str, prefix_case: bool | None, *, path: str) -> EntryRow:
    media = _require_object(item.media, path=path, place=item.place)
    place = item.place
    hashes, quality = entry_hashes(_found_hashes(media, place, path=path), path=path)
    return (
        _entry_id(item, prefix_case, path=path),
        _kind(media.get("MimeType")),
        hashes.get("md5"),
        hashes.get("sha1"),
        hashes.get("sha256"),
        hashes.get("pdq"),
        hashes.get("photodna"),
        None,
        _category(media.get("Category"), scheme, path=path, place=f"{place}.Category"),
        clean_text(media.get("Series")),
        *(_flag(media, key, path=path, place=place) for key in _FLAGS.values()),
        False,
        _details(item, quality, path=path),
    )


def _flag(media: dict[str, Any], key: str, *, path: str, place: str) -> bool | None:
    value = media.get(key)
    if value is None or isinstance(value, bool):  # the common cases, at once
        return value
    return flag(value, name=key, path=path, place=f"{place}.{key}")


def _entry_id(item: Located, prefix_case: bool | None, *, path: str) -> str:
    media_id = clean_text(item.media.get("MediaID"))
    if media_id is None:
        raise InvalidInput("media without a MediaID", path=path, place=item.place)
    if item.case_index is None or prefix_case is False:
        return media_id
    case = item.case_id or f"case-{item.case_index}"
    return f"{case}/{media_id}"


def _found_hashes(media: dict[str, Any], place: str, *, path: str) -> dict[str, tuple[Any, str]]:
    """``{field: (value, place)}``; a top-level field wins over an alternative hash."""
    found = _alternative_hashes(media, place, path=path) if "AlternativeHashes" in media else {}
    for field, key in _TOP_LEVEL_HASHES.items():
        if key in media and clean_text(media[key]) is not None:
            found[field] = (media[key], f"{place}.{key}")
    return found


def _alternative_hashes(
    media: dict[str, Any], place: str, *, path: str
) -> dict[str, tuple[Any, str]]:
    found: dict[str, tuple[Any, str]] = {}
    listed = _array(media["AlternativeHashes"], path=path, place=f"{place}.AlternativeHashes")
    for index, alternative in enumerate(listed):
        if not isinstance(alternative, dict):
            _require_object(alternative, path=path, place=f"{place}.AlternativeHashes[{index}]")
        name = alternative.get("HashName")
        name = name.strip() if isinstance(name, str) else clean_text(name) or ""
        field = _ALTERNATIVE_HASHES.get(name.lower())
        if field is not None and clean_text(alternative.get("HashValue")) is not None:
            where = f"{place}.AlternativeHashes[{index}].HashValue"
            found[field] = (alternative["HashValue"], where)
    return found


def _kind(mime_type: object) -> str | None:
    major = (clean_text(mime_type) or "").partition("/")[0].lower()
    return major if major in {"image", "video"} else None


def _category(value: object, scheme: str, *, path: str, place: str) -> Category | None:
    if type(value) is int and 0 <= value <= values.INT64_MAX:  # a VICS number, the usual way
        return Category(scheme, str(value))
    text = clean_text(value)
    if text is None:
        return None
    if text.isascii() and text.isdigit():
        code = values.whole_number(
            text, 0, values.INT64_MAX, what="Category", path=path, place=place
        )
        return Category(scheme, str(code))
    letter = _CAID_LETTER.fullmatch(text)
    if letter is None:
        raise InvalidInput(
            f"Category {text!r} is neither a VICS number nor a CAID letter A, B or C",
            path=path,
            place=place,
        )
    return Category("caid-uk", letter.group(1).upper())


def _details(item: Located, pdq_quality: int | None, *, path: str) -> dict[str, Any]:
    details = {key: value for key, value in item.media.items() if key not in _MODELLED}
    size = item.media.get("MediaSize")
    if type(size) is int and 0 <= size <= values.INT64_MAX:  # the usual way, at once
        details["MediaSize"] = size
    elif (size := clean_text(size)) is not None:
        details["MediaSize"] = _media_size(size, path=path, place=f"{item.place}.MediaSize")
    if item.case_id is not None:
        details["CaseID"] = item.case_id
    if pdq_quality is not None:
        details["pdq_quality"] = pdq_quality
    return details


def _media_size(text: str, *, path: str, place: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise InvalidInput(
            f"MediaSize must be a whole number, found {text!r}", path=path, place=place
        )
    return values.whole_number(text, 0, values.INT64_MAX, what="MediaSize", path=path, place=place)


@dataclass(frozen=True)
class VicsMedia:
    """One media to export: hashes are hex (any case), ``files`` are (file name, path) pairs."""

    media_id: str
    md5: str
    sha1: str | None
    sha256: str | None = None
    pdq: str | None = None
    category: Category | None = None
    series: str | None = None
    is_distributed: bool | None = None
    victim_identified: bool | None = None
    offender_identified: bool | None = None
    size: int | None = None
    files: tuple[tuple[str, str], ...] = ()


def write_vics(media: Iterable[VicsMedia], *, case_name: str) -> bytes:
    """A VICS 2.0 document holding ``media``, in the given order, as one case named ``case_name``.

    The output is deterministic: keys sorted, and CaseID derived from the case name (a UUID 5),
    so the same input always gives the same bytes. MediaIDs made of digits are written as
    numbers, as VICS tools expect; ExportError if a media cannot be written faithfully.
    """
    objects = [_media_object(item) for item in _unique(media)]
    case = {
        "CaseID": str(uuid.uuid5(_CASE_NAMESPACE, case_name)),
        "CaseNumber": case_name,
        "SourceApplicationName": "Amparo",
        "Media": objects,
    }
    document = {"@odata.context": CONTEXT_2_0, "value": [case]}
    return (json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def _unique(media: Iterable[VicsMedia]) -> list[VicsMedia]:
    items = list(media)
    counts = Counter(item.media_id for item in items)
    repeated = sorted(media_id for media_id, count in counts.items() if count > 1)
    if repeated:
        raise ExportError(f"VICS export: MediaID given more than once: {', '.join(repeated)}")
    return items


def _media_object(item: VicsMedia) -> dict[str, Any]:
    md5 = _export_hash("md5", item.md5, item)
    fields = {
        "MediaID": _export_media_id(item.media_id),
        "MD5": md5,
        "SHA1": _export_hash("sha1", item.sha1, item),
        "AlternativeHashes": _export_alternatives(item, md5) or None,
        "Category": _export_category(item),
        "Series": item.series,
        "IsDistributed": item.is_distributed,
        "VictimIdentified": item.victim_identified,
        "OffenderIdentified": item.offender_identified,
        "MediaSize": item.size,
        "MediaFiles": _export_files(item, md5) or None,
    }
    return {key: value for key, value in fields.items() if value is not None}


def _export_files(item: VicsMedia, md5: str | None) -> list[dict[str, str | None]]:
    return [{"FileName": name, "FilePath": where, "MD5": md5} for name, where in item.files]


def _export_media_id(media_id: str) -> int | str:
    if not media_id.strip():
        raise ExportError("VICS export: a media has an empty media_id")
    return int(media_id) if re.fullmatch(r"0|[1-9][0-9]*", media_id) else media_id


def _export_hash(kind: str, value: str | None, item: VicsMedia) -> str | None:
    if value is None:
        return None
    text = value.strip().lower()
    if not is_hex_hash(kind, text):
        raise ExportError(f"VICS export: media {item.media_id} has an invalid {kind} {value!r}")
    return text


def _export_alternatives(item: VicsMedia, md5: str | None) -> list[dict[str, str | None]]:
    named = (
        ("SHA256", _export_hash("sha256", item.sha256, item)),
        ("PDQ", _export_hash("pdq", item.pdq, item)),
    )
    return [{"HashName": name, "HashValue": value, "MD5": md5} for name, value in named if value]


def _export_category(item: VicsMedia) -> int | None:
    category = item.category
    if category is None:
        return None
    if category.scheme != "vics-us" or not (category.code.isascii() and category.code.isdigit()):
        raise ExportError(
            f"VICS export writes US categories only; media {item.media_id} has "
            f"{category.scheme}:{category.code}"
        )
    return int(category.code)
