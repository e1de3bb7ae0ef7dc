"""VICS media decoded by msgspec a piece of text at a time, where the document is laid out
plainly; ``vics_stream`` reads with ijson whatever this walk does not.

ijson builds a media event by event (4-5 µs a media on this project's machines); msgspec
decodes a piece of some tens of kilobytes of media at once (1.3-2 µs a media, finding where
to cut included). A piece is cut without a parser: it ends at a ``}`` that whitespace and
``,`` or ``]`` follow, and the cut is right exactly when ``[`` + the piece + ``]`` is JSON. A
piece that ends inside a string, or inside a media's own arrays and objects, is not JSON
whatever follows, so a wrong cut is refused and the ``}`` before it is tried; a piece that
runs past the array's end is cut at the ``]`` where msgspec found the rest trailing. msgspec
checks the cut by skipping the values (``list[Raw]``), then decodes the piece into values.

The values are those ijson (``use_float=True``) gives for the same text. Where the two would
differ, the piece is refused and the walk stops (``Stopped``): a whole number beyond 64 bits
(ijson refuses it), a lone surrogate (ijson writes "?"), a number too large for a float, text
that is not UTF-8, a value nested deeper than ``DEPTH``.

Around the media, the walk reads the document's object, its members and each case's members,
whose values (other than ``value`` and ``Media``) are small: their extent is found by the
standard library's decoder and their value decoded by msgspec as the media are. It stops at
anything else: a key written with an escape, a dotted key that ijson's prefixes could confuse
with ``value.item.Media.item``, a ``value`` before the context, a second ``value`` or
``Media``, an item of ``value`` that is no object, media beside cases, a ``Media`` that is no
array, text after the document. ``vics_stream`` then reads the document with ijson, skipping
the media this walk has handed on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, BinaryIO, Union

import msgspec

CHUNK_BYTES = 256 * 1024
PIECE_BYTES = 64 * 1024  # media text decoded at once (of 32-256 KiB, the fastest here)
MAX_HELD_BYTES = 8 << 20  # a media or member longer than this is read by ijson
CUT_TRIES = 8  # cuts tried in a window before it is made larger
DEPTH = 6  # levels of arrays and objects a media may hold
_CONTEXT_KEYS = {"@odata.context": "2.0", "odata.metadata": "1"}
_PREFIX_PARTS = {"value", "item", "Media", "CaseID"}  # what ijson's dotted prefixes name
_WHITESPACE = re.compile(rb"[ \t\n\r]*")
_KEY = re.compile(rb'"([^"\\\x00-\x1f]*)"[ \t\n\r]*:')
_TRAILING = re.compile(r"trailing characters \(byte (\d+)\)")  # msgspec's words
_INT64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]  # what ijson's C parser reads


def _value_type(depth: int) -> Any:
    """JSON values nested at most ``depth`` levels, whole numbers within 64 bits."""
    value: Any = Union[_INT64, float, str, bool, None]  # noqa: UP007 (built at run time)
    for _ in range(depth):
        value = Union[_INT64, float, str, bool, None, list[value], dict[str, value]]  # noqa: UP007
    return value


_VALUES = msgspec.json.Decoder(list[_value_type(DEPTH)])  # type: ignore[misc]
_SKIPPED = msgspec.json.Decoder(list[msgspec.Raw])
_ONE_VALUE = msgspec.json.Decoder(_value_type(DEPTH + 2))


class Stopped(Exception):
    """The text is not plain enough for this walk: ijson reads on."""


class NotCases(Stopped):
    """The first item of ``value`` is no case: a ``#Media`` document."""


def _refuse_constant(name: str) -> None:
    raise Stopped(name)  # NaN, Infinity: not JSON


_EXTENT = json.JSONDecoder(parse_constant=_refuse_constant)


