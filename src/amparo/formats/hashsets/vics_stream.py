"""The streaming walk over a VICS JSON document: where its media are, in bounded memory.

A VICS document is one object: ``@odata.context`` (2.0) or ``odata.metadata`` (1.x), and
``value[]`` holding either the media themselves (``#Media``, as Project VIC and CAID distribute
their sets) or cases, each with ``Media[]``. Where the document is laid out plainly,
``vics_raw`` walks its text and msgspec decodes the media a piece at a time; anywhere else
ijson reads it, from where ``vics_raw`` stopped (the media it handed on are skipped). The
walk first learns the context and the layout (usually within the first kilobytes). The
media are then handed on in runs of up to RUN media (``MediaRun``). A document of cases is
read twice: once for the number of cases, the media each holds and their CaseIDs (which may
stand after ``Media``; that walk decodes no media), then media by media. With ijson, a
``#Media`` document is read by its C builder; a ``value`` item that is a case inside a
``#Media`` document is read whole. UTF-16 and UTF-32 text, and text that starts with a BOM,
is read as UTF-8 transcoded from it.
"""

from __future__ import annotations

import codecs
import io
import operator
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, BinaryIO, NamedTuple, cast

import ijson

from amparo.errors import InvalidInput, UnsafeInput
from amparo.formats.hashsets import vics_raw

_SCALARS = {"string", "number", "boolean", "null"}
_STARTS = {"start_map", "start_array"}
_ENDS = {"end_map", "end_array"}
_VALUES = _SCALARS | _STARTS  # the events that begin a value
_NOT_OBJECT = _SCALARS | {"start_array"}
_NOT_ARRAY = _SCALARS | {"start_map"}
_CONTEXT_KEYS = {"@odata.context": "2.0", "odata.metadata": "1"}
# The outline looks at no longer prefix than a media's own, and at no other one as long.
_MEDIA_PREFIX_LENGTH = len("value.item.Media.item")
_MEDIA_MAP_END = ("value.item.Media.item", "end_map", None)
_MEDIA_ARRAY_END = ("value.item.Media.item", "end_array", None)
# Media read and checked together: enough to check them at C speed, few enough to stay in the
# processor's caches (at 512 a #Media document of 1M media reads ~30% slower than at 128).
RUN = 128
_POSITION = re.compile(r" at (\d+)")
_UTF_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # these codecs read the BOM and drop it
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class Located(NamedTuple):
    """One media object, where it stands in the document and the case it belongs to (a named
    tuple: one is made per media, and a frozen dataclass costs several times more to make)."""

    place: str
    case_index: int | None
    case_id: str | None
    media: Any


class MediaRun(NamedTuple):
    """Consecutive media of one case (or of none): ``media[i]`` stands at ``places[i]``."""

    places: list[str]
    case_index: int | None
    case_id: str | None
    media: list[Any]
    keys: set[str] | None = None  # when known: every media is an object, with these keys


@dataclass
class Outline:
    """What the walk learns before reading media: the context and how ``value`` is laid out."""

    context: tuple[str, object] | None = None  # ("2.0" or "1", the URL)
    has_value: bool = False
    cases: bool = False
    case_ids: list[str | None] = field(default_factory=list)  # per value index; None: no CaseID
    media_items: set[int] = field(default_factory=set)  # value indexes that are media, not cases
    media_counts: list[int] = field(default_factory=list)  # per value index: items in Media[]
    media_not_array: set[int] = field(default_factory=set)  # cases whose Media is no array
    plain: bool = False  # learnt by ``vics_raw``'s walk, which can then read the media too


def utf8_file(file: BinaryIO) -> BinaryIO:
    """``file`` as UTF-8 bytes: JSON in UTF-16 or UTF-32, or with a BOM, is transcoded."""
    head = file.read(4)
    file.seek(0)
    for bom, encoding in _UTF_BOMS:
        if head.startswith(bom):
            return _transcoded(file, encoding)
    if len(head) >= 4 and head[0] == 0 and head[1] == 0:
        return _transcoded(file, "utf-32-be")
    if len(head) >= 4 and head[2] == 0 and head[3] == 0:
        return _transcoded(file, "utf-32-le")
    if len(head) >= 2 and head[0] == 0:
        return _transcoded(file, "utf-16-be")
    if len(head) >= 2 and head[1] == 0:
        return _transcoded(file, "utf-16-le")
    return file


