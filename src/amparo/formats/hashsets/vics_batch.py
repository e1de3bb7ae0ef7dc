"""VICS media checked and built a run at a time, field by field.

A run of media that are all plain (objects whose MediaID is a whole number or text, hashes
lower- or upper-case hex text, ``Category`` a VICS number, flags booleans, ``MediaSize`` a
whole number, ``AlternativeHashes`` a list of ``{"HashName", "HashValue"}`` texts, no top-level
SHA256 or PDQ) becomes one EntryBatch: each field is gathered with one comprehension, a field
no media of the run has is skipped, types are checked a column at a time, hash columns with one
regular-expression match each, and ``details`` are written as JSON text by the C encoder that
``json.dumps`` uses. Any other run is ``None``: the caller reads it media by media
(``vics._entry``), so that a bad media is reported with its place exactly as before. Both ways
give the same entries (``tests/test_hashset_batches.py``, ``tests/test_vics_fast.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from json import encoder as json_encoder
from typing import Any

from amparo import values
from amparo.formats.hashsets import HEX_LENGTHS, EntryBatch
from amparo.formats.hashsets.vics_details import details_json
from amparo.formats.hashsets.vics_stream import MediaRun

_SEPARATOR = "\x1f"
_HEX_AND_SEPARATOR = b"0123456789abcdef" + _SEPARATOR.encode()
_HEX_SIZES = {kind: {0, n} for kind, n in HEX_LENGTHS.items()}  # blank, or n digits
_ALTERNATIVE_FIELDS = {"sha1": "sha1", "sha256": "sha256", "sha-256": "sha256", "pdq": "pdq",
                       "photodna": "photodna"}  # fmt: skip
_HASH_FIELDS = ("md5", "sha1", "sha256", "pdq", "photodna")
_TOP_LEVEL_HEX = (("md5", "MD5"), ("sha1", "SHA1"))
_SLOW_KEYS = {"SHA256", "PDQ"}  # top-level forms that are rare; read media by media
_FLAG_KEYS = {"victim_identified": "VictimIdentified", "offender_identified": "OffenderIdentified",
              "is_distributed": "IsDistributed"}  # fmt: skip
_MODELLED = {"MD5", "SHA1", "SHA256", "PDQ", "PhotoDNA", *_FLAG_KEYS.values(), "MediaID",
             "Category", "Series", "MediaSize"}  # fmt: skip
_NONE = type(None)
_ONE_ALTERNATIVE_JSON = '[{"HashName": %s, "HashValue": %s}]'  # as json.dumps writes one
_text_json = json_encoder.encode_basestring_ascii  # what json.dumps writes a str as
_TEXT = {str, _NONE}


class _NotPlain(Exception):
    """A value the batch reader leaves to the media-by-media reader."""


def plain_media(run: MediaRun, scheme: str, prefix_case: bool | None) -> EntryBatch | None:
    """The run as an EntryBatch, or None when any of its media needs the media-by-media reader."""
    media = run.media
    if run.keys is None and set(map(type, media)) != {dict}:
        return None
    keys = set().union(*media) if run.keys is None else run.keys
    if _SLOW_KEYS & keys:
        return None
    try:
        columns: dict[str, Sequence[Any]] = {"entry_id": _ids(run, prefix_case)}
        hashes, alternatives_json = _hashes(media, keys)
        columns.update(hashes)
        if "MimeType" in keys:
            columns["kind"] = _kinds([one.get("MimeType") for one in media])
        if "Category" in keys:
            columns.update(_categories([one.get("Category") for one in media], scheme))
        if "Series" in keys:
            columns["series"] = [_text(one.get("Series")) for one in media]
        for field, key in _FLAG_KEYS.items():
            if key in keys:
                columns[field] = _flags([one.get(key) for one in media])
        columns["details_json"] = _details_json(run, keys, alternatives_json)
    except _NotPlain:
        return None
    return EntryBatch(run.places, columns)


def _ids(run: MediaRun, prefix_case: bool | None) -> list[str]:
    given = [one.get("MediaID") for one in run.media]
    if set(map(type, given)) == {int}:
        ids = list(map(str, given))
    else:
        ids = [_media_id(value) for value in given]
    if prefix_case is False or run.case_index is None:
        return ids
    case = f"{run.case_id or f'case-{run.case_index}'}/"
    return [case + media_id for media_id in ids]


def _media_id(value: object) -> str:
    if type(value) is int:
        return str(value)
    if type(value) is str and value.strip():
        return value.strip()
    raise _NotPlain


def _hashes(
    media: list[dict[str, Any]], keys: set[str]
) -> tuple[dict[str, list[str | None]], list[str] | None]:
    """The hash columns (MD5, SHA1 and PhotoDNA given at the top level, and not blank, win over
    alternatives), and each media's AlternativeHashes as JSON text where it came at once."""
    found, alternatives_json = _alternatives(media) if "AlternativeHashes" in keys else ({}, None)
    for field, key in _TOP_LEVEL_HEX:
        if key not in keys:
            continue
        top = [one.get(key) for one in media]
        if not set(map(type, top)) <= _TEXT:
            raise _NotPlain
        alternative = found.get(field)
        # A blank top-level value gives way to an alternative; blanks other than "" are
        # refused by the hex check below and read media by media.
        found[field] = top if alternative is None else [
            value or other for value, other in zip(top, alternative, strict=True)
        ]  # fmt: skip
    if "PhotoDNA" in keys:
        found["photodna"] = _top_level_photodna(media, found.get("photodna"))
    columns = {}
    for field in _HASH_FIELDS:
        given = found.get(field)
        if given is None or given.count(None) == len(given):
            continue
        if field == "photodna":
            columns[field] = [None if value is None else value.strip() for value in given]
        else:
            columns[field] = _hex(field, given)
    return columns, alternatives_json


