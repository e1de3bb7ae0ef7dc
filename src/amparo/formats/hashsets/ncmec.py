"""NCMEC hash-sharing API v2 XML (a saved ``GET /v2/entries`` answer) into known entries.

NCMEC's own documentation (``hashsharing/v2/documentation.pdf``) is not public; the element
names follow the public client in Meta's python-threatexchange
(``exchanges/clients/ncmec/hash_api.py`` and its test data, which quotes the documentation)::

    <queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">
      <images count="2" maxTimestamp="2017-10-24T15:10:00Z">
        <image>
          <member id="42">Member name</member> <timestamp>...</timestamp> <id>image1</id>
          <classification>A1</classification>
          <fingerprints> <md5/> <sha1/> <pdna/> <pdq/> ... </fingerprints>
          <feedback>...</feedback>
        </image>
        <deletedImage> <member id="43"/> <id>image4</id> <timestamp/> </deletedImage>
      </images>
      <videos> <video>...</video> <deletedVideo>...</deletedVideo> </videos>
      <paging> <next>/v2/entries?...</next> </paging>
    </queryResult>

Elements are matched on local names, so the namespace (or its absence) does not matter.

- ``entry_id`` is ``{member id}-{id}``, as that client keys entries (an id is only known to be
  unique within its member); just ``id`` when there is no member. A ``deletedImage``/
  ``deletedVideo`` gives ``deleted=True`` with that id.
- Entries come in document order, additions and deletions interleaved exactly as the file has
  them (never grouped by kind), and the same id may appear more than once (added, then deleted,
  then perhaps added again). They must be applied in that order: the last entry for an id is its
  state after this file.
- ``classification`` A1, A2, B1 or B2 → ``Category("ncmec-industry", code)``; any other code is
  kept as ``Category("ncmec", code)``.
- Fingerprints ``md5``, ``sha1``, ``pdq`` are checked hex; ``pdna`` is PhotoDNA, kept as given.
  Others (``netclean``, or large ones such as ``tmk-pdqf`` and ``videntifier`` that the API only
  links to with ``href``) are kept in ``details["fingerprints"]``.
- Every other child (``id``, ``member``, ``timestamp``, ``feedback``) is kept in ``details`` as
  data: text, or ``{"@attribute": ..., "#text": ...}``, or a mapping of children.

The file is streamed, hardened as ``amparo.formats.xml`` says. Where it is written plainly, as
NCMEC's program writes it, entries are read from its text while libxml2 checks it
(``ncmec_raw``: no tree is built); from the first thing that is not plain on, lxml parses
``CHUNK_BYTES`` at a time, then the section's children that are complete are read and
removed from memory. Plain entries are read a chunk at a time as columns (``ncmec_columns``,
from libxml2's serialization of the chunk); a chunk that is not all plain is read element by
element (``ncmec_batch`` where an entry is plain, ``_entry`` otherwise), as
``_element_items`` reads each entry at its end with ``iterparse``. A file that is not
well-formed is read again that way from where the chunks stopped, so that what comes before
the error is reported as before. A bad entry (no ``<id>``, a malformed hash, an unexpected
element in a section) is an InvalidInput naming its line and costs that entry only.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from typing import Any, BinaryIO

from lxml import etree

from amparo.errors import InvalidInput
from amparo.formats.hashsets import (
    EntryBatch,
    EntryRow,
    HashSetStream,
    check_size,
    clean_text,
    entry_hashes,
    ncmec_batch,
    ncmec_columns,
    ncmec_raw,
    strict_read,
)
from amparo.formats.xml import (
    add_repeated,
    element_data,
    iterparse_root,
    iterparse_xml,
    local_name,
    pull_parser,
)
from amparo.model import Category, HashSetFile

FORMAT = "ncmec-hashsharing"
_ENTRY_ELEMENTS = {
    "image": ("image", False),
    "deletedImage": ("image", True),
    "video": ("video", False),
    "deletedVideo": ("video", True),
}
_SECTIONS = {"images", "videos"}
_TAGS = tuple(f"{{*}}{name}" for name in (*_ENTRY_ELEMENTS, *_SECTIONS))
_SECTION_TAGS = tuple(f"{{*}}{name}" for name in _SECTIONS)
READ_BATCH = 1024  # plain entries staged together, when read one by one
CHUNK_BYTES = 128 * 1024  # parsed at a time: the Python side of a chunk stays small
_HASH_FINGERPRINTS = {"md5": "md5", "sha1": "sha1", "pdq": "pdq", "pdna": "photodna"}
_MODELLED = {"classification", "fingerprints"}


def read_ncmec(data: bytes, *, path: str) -> HashSetFile:
    """The images and videos of an NCMEC hash-sharing answer, deletions included."""
    check_size(data, path=path)
    return strict_read(stream_ncmec(io.BytesIO(data), path=path), path=path)


def stream_ncmec(file: BinaryIO, *, path: str) -> HashSetStream:
    """The entries of an NCMEC hash-sharing answer, read one element at a time."""
    root = iterparse_root(file, path=path)
    if local_name(root) != "queryResult":
        raise InvalidInput(
            f"XML whose root is <{local_name(root)}>, not an NCMEC hash-sharing <queryResult>",
            path=path,
            place=_line(root),
        )
    return HashSetStream(FORMAT, _version(root), None, _items(file, path=path))


@dataclasses.dataclass
class _Progress:
    """How many section children the chunked reader has read, and the elements that are not
    entries it holds back at the start of the open section: how many, and the last."""

    read: int = 0
    held: int = 0
    last_held: etree._Element | None = None
    skip: int = 0  # entries read before (by ``ncmec_raw``), left out


def _items(
    file: BinaryIO, *, path: str
) -> Iterator[tuple[str, EntryRow] | EntryBatch | InvalidInput]:
    """The section children a chunk at a time; a file that is not well-formed is read again
    element by element from where the chunks stopped, so that the entries before the error
    and the error itself are reported exactly as ``_element_items`` reports them."""
    outcome = ncmec_raw.Outcome()
    for item in ncmec_raw.read_plain(file, outcome=outcome):
        if isinstance(item, ncmec_raw.Fragment):
            yield from _fragment_items(item, path=path)
        else:
            yield item
    if outcome.complete:
        return
    progress = _Progress(skip=outcome.children)
    file.seek(0)
    try:
        yield from _chunked_items(file, path=path, progress=progress)
    except etree.XMLSyntaxError:
        file.seek(0)
        yield from _element_items(file, path=path, skip=progress.read + progress.skip)


def _fragment_items(
    fragment: ncmec_raw.Fragment, *, path: str
) -> Iterator[tuple[str, EntryRow] | EntryBatch | InvalidInput]:
    """An entry parsed on its own, read as an entry of the tree is, its places moved to the
    lines where it stands in the file."""
    places: list[str] = []
    rows: list[tuple[Any, ...]] = []
    found = [*_one_entry(fragment.element, fragment.name, places, rows, path=path)]
    found += _flushed(places, rows)
    for item in found:
        yield _moved(item, fragment.line - 1)


def _moved(
    item: tuple[str, EntryRow] | EntryBatch | InvalidInput, lines: int
) -> tuple[str, EntryRow] | EntryBatch | InvalidInput:
    if isinstance(item, EntryBatch):
        return EntryBatch([_moved_place(place, lines) for place in item.places], item.columns)
    if isinstance(item, InvalidInput):
        place = None if item.place is None else _moved_place(item.place, lines)
        return type(item)(item.reason, path=item.path, place=place)
    return _moved_place(item[0], lines), item[1]


def _moved_place(place: str, lines: int) -> str:
    """``line N`` (all that ``_line`` writes) ``lines`` lines further."""
    if not place.startswith("line "):
        return place
    return f"line {int(place[5:]) + lines}"


def _chunked_items(
    file: BinaryIO, *, path: str, progress: _Progress
) -> Iterator[tuple[str, EntryRow] | EntryBatch | InvalidInput]:
    """Parse ``CHUNK_BYTES`` at a time; the complete children of the open section are read
    after each (as one batch when ``ncmec_columns`` can), then removed from memory."""
    parser = pull_parser(tags=_SECTION_TAGS)
    section = None
    while chunk := file.read(CHUNK_BYTES):
        parser.feed(chunk)
        for event, element in parser.read_events():
            if _name(element.tag) not in _SECTIONS or not _is_root(element.getparent()):
                continue  # a section only directly under the root
            if event == "start":
                section = element
            else:
                yield from _children(element, True, path, progress)
                element.clear()
                section = None
        if section is not None:
            yield from _children(section, False, path, progress)
    parser.close()


def _children(
    section: etree._Element, ended: bool, path: str, progress: _Progress
) -> Iterator[tuple[str, EntryRow] | EntryBatch | InvalidInput]:
    """The children of ``section`` that are complete (all once it has ended, else all but the
    last), read, then removed. Before the section ends, elements that are not entries after
    the last entry are held back, as ``_element_items`` reports them only when it reads an
    entry after them or the section's end (and never if the file breaks off before); only the
    children after them are looked at again (``itersiblings``, not ``len`` or an index, which
    would walk through all of them each chunk)."""
    if progress.skip:
        _skip(section, ended, progress)
    held = progress.held
    last = progress.last_held
    children = list(section) if last is None else list(last.itersiblings())
    if children and not ended:
        children.pop()  # still being parsed
    batch = None
    if not held and children:
        places = [f"line {child.sourceline}" for child in children]
        serialized = etree.tostring(section, encoding="unicode", with_tail=False)
        batch = ncmec_columns.plain_batch(serialized, len(children), places)
    if batch is not None:
        items: list[tuple[str, EntryRow] | EntryBatch | InvalidInput] = [batch]
        done = len(children)
    else:
        done = len(children) if ended else _through_last_entry(children)
        if done or ended:
            items = list(_read_one_by_one([*section[:held], *children[:done]], section, path=path))
            done += held
        else:
            items = []
    progress.read += done
    progress.held += len(children) - done
    progress.last_held = (children[-1] if children else last) if progress.held else None
    del children, last  # lxml removes children without a Python proxy much faster
    del section[:done]
    yield from items


def _skip(section: etree._Element, ended: bool, progress: _Progress) -> None:
    """Remove the first children of ``section`` that were read before, as far as complete."""
    complete = len(section) if ended else max(len(section) - 1, 0)
    skipped = min(progress.skip, complete)
    del section[:skipped]
    progress.skip -= skipped
    progress.read += skipped


def _through_last_entry(children: list[etree._Element]) -> int:
    """How many of ``children`` there are up to their last entry."""
    names = [_name(child.tag) for child in children]
    return max((n + 1 for n, name in enumerate(names) if name in _ENTRY_ELEMENTS), default=0)


def _read_one_by_one(
    children: list[etree._Element], section: etree._Element, *, path: str
) -> Iterator[tuple[str, EntryRow] | EntryBatch | InvalidInput]:
    """Section children read element by element, plain entries still staged together."""
    places: list[str] = []
    rows: list[tuple[Any, ...]] = []
    for child in children:
        name = _name(child.tag)
        if name not in _ENTRY_ELEMENTS:
            yield from _flushed(places, rows)
            yield _unexpected_one(child, section, path=path)
            continue
        yield from _one_entry(child, name, places, rows, path=path)
    yield from _flushed(places, rows)


def _element_items(
    file: BinaryIO, *, path: str, skip: int = 0
) -> Iterator[tuple[str, EntryRow] | EntryBatch | InvalidInput]:
    """Each entry at its end (lxml ``iterparse``), runs of plain entries as batches
    (``ncmec_batch``), leaving out the first ``skip`` section children."""
    places: list[str] = []
    rows: list[tuple[Any, ...]] = []
    try:
        yield from _elements(file, path, skip, places, rows)
    except InvalidInput:
        yield from _flushed(places, rows)  # the entries before a well-formedness error
        raise
    yield from _flushed(places, rows)


def _elements(
    file: BinaryIO, path: str, skip: int, places: list[str], rows: list[tuple[Any, ...]]
) -> Iterator[tuple[str, EntryRow] | EntryBatch | InvalidInput]:
    for element in iterparse_xml(file, path=path, tags=_TAGS):
        parent = element.getparent()
        name = _name(element.tag)
        if name in _SECTIONS:
            if _is_root(parent):
                yield from _flushed(places, rows)
                for child in list(element):
                    skip, report = skip - 1, skip <= 0
                    if report:
                        yield _unexpected_one(child, element, path=path)
                element.clear()
            continue
        if name not in _ENTRY_ELEMENTS:
            continue  # "p:image" where the prefix p is not declared: rejected at the end
        if parent is None or _name(parent.tag) not in _SECTIONS or not _is_root(parent.getparent()):
            continue  # an element named like an entry elsewhere is data, read with its entry
        for child in _before(element):
            skip, report = skip - 1, skip <= 0
            if report:
                yield from _flushed(places, rows)
                yield _unexpected_one(child, parent, path=path)
            parent.remove(child)
        skip, report = skip - 1, skip <= 0
        if report:
            yield from _one_entry(element, name, places, rows, path=path)
        element.clear()
        del parent[0]


def _one_entry(
    element: etree._Element,
    name: str,
    places: list[str],
    rows: list[tuple[Any, ...]],
    *,
    path: str,
) -> Iterator[tuple[str, EntryRow] | EntryBatch | InvalidInput]:
    """An entry element: gathered with the plain entries before it, or read on its own (after
    them), its error yielded."""
    plain = ncmec_batch.plain_entry(element, *_ENTRY_ELEMENTS[name])
    if plain is not None:
        places.append(_line(element))
        rows.append(plain)
        if len(rows) >= READ_BATCH:
            yield from _flushed(places, rows)
        return
    yield from _flushed(places, rows)
    try:
        yield _line(element), _entry(element, path=path)
    except InvalidInput as error:
        yield error


def _flushed(places: list[str], rows: list[tuple[Any, ...]]) -> Iterator[EntryBatch]:
    """The plain entries gathered so far as one batch; the lists are emptied."""
    if rows:
        yield ncmec_batch.batch(places[:], rows[:])
        places.clear()
        rows.clear()


def _name(tag: object) -> str:
    """An element's local name from its tag (remembered for the few tags a file uses)."""
    return ncmec_batch.local(tag) or ""


