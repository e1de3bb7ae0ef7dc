"""The ``details`` of a run of plain VICS media as JSON text, exactly as ``json.dumps`` writes
them: every field that is not modelled, in the media's order, then ``MediaSize`` and the case's
``CaseID``.

Where every media of the run has the same fields in the same order (as exporters write them),
the text is put together a column at a time: each field's values are written by the functions
the C encoder of ``json.dumps`` uses for them (``encode_basestring_ascii`` for text,
``int.__repr__`` for whole numbers, the encoder itself for anything else), then each media's
text by one %-format of a template holding the field names. Any other run has its details made
as dictionaries and written one by one by that encoder.
"""

from __future__ import annotations

from json import encoder as json_encoder
from typing import Any

from amparo.formats.hashsets import to_json

_CONSTANTS = {True: "true", False: "false", None: "null"}
_NONE = type(None)


_text_json = json_encoder.encode_basestring_ascii  # what json.dumps writes a str as


def details_json(
    media: list[dict[str, Any]],
    modelled: set[str],
    sizes: list[Any],
    case_id: str | None,
    known: dict[str, list[str]],
) -> list[str]:
    """Each media's details as JSON text; ``sizes`` are the checked MediaSize values (an empty
    list where no media has one), ``case_id`` the case's (None: no CaseID to add), ``known``
    the JSON text of a field's values already written, by field."""
    shapes = set(map(tuple, media))
    if len(shapes) == 1 and (None not in sizes if sizes else True):
        shape = shapes.pop()
        fields = [key for key in shape if key not in modelled]
        if case_id is None or "CaseID" not in fields:  # a media's own CaseID keeps its place
            return _by_columns(media, fields, sizes, case_id, known)
    details = [{key: value for key, value in one.items() if key not in modelled} for one in media]
    if sizes:
        for found, size in zip(details, sizes, strict=True):
            if size is not None:
                found["MediaSize"] = size
    if case_id is not None:
        for found in details:
            found["CaseID"] = case_id
    return list(map(to_json, details))


def _by_columns(
    media: list[dict[str, Any]],
    fields: list[str],
    sizes: list[Any],
    case_id: str | None,
    known: dict[str, list[str]],
) -> list[str]:
    """The details of media that all have ``fields`` in that order, and a size each if any."""
    names = [_text_json(field) for field in fields]
    columns = [
        known[field] if field in known else _column_json([one[field] for one in media])
        for field in fields
    ]
    if sizes:
        names.append(_text_json("MediaSize"))
        columns.append(_column_json(sizes))
    members = [f"{name.replace('%', '%%')}: %s" for name in names]
    if case_id is not None:
        members.append(f"{_text_json('CaseID')}: {_text_json(case_id)}".replace("%", "%%"))
    template = "{" + ", ".join(members) + "}"
    if not columns:
        return [template % ()] * len(media)
    return list(map(template.__mod__, zip(*columns, strict=True)))


def _column_json(given: list[Any]) -> list[str]:
    types = set(map(type, given))
    if types == {str}:
        return list(map(_text_json, given))
    if types == {int}:
        return list(map(int.__repr__, given))
    if types <= {bool, _NONE}:
        return list(map(_CONSTANTS.__getitem__, given))
    return list(map(to_json, given))