def _top_level_photodna(
    media: list[dict[str, Any]], alternative: list[str | None] | None
) -> list[str | None]:
    top = [one.get("PhotoDNA") for one in media]
    if not set(map(type, top)) <= _TEXT:
        raise _NotPlain
    others = alternative or [None] * len(top)
    return [
        value if value is not None and value.strip() else other
        for value, other in zip(top, others, strict=True)
    ]


def _alternatives(
    media: list[dict[str, Any]],
) -> tuple[dict[str, list[str | None]], list[str] | None]:
    """Per hash field, the value each media's AlternativeHashes give (the last one listed);
    where each media lists one, ``{"HashName": text, "HashValue": text}``, also the lists as
    ``json.dumps`` writes them."""
    listed: list[Any] = [one.get("AlternativeHashes") for one in media]
    if set(map(type, listed)) == {list} and set(map(len, listed)) == {1}:
        single = _single_alternatives([alternatives[0] for alternatives in listed])
        if single is not None:
            return single
    return _each_alternatives(media), None


def _single_alternatives(
    given: list[Any],
) -> tuple[dict[str, list[str | None]], list[str] | None] | None:
    """The one alternative hash of each media, a column at a time; None: not all plain."""
    if set(map(type, given)) != {dict}:
        return None
    names = [alternative.get("HashName") for alternative in given]
    hashes = [alternative.get("HashValue") for alternative in given]
    if set(map(type, names)) != {str} or not set(map(type, hashes)) <= _TEXT:
        return None
    fields = {name: _ALTERNATIVE_FIELDS.get(name.strip().lower()) for name in set(names)}
    found: dict[str, list[str | None]] = {
        field: [
            value if fields[name] == field and value is not None and value.strip() else None
            for name, value in zip(names, hashes, strict=True)
        ]
        for field in {field for field in fields.values() if field is not None}
    }
    if set(map(tuple, given)) != {("HashName", "HashValue")} or None in hashes:
        return found, None
    texts = zip(map(_text_json, names), map(_text_json, hashes), strict=True)
    return found, list(map(_ONE_ALTERNATIVE_JSON.__mod__, texts))


def _each_alternatives(media: list[dict[str, Any]]) -> dict[str, list[str | None]]:
    found: dict[str, list[str | None]] = {}
    for index, one in enumerate(media):
        if "AlternativeHashes" not in one:
            continue
        listed = one["AlternativeHashes"]
        if type(listed) is not list:
            raise _NotPlain
        for alternative in listed:
            if type(alternative) is not dict:
                raise _NotPlain
            name, value = alternative.get("HashName"), alternative.get("HashValue")
            if type(name) is not str or (value is not None and type(value) is not str):
                raise _NotPlain
            field = _ALTERNATIVE_FIELDS.get(name.strip().lower())
            if field is not None and value is not None and value.strip():
                column = found.get(field)
                if column is None:
                    column = found[field] = [None] * len(media)
                column[index] = value
    return found


def _hex(kind: str, given: list[str | None]) -> list[str | None]:
    """The values lower-cased, when each is blank ("" or None) or ``kind``'s number of hex
    digits: checked together, by deleting every hex digit and separator from their ASCII bytes
    (several times faster than a regular expression) and counting the digits between."""
    joined = _SEPARATOR.join([value or "" for value in given]).lower()
    found = joined.split(_SEPARATOR)
    if (
        len(found) != len(given)
        or not joined.isascii()
        or joined.encode().translate(None, _HEX_AND_SEPARATOR)
        or not set(map(len, found)) <= _HEX_SIZES[kind]
    ):
        raise _NotPlain
    return [value or None for value in found]


def _kinds(mime_types: list[object]) -> list[str | None]:
    kinds = {mime_type: _kind(mime_type) for mime_type in set(mime_types)}
    return list(map(kinds.__getitem__, mime_types))


def _kind(mime_type: object) -> str | None:
    if mime_type is None:
        return None
    if type(mime_type) is not str:
        raise _NotPlain
    major = mime_type.strip().partition("/")[0].lower()
    return major if major in {"image", "video"} else None


def _categories(codes: list[Any], scheme: str) -> dict[str, list[str | None]]:
    types = set(map(type, codes))
    if not types <= {int, _NONE}:
        raise _NotPlain
    given = [code for code in codes if code is not None] if _NONE in types else codes
    if not given:
        return {}
    if min(given) < 0 or max(given) > values.INT64_MAX:
        raise _NotPlain
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


def _flags(given: list[object]) -> list[object]:
    if not set(map(type, given)) <= {bool, _NONE}:
        raise _NotPlain
    return given


def _details_json(run: MediaRun, keys: set[str], alternatives_json: list[str] | None) -> list[str]:
    """Each media's details (its fields that are not modelled, MediaSize, the case's CaseID),
    as ``json.dumps`` writes them."""
    sizes: list[Any] = [one.get("MediaSize") for one in run.media] if "MediaSize" in keys else []
    if sizes:
        types = set(map(type, sizes))
        given = [size for size in sizes if size is not None] if _NONE in types else sizes
        if not types <= {int, _NONE} or (
            given and (min(given) < 0 or max(given) > values.INT64_MAX)
        ):
            raise _NotPlain
    known = {} if alternatives_json is None else {"AlternativeHashes": alternatives_json}
    return details_json(run.media, _MODELLED, sizes, run.case_id, known)
