"""The VICS reader that reads and checks media a run at a time reads exactly what main's reader
(media located one at a time, each read by ``vics._entry``: tests/vics_today.py) read: the same
entries, every bad media with the same reason and place, the same refusal of a broken document;
and the details it writes as JSON text are exactly ``json.dumps`` of the details (issue 11,
part 3)."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amparo.errors import InvalidInput
from amparo.formats.hashsets import EntryBatch, open_hash_set, vics_raw, vics_stream
from amparo.formats.hashsets.vics import stream_vics
from tests.vics_today import today

EXAMPLES = int(os.environ.get("AMPARO_FUZZ_EXAMPLES", "150"))
MD5 = "9995d4d79fc1caa10042118539c621c2"
PDQ = "f" * 63 + "0"
MODEL = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/"
CONTEXTS = [
    ("@odata.context", MODEL + "2.0.xml/US/$metadata#{}"),
    ("@odata.context", MODEL + "2.0.xml/UK/$metadata#{}"),
    ("odata.metadata", MODEL + "1.3.xml/$metadata#{}"),
    ("@odata.context", "urn:x#{}"),
]


def _alternatives(*pairs: tuple[object, object]) -> str:
    return json.dumps([{"HashName": name, "HashValue": value} for name, value in pairs])


# Raw JSON text per field: the usual values first (PLAIN of them), then odd and hostile ones.
FIELDS: dict[str, tuple[int, list[str]]] = {
    "MediaID": (3, ["1", "22", '"m-3"', '" m4 "', '""', "null", "1.5", "true", "-7",
                    "123456789012345678901234567890", '"\\u00e9"', '"a\\u0000b"', "[1]"]),
    "MD5": (3, [f'"{MD5}"', f'"{MD5.upper()}"', '""', f'" {MD5}"', "null", "5", f'"{MD5[:-1]}"',
                f'"{MD5[:-1]}\\u212a"', f'"{MD5[:16]}\\u001f{MD5[:15]}"', '" "']),
    "SHA1": (2, ['"' + "a" * 40 + '"', '""', "null", '"xyz"', '"' + "A" * 39 + 'g"', "1e400"]),
    "PhotoDNA": (2, ['"UoHE+/="', '""', '" "', "null", "3", '" Qk== "']),
    "Category": (3, ["0", "2", "null", '"B"', '"Cat A"', "-1", "true", "9223372036854775808",
                     "2.0", '"12"', '" 3 "', '"D"']),
    "MimeType": (3, ['"image/jpeg"', '"Video/mp4"', '"text/plain"', "null", "5", '" IMAGE "']),
    "Series": (2, ['"s"', "null", '" "', "7", '"\\ud83d\\ude00"']),
    "IsDistributed": (3, ["true", "false", "null", '"yes"', "1", '"maybe"', '""']),
    "VictimIdentified": (2, ["false", "null", '"No"', "0"]),
    "OffenderIdentified": (2, ["true", "null", '"TRUE"']),
    "MediaSize": (2, ["100", "null", '"12"', "-5", "1.5", '" "', '"x"', "9223372036854775808"]),
    "AlternativeHashes": (4, [
        "[]", _alternatives(("PDQ", PDQ)), _alternatives(("SHA-256", "B" * 64), ("sha1", "c" * 40)),
        _alternatives((" sha1 ", "d" * 40)), _alternatives(("PhotoDNA", "Qk==")),
        _alternatives(("pdq", f"{PDQ},90")), _alternatives(("pdq", PDQ), ("pdq", "")),
        _alternatives(("SHA256", "e" * 64), ("SHA256", "f" * 63)), _alternatives(("x", 5)),
        _alternatives((None, "a")), _alternatives(("MD5", MD5)), '"x"', "[5]", "null", "{}",
        _alternatives(("SHA1", "  ")), _alternatives(("PhotoDNA", " "))]),
    "Comments": (1, ['"c"', '"x\\u0000y"', '"back\\\\u0000slash"', '{"a": [1, 2.5, null]}',
                     "-0.0", "1E2", '"\\ud800"']),
    "SHA256": (0, ['"' + "d" * 64 + '"', '""']),
    "PDQ": (0, [f'"{PDQ}"', f'"{PDQ},50"']),
    "Tags": (1, ['["a", "b"]', "[]"]),
    "CaseID": (1, ['"own"', "5"]),  # a media's own CaseID: the case's takes its place
    "Note %s": (2, ['"50%"', "true", "2.5"]),
}  # fmt: skip


@st.composite
def media_text(draw: st.DrawFn, keys: list[str], rough: bool) -> str:
    """One media object as JSON text: its fields in the drawn order, now and then a field
    given twice, or not an object at all."""
    if rough and draw(st.integers(0, 25)) == 0:
        return draw(st.sampled_from(["5", "null", '"m"', "[]", '[[1], {"a": []}, []]']))
    fields = []
    for key in keys:
        plain, choices = FIELDS[key]
        usable = choices if rough else choices[:plain]
        if usable and draw(st.integers(0, 5)) > 0:
            fields.append(f'"{key}": {draw(st.sampled_from(usable))}')
    if rough and fields and draw(st.integers(0, 15)) == 0:
        fields.append(draw(st.sampled_from(fields)))  # a key given twice: the last one counts
    return "{" + ", ".join(fields) + "}"


@st.composite
def vics_document(draw: st.DrawFn) -> bytes:
    """A #Media document, one of cases, or a mix, now and then broken."""
    rough = draw(st.booleans())
    keys = ["MediaID", *draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=9, unique=True))]
    draw(st.randoms()).shuffle(keys)
    media = [draw(media_text(keys, rough)) for _ in range(draw(st.integers(0, 12)))]
    key, url = draw(st.sampled_from(CONTEXTS))
    layout = draw(st.sampled_from(["Media", "Cases", "Cases"]))
    if layout == "Media":
        items = media
        if rough and draw(st.integers(0, 6)) == 0:  # a case among the media
            items = [*media, '{"CaseID": 7, "Media": [' + ",".join(media[:2]) + "]}"]
    else:
        items = []
        cut = sorted(draw(st.lists(st.integers(0, len(media)), max_size=3)))
        for number, (start, end) in enumerate(zip([0, *cut], [*cut, len(media)], strict=True)):
            case_id = draw(st.sampled_from(['"c-1"', '" "', "null", "12", '"c\\u00e9"', None]))
            inner = "[" + ",".join(media[start:end]) + "]"
            if rough and draw(st.integers(0, 12)) == 0:
                inner = draw(st.sampled_from(['"none"', "{}", "null"]))
            parts = [f'"Media": {inner}', f'"CaseNumber": "n{number}"']
            if case_id is not None:
                parts.insert(draw(st.integers(0, 2)), f'"CaseID": {case_id}')
            items.append("{" + ", ".join(parts) + "}")
        if rough and draw(st.integers(0, 6)) == 0:  # media standing beside the cases
            items.insert(draw(st.integers(0, len(items))), media[0] if media else "{}")
    top = [f'"{key}": "{url.format(layout)}"', '"value": [' + ",\n".join(items) + "]"]
    if draw(st.booleans()):
        top.reverse()
    text = "{" + ", ".join(top) + "}"
    if rough and draw(st.integers(0, 10)) == 0:  # broken: cut short, or a constant JSON refuses
        text = draw(st.sampled_from([text[: len(text) // 2], text.replace("null", "NaN", 1)]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16"]))
    return text.encode(encoding, errors="surrogatepass")


def _read(document: bytes) -> tuple[str | None, list[object]]:
    stream = stream_vics(io.BytesIO(document), path="set.json")
    found: list[object] = []
    for item in stream.items:
        if isinstance(item, EntryBatch):
            rows = list(item.rows())
            for text, (_, row) in zip(item.columns.get("details_json", ()), rows, strict=False):
                assert text == json.dumps(row[-1])  # exactly json.dumps of the details
            found.extend(rows)
        else:
            found.append(item)
    return stream.version, _comparable(found)


def _comparable(items: Sequence[object]) -> list[object]:
    return [
        ("bad", item.reason, item.place) if isinstance(item, InvalidInput) else item
        for item in items
    ]


SLOW_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


# How vics_raw reads: chunk read, piece decoded, text held before it hands over to ijson.
# Small pieces cut the media text at many places; small chunks and a small limit on the text
# held make it hand over at many places.
RAW_SIZES = [(1 << 20, 64 * 1024, 8 << 20), (1 << 20, 1, 8 << 20), (5, 40, 8 << 20),
             (7, 64, 300), (3, 1, 150)]  # fmt: skip


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=SLOW_OK)
@given(
    document=vics_document(),
    run=st.sampled_from([1, 2, 3, 512]),
    sizes=st.sampled_from(RAW_SIZES),
)
def test_vics_reads_what_it_read_media_by_media(
    document: bytes, run: int, sizes: tuple[int, int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vics_stream, "RUN", run)
    for name, size in zip(("CHUNK_BYTES", "PIECE_BYTES", "MAX_HELD_BYTES"), sizes, strict=True):
        monkeypatch.setattr(vics_raw, name, size)
    try:
        version, expected = today(document)
    except Exception as error:  # a broken document: refused the same way
        with pytest.raises(type(error)) as raised:
            _read(document)
        assert str(raised.value) == str(error)
        return
    assert _read(document) == (version, _comparable(expected))


def _cases_document(cases: int, media: int) -> bytes:
    value = [
        {"CaseNumber": f"n{case}", "Media": [
            {"MediaID": n, "MD5": MD5, "Comments": "}, {", "AlternativeHashes": [
                {"HashName": "PDQ", "HashValue": PDQ}, {"HashName": "SHA1", "HashValue": "a" * 40}]}
            for n in range(media)
        ], "CaseID": f"c-{case}"}
        for case in range(cases)
    ]  # fmt: skip
    context = MODEL + "2.0.xml/US/$metadata#Cases"
    return json.dumps({"@odata.context": context, "value": value}, indent=1).encode()


@pytest.mark.parametrize("layout", ["Cases", "Media"])
def test_a_plain_document_is_read_without_ijson(
    layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cuts inside strings and inside a media's own list, CaseIDs after the media, several
    cases: all read by vics_raw, in pieces, with their places and cases."""
    document = _cases_document(3, 700)
    if layout == "Media":
        found = json.loads(document)
        media = [item for case in found["value"] for item in case["Media"]]
        context = MODEL + "2.0.xml/US/$metadata#Media"
        document = json.dumps({"@odata.context": context, "value": media}).encode()
    monkeypatch.setattr(vics_raw, "PIECE_BYTES", 4096)
    monkeypatch.setattr(vics_stream.ijson, "parse", None)  # any use of ijson fails
    monkeypatch.setattr(vics_stream.ijson, "items", None)
    rows = [row for item in _items(document) for row in item.rows()]  # type: ignore[union-attr]
    assert len(rows) == 2100
    place, row = rows[1500]
    if layout == "Cases":
        assert (place, row[0], row[-1]["CaseID"]) == ("value[2].Media[100]", "c-2/100", "c-2")
    else:
        assert (place, row[0], "CaseID" in row[-1]) == ("value[1500]", "100", False)
    assert (row[2], row[3], row[5]) == (MD5, "a" * 40, PDQ)


def _carved_media(number: int) -> dict[str, object]:
    """A media as BFIP4GRIFFEYE (github.com/BFIP4/BFIP4GRIFFEYE) writes one for files it
    carved: a blank MD5, a Windows path, one MediaFiles entry with times and an offset."""
    path = f"carved\\f{number:07d}_1.jpg"
    return {"MediaID": number, "MD5": "", "MediaSize": 1000 + number, "RelativeFilePath": path,
            "MimeType": "image", "IsPrecategorized": False, "MediaFiles": [{
                "MD5": "", "FileName": f"f{number:07d}_1.jpg", "FilePath": f"SRC1\\{path}",
                "Created": "2021-03-04T05:06:07-05:00", "Unallocated": True, "SourceID": "SRC1",
                "PhysicalLocation": number}]}  # fmt: skip


def test_a_document_laid_out_as_another_tool_writes_it_is_read_as_ijson_reads_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Indented by 4 with separators "," and ":" (as that tool writes), backslashes escaped in
    every media: vics_raw reads all of it, as ijson would have."""
    case = {"CaseID": "5f0c-guid", "Media": [_carved_media(n) for n in range(500)],
            "SourceApplicationName": "BFIP4GRIFFEYE"}  # fmt: skip
    context = MODEL + "2.0.xml/US/$metadata#Cases"
    document = json.dumps(
        {"@odata.context": context, "value": [case]}, indent=4, separators=(",", ":")
    ).encode()
    monkeypatch.setattr(vics_raw, "PIECE_BYTES", 3000)
    with monkeypatch.context() as ijson_only:
        ijson_only.setattr(vics_stream, "_plain_outline", lambda _: None)
        by_ijson = _read(document)
    monkeypatch.setattr(vics_stream.ijson, "parse", None)
    monkeypatch.setattr(vics_stream.ijson, "items", None)
    assert _read(document) == by_ijson
    assert len(by_ijson[1]) == 500


def _items(document: bytes) -> list[object]:
    return list(stream_vics(io.BytesIO(document), path="set.json").items)


@pytest.mark.parametrize("odd", [
    ('"MediaID": 5,', '"MediaID": 9223372036854775808,'),  # beyond 64 bits: ijson refuses it
    ('"Comments": "}, {"', '"Comments": "\\ud800"'),  # a lone surrogate: ijson writes "?"
    ('"CaseNumber": "n1"', '"CaseNumber": NaN'),
    ('"CaseNumber": "n1"', '"Case\\u004eumber": "n1"'),
])  # fmt: skip
def test_what_vics_raw_cannot_read_is_read_by_ijson_from_there(
    odd: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    document = _cases_document(3, 300).decode()
    at = document.index(odd[0], document.index('"c-0"'))
    document = document[:at] + document[at:].replace(odd[0], odd[1], 1)
    monkeypatch.setattr(vics_raw, "PIECE_BYTES", 2048)
    monkeypatch.setattr(vics_raw, "CHUNK_BYTES", 4096)
    try:
        version, expected = today(document.encode())
    except Exception as error:  # refused as ijson refuses it
        with pytest.raises(type(error)) as raised:
            _read(document.encode())
        assert str(raised.value) == str(error)
        return
    assert _read(document.encode()) == (version, _comparable(expected))


def test_a_run_of_plain_media_is_one_batch_with_details_as_json() -> None:
    alternatives = [{"HashName": "PDQ", "HashValue": PDQ}]
    media = [{"MediaID": n, "MD5": MD5, "MimeType": "image/jpeg", "MediaSize": n,
              "AlternativeHashes": alternatives} for n in range(600)]  # fmt: skip
    case = {"CaseID": "c-1", "Media": media}
    document = json.dumps({"@odata.context": MODEL + "2.0.xml/US/$metadata#Cases", "value": [case]})
    items = list(stream_vics(io.BytesIO(document.encode()), path="set.json").items)
    run = vics_stream.RUN
    assert [len(item.places) for item in items if isinstance(item, EntryBatch)] == [
        *[run] * (600 // run), 600 % run,
    ]  # fmt: skip
    batch = items[1]
    assert isinstance(batch, EntryBatch)
    assert batch.places[0] == f"value[0].Media[{run}]"
    assert batch.columns["entry_id"][0] == str(run)
    assert batch.columns["pdq"][0] == PDQ
    details = {"MimeType": "image/jpeg", "AlternativeHashes": alternatives, "MediaSize": run,
               "CaseID": "c-1"}  # fmt: skip
    assert batch.columns["details_json"][0] == json.dumps(details)


@pytest.mark.parametrize(
    "encoding",
    ["utf-8-sig", "utf-16", "utf-16-be", "utf-16-le", "utf-32", "utf-32-le", "utf-32-be"],
)
def test_vics_in_utf_16_or_32_or_with_a_bom_is_read(encoding: str) -> None:
    """Recognised as VICS and read, with a byte-order mark or without one (RFC 8259 finds
    the encoding from where the first characters' zero bytes stand)."""
    case = {"CaseID": "c\u00e9", "Media": [{"MediaID": 1, "MD5": MD5, "Series": "V\u00eddeo"}]}
    document = json.dumps({"@odata.context": MODEL + "2.0.xml/US/$metadata#Cases", "value": [case]})
    stream = open_hash_set(io.BytesIO(document.encode(encoding)), path="set.json")
    [(place, row)] = [row for item in stream.items for row in item.rows()]  # type: ignore[union-attr]
    assert (place, row[0], row[2], row[9], row[-1]) == (
        "value[0].Media[0]", "1", MD5, "V\u00eddeo", {"CaseID": "c\u00e9"},
    )  # fmt: skip


@pytest.mark.parametrize("document", [
    '{"@odata.context": "x#Media", "value": [{"Series": "\ud800"}]}'.encode(
        "utf-16", errors="surrogatepass"),
    b'\xff\xfe{\x00"' + b"\x00\xd8" * 3,
])  # fmt: skip
def test_utf_16_that_does_not_decode_is_refused_as_not_json_text(document: bytes) -> None:
    with pytest.raises(InvalidInput) as refused:
        list(stream_vics(io.BytesIO(document), path="set.json").items)
    assert (refused.value.reason, refused.value.place) == (
        "JSON that is not UTF-8, UTF-16 or UTF-32", "text",
    )  # fmt: skip
