"""VICS media checked and built a batch at a time, field by field.

A batch of media that are all plain (objects whose MediaID is a whole number or text, hashes
lower- or upper-case hex text, ``Category`` a VICS number, flags booleans, ``MediaSize`` a
whole number, ``AlternativeHashes`` a list of ``{"HashName", "HashValue"}`` texts, no top-level
SHA256 or PDQ) becomes one EntryBatch, its fields gathered with one comprehension each and its
hash columns checked with one regular-expression match each. Any other batch is ``None``: the
caller reads it media by media (``vics._entry``), so that a bad media is reported with its place
exactly as before. Both ways give the same entries (``tests/test_hashset_batches.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from amparo import values
from amparo.formats.hashsets import HEX_LENGTHS, EntryBatch
from amparo.formats.hashsets.vics_stream import Located

_SEPARATOR = "\x1f"
_HEX = {
    kind: re.compile(f"(?:[0-9a-f]{{{n}}})?(?:{_SEPARATOR}(?:[0-9a-f]{{{n}}})?)*")
    for kind, n in HEX_LENGTHS.items()
}
_ALTERNATIVE_FIELDS = {"sha1": "sha1", "sha256": "sha256", "sha-256": "sha256", "pdq": "pdq",
                       "photodna": "photodna"}  # fmt: skip
_HASH_FIELDS = ("md5", "sha1", "sha256", "pdq", "photodna")
_SLOW_KEYS = {"SHA256", "PDQ"}  # top-level forms that are rare; read media by media
_FLAG_KEYS = {"victim_identified": "VictimIdentified", "offender_identified": "OffenderIdentified",
              "is_distributed": "IsDistributed"}  # fmt: skip
_MODELLED = {"MD5", "SHA1", "SHA256", "PDQ", "PhotoDNA", *_FLAG_KEYS.values(), "MediaID",
             "Category", "Series", "MediaSize"}  # fmt: skip


class _NotPlain(Exception):
    """A value the batch reader leaves to the media-by-media reader."""


def plain_media(located: list[Located], scheme: str, prefix_case: bool | None) -> EntryBatch | None:
    """The media as an EntryBatch, or None when any of them needs the media-by-media reader."""
    media = [item.media for item in located]
    if not all(type(one) is dict for one in media) or _SLOW_KEYS & set().union(*media):
        return None
    try:
        columns: dict[str, Sequence[Any]] = {"entry_id": _ids(located, media, prefix_case)}
        columns.update(_hashes(media))
        columns["kind"] = [_kind(one.get("MimeType")) for one in media]
        columns.update(_categories(media, scheme))
        columns["series"] = [_text(one.get("Series")) for one in media]
        for field, key in _FLAG_KEYS.items():
            columns[field] = [_flag(one.get(key)) for one in media]
        columns["details"] = [_details(item) for item in located]
    except _NotPlain:
        return None
    return EntryBatch([item.place for item in located], columns)


def _ids(located: list[Located], media: list[dict[str, Any]], prefix: bool | None) -> list[str]:
    ids = [_media_id(one.get("MediaID")) for one in media]
    if prefix is False or all(item.case_index is None for item in located):
        return ids
    return [
        media_id if item.case_index is None
        else f"{item.case_id or f'case-{item.case_index}'}/{media_id}"
        for item, media_id in zip(located, ids, strict=True)
    ]  # fmt: skip


def _media_id(value: object) -> str:
    if type(value) is int:
        return str(value)
    if type(value) is str and value.strip():
        return value.strip()
    raise _NotPlain


def _hashes(media: list[dict[str, Any]]) -> dict[str, list[str | None]]:
    """MD5, SHA1 and PhotoDNA given at the top level win over alternative hashes."""
    found = [_alternatives(one) for one in media]
    for field, key in (("md5", "MD5"), ("sha1", "SHA1"), ("photodna", "PhotoDNA")):
        for one, hashes in zip(media, found, strict=True):
            value = one.get(key)
            if value is not None and type(value) is not str:
                raise _NotPlain
            if value is not None and value.strip():
                hashes[field] = value
    columns = {}
    for field in _HASH_FIELDS:
        given = [hashes.get(field) for hashes in found]
        if given.count(None) == len(given):
            continue
        columns[field] = _photodna(given) if field == "photodna" else _hex(field, given)
    return columns


def _alternatives(media: dict[str, Any]) -> dict[str, str]:
    listed = media.get("AlternativeHashes", ())
    if type(listed) is not list and "AlternativeHashes" in media:
        raise _NotPlain
    found: dict[str, str] = {}
    for alternative in listed:
        if type(alternative) is not dict:
            raise _NotPlain
        name, value = alternative.get("HashName"), alternative.get("HashValue")
        if type(name) is not str or (value is not None and type(value) is not str):
            raise _NotPlain
        field = _ALTERNATIVE_FIELDS.get(name.strip().lower())
        if field is not None and value is not None and value.strip():
            found[field] = value
    return found


def _hex(kind: str, given: list[str | None]) -> list[str | None]:
    joined = _SEPARATOR.join(value or "" for value in given).lower()
    if joined.count(_SEPARATOR) != len(given) - 1 or _HEX[kind].fullmatch(joined) is None:
        raise _NotPlain
    return [value or None for value in joined.split(_SEPARATOR)]


def _photodna(given: list[str | None]) -> list[str | None]:
    return [None if value is None else value.strip() for value in given]


def _kind(mime_type: object) -> str | None:
    if mime_type is None:
        return None
    if type(mime_type) is not str:
        raise _NotPlain
    major = mime_type.strip().partition("/")[0].lower()
    return major if major in {"image", "video"} else None


def _categories(media: list[dict[str, Any]], scheme: str) -> dict[str, list[str | None]]:
    codes = [one.get("Category") for one in media]
    for code in codes:
        if code is not None and not (type(code) is int and 0 <= code <= values.INT64_MAX):
            raise _NotPlain
    if codes.count(None) == len(codes):
        return {}
    return {
        "category_scheme": [None if code is None else scheme for code in codes],
        "category_code": [None if code is None else str(code) for code in codes],
    }


def _text(value: object) -> str | None:
    if value is None:
        return None
    if type(value) is not str:
        raise _NotPlain
    return value.strip() or None


def _flag(value: object) -> bool | None:
    if value is None or type(value) is bool:
        return value
    raise _NotPlain


def _details(item: Located) -> dict[str, Any]:
    media = item.media
    details = {key: value for key, value in media.items() if key not in _MODELLED}
    size = media.get("MediaSize")
    if size is not None:
        if not (type(size) is int and 0 <= size <= values.INT64_MAX):
            raise _NotPlain
        details["MediaSize"] = size
    if item.case_id is not None:
        details["CaseID"] = item.case_id
    return details