def _is_root(element: etree._Element | None) -> bool:
    return element is not None and element.getparent() is None


def _before(element: etree._Element) -> list[etree._Element]:
    """The siblings still in memory before ``element``: elements that are not entries."""
    return list(element.itersiblings(preceding=True))[::-1]


def _unexpected_one(element: etree._Element, section: etree._Element, *, path: str) -> InvalidInput:
    return InvalidInput(
        f"unexpected <{local_name(element)}> in <{local_name(section)}>",
        path=path,
        place=_line(element),
    )


def _entry(element: etree._Element, *, path: str) -> EntryRow:
    kind, deleted = _ENTRY_ELEMENTS[local_name(element)]
    children: dict[str, etree._Element] = {}
    details: dict[str, Any] = {}
    for child in element:  # one pass: the first child of each name, the others as data
        name = _name(child.tag) or local_name(child)
        children.setdefault(name, child)
        if name not in _MODELLED:
            add_repeated(details, name, element_data(child))
    found, other_fingerprints = _fingerprints(children.get("fingerprints"))
    hashes, quality = entry_hashes(found, path=path)
    if other_fingerprints:
        details["fingerprints"] = other_fingerprints
    if quality is not None:
        details["pdq_quality"] = quality
    return (
        _entry_id(element, children, path=path),
        kind,
        hashes.get("md5"),
        hashes.get("sha1"),
        None,
        hashes.get("pdq"),
        hashes.get("photodna"),
        None,
        _category(children.get("classification")),
        None,
        None,
        None,
        None,
        deleted,
        details,
    )


