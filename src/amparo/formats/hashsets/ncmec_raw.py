"""NCMEC entries read from the file's own text where it is written plainly, while libxml2
checks the rest of the document as it goes; ``ncmec`` reads the rest with lxml's tree.

NCMEC's answers are written by a program, every entry in the same few shapes. Building a
tree for each (``ncmec._chunked_items``) costs most of an import's time, so this reader
matches the text itself, with the rigid patterns of ``ncmec_columns.RAW``, and gives the same
entries with the same places. It does so only where the text can mean nothing else:

- An entry the rigid pattern matches is well-formed by itself: fixed names, balanced tags, no
  attribute but the member's id, no reference, no CDATA, no comment, and no character XML
  forbids (a run is cut before one). Everything around the entries (the declaration, the
  root's and the sections' tags, the paging, whatever follows the root) is fed, as it is read
  past, to a libxml2 parser that builds nothing and only checks that the document is
  well-formed (``checking_parser``): so libxml2 checks the document without its plain
  entries, which stays well-formed exactly when the whole is. A document it refuses is left
  where it broke, for ``ncmec`` to read with the tree, which reports the error. That parser
  lets namespace errors pass (the tree does not): a tag that binds a prefix, or binds a
  namespace name XML reserves, is left to the tree.
- The text is UTF-8 (declared or not; a UTF-8 BOM is allowed). CRLF is read as LF, as XML
  reads it (libxml2 counts a line at each LF, so the lines are the same).
- Around the entries, only this is read: the XML declaration, ``<queryResult>`` with
  unprefixed attributes (a default namespace, not one XML reserves), then sections
  ``<images>`` and ``<videos>`` (the same), ``<paging>`` holding at most a
  ``<next>`` link (ignored, as ``ncmec`` ignores it), and ``</queryResult>``; whitespace
  between. Whatever follows the root's end is left to libxml2's check.
- In a section, a run of entries that the rigid pattern matches one after the other, with
  whitespace between, is one EntryBatch (``ncmec_columns.columns``), its places the line
  where each entry starts (``LinePlaces``). The run stops before an entry holding ``&``, a
  CR, a control character, U+FFFE/U+FFFF or ``]]>``, or a value that is not plain (no id, a
  hash that is not hex).
- Any other entry element (other children, attributes, references, comments inside) is a
  ``Fragment``: its text, from its start tag to the first end tag of its name, holding no
  comment, CDATA section, processing instruction or element of its own name, which
  ``ncmec`` parses on its own with lxml and reads as it reads an element of the tree.
- Anything else (a comment or an element that is no entry between entries, a prefixed
  section, an entry element that cannot be cut out) stops this reader: ``Outcome`` says how
  many section children it has read, and ``ncmec`` reads the document with the tree from
  there on.

``tests/test_hashset_batches.py`` checks this reader against the element reader on generated
documents, messy ones included.
"""

from __future__ import annotations

import codecs
import dataclasses
import re
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from itertools import accumulate
from operator import methodcaller
from typing import Any, BinaryIO

from lxml import etree

from amparo.formats.hashsets import EntryBatch, LinePlaces, ncmec_columns
from amparo.formats.xml import checking_parser, parse_fragment

