"""CSV hash sets read in blocks of whole lines, split at C speed where the csv module would read
one row per line, give exactly what the csv module over ``io.TextIOWrapper`` gave row by row:
the same entries, every bad row with the same reason and line (issue 11, part 3)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from amparo.errors import InvalidInput
from amparo.formats.hashsets import EntryBatch, HashSetStream, one_at_a_time
from amparo.formats.hashsets import csv_plain as plain_module
from amparo.formats.hashsets import csv_set as csv_module
from amparo.formats.hashsets.csv_plain import CsvLines
from amparo.formats.hashsets.csv_set import stream_csv_set

EXAMPLES = int(os.environ.get("AMPARO_FUZZ_EXAMPLES", "150"))
PATH = "set.csv"
MD5 = "9995d4d79fc1caa10042118539c621c2"
PDQ = "f" * 63 + "0"
PLAIN = {
    "id": ["a1", "", " b ", "e-7"], "md5": [MD5, MD5.upper(), ""], "sha1": ["a" * 40, "A" * 40],
    "pdq": [PDQ, ""], "photodna": ["", "UoHE+/="], "vpdq": [""], "kind": ["image", "Video", ""],
    "series": ["s1", "", " Vídeo "], "category_scheme": ["vics-us", "VICS-US"],
    "category_code": ["1", "B"], "victim_identified": ["true", "No", "1", ""],
    "is_distributed": ["", "yes"], "note": ["x", "", " text ", "Vídeo", "a b"],
}  # fmt: skip
# Cells that the csv module reads otherwise than a split at commas would, or that the rules
# refuse: quotes (a comma or a line end inside them), NUL, bytes that are not UTF-8, carriage
# returns, spaces the rules strip, a field past a small field limit.
HOSTILE = [b'"', b'a"b', b'"x, y"', b'"multi\nline"', b'"multi\r\nline"', b'"x""y"', b'"open',
           b"x\x00y", b"\xff", b"\xc3", b"V\xc3\xadd", b"a\rb", b" ", b"\t" + MD5.encode(),
           b"\x1c", "\u2028".encode(), b"\xef\xbb\xbf", b"y" * 40, MD5.encode() + b",",
           f"{PDQ},80".encode(), b"maybe"]  # fmt: skip
ENDINGS = [b"\n", b"\n", b"\n", b"\r\n", b"\r\n", b"\r", b""]
LIMITS = [131072, 131072, 36, 64]


@st.composite
def raw_csv(draw: st.DrawFn) -> bytes:
    """A CSV file as bytes: mostly plain rows, now and then a hostile cell, a row of another
    width, a blank line, another line ending; a header maybe after a BOM or blank lines, maybe
    with a quoted line end in it; the last line with or without its end."""
    names = draw(st.lists(st.sampled_from(sorted(PLAIN)), min_size=1, max_size=6, unique=True))
    if not {"md5", "sha1", "pdq", "photodna", "vpdq"} & set(names):
        names = ["md5", *names]
    rough = draw(st.booleans())
    ending = draw(st.sampled_from(ENDINGS[:4]))
    header = [name.encode() for name in names]
    if rough and draw(st.booleans()):
        header[0] = b'" ' + header[0].upper() + b'\n"'
    lines = [b",".join(header)]
    for _ in range(draw(st.integers(0, 40))):
        cells = [draw(st.sampled_from(PLAIN[name])).encode() for name in names]
        if rough and draw(st.integers(0, 3)) == 0:
            cells[draw(st.integers(0, len(cells) - 1))] = draw(st.sampled_from(HOSTILE))
        if rough and draw(st.integers(0, 5)) == 0:
            cells = draw(st.sampled_from([cells[:-1], cells[1:], [*cells, b""], [b"", *cells],
                                          [*cells, b"extra"]]))  # fmt: skip
        if rough and draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from([b"", b" ", b","])))
        lines.append(b",".join(cells))
    ends = [draw(st.sampled_from(ENDINGS)) if rough else ending for _ in lines]
    data = b"".join(line + end for line, end in zip(lines, ends, strict=True))
    start = draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"\n", b"\r\n \n"])) if rough else b""
    return start + data


@st.composite
def ragged_csv(draw: st.DrawFn) -> bytes:
    """A CSV file of few columns whose lines have a field too few or too many, empty fields
    first or last, and every kind of line end mixed: the shapes that could fool a split."""
    width = draw(st.integers(1, 3))
    lines = [b",".join([b"md5", b"id", b"note"][:width])]
    cell = st.sampled_from([b"", b"", MD5.encode(), b"x"])
    for _ in range(draw(st.integers(0, 12))):
        size = draw(st.sampled_from([width, width, width, width - 1, width + 1]))
        lines.append(b",".join(draw(st.lists(cell, min_size=size, max_size=size))))
    mixed = draw(st.lists(st.sampled_from([b"\n", b"\r\n", b"\r"]), min_size=1, max_size=2))
    ends = [draw(st.sampled_from(mixed)) for _ in lines]
    return b"".join(line + end for line, end in zip(lines, ends, strict=True))


def _read(data: bytes) -> list[object]:
    """Every entry the reader gives, and every bad row as (reason, place)."""
    return _listed(lambda: stream_csv_set(io.BytesIO(data), path=PATH))


def _listed(stream: object) -> list[object]:
    assert callable(stream)
    items = one_at_a_time(stream().items)
    return [("bad", i.reason, i.place) if isinstance(i, InvalidInput) else i for i in items]


def _reference(data: bytes) -> HashSetStream:
    """The reader as it was before blocks: the csv module over io.TextIOWrapper, row by row."""
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", errors="surrogateescape",
                            newline="")  # fmt: skip
    reader = csv.reader(text)

    def rows() -> Iterator[tuple[int, list[str]] | InvalidInput]:
        last_error_line = -1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                line = reader.line_num
                bad = InvalidInput(f"not valid CSV: {error}", path=PATH, place=f"line {line}")
                if line == last_error_line:
                    raise bad from error
                last_error_line = line
                yield bad
                continue
            yield reader.line_num, cells

    found = rows()
    first = next((row for row in found if isinstance(row, InvalidInput) or any(
        cell.strip() for cell in row[1])), None)  # fmt: skip
    if isinstance(first, InvalidInput):
        raise first
    header = csv_module._header(first, path=PATH)
    chunks = (row if isinstance(row, InvalidInput) else ([row[0]], [row[1]]) for row in found)
    return HashSetStream("csv", None, "id", csv_module._entries(header, chunks, path=PATH))


def _same_as_before(data: bytes, monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    monkeypatch.setattr(csv_module, "plain_batch", lambda *_: None)
    monkeypatch.setattr(csv_module, "plain_columns", lambda *_: None)
    try:
        before = _listed(lambda: _reference(data))
    except InvalidInput as error:
        monkeypatch.undo()
        monkeypatch.setattr(plain_module, "BLOCK_BYTES", block)
        with pytest.raises(InvalidInput) as raised:
            _read(data)
        assert (raised.value.reason, raised.value.place) == (error.reason, error.place)
        return
    monkeypatch.undo()
    monkeypatch.setattr(plain_module, "BLOCK_BYTES", block)
    assert _read(data) == before


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=st.one_of(raw_csv(), ragged_csv()), block=st.sampled_from([1, 2, 7, 40, 200, 65536]),
       limit=st.sampled_from(LIMITS))  # fmt: skip
@example(data=b"md5\r\nx,\n,y\r\n", block=65536, limit=131072)  # \n alone among \r\n
def test_csv_read_in_blocks_reads_as_the_csv_module_did(
    data: bytes, block: int, limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    usual = csv.field_size_limit(limit)
    try:
        _same_as_before(data, monkeypatch, block)
    finally:
        csv.field_size_limit(usual)
        monkeypatch.undo()


LINE_BYTES = [b"\n", b"\r", b"\r\n", b"a", b",", b'"', b"\xc3", b"\xa9", b"\xff", b"\xef\xbb\xbf",
              b"\x00", b"\x85", "\u2028".encode(), b"\x1c", b"\x0b"]  # fmt: skip


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(pieces=st.lists(st.sampled_from(LINE_BYTES), max_size=60),
       block=st.sampled_from([1, 2, 3, 5, 64]))  # fmt: skip
def test_csv_lines_are_the_text_wrappers_lines(
    pieces: list[bytes], block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines are cut, counted and decoded as io.TextIOWrapper(newline="") cuts and decodes them,
    a multi-byte character, a BOM or a \\r\\n split between two reads included."""
    data = b"".join(pieces)
    wrapper = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", errors="surrogateescape",
                               newline="")  # fmt: skip
    monkeypatch.setattr(plain_module, "BLOCK_BYTES", block)
    try:
        assert list(CsvLines(io.BytesIO(data))) == list(wrapper)
    finally:
        monkeypatch.undo()