def _entry_id(element: etree._Element, children: dict[str, etree._Element], *, path: str) -> str:
    ncmec_id = _text(children.get("id"))
    if ncmec_id is None:
        raise InvalidInput(
            f"<{local_name(element)}> without an <id>", path=path, place=_line(element)
        )
    member = children.get("member")
    member_id = None if member is None else clean_text(member.get("id"))
    return ncmec_id if member_id is None else f"{member_id}-{ncmec_id}"


def _fingerprints(
    element: etree._Element | None,
) -> tuple[dict[str, tuple[str | None, str]], dict[str, Any]]:
    """The hashes Amparo models as ``{field: (text, place)}``, and the other fingerprints."""
    found: dict[str, tuple[str | None, str]] = {}
    other: dict[str, Any] = {}
    for child in () if element is None else element:
        name = _name(child.tag) or local_name(child)
        if name in _HASH_FINGERPRINTS:
            found[_HASH_FINGERPRINTS[name]] = (child.text, _line(child))
        else:
            add_repeated(other, name, element_data(child))
    return found, other


def _category(element: etree._Element | None) -> Category | None:
    code = _text(element)
    if code is None:
        return None
    if code.upper() in ncmec_batch.INDUSTRY_CODES:
        return Category("ncmec-industry", code.upper())
    return Category("ncmec", code)


def _text(element: etree._Element | None) -> str | None:
    return None if element is None else clean_text(element.text)


def _version(root: etree._Element) -> str | None:
    """``v2`` from the namespace ``https://hashsharing.ncmec.org/hashsharing/v2``."""
    namespace = etree.QName(root).namespace
    return None if namespace is None else namespace.rstrip("/").rpartition("/")[2]


def _line(element: etree._Element) -> str:
    return f"line {element.sourceline}"
