"""Hardened XML parsing and XSD validation on lxml, whole (``parse_xml``) or streamed
(``iterparse_xml``, for files of any size).

No DTD is loaded, no entity is resolved, nothing is fetched from the network, and a document
that declares a DOCTYPE at all is refused: no format Amparo reads needs one, and entity
declarations are how expansion bombs and external-entity reads arrive.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO, TypedDict

from lxml import etree

from amparo.errors import InvalidInput, UnsafeInput

MAX_XML_BYTES = 32 * 1024 * 1024
_PROLOG_BYTES = 1024 * 1024
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")


class _ParserOptions(TypedDict):
    resolve_entities: bool
    no_network: bool
    load_dtd: bool
    dtd_validation: bool
    huge_tree: bool
    remove_comments: bool
    remove_pis: bool


_PARSER_OPTIONS: _ParserOptions = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def parse_xml(data: bytes, *, path: str) -> etree._Element:
    """The root element of ``data``, or InputRejected naming ``path`` and the line."""
    if len(data) > MAX_XML_BYTES:
        raise UnsafeInput(f"XML larger than the {MAX_XML_BYTES:,}-byte limit", path=path)
    if b"<!DOCTYPE" in _prolog(data):
        raise _doctype_refused(data, path)
    try:
        root = etree.fromstring(data, etree.XMLParser(**_PARSER_OPTIONS))
    except etree.XMLSyntaxError as error:
        line, column = error.position
        raise InvalidInput(
            f"not well-formed XML: {error.msg}", path=path, place=f"line {line}, column {column}"
        ) from error
    if root.getroottree().docinfo.doctype:
        raise _doctype_refused(data, path)
    return root


def iterparse_xml(file: BinaryIO, *, path: str, tags: tuple[str, ...]) -> Iterator[etree._Element]:
    """Each element named in ``tags`` (lxml's ``{*}name`` matches any namespace) at its end,
    in document order, with the same hardening as ``parse_xml``; call ``iterparse_root``
    first, which refuses a DOCTYPE.

    The caller removes what it has read (``element.clear()`` and earlier siblings), so that
    memory holds one element at a time whatever the file's size.
    """
    events = etree.iterparse(file, events=("end",), tag=tags, **_PARSER_OPTIONS)
    try:
        for _, element in events:
            yield element
    except etree.XMLSyntaxError as error:
        line, column = error.position
        raise InvalidInput(
            f"not well-formed XML: {error.msg}", path=path, place=f"line {line}, column {column}"
        ) from error


def pull_parser(*, tags: tuple[str, ...]) -> etree.XMLPullParser:
    """A parser fed a chunk of bytes at a time (``feed``), with the same hardening as
    ``parse_xml``, that reports the start and the end of each element named in ``tags``;
    call ``iterparse_root`` first, which refuses a DOCTYPE. ``feed`` and ``close`` raise
    lxml's XMLSyntaxError."""
    return etree.XMLPullParser(events=("start", "end"), tag=tags, **_PARSER_OPTIONS)


class _NoEvents:
    """A parser target that takes no event: libxml2 then checks the text and builds nothing."""

    def close(self) -> None:
        return None


def checking_parser() -> etree.XMLParser:
    """A parser fed a chunk at a time (``feed``, then ``close``) that only checks that the
    document is well-formed, with the same hardening as ``parse_xml``: it raises lxml's
    XMLSyntaxError where ``pull_parser`` would; call ``iterparse_root`` first."""
    return etree.XMLParser(target=_NoEvents(), **_PARSER_OPTIONS)  # type: ignore[call-overload]


def parse_fragment(text: str) -> etree._Element:
    """One element written out in ``text``, parsed with the same hardening as ``parse_xml``
    (raises lxml's XMLSyntaxError)."""
    return etree.fromstring(text, etree.XMLParser(**_PARSER_OPTIONS))


def iterparse_root(file: BinaryIO, *, path: str) -> etree._Element:
    """The root element of a streamed document, before its children are read."""
    head = file.read(_PROLOG_BYTES)
    file.seek(0)
    if b"<!DOCTYPE" in _prolog(head):
        raise _doctype_refused(head, path)
    events = etree.iterparse(file, events=("start",), **_PARSER_OPTIONS)
    try:
        _, root = next(events)
    except StopIteration as error:
        raise InvalidInput("XML without a root element", path=path, place="line 1") from error
    except etree.XMLSyntaxError as error:
        line, column = error.position
        raise InvalidInput(
            f"not well-formed XML: {error.msg}", path=path, place=f"line {line}, column {column}"
        ) from error
    finally:
        file.seek(0)
    return _checked_root(root, head, path)


def _checked_root(root: etree._Element, head: bytes, path: str) -> etree._Element:
    if root.getroottree().docinfo.doctype:
        raise _doctype_refused(head, path)
    return root


def _prolog(data: bytes) -> bytes:
    """The bytes before the root element, where a DOCTYPE must stand."""
    start = _FIRST_ELEMENT.search(data)
    return data if start is None else data[: start.start()]


def _doctype_refused(data: bytes, path: str) -> UnsafeInput:
    return UnsafeInput(
        "XML with a DOCTYPE declaration is refused (entity expansion or external entity)",
        path=path,
        place=_doctype_place(data),
    )


def _doctype_place(data: bytes) -> str:
    offset = data.find(b"<!DOCTYPE")
    if offset < 0:
        return "document type declaration"
    line = data.count(b"\n", 0, offset) + 1
    return f"line {line}"


@cache
def load_schema(xsd: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(xsd), etree.XMLParser(no_network=True)))


def validate(root: etree._Element, schema: etree.XMLSchema, *, path: str, what: str) -> None:
    """Raise InvalidInput with the first schema violation and its line."""
    if schema.validate(root):
        return
    first = schema.error_log[0]
    raise InvalidInput(
        f"does not match the {what} schema: {first.message}",
        path=path,
        place=f"line {first.line}",
    )


def local_name(element: etree._Element) -> str:
    """An element's name without its namespace."""
    tag = element.tag
    if isinstance(tag, str):
        return tag.rpartition("}")[2]
    return etree.QName(element).localname


def element_data(element: etree._Element) -> Any:
    """An element as JSON-ready data, names without namespaces: its text, or a mapping of its
    attributes (``@name``) and children (a list where a child repeats)."""
    attributes = {f"@{name}": value for name, value in element.attrib.items()}
    if len(element) == 0:
        text = (element.text or "").strip()
        return {**attributes, "#text": text} if attributes else text
    data: dict[str, Any] = dict(attributes)
    for child in element:
        add_repeated(data, local_name(child), element_data(child))
    return data


def add_repeated(data: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key``, turning it into a list when the element repeats."""
    if key not in data:
        data[key] = value
    elif isinstance(data[key], list):
        data[key].append(value)
    else:
        data[key] = [data[key], value]