def _items(data: bytes) -> list[object]:
    return list(stream_csv_set(io.BytesIO(data), path=PATH).items)


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_plain_lines_are_read_in_blocks_with_their_lines(
    ending: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plain_module, "BLOCK_BYTES", 4096)
    rows = [f"e{n},{MD5.upper()},vics-us,{n % 3}" for n in range(3000)]
    data = ending.join(["\ufeffid,md5,category_scheme,category_code", *rows]).encode()
    items = _items(data)
    assert len(items) > 20
    assert all(isinstance(item, EntryBatch) for item in items)
    assert all(isinstance(v, list) for item in items for v in item.columns.values())
    place, entry = list(one_at_a_time(items))[2999]
    assert place == "line 3001"
    assert entry[:3] == ("e2999", None, MD5) and entry[8].code == "2"


def test_a_quoted_row_sends_its_own_block_only_to_the_csv_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(plain_module, "BLOCK_BYTES", 1024)
    rows = [f"e{n},{MD5}" for n in range(2000)]
    rows[1000] = f'e1000,"{MD5}\n"'  # a line end inside quotes: the row ends a line later
    rows[1500] = "e1500,not-a-hash"
    found = _items("\n".join(["id,md5", *rows, "", ""]).encode())
    assert sum(isinstance(item, EntryBatch) for item in found) > 50
    entries = list(one_at_a_time(found))
    assert [item.place for item in entries if isinstance(item, InvalidInput)] == ["line 1503"]
    places = {row[0]: place for place, row in (e for e in entries if isinstance(e, tuple))}
    assert [places[f"e{n}"] for n in (999, 1000, 1001, 1999)] == [
        "line 1001",
        "line 1003",
        "line 1004",
        "line 2002",
    ]


def test_a_line_without_end_is_read_whole_and_a_field_past_the_limit_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(plain_module, "BLOCK_BYTES", 16)
    usual = csv.field_size_limit(100)
    try:
        data = f"id,md5\ne1,{MD5}\ne2,{'x' * 101}\ne3,{MD5}".encode()
        entries = list(one_at_a_time(_items(data)))
    finally:
        csv.field_size_limit(usual)
    assert [getattr(item, "place", None) or item[0] for item in entries] == [
        "line 2",
        "line 3",
        "line 4",
    ]
    assert "field larger than field limit" in entries[1].reason