@dataclass
class Media:
    """Consecutive media of one case (``case`` None: items of a ``#Media`` document's
    ``value``), the first of them at ``start`` in its array."""

    case: int | None
    start: int
    items: list[Any]


@dataclass
class Member:
    """A member of the document (``case`` None) or of a case, other than ``value``/``Media``."""

    case: int | None
    key: str
    value: Any


@dataclass
class Value:
    """The ``value`` array starts."""


@dataclass
class Case:
    """A case starts (``value[index]``)."""

    index: int


Event = Member | Value | Case | Media


class _Text:
    """The document's bytes, read a chunk at a time, from the reading place on."""

    def __init__(self, file: BinaryIO) -> None:
        file.seek(0)
        self.file = file
        self.text = b""
        self.pos = 0
        self.ended = False

    def more(self) -> bool:
        """Read the next chunk; False at the end of the file."""
        if self.ended:
            return False
        try:
            chunk = self.file.read(CHUNK_BYTES)
        except UnicodeDecodeError:  # UTF-16 or UTF-32 being transcoded
            raise Stopped("text that does not decode") from None
        self.ended = not chunk
        if len(self.text) - self.pos + len(chunk) > MAX_HELD_BYTES:
            raise Stopped("held too much")
        self.text = self.text[self.pos :] + chunk
        self.pos = 0
        return bool(chunk)

    def fill(self, size: int) -> None:
        """Read until ``size`` bytes stand from the reading place on, or the file ends."""
        while len(self.text) - self.pos < size and self.more():
            pass

    def peek(self) -> int | None:
        """The byte after the whitespace at the reading place (read past it); None at the end."""
        while True:
            self.pos = _WHITESPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.more():
                return None

    def expect(self, byte: bytes) -> None:
        if self.peek() != byte[0]:
            raise Stopped(f"expected {byte!r}")
        self.pos += 1

    def next_in(self, close: bytes) -> bool:
        """Past a ``,`` (True: another member or item follows) or ``close`` (False)."""
        found = self.peek()
        self.pos += 1
        if found == ord(","):
            return True
        if found == close[0]:
            return False
        raise Stopped(f"expected ',' or {close!r}")

    def key(self) -> str:
        while True:
            self.peek()
            found = _KEY.match(self.text, self.pos)
            if found is not None:
                self.pos = found.end()
                try:
                    return found[1].decode("utf-8")
                except UnicodeDecodeError:
                    raise Stopped("a key that is not UTF-8") from None
            if len(self.text) - self.pos > 4096 or not self.more():
                raise Stopped("a key written other than plainly")

    def value(self) -> Any:
        """The small value at the reading place (a member's)."""
        self.peek()
        window = 4096
        while True:
            self.fill(window)
            written = self.text[self.pos : self.pos + window].decode("utf-8", "surrogateescape")
            try:
                _, end = _EXTENT.raw_decode(written)
                break
            except ValueError:
                if len(self.text) - self.pos <= window:
                    raise Stopped("a member's value that is not JSON") from None
                window *= 2
        length = len(written[:end].encode("utf-8", "surrogateescape"))
        try:
            value = _ONE_VALUE.decode(self.text[self.pos : self.pos + length])
        except msgspec.DecodeError:
            raise Stopped("a member's value ijson reads otherwise") from None
        self.pos += length
        return value

    def pieces(self, values: bool) -> Iterator[list[Any]]:
        """The items of the array at the reading place, a piece at a time (``values``:
        decoded; else skipped, as ``msgspec.Raw``)."""
        self.expect(b"[")
        if self.peek() == ord("]"):
            self.pos += 1
            return
        size, last = PIECE_BYTES, False
        while not last:
            self.fill(size)
            cut = self._cut(size)
            if cut is None:
                if len(self.text) - self.pos < size or size >= MAX_HELD_BYTES:
                    raise Stopped("no cut between media")
                size *= 2
                continue
            end, after, last = cut
            piece = b"[" + self.text[self.pos : end] + b"]"
            if values:
                try:
                    yield _VALUES.decode(piece)
                except msgspec.DecodeError:
                    raise Stopped("media ijson reads otherwise") from None
            else:
                yield _SKIPPED.decode(piece)
            self.pos = after
            size = PIECE_BYTES

    def _cut(self, size: int) -> tuple[int, int, bool] | None:
        """Where a piece of at most ``size`` bytes can end: the end of its last item, the
        place after the ``,`` or ``]`` that follows, and whether that was ``]``."""
        text, start = self.text, self.pos
        before = min(len(text), start + size)
        for _ in range(CUT_TRIES):
            brace = text.rfind(b"}", start, before)
            if brace < 0:
                return None
            before = brace
            after = _WHITESPACE.match(text, brace + 1).end()  # type: ignore[union-attr]
            if after >= len(text) or text[after] not in b",]":
                continue
            try:
                _SKIPPED.decode(b"[" + text[start : brace + 1] + b"]")
            except msgspec.DecodeError as error:
                end = self._array_end(error, brace)
                if end is not None:
                    return end, end + 1, True
                continue
            return brace + 1, after + 1, text[after] == ord("]")
        return None

    def _array_end(self, error: msgspec.DecodeError, brace: int) -> int | None:
        """Where the array ends, when a piece cut at ``brace`` held its end and more: its
        ``]`` stands before the first character that the decoder found trailing."""
        trailing = _TRAILING.search(str(error))
        if trailing is None:
            return None
        end = self.text.rfind(b"]", self.pos, self.pos + int(trailing[1]) - 2)
        if end < 0 or end > brace:
            return None
        try:
            _SKIPPED.decode(b"[" + self.text[self.pos : end] + b"]")
        except msgspec.DecodeError:
            return None
        return end