def _transcoded(file: BinaryIO, encoding: str) -> BinaryIO:
    return cast(BinaryIO, _Transcoded(io.TextIOWrapper(file, encoding=encoding)))


class _Transcoded(io.RawIOBase):
    """Bytes of UTF-8 read from a text stream."""

    def __init__(self, text: io.TextIOWrapper) -> None:
        self._text = text
        self._pending = b""

    def readable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self._text.seek(0)
        self._pending = b""
        return 0

    def readinto(self, buffer: Any) -> int:  # ijson's C reader fills a buffer
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._pending) < size:
            chunk = self._text.read(65536 if size < 0 else max(size, 1))
            if not chunk:
                break
            self._pending += chunk.encode("utf-8")
        if size < 0:
            size = len(self._pending)
        result, self._pending = self._pending[:size], self._pending[size:]
        return result


def outline(file: BinaryIO, *, path: str) -> Outline:
    """The context and layout; for a document of cases, every case's CaseID."""
    return _plain_outline(file) or _outline(file, path=path)


def _plain_outline(file: BinaryIO) -> Outline | None:
    """The outline as ``vics_raw``'s walk learns it (a document of cases is walked through,
    its media skipped a piece at a time); None where the walk stops."""
    found = Outline(plain=True)
    try:
        for event in vics_raw.walk(file, cases=True, values=False):
            if isinstance(event, vics_raw.Member):
                _learn_member(found, event)
            elif isinstance(event, vics_raw.Value):
                if found.context is None:
                    return None  # ijson's outline reads on to find it
                found.has_value = True
            elif isinstance(event, vics_raw.Case):
                found.case_ids.append(None)
                found.media_counts.append(0)
            else:
                found.cases = True
                found.media_counts[-1] += len(event.items)
    except vics_raw.NotCases:
        return Outline(found.context, True, False, [None], {0}, [0], plain=True)
    except vics_raw.Stopped:
        return None
    return found


def _learn_member(found: Outline, member: vics_raw.Member) -> None:
    """A member's part of the outline, as ijson's outline reads the events of its value."""
    scalar = not isinstance(member.value, list | dict)
    if member.case is None and member.key in _CONTEXT_KEYS:
        found.context = (_CONTEXT_KEYS[member.key], member.value if scalar else None)
    elif member.case is not None and member.key == "CaseID" and scalar:
        found.case_ids[member.case] = member.value


def _outline(file: BinaryIO, *, path: str) -> Outline:
    """The outline read from ijson's events."""
    found = Outline()
    decided = False
    with json_errors(file, path=path):
        events = ijson.parse(file, use_float=True)
        for prefix, event, value in events:
            if len(prefix) >= _MEDIA_PREFIX_LENGTH:  # a media's events: most of them
                if event in _VALUES and prefix == "value.item.Media.item":
                    found.media_counts[-1] += 1
                    _skip_value(events, event)
                continue
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


def _skip_value(events: Iterator[tuple[str, str, Any]], event: str) -> None:
    """Skip a media's events up to its own end, compared in C (``operator.indexOf``, no Python
    step per event): the events inside a media bear longer prefixes, so the end is the first
    event equal to ``(its prefix, "end_map"/"end_array", None)``."""
    if event == "start_map":
        operator.indexOf(events, _MEDIA_MAP_END)
    elif event == "start_array":
        operator.indexOf(events, _MEDIA_ARRAY_END)


def media_of_cases(
    file: BinaryIO, found: Outline, *, path: str
) -> Iterator[MediaRun | InvalidInput]:
    """Every media of a document of cases, in document order: a piece at a time by
    ``vics_raw`` where the document is plain, else built one at a time by ijson's C builder,
    or event by event where media stand beside the cases in ``value``."""
    if found.media_items:
        yield from _runs(_media_beside_cases(file, found, path=path))
        return
    handed = 0
    if found.plain:
        try:
            for case, start, run in _plain_runs(vics_raw.walk(file, cases=True, values=True)):
                places = [f"value[{case}].Media[{at}]" for at in range(start, start + len(run))]
                yield MediaRun(places, case, _case_id(found.case_ids[case]), run, _keys(run))
                handed += len(run)
            return
        except vics_raw.Stopped:
            pass
    yield from _built_media_of_cases(file, found, skip=handed, path=path)


