"""NCMEC entries read from the file's own text (``ncmec_raw``): where it reads, it reads what
the tree reader reads; where the text is not plain it hands over, and nothing is read twice
or lost (the property test in ``test_hashset_batches`` compares both on messy documents)."""

from __future__ import annotations

import io
import pickle
from collections.abc import Iterable
from pathlib import Path

import pytest

from amparo.errors import InvalidInput
from amparo.formats.hashsets import EntryBatch, LinePlaces, ncmec_raw, one_at_a_time
from amparo.formats.hashsets import ncmec as ncmec_module
from amparo.formats.hashsets.ncmec import stream_ncmec
from amparo.model import Category

FIXTURE = Path(__file__).parent / "fixtures" / "hashsets" / "ncmec-v2.xml"
NCMEC = "https://hashsharing.ncmec.org/hashsharing/v2"
MD5 = "9995d4d79fc1caa10042118539c621c2"


def _entry(number: int, md5: str = MD5) -> str:
    return (
        f'<image><member id="7">Hotline</member><timestamp>2026-01-12T10:00:00Z</timestamp>'
        f"<id>i{number}</id><classification>A1</classification><fingerprints><md5>{md5}</md5>"
        "</fingerprints></image>\n"
    )


def _document(entries: list[str], *, after: str = "", before: str = "") -> bytes:
    body = "".join(entries)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<queryResult xmlns="{NCMEC}">{before}'
        f'<images count="{len(entries)}">\n{body}</images>{after}</queryResult>\n'
    ).encode()


def _raw(document: bytes) -> tuple[list[object], ncmec_raw.Outcome]:
    outcome = ncmec_raw.Outcome()
    return list(ncmec_raw.read_plain(io.BytesIO(document), outcome=outcome)), outcome


Read = tuple[list[object], tuple[str, str | None] | None]


def _stream(document: bytes) -> Read:
    """Every item the reader gives, one entry at a time, and the error that stopped it."""
    return _collected(stream_ncmec(io.BytesIO(document), path="set.xml").items)


def _by_element(document: bytes) -> Read:
    """The same from the element reader alone (each entry at its end, from lxml's tree)."""
    file = io.BytesIO(document)
    stream_ncmec(file, path="set.xml")
    return _collected(ncmec_module._element_items(file, path="set.xml"))


def _collected(items: Iterable[object]) -> Read:
    found: list[object] = []
    try:
        for item in one_at_a_time(items):  # type: ignore[arg-type]
            bad = isinstance(item, InvalidInput)
            found.append(("bad", item.reason, item.place) if bad else item)  # type: ignore[union-attr]
    except InvalidInput as error:
        return found, (error.reason, error.place)
    return found, None


def test_a_plain_document_is_read_from_its_text_in_batches_of_line_numbers() -> None:
    document = _document([_entry(number) for number in range(3000)], after="<paging/>")
    items, outcome = _raw(document)
    assert outcome.complete and outcome.children == 3000
    batches = [item for item in items if isinstance(item, EntryBatch)]
    assert len(batches) == len(items) and all(isinstance(b.places, LinePlaces) for b in batches)
    found, error = _stream(document)
    assert (found, error) == _by_element(document)
    assert found[2999] == (
        "line 3002",
        ("7-i2999", "image", MD5, *(None,) * 5, Category("ncmec-industry", "A1"),
         *(None,) * 4, False,
         {"member": {"@id": "7", "#text": "Hotline"}, "timestamp": "2026-01-12T10:00:00Z",
          "id": "i2999"}),
    )  # fmt: skip


def test_paging_before_the_entries_is_passed_over_without_reading_on() -> None:
    paging = "<paging>\n <next>/v2/entries?start=1001&amp;size=1000</next>\n</paging>\n"
    document = _document([_entry(number) for number in range(30_000)], before=paging)
    _, outcome = _raw(document)
    assert outcome.complete and outcome.children == 30_000
    assert _stream(document) == _by_element(document)


def test_past_line_65535_the_lines_are_the_tree_readers() -> None:
    document = _document([_entry(number) for number in range(70_000)])
    found, error = _stream(document)
    assert found[-1][0] == "line 70002"  # type: ignore[index]
    assert (found, error) == _by_element(document)