CHUNK_BYTES = 256 * 1024
# Text held unread at most: an entry, a tag or a run of whitespace longer than this is read by
# the tree (memory stays bounded whatever the file).
MAX_HELD_CHARACTERS = 4 * 1024 * 1024
MAX_WINDOW_CHARACTERS = 128 * 1024
MIN_WINDOW_CHARACTERS = 4096
_SPACE = "[ \t\n]*"
_NAME = r"[A-Za-z_][\w.-]*"
_VALUE = """(?:"[^"<]*"|'[^'<]*')"""
_HEAD = re.compile(
    rf"\ufeff?(?:<\?xml(?P<declaration>[^<>]*?)\?>)?{_SPACE}"
    rf"<queryResult(?:[ \t\n]+{_NAME}{_SPACE}={_SPACE}{_VALUE})*{_SPACE}>"
)
# The namespace names XML reserves: binding them is a namespace error, which the checking
# parser (unlike the tree's) lets pass; a tag naming them is left to the tree.
_RESERVED_NAMESPACES = ("w3.org/XML/1998/namespace", "w3.org/2000/xmlns")
_ENCODING = re.compile(r"""encoding[ \t\n]*=[ \t\n]*["']([^"']*)["']""")
_SECTION = re.compile(
    rf"<(?P<name>images|videos)(?:[ \t\n]+{_NAME}{_SPACE}={_SPACE}{_VALUE})*{_SPACE}(?P<empty>/?)>"
)
_PAGING = re.compile(rf"<paging>{_SPACE}(?:<next>[^<]*</next>{_SPACE})?</paging>|<paging/>")
_ROOT_END = "</queryResult>"
_ENTRY_START = re.compile(r"<(image|deletedImage|video|deletedVideo)[ \t\n/>]")
_NOT_IN_FRAGMENT = re.compile(r"<[!?]")
_FORBIDDEN = re.compile("[&\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FORBIDDEN_BYTES = bytes(c for c in range(0x80) if _FORBIDDEN.match(chr(c)))  # its ASCII ones
_CDATA_END = "]]>"  # not allowed in text either
_WHITESPACE = re.compile(_SPACE)
_NEWLINES = methodcaller("count", "\n")


class Stopped(Exception):
    """The text is not plain enough to read here: the tree reads on from where this stopped."""


@dataclasses.dataclass
class Outcome:
    """How far the reader went: section children read, and whether it read the whole
    document (libxml2 accepted all of it)."""

    children: int = 0
    complete: bool = False


@dataclasses.dataclass(frozen=True)
class Fragment:
    """An entry element cut out of the text and parsed on its own, for ``ncmec`` to read: its
    tag's local name, and the line where it starts (the element's own lines count from 1)."""

    element: etree._Element
    name: str
    line: int


class _Text:
    """The document's text, read a chunk at a time; what is not an entry is fed to libxml2 as
    it is read past (``advance(..., checked=True)``)."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.checker = checking_parser()
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.text = ""  # read, from ``pos`` on not read past yet
        self.pos = 0
        self.line = 1  # the line at ``pos``
        self.held = ""  # a CR that ended a chunk: its LF may start the next one
        self.ended = False
        self.window = MAX_WINDOW_CHARACTERS

    def more(self) -> bool:
        """Read the next chunk; False at the end of the file."""
        if self.ended:
            return False
        chunk = self.file.read(CHUNK_BYTES)
        decoded = self.held + self.decoder.decode(chunk, final=not chunk)
        self.ended = not chunk
        self.held = ""
        if decoded.endswith("\r") and not self.ended:
            decoded, self.held = decoded[:-1], "\r"
        if len(self.text) - self.pos + len(decoded) > MAX_HELD_CHARACTERS:
            raise Stopped
        if "\r" in decoded:
            decoded = decoded.replace("\r\n", "\n")
        self.text = self.text[self.pos :] + decoded
        self.pos = 0
        return True

    def check_rest(self) -> None:
        """Feed libxml2 the rest of the document, and end it (XMLSyntaxError where the
        document is not well-formed)."""
        while True:
            self.advance(len(self.text), checked=True)
            if not self.more():
                break
        self.checker.close()

    def fit_window(self, read: int, *, whole: bool) -> None:
        """The text a run is looked for in: larger while runs take all of it, about twice the
        last run otherwise (a match looked for beyond the run's end is work lost)."""
        if whole:
            self.window = min(2 * self.window, MAX_WINDOW_CHARACTERS)
        else:
            self.window = max(MIN_WINDOW_CHARACTERS, 2 * read)

    def advance(self, end: int, *, checked: bool = False) -> None:
        """Read past the text up to ``end``; ``checked``: feed it to libxml2 (XMLSyntaxError
        where what it has been fed so far cannot begin a well-formed document)."""
        if checked:
            self.checker.feed(self.text[self.pos : end].encode("utf-8"))
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end

    def skip_space(self) -> None:
        """Past the whitespace at the reading place (read further where it ends the text)."""
        while True:
            found = _WHITESPACE.match(self.text, self.pos)
            if found is not None and found.end() > self.pos:
                self.advance(found.end())
            if self.pos < len(self.text) or not self.more():
                return

    def ensure(self, marker: str, start: int | None = None) -> int:
        """Where ``marker`` stands from ``start`` (the reading place) on, read further until it
        is there; -1 where the document ends first."""
        while True:
            found = self.text.find(marker, self.pos if start is None else start)
            if found >= 0 or not self.more():
                return found

    def match(self, pattern: re.Pattern[str], through: str = ">") -> re.Match[str] | None:
        """``pattern`` at the reading place, once the text holds ``through`` after it."""
        self.skip_space()
        self.ensure(through)
        return pattern.match(self.text, self.pos)

    def starts(self, text: str) -> bool:
        while True:
            self.skip_space()
            held = self.text[self.pos : self.pos + len(text)]
            if held == text:
                self.advance(self.pos + len(text), checked=True)
                return True
            if not text.startswith(held) or not self.more():
                return False


def read_plain(file: BinaryIO, *, outcome: Outcome) -> Iterator[EntryBatch | Fragment]:
    """The entries of the document from its start, until it is not plain (see the module)."""
    file.seek(0)
    source = _Text(file)
    try:
        _read_head(source)
        while (section := _next_section(source)) is not None:
            for item in _section(source, section):
                outcome.children += len(item.places) if isinstance(item, EntryBatch) else 1
                yield item
        source.check_rest()
        outcome.complete = True
    except (Stopped, etree.XMLSyntaxError, UnicodeDecodeError):
        return


def _read_head(source: _Text) -> None:
    root = source.ensure("<queryResult")
    if root < 0 or source.ensure(">", root) < 0:
        raise Stopped
    head = _HEAD.match(source.text, source.pos)
    if head is None or _names_reserved(head[0]):
        raise Stopped
    encoding = _ENCODING.search(head["declaration"] or "")
    if encoding is not None and encoding[1].lower() != "utf-8":
        raise Stopped
    source.advance(head.end(), checked=True)


def _names_reserved(tag: str) -> bool:
    return any(name in tag for name in _RESERVED_NAMESPACES)


def _next_section(source: _Text) -> str | None:
    """The name of the next section, its start tag read; None at the root's end."""
    while True:
        if source.starts(_ROOT_END):
            return None
        section = source.match(_SECTION)
        if section is not None and _names_reserved(section[0]):
            raise Stopped
        if section is not None:
            source.advance(section.end(), checked=True)
            if not section["empty"]:
                return section["name"]
            continue
        paging = source.match(_PAGING, through="/paging>" if _opens_paging(source) else ">")
        if paging is None:
            raise Stopped
        source.advance(paging.end(), checked=True)


def _opens_paging(source: _Text) -> bool:
    return source.text.startswith("<paging>", source.pos)


def _section(source: _Text, name: str) -> Iterator[EntryBatch | Fragment]:
    end_tag = f"</{name}>"
    while not source.starts(end_tag):
        source.skip_space()
        run = _run(source)
        if run:
            yield from run
            continue
        fragment = _fragment(source)
        if fragment is not None:
            yield fragment
            continue
        if not source.more():
            raise Stopped


def _run(source: _Text) -> list[EntryBatch]:
    """The plain entries that follow one another from the reading place, as one batch."""
    text, pos = source.text, source.pos
    first = ncmec_columns.RAW.entry.match(text, pos)
    if first is None:
        return []
    window = text[pos : pos + max(source.window, 2 * (first.end() - pos))]
    pattern = ncmec_columns.shaped(ncmec_columns.RAW, first)
    parts = pattern.split(window)
    general = len(parts) < 2 * (pattern.groups + 1) + 1  # the next entry is of another shape
    if general:
        pattern = ncmec_columns.RAW.entry
        parts = pattern.split(window)
    stride = pattern.groups + 1
    if parts[0]:
        return []  # cannot be: the first entry matches
    wholes = parts[pattern.groupindex["whole"] :: stride]
    count = _joined_count(parts, stride, len(wholes))
    ends = list(accumulate(map(len, wholes[:count]), initial=pos))
    forbidden = _first_forbidden(text, pos, ends[-1])
    if forbidden >= 0:
        count = bisect_right(ends, forbidden) - 1
    groups = ncmec_columns.groups_of(pattern, parts, count, general=general)
    found, count = _plain_columns(groups, count)
    source.fit_window(ends[count] - pos, whole=count == len(wholes))
    if not count:
        return []
    places = _places(source.line, list(map(_NEWLINES, wholes[:count])))
    source.advance(ends[count])
    return [EntryBatch(places, found)]


def _places(line: int, newlines: list[int]) -> LinePlaces:
    """The lines where entries start, the first at ``line``, each holding ``newlines[i]``
    (a range where they all hold as many, as a program writes them)."""
    step = newlines[0]
    if newlines.count(step) == len(newlines):
        if step == 0:
            return LinePlaces(array("q", [line]) * len(newlines))
        return LinePlaces(range(line, line + step * len(newlines), step))
    return LinePlaces(accumulate(newlines[:-1], initial=line))


def _first_forbidden(text: str, start: int, end: int) -> int:
    """Where the first character or sequence that the rigid patterns must not read stands
    between ``start`` and ``end``; -1 where there is none."""
    segment = text[start:end]
    if segment.isascii():  # the usual: bytes deleted at C speed, the pattern only if one is
        written = segment.encode("ascii")
        if len(written.translate(None, _FORBIDDEN_BYTES)) == len(written):
            return text.find(_CDATA_END, start, end)
    found = _FORBIDDEN.search(text, start, end)
    cdata_end = text.find(_CDATA_END, start, end)
    places = [place for place in (-1 if found is None else found.start(), cdata_end) if place >= 0]
    return min(places, default=-1)


def _joined_count(parts: list[Any], stride: int, matched: int) -> int:
    """How many of the ``matched`` entries follow the first with nothing between them."""
    between = parts[stride : matched * stride : stride]
    if not "".join(between):
        return matched
    return next(at for at, text in enumerate(between, start=1) if text)


def _plain_columns(groups: dict[str, list[Any]], count: int) -> tuple[dict[str, Any], int]:
    """The columns of the longest run of plain entries from the first, and its length."""
    found = ncmec_columns.columns(groups, count) if count else None
    if found is not None:
        return found, count
    low, high, best = 0, count - 1, {}
    while low < high:  # the first ``low`` are plain, the first ``high + 1`` are not
        middle = (low + high + 1) // 2
        columns = ncmec_columns.columns({k: v[:middle] for k, v in groups.items()}, middle)
        if columns is None:
            high = middle - 1
        else:
            low, best = middle, columns
    return best, low


def _fragment(source: _Text) -> Fragment | None:
    """The entry element at the reading place as a Fragment, None when more text is needed;
    Stopped when it cannot be cut out of the text."""
    text, pos = source.text, source.pos
    start = _ENTRY_START.match(text, pos)
    if start is None:
        if len(text) - pos > len("<deletedImage "):
            raise Stopped  # no entry: a comment, an element of another name, a prefix
        return None
    name, end_tag = start[1], f"</{start[1]}>"
    opened = text.find(">", pos)
    if opened < 0:
        return None
    if text[opened - 1] == "/":  # <image/>
        end = opened + 1
    else:
        closed = text.find(end_tag, pos)
        if closed < 0:
            return None
        end = closed + len(end_tag)
    written = text[pos:end]
    if _NOT_IN_FRAGMENT.search(written) or re.search(f"<{name}[ \t\n/>]", written[1:]):
        raise Stopped
    try:
        element = parse_fragment(written)
    except etree.XMLSyntaxError as error:  # a prefix declared outside it, a ">" in a value
        raise Stopped from error
    line = source.line
    source.advance(end)
    return Fragment(element, name, line)