def _built_media_of_cases(
    file: BinaryIO, found: Outline, *, skip: int, path: str
) -> Iterator[MediaRun | InvalidInput]:
    """The media of a document of cases built by ijson's C builder, past the first ``skip``."""
    with json_errors(file, path=path):
        media = ijson.items(file, "value.item.Media.item", use_float=True)
        for case, count in enumerate(found.media_counts):
            if case in found.media_not_array:
                yield InvalidInput("expected a JSON array", path=path, place=f"value[{case}].Media")
            case_id = _case_id(found.case_ids[case])
            skipped = min(skip, count)
            skip -= skipped
            _take(media, skipped)
            for start in range(skipped, count, RUN):
                run = _take(media, min(RUN, count - start))
                places = [f"value[{case}].Media[{at}]" for at in range(start, start + len(run))]
                yield MediaRun(places, case, case_id, run, _keys(run))


def _take(media: Iterator[Any], wanted: int) -> list[Any]:
    """The next ``wanted`` media; a document that holds fewer ends the walk as a missing
    media always has (ijson's error, or StopIteration)."""
    run = list(islice(media, wanted))
    if len(run) < wanted:
        next(media)
    return run


def _plain_runs(events: Iterator[vics_raw.Event]) -> Iterator[tuple[Any, int, list[Any]]]:
    """``(case, index of the first, media)``: the media ``vics_raw`` decodes, in runs of RUN
    (fewer at a case's end)."""
    held: list[Any] = []
    case: int | None = None
    start = 0
    for event in events:
        if not isinstance(event, vics_raw.Media):
            continue
        if held and event.case != case:
            yield case, start, held
            held = []
        if not held:
            case, start = event.case, event.start
        held += event.items
        while len(held) >= RUN:
            yield case, start, held[:RUN]
            held, start = held[RUN:], start + RUN
    if held:
        yield case, start, held


def _keys(run: list[Any]) -> set[str] | None:
    """The keys of the run's media where every one is an object."""
    return set().union(*run) if set(map(type, run)) == {dict} else None


def _media_beside_cases(
    file: BinaryIO, found: Outline, *, path: str
) -> Iterator[Located | InvalidInput]:
    """Media of cases and media standing in ``value`` itself, built event by event."""
    builder: ijson.ObjectBuilder | None = None
    depth = media = 0
    case = -1
    owner: int | None = None  # the case of the media being built; None beside the cases
    where = ""
    with json_errors(file, path=path):
        for prefix, event, value in ijson.parse(file, use_float=True):
            if builder is None and prefix == "value.item" and event in _VALUES:
                case, media = case + 1, 0
                if case not in found.media_items:
                    continue
                builder, depth, where, owner = ijson.ObjectBuilder(), 0, f"value[{case}]", None
            elif builder is None and prefix == "value.item.Media" and event in _NOT_ARRAY:
                yield InvalidInput("expected a JSON array", path=path, place=f"value[{case}].Media")
                continue
            elif builder is None and prefix == "value.item.Media.item" and event in _VALUES:
                builder, depth, owner = ijson.ObjectBuilder(), 0, case
                where, media = f"value[{case}].Media[{media}]", media + 1
            if builder is None:
                continue
            builder.event(event, value)
            depth += 1 if event in _STARTS else -1 if event in _ENDS else 0
            if depth == 0:
                yield _located(where, owner, found, builder.value)
                builder = None


def _located(where: str, case: int | None, found: Outline, media: Any) -> Located:
    if case is None:
        return Located(where, None, None, media)
    return Located(where, case, _case_id(found.case_ids[case]), media)


def _case_id(case_id: object) -> str | None:
    return None if case_id is None else str(case_id).strip() or None


def _runs(located: Iterable[Located | InvalidInput]) -> Iterator[MediaRun | InvalidInput]:
    """Consecutive media of the same case as runs of at most RUN media."""
    run: MediaRun | None = None
    for item in located:
        if isinstance(item, InvalidInput):
            if run is not None:
                yield run
                run = None
            yield item
        elif run is not None and run.case_index == item.case_index and len(run.media) < RUN:
            run.places.append(item.place)
            run.media.append(item.media)
        else:
            if run is not None:
                yield run
            run = MediaRun([item.place], item.case_index, item.case_id, [item.media])
    if run is not None:
        yield run