def test_a_bad_entry_costs_that_entry_only_and_the_run_goes_on() -> None:
    entries = [_entry(number) for number in range(500)]
    entries[300] = _entry(300, md5="not-hex")
    document = _document(entries)
    items, outcome = _raw(document)
    assert outcome.complete
    assert [len(item.places) for item in items if isinstance(item, EntryBatch)][:1] == [300]
    found, error = _stream(document)
    assert found[300] == ("bad", "md5 must be 32 hex digits, found 'not-hex'", "line 303")
    assert len(found) == 500 and error is None
    assert (found, error) == _by_element(document)


def test_entries_with_other_children_are_parsed_on_their_own_where_they_stand() -> None:
    items, outcome = _raw(FIXTURE.read_bytes())
    assert outcome.complete  # feedback, links to large fingerprints and the paging read too
    assert any(isinstance(item, ncmec_raw.Fragment) for item in items)
    assert _stream(FIXTURE.read_bytes()) == _by_element(FIXTURE.read_bytes())


@pytest.mark.parametrize(
    "odd",
    ["<!-- a comment between entries -->", "<note>no entry</note>", "<p:image xmlns:p='urn:p'/>"],
)
def test_what_is_not_plain_is_read_by_the_tree_from_there_on(odd: str) -> None:
    entries = [_entry(number) for number in range(1000)]
    entries.insert(600, odd + "\n")
    document = _document(entries)
    _, outcome = _raw(document)
    assert not outcome.complete and outcome.children == 600
    assert _stream(document) == _by_element(document)


def test_a_document_cut_short_keeps_the_entries_before_and_says_where_it_broke() -> None:
    document = _document([_entry(number) for number in range(2000)])[:-5000]
    _, outcome = _raw(document)
    assert not outcome.complete
    found, error = _stream(document)
    assert error is not None and len(found) > 1900
    assert (found, error) == _by_element(document)


def test_windows_line_ends_read_as_xml_reads_them() -> None:
    entries = [_entry(number).replace("\n", "\r\n") for number in range(100)]
    entries[50] = entries[50].replace("<id>i50</id>", "<id>i\r\n50</id>")
    document = _document(entries).replace(b"\n<images", b"\r\n<images")
    _, outcome = _raw(document)
    assert outcome.complete
    assert _stream(document) == _by_element(document)


@pytest.mark.parametrize(
    "root",
    [
        '<queryResult xmlns:p="">',
        '<queryResult xmlns="http://www.w3.org/XML/1998/namespace">',
        '<queryResult xmlns:xml="urn:not-xml">',
        "<queryResult xmlns:p='urn:p' p:note='1'>",
        '<queryResult xmlns="urn:x" note="a&amp;b">',
    ],
)
@pytest.mark.parametrize("section", ["<images>", '<images xmlns="http://www.w3.org/2000/xmlns/">'])
def test_namespace_errors_are_reported_as_the_tree_reports_them(root: str, section: str) -> None:
    """libxml2's checking parser lets namespace errors pass where lxml's tree refuses them:
    such a tag is left to the tree, so the document is refused as before."""
    body = "".join(_entry(number) for number in range(5))
    document = f'<?xml version="1.0"?>\n{root}{section}\n{body}</images></queryResult>\n'.encode()
    assert _stream(document) == _by_element(document)


def test_line_places_join_slice_and_travel_as_numbers() -> None:
    first, second = LinePlaces(range(1, 10, 2)), LinePlaces(range(11, 15, 2))
    joined = LinePlaces.joined([first, second])
    assert isinstance(joined.lines, range)  # one range still: a few bytes to send
    assert list(joined) == [f"line {n}" for n in (1, 3, 5, 7, 9, 11, 13)]
    mixed = LinePlaces.joined([first, LinePlaces([20, 20]), second])
    assert mixed[5] == "line 20" and mixed[-1] == "line 13" and mixed[1:3] == ["line 3", "line 5"]
    assert pickle.loads(pickle.dumps(mixed)) == mixed == list(mixed)
