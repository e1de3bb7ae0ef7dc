"""Hash-set readers that check and build whole batches of entries at once give exactly what
reading entry by entry gives: the same entries, and every bad entry with the same reason and
place (issue 11, part 3: a fast path must not change what is read)."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from amparo.errors import InvalidInput
from amparo.formats.hashsets import (
    EntryBatch,
    HashSetStream,
    ncmec_batch,
    ncmec_raw,
    one_at_a_time,
)
from amparo.formats.hashsets import csv_set as csv_module
from amparo.formats.hashsets import ncmec as ncmec_module
from amparo.formats.hashsets import vics as vics_module
from amparo.formats.hashsets.csv_set import stream_csv_set
from amparo.formats.hashsets.ncmec import stream_ncmec
from amparo.formats.hashsets.vics import stream_vics
from amparo.intake.hashsets import import_hash_set
from amparo.store import tables
from amparo.workspace import Workspace

EXAMPLES = int(os.environ.get("AMPARO_FUZZ_EXAMPLES", "150"))
MD5 = "9995d4d79fc1caa10042118539c621c2"
PDQ = "f" * 63 + "0"
COLUMNS = ("id", "md5", "sha1", "pdq", "photodna", "vpdq", "kind", "series", "category_scheme",
           "category_code", "victim_identified", "is_distributed", "note")  # fmt: skip

PLAIN = {
    "id": ["a1", "", " b "], "md5": [MD5, MD5.upper(), ""], "sha1": ["a" * 40, "A" * 40],
    "pdq": [PDQ, ""], "photodna": ["", "UoHE+/="], "vpdq": [""], "kind": ["image", "Video", ""],
    "series": ["s1", "", " Vídeo "], "category_scheme": ["vics-us", "VICS-US"],
    "category_code": ["1", "B"], "victim_identified": ["true", "No", "1", ""],
    "is_distributed": ["", "yes"], "note": ["x", "", " text ", "Vídeo"],
}  # fmt: skip
COLUMNS = tuple(PLAIN)
HOSTILE = ["", " ", f" {MD5}", f"{PDQ},80", f"{PDQ},x", "maybe", "x\x00y", "\udcff",
           '["' + PDQ + ',100,0.5"]']  # fmt: skip
hostile = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=6))


@st.composite
def csv_file(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    """A header and rows: plain cells (each column's usual values), now and then a hostile
    cell or a row of another width."""
    header = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=7, unique=True))
    if not {"md5", "sha1", "pdq", "photodna", "vpdq"} & set(header):
        header = ["md5", *header]
    rough = draw(st.booleans())
    rows = []
    for _ in range(draw(st.integers(0, 12))):
        row = [draw(st.sampled_from(PLAIN[name])) for name in header]
        if rough and draw(st.booleans()):
            row[draw(st.integers(0, len(row) - 1))] = draw(hostile)
        if rough and draw(st.integers(0, 9)) == 0:
            row = row[:-1] if draw(st.booleans()) else [*row, "extra"]
        rows.append(row)
    return header, rows


def _items(data: bytes, *, batches: bool, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    if not batches:
        monkeypatch.setattr(csv_module, "plain_batch", lambda *_: None)
        monkeypatch.setattr(csv_module, "plain_columns", lambda *_: None)
    return _read(lambda: stream_csv_set(io.BytesIO(data), path="set.csv"), monkeypatch)


def _read(stream: Callable[[], HashSetStream], monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every entry of the stream, and every bad one as (reason, place)."""
    try:
        return [
            ("bad", item.reason, item.place) if isinstance(item, InvalidInput) else item
            for item in one_at_a_time(stream().items)
        ]
    finally:
        monkeypatch.undo()


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    lines = [",".join(header)]
    lines += [",".join('"' + c.replace('"', '""') + '"' for c in row) for row in rows]
    return "\n".join(lines).encode("utf-8", errors="surrogatepass")


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(generated=csv_file())
def test_csv_batches_read_as_rows_do(
    generated: tuple[list[str], list[list[str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _csv(*generated)
    try:
        by_row = _items(data, batches=False, monkeypatch=monkeypatch)
    except InvalidInput as error:
        with pytest.raises(InvalidInput) as raised:
            _items(data, batches=True, monkeypatch=monkeypatch)
        assert (raised.value.reason, raised.value.place) == (error.reason, error.place)
        return
    assert _items(data, batches=True, monkeypatch=monkeypatch) == by_row


def test_plain_csv_is_read_in_batches_with_its_lines() -> None:
    rows = [f"e{n},{MD5.upper()},vics-us,{n % 3},true,x{n}" for n in range(3000)]
    data = "\n".join(["id,md5,category_scheme,category_code,is_distributed,note", *rows])
    stream = stream_csv_set(io.BytesIO(data.encode()), path="set.csv")
    items = list(stream.items)
    assert all(isinstance(item, EntryBatch) for item in items)
    place, entry = list(one_at_a_time(items))[2999]
    assert place == "line 3001"
    assert entry[0] == "e2999" and entry[2] == MD5 and entry[12] is True
    assert entry[8].scheme == "vics-us" and entry[8].code == "2"
    assert entry[14] == {"note": "x2999"}


def test_one_bad_row_costs_that_row_only_in_a_batch() -> None:
    rows = [f"e{n},{MD5}" for n in range(2000)]
    rows[1500] = "e1500,not-a-hash"
    data = "\n".join(["id,md5", *rows, "", "e-last,"]).encode()
    found = list(one_at_a_time(stream_csv_set(io.BytesIO(data), path="set.csv").items))
    bad = [item for item in found if isinstance(item, InvalidInput)]
    assert [(error.place, "md5" in error.reason) for error in bad] == [
        ("line 1502", True),
        ("line 2003", False),
    ]
    assert len(found) == 2001


VICS = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#"
MEDIA_VALUES = {
    "MediaID": [1, 22, "m-3", " m4 ", "", None, 1.5, True],
    "MD5": [MD5, MD5.upper(), f" {MD5}", "", None, 5],
    "SHA1": ["a" * 40, None, "xyz"],
    "PhotoDNA": ["UoHE+/=", " ", None, 3],
    "Category": [0, 2, None, "B", "Cat A", -1, True, 2**62],
    "MimeType": ["image/jpeg", "Video/mp4", "text/plain", None, 5],
    "Series": ["s", " ", None, 7],
    "IsDistributed": [True, False, None, "yes", 1],
    "MediaSize": [100, None, "12", -5, 1.5],
    "AlternativeHashes": [[], [{"HashName": "PDQ", "HashValue": PDQ}],
                          [{"HashName": "SHA-256", "HashValue": "B" * 64}],
                          [{"HashName": " sha1 ", "HashValue": "c" * 40}],
                          [{"HashName": "pdq", "HashValue": f"{PDQ},90"}], "x", [5],
                          [{"HashName": None}], [{"HashName": "PhotoDNA", "HashValue": "Qk=="}]],
    "Comments": ["c", "x\x00y", "back\\u0000slash"],
    "SHA256": ["d" * 64],
}  # fmt: skip
PLAIN_MEDIA = {"MediaID": 2, "MD5": 3, "SHA1": 2, "PhotoDNA": 3, "Category": 3, "MimeType": 3,
               "Series": 3, "IsDistributed": 3, "MediaSize": 2, "AlternativeHashes": 4,
               "Comments": 1, "SHA256": 0}  # fmt: skip


@st.composite
def vics_document(draw: st.DrawFn) -> bytes:
    """A #Media document or one of cases: mostly plain media, now and then an unusual value."""
    rough = draw(st.booleans())
    keys = draw(st.lists(st.sampled_from(sorted(MEDIA_VALUES)), max_size=8, unique=True))
    media: list[object] = []
    for _ in range(draw(st.integers(0, 10))):
        one = {}
        for key in ["MediaID", *keys]:
            choices = MEDIA_VALUES[key] if rough else MEDIA_VALUES[key][: PLAIN_MEDIA[key]]
            if choices:
                one[key] = draw(st.sampled_from(choices))
        media.append(5 if rough and draw(st.integers(0, 20)) == 0 else one)
    if draw(st.booleans()):
        return json.dumps({"@odata.context": VICS + "Media", "value": media}).encode()
    half = len(media) // 2
    cases = [{"CaseID": "c-1", "Media": media[:half]}, {"Media": media[half:]}]
    return json.dumps({"@odata.context": VICS + "Cases", "value": cases}).encode()


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(document=vics_document())
def test_vics_batches_read_as_media_do(document: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    def read() -> HashSetStream:
        return stream_vics(io.BytesIO(document), path="set.json")

    monkeypatch.setattr(vics_module, "plain_media", lambda *_: None)
    try:
        by_media = _read(read, monkeypatch)
    except InvalidInput as error:
        with pytest.raises(InvalidInput) as raised:
            _read(read, monkeypatch)
        assert (raised.value.reason, raised.value.place) == (error.reason, error.place)
        return
    assert _read(read, monkeypatch) == by_media


NCMEC = "https://hashsharing.ncmec.org/hashsharing/v2"
NCMEC_CHILDREN = {
    "id": ["<id>i1</id>", "<id> i2 </id>", "<id></id>", "<id>i3<x>y</x></id>", "<id>i\n4</id>",
           '<id a="1">i5</id>', "<id>Vídeo &amp; 6</id>", "<id><![CDATA[i<7]]></id>",
           "<id>i8<!-- c --></id>", "<id>\u2003i9\t</id>", "<o:id xmlns:o='urn:o'>i10</o:id>",
           "<id xmlns=''>i11</id>", "<id>i&#13;12</id>"],
    "member": ['<member id="7">Hotline</member>', '<member id=" ">M</member>', "<member/>",
               '<member id="8" region="eu"><name>N</name></member>', "<member>Just text</member>",
               '<member id="9"/>', "<member id='a&quot;b&#10;c'> x </member>",
               '<member o:id="1" xmlns:o="urn:o">M</member>', '<member id="é">\n</member>'],
    "timestamp": ["<timestamp>2026-01-12T10:00:00Z</timestamp>", "<timestamp/>",
                  "<timestamp> 2026 </timestamp>", '<timestamp tz="z">t</timestamp>'],
    "classification": ["<classification>A1</classification>",
                       "<classification>b2</classification>",
                       "<classification>X9</classification>", "<classification> </classification>",
                       '<classification kind="x">A2</classification>',
                       "<classification>A<b/>1</classification>"],
    "fingerprints": [f"<fingerprints><md5>{MD5}</md5><pdq>{PDQ}</pdq></fingerprints>",
                     f"<fingerprints><md5> {MD5.upper()} </md5><sha1/><pdna>UoHE+/=</pdna>"
                     "</fingerprints>",
                     f"<fingerprints><pdq>{PDQ},80</pdq><netclean>n1</netclean></fingerprints>",
                     "<fingerprints><md5>not-a-hash</md5></fingerprints>",
                     f"<fingerprints><sha1>{'a' * 40}</sha1><sha1>{'b' * 40}</sha1>"
                     '<tmk-pdqf href="/x"/></fingerprints>', "<fingerprints/>",
                     f"<fingerprints>\n  <md5>{MD5}</md5>\n  <sha1>{'A' * 40}</sha1>\n"
                     f"  <pdq>{PDQ}</pdq> <pdna> P&lt;D </pdna>\n</fingerprints>",
                     f"<fingerprints><pdq>{PDQ}</pdq><md5>{MD5}</md5></fingerprints>",
                     f"<fingerprints><md5>{MD5}\n</md5><sha1>{'a' * 40}</sha1></fingerprints>",
                     f'<fingerprints n="1"><md5 k="2">{MD5}</md5></fingerprints>',
                     f"<fingerprints><md5>{MD5[:31]}\u212a</md5></fingerprints>"],
    "feedback": ["<feedback><reason>r</reason><reason>s</reason></feedback>",
                 "<feedback>x\\u0000y &#233;</feedback>"],
    "image": ["<image><id>nested</id></image>"],
}  # fmt: skip
# The usual shape, in the usual order, with values the chunked reader reads as a batch (and
# now and then one it does not).
NCMEC_USUAL = {
    "member": ['<member id="7">Hotline</member>', "<member>Just text</member>", "<member/>",
               '<member id="9"/>', '<member id=" ">M</member>', '<member id=" 8 "> Ünï\n</member>',
               '<member id="a">"q"\\</member>'],
    "timestamp": ["<timestamp>2026-01-12T10:00:00Z</timestamp>", "<timestamp/>",
                  "<timestamp> 2026\t</timestamp>", "<timestamp>\u2028x😀</timestamp>"],
    "id": ["<id>i1</id>", "<id> i2 </id>", "<id>Vídeo</id>", "<id>\u2003i9\t</id>",
           '<id>"\\😀</id>', "<id>i1</id>"],
    "classification": ["<classification>A1</classification>", "<classification/>",
                       "<classification>b2</classification>",
                       "<classification> ß </classification>",
                       "<classification>ǆ</classification>", "<classification> </classification>"],
    "fingerprints": [f"<fingerprints><md5>{MD5}</md5><sha1>{'a' * 40}</sha1><pdq>{PDQ}</pdq>"
                     "</fingerprints>", "<fingerprints/>", "<fingerprints><sha1/></fingerprints>",
                     f"<fingerprints><md5> {MD5.upper()} </md5><pdna>UoHE+/=</pdna></fingerprints>",
                     f"<fingerprints>\n <pdq>{PDQ.upper()}</pdq>\n <pdna/>\n</fingerprints>",
                     f"<fingerprints><md5>{MD5}</md5><pdq>{PDQ},80</pdq></fingerprints>",
                     f"<fingerprints><md5>  {MD5[:30]}</md5></fingerprints>",
                     f"<fingerprints><sha1>{'a' * 20}\t\n{'b' * 18}</sha1></fingerprints>"],
}  # fmt: skip
NCMEC_SECTION_CHILDREN = ["image", "deletedImage", "video", "deletedVideo", "note", "p:image",
                          "images"]  # fmt: skip


NCMEC_PAGING = ["<paging><images><image><id>p</id></image></images><next>/v2/x</next></paging>",
                "<paging>\n  <next>/v2/entries?from=1&amp;start=1001</next>\n</paging>\n",
                "<paging/>", "", "", "\n  "]  # fmt: skip
NCMEC_DECLARATIONS = ["<?xml version='1.0'?>\n", "",
                      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
                      "\ufeff<?xml version='1.0' encoding='utf-8'?>",
                      '<?xml version="1.0" encoding="ISO-8859-1"?>\n']  # fmt: skip


@st.composite
def ncmec_entry(draw: st.DrawFn, entry: str, clean: bool) -> str:
    if clean or draw(st.booleans()):
        names = [name for name in NCMEC_USUAL if name == "id" or draw(st.integers(0, 3))]
        odd = 0 if clean else 3
        children = [
            draw(st.sampled_from(NCMEC_CHILDREN[name] if draw(st.integers(0, 9)) < odd
                                 else NCMEC_USUAL[name]))
            for name in names
        ]  # fmt: skip
    else:
        names = draw(st.lists(st.sampled_from(sorted(NCMEC_CHILDREN)), max_size=7))
        children = [draw(st.sampled_from(NCMEC_CHILDREN[name])) for name in names]
    between = "" if clean else draw(st.sampled_from(["", "", "\n  ", " x "]))
    tag = draw(st.sampled_from([entry, f"deleted{entry.title()}"]))
    opening = tag
    if not clean and not draw(st.integers(0, 3)):
        tag = opening = draw(st.sampled_from(NCMEC_SECTION_CHILDREN))
        opening += draw(st.sampled_from(["", ' a="1"', ' xmlns="urn:other"', ' xmlns:p="urn:p"']))
    tails = ["\n", "", "\n    ", "\n", "<!-- c -->\n"] if clean else \
        ["\n", "", "<!-- c -->\n", "<?pi x?>", " t&amp;t "]  # fmt: skip
    tail = draw(st.sampled_from(tails))
    return f"<{opening}>{between.join(children)}</{tag}>{tail}"


@st.composite
def ncmec_document(draw: st.DrawFn) -> bytes:
    """Images and videos, added and deleted, mostly in the usual shape, with children drawn
    from the usual and the odd, repeated now and then, elements that are no entries, odd
    namespaces, and now and then a document cut short or broken."""
    sections = []
    clean = draw(st.booleans())
    for section, entry in draw(st.permutations([("images", "image"), ("videos", "video")])):
        elements = draw(st.lists(ncmec_entry(entry, clean), max_size=12))
        sections.append(f"<{section}>\n{''.join(elements)}</{section}>")
    sections.insert(draw(st.integers(0, 2)), draw(st.sampled_from(NCMEC_PAGING)))
    namespace = draw(st.sampled_from([f' xmlns="{NCMEC}"', "", ' xmlns="urn:x"']))
    declaration = draw(st.sampled_from(NCMEC_DECLARATIONS))
    text = f"{declaration}<queryResult{namespace}>{''.join(sections)}</queryResult>\n"
    if draw(st.integers(0, 5)) == 0:  # written on Windows
        text = text.replace("\n", "\r\n")
    data = text.encode()
    damage = draw(st.integers(0, 29 if clean else 9))
    if damage == 0:
        data = data[: draw(st.integers(len(data) // 2, len(data)))]
    elif damage == 1:
        data = data.replace(b"</id>", b"</ld>", 1)
    return data


def _ncmec_items(
    read: Callable[[io.BytesIO], HashSetStream], document: bytes
) -> tuple[list[object], tuple[str, str | None] | None]:
    """Every item of the stream as ``_read`` gives them, with each entry's details also as JSON
    text (the staging compares that text, so the order of its keys matters too), and the
    reason and place of the error that stopped the reading, if one did."""
    items: list[object] = []
    try:
        for item in one_at_a_time(map(_checked, read(io.BytesIO(document)).items)):
            if isinstance(item, InvalidInput):
                items.append(("bad", item.reason, item.place))
            else:
                items.append((item, json.dumps(item[1][14])))
    except InvalidInput as error:
        return items, (error.reason, error.place)
    return items, None


def _checked(item: object) -> object:
    """A batch's details written as JSON text are exactly what ``json.dumps`` writes (the
    comparison of entries sees them read back), and a batch is made of plain values."""
    if isinstance(item, EntryBatch):
        for text in item.columns.get("details_json", ()):
            assert text == json.dumps(json.loads(text))
        assert pickle.loads(pickle.dumps(item)) == item
    return item


def _by_element(file: io.BytesIO) -> HashSetStream:
    """Today's reader: each entry at its end (``iterparse``), read one by one."""
    stream = stream_ncmec(file, path="set.xml")
    return dataclasses.replace(stream, items=ncmec_module._element_items(file, path="set.xml"))


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(document=ncmec_document(), chunk=st.sampled_from([1, 7, 64, 300, 1024 * 1024]))
def test_ncmec_chunks_read_as_elements_do(
    document: bytes, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader parsing a chunk at a time (in chunks of any size, so that entries, values and
    tags are cut anywhere) gives what reading each entry at its end gives, entry by entry: the
    same entries, the same bad ones with the same reasons and places, the same error for a
    document that is not well-formed, after the same entries."""
    with monkeypatch.context() as patched:
        patched.setattr(ncmec_batch, "plain_entry", lambda *_: None)
        try:
            by_element = _ncmec_items(_by_element, document)
        except InvalidInput as error:  # no root, or not a queryResult: before any entry
            with pytest.raises(InvalidInput) as raised:
                stream_ncmec(io.BytesIO(document), path="set.xml")
            assert (raised.value.reason, raised.value.place) == (error.reason, error.place)
            return
    monkeypatch.setattr(ncmec_module, "CHUNK_BYTES", chunk)
    monkeypatch.setattr(ncmec_raw, "CHUNK_BYTES", chunk)
    assert _ncmec_items(lambda file: stream_ncmec(file, path="set.xml"), document) == by_element


def test_plain_ncmec_entries_are_read_in_batches_with_their_lines() -> None:
    entries = [f"<image><id>i{n}</id><fingerprints><md5>{MD5}</md5></fingerprints></image>\n"
               for n in range(1500)]  # fmt: skip
    entries[700] = "<image><fingerprints/></image>\n"
    document = f'<queryResult xmlns="{NCMEC}"><images>\n{"".join(entries)}</images></queryResult>'
    items = list(stream_ncmec(io.BytesIO(document.encode()), path="set.xml").items)
    kinds = [type(item).__name__ for item in items]
    assert len(kinds) <= 8 and kinds.count("InvalidInput") == 1
    assert set(kinds) == {"EntryBatch", "InvalidInput"}
    found = list(one_at_a_time(items))
    assert found[1499] == (
        "line 1501",
        ("i1499", "image", MD5, *(None,) * 10, False, {"id": "i1499"}),
    )
    assert found[700].place == "line 702"


def test_nul_is_removed_from_batched_entries_and_an_escaped_one_is_kept(
    workspace: Workspace, tmp_path: Path
) -> None:
    media = [{"MediaID": n, "MD5": MD5, "Comments": "a\x00b" if n == 1 else "back\\u0000"}
             for n in range(3)]  # fmt: skip
    path = tmp_path / "set.json"
    path.write_text(json.dumps({"@odata.context": VICS + "Media", "value": media}))
    assert isinstance(next(iter(stream_vics(path.open("rb"), path=str(path)).items)), EntryBatch)
    import_hash_set(workspace, path, name="nul")
    with workspace.session() as session:
        stored = session.execute(
            select(tables.KnownEntry.entry_id, tables.KnownEntry.details)
            .order_by(tables.KnownEntry.entry_id)
        ).all()  # fmt: skip
    assert [(entry_id, details["Comments"]) for entry_id, details in stored] == [
        ("0", "back\\u0000"),
        ("1", "ab"),
        ("2", "back\\u0000"),
    ]
