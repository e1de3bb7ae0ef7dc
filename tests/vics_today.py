"""The VICS walk as main read it before the runs of issue 11 part 3 (a copy, kept as the oracle
of tests/test_vics_fast.py): every media located one at a time, then read by ``vics._entry``."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import ijson

from amparo.errors import InvalidInput
from amparo.formats.hashsets import EntryRow, vics
from amparo.formats.hashsets.vics_stream import (
    _CONTEXT_KEYS,
    _NOT_ARRAY,
    _NOT_OBJECT,
    _SCALARS,
    _VALUES,
    Located,
    Outline,
    _media_beside_cases,
    json_errors,
    utf8_file,
)


def today(document: bytes) -> tuple[str, list[tuple[str, EntryRow] | InvalidInput]]:
    """The version and every item as main's reader gave them, media by media."""
    path = "set.json"
    file = utf8_file(io.BytesIO(document))
    found = _outline(file, path=path)
    version, scheme = vics._data_model(found, path=path)
    if not found.has_value:
        raise InvalidInput("expected a JSON array", path=path, place="value")
    prefix_case: bool | None = None
    if found.cases:
        located = _media_of_cases(file, found, path=path)
        prefix_case = (
            sum(1 for index in range(len(found.case_ids)) if index not in found.media_items) > 1
        )
    else:
        located = _media_of_list(file, path=path)
    items: list[tuple[str, EntryRow] | InvalidInput] = []
    for item in located:
        if isinstance(item, InvalidInput):
            items.append(item)
            continue
        try:
            items.append((item.place, vics._entry(item, scheme, prefix_case, path=path)))
        except InvalidInput as error:
            items.append(error)
    return version, items


def _outline(file: Any, *, path: str) -> Outline:
    found = Outline()
    decided = False
    with json_errors(file, path=path):
        for prefix, event, value in ijson.parse(file, use_float=True):
            if prefix in _CONTEXT_KEYS and event in _VALUES:
                found.context = (_CONTEXT_KEYS[prefix], value)
            elif prefix == "" and event == "start_map":
                continue
            elif prefix == "" and event in _NOT_OBJECT:
                raise InvalidInput("VICS JSON must be an object", path=path, place="top level")
            elif prefix == "value" and event == "start_array":
                found.has_value = True
            elif prefix == "value" and event in _NOT_ARRAY:
                raise InvalidInput("expected a JSON array", path=path, place="value")
            elif prefix == "value.item" and event in _VALUES:
                found.case_ids.append(None)
                found.media_counts.append(0)
                found.media_items.add(len(found.case_ids) - 1)
            elif prefix == "value.item.Media.item" and event in _VALUES:
                found.media_counts[-1] += 1
            elif prefix == "value.item.Media" and event in _NOT_ARRAY:
                found.media_not_array.add(len(found.case_ids) - 1)
            elif prefix == "value.item" and event == "map_key" and value == "Media":
                found.cases = True
                found.media_items.discard(len(found.case_ids) - 1)
            elif prefix == "value.item.CaseID" and event in _SCALARS:
                found.case_ids[-1] = value
            elif prefix == "value.item" and event == "end_map" and not decided:
                decided = True
            if decided and not found.cases and found.context is not None:
                break
    return found


def _media_of_cases(file: Any, found: Outline, *, path: str) -> Iterator[Located | InvalidInput]:
    if found.media_items:
        yield from _media_beside_cases(file, found, path=path)
        return
    with json_errors(file, path=path):
        media = ijson.items(file, "value.item.Media.item", use_float=True)
        for case, count in enumerate(found.media_counts):
            if case in found.media_not_array:
                yield InvalidInput("expected a JSON array", path=path, place=f"value[{case}].Media")
            for position in range(count):
                yield _located(f"value[{case}].Media[{position}]", case, found, next(media))


def _located(where: str, case: int | None, found: Outline, media: Any) -> Located:
    if case is None:
        return Located(where, None, None, media)
    case_id = found.case_ids[case]
    return Located(where, case, None if case_id is None else str(case_id).strip() or None, media)


def _media_of_list(file: Any, *, path: str) -> Iterator[Located | InvalidInput]:
    with json_errors(file, path=path):
        for index, item in enumerate(ijson.items(file, "value.item", use_float=True)):
            if isinstance(item, dict) and "Media" in item:
                yield from _case_in_memory(item, index, path=path)
            else:
                yield Located(f"value[{index}]", None, None, item)


def _case_in_memory(
    case: dict[str, Any], index: int, *, path: str
) -> Iterator[Located | InvalidInput]:
    place = f"value[{index}]"
    if not isinstance(case["Media"], list):
        yield InvalidInput("expected a JSON array", path=path, place=f"{place}.Media")
        return
    case_id = case.get("CaseID")
    case_id = None if case_id is None else str(case_id).strip() or None
    for position, media in enumerate(case["Media"]):
        yield Located(f"{place}.Media[{position}]", index, case_id, media)