def media_of_list(
    file: BinaryIO, found: Outline, *, path: str
) -> Iterator[MediaRun | InvalidInput]:
    """Every item of a ``#Media`` document's ``value``: a piece at a time by ``vics_raw`` where
    the document is plain, else built by ijson's C builder."""
    for index, run in _list_items(file, found, path=path):
        keys = _keys(run)
        if keys is not None and "Media" not in keys:
            places = [f"value[{at}]" for at in range(index, index + len(run))]
            yield MediaRun(places, None, None, run, keys)
        elif any("Media" in item for item in run if isinstance(item, dict)):
            yield from _runs(_items_with_cases(run, index, path=path))
        else:
            places = [f"value[{at}]" for at in range(index, index + len(run))]
            yield MediaRun(places, None, None, run)


def _list_items(file: BinaryIO, found: Outline, *, path: str) -> Iterator[tuple[int, list[Any]]]:
    """Runs of ``value``'s items, each with the index of its first."""
    handed = 0
    if found.plain:
        try:
            for _, start, run in _plain_runs(vics_raw.walk(file, cases=False, values=True)):
                yield start, run
                handed += len(run)
            return
        except vics_raw.Stopped:
            pass
    with json_errors(file, path=path):
        items = ijson.items(file, "value.item", use_float=True)
        _take(items, handed)
        index = handed
        while run := list(islice(items, RUN)):
            yield index, run
            index += len(run)


def _items_with_cases(run: list[Any], index: int, *, path: str) -> Iterator[Located | InvalidInput]:
    for at, item in enumerate(run, start=index):
        if isinstance(item, dict) and "Media" in item:
            yield from _case_in_memory(item, at, path=path)
        else:
            yield Located(f"value[{at}]", None, None, item)


def _case_in_memory(
    case: dict[str, Any], index: int, *, path: str
) -> Iterator[Located | InvalidInput]:
    place = f"value[{index}]"
    if not isinstance(case["Media"], list):
        yield InvalidInput("expected a JSON array", path=path, place=f"{place}.Media")
        return
    case_id = _case_id(case.get("CaseID"))
    for position, media in enumerate(case["Media"]):
        yield Located(f"{place}.Media[{position}]", index, case_id, media)


@contextmanager
def json_errors(file: BinaryIO, *, path: str) -> Iterator[None]:
    """Read ``file`` from its start; a JSON syntax error becomes InvalidInput naming the line
    and column."""
    file.seek(0)
    try:
        yield
    except ijson.JSONError as error:
        raise _syntax_error(file, error, path=path) from error
    except UnicodeDecodeError as error:  # UTF-16 or UTF-32 text being transcoded
        raise InvalidInput(
            "JSON that is not UTF-8, UTF-16 or UTF-32", path=path, place="text"
        ) from error
    except RecursionError as error:
        raise UnsafeInput("JSON nested too deeply to read safely", path=path) from error


def _syntax_error(file: BinaryIO, error: Exception, *, path: str) -> InvalidInput:
    """Where the document stops being JSON, found again by ijson's pure-Python parser, which
    says at which character (the C parser does not)."""
    from ijson.backends import python as python_backend

    if isinstance(error.__cause__ or error.__context__, UnicodeDecodeError) or "UTF8" in str(error):
        return InvalidInput("JSON that is not UTF-8, UTF-16 or UTF-32", path=path, place="text")
    file.seek(0)
    try:
        for _ in python_backend.basic_parse(file):
            pass
    except ijson.JSONError as found:
        position = _POSITION.search(str(found))
        if position is not None:
            return InvalidInput(
                f"not valid JSON: {found}", path=path, place=_line_column(file, int(position[1]))
            )
        return InvalidInput(f"not valid JSON: {found}", path=path, place="end of file")
    except UnicodeDecodeError:
        return InvalidInput("JSON that is not UTF-8, UTF-16 or UTF-32", path=path, place="text")
    return InvalidInput(f"not valid JSON: {error}", path=path, place="end of file")


def _line_column(file: BinaryIO, position: int) -> str:
    """``line L, column C`` (both from 1) of the character at ``position``."""
    file.seek(0)
    text = io.TextIOWrapper(file, encoding="utf-8", errors="replace", newline="")
    line, seen, line_start = 1, 0, 0
    while seen <= position:
        chunk = text.read(1 << 20)
        if not chunk:
            break
        end = min(len(chunk), position - seen)
        newlines = chunk.count("\n", 0, end)
        if newlines:
            line += newlines
            line_start = seen + chunk.rindex("\n", 0, end) + 1
        seen += len(chunk)
    text.detach()
    return f"line {line}, column {position - line_start + 1}"