def walk(file: BinaryIO, *, cases: bool, values: bool) -> Iterator[Event]:
    """The document's members, its cases (``cases``) or its items, their members and media
    (``values``: decoded; else as ``msgspec.Raw``, to count); Stopped where it is not plain."""
    text = _Text(file)

    def value() -> Iterator[Event]:
        yield Value()
        yield from _cases(text, values) if cases else _media(text, None, values)

    yield from _members(text, None, "value", value)
    if text.peek() is not None:
        raise Stopped("text after the document")


def _members(
    text: _Text, case: int | None, special: str, read: Callable[[], Iterator[Event]]
) -> Generator[Event, None, bool]:
    """The members of the object at the reading place (the document's, or case ``case``'s),
    its ``}`` read; the value of ``special`` read by ``read``. Returns whether it was there."""
    text.expect(b"{")
    if text.peek() == ord("}"):
        text.pos += 1
        return False
    seen = False
    while True:
        key = _plain_key(text.key(), top=case is None)
        if key != special:
            yield Member(case, key, text.value())
        elif seen:
            raise Stopped(f"a second {special}")
        else:
            seen = True
            yield from read()
        if not text.next_in(b"}"):
            return seen


def _plain_key(key: str, *, top: bool) -> str:
    if "." in key and not (top and key in _CONTEXT_KEYS) and _PREFIX_PARTS & set(key.split(".")):
        raise Stopped("a dotted key")
    return key


def _media(text: _Text, case: int | None, values: bool) -> Iterator[Media]:
    """The media of the array at the reading place, a piece at a time."""
    start = 0
    for piece in text.pieces(values):
        yield Media(case, start, piece)
        start += len(piece)


def _cases(text: _Text, values: bool) -> Iterator[Event]:
    text.expect(b"[")
    if text.peek() == ord("]"):
        text.pos += 1
        return
    index = 0
    while True:
        yield Case(index)
        media = yield from _members(text, index, "Media", partial(_media, text, index, values))
        if not media:
            raise NotCases if index == 0 else Stopped("an item beside the cases")
        if not text.next_in(b"]"):
            return
        index += 1
