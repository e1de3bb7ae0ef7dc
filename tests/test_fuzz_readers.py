"""Issue 12: every reader driven with generated hostile values (hypothesis).

Each property: no exception other than InputRejected (which names the file) escapes a reader,
and every input is accounted for: read, or refused or set aside with a reason naming the file
and the place. ``make test`` runs a bounded number of examples; for a long run set
``AMPARO_FUZZ_EXAMPLES`` (see the README's Development section).
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from amparo.errors import InputRejected
from amparo.formats.cybertipline import read_file_details, read_report
from amparo.formats.hashsets import read_hash_set
from amparo.formats.subscriber_csv import read_subscriber_csv
from amparo.formats.telegram import parse_telegram
from amparo.formats.whatsapp import parse_whatsapp
from amparo.intake.ingest import ingest_paths
from amparo.workspace import Workspace, open_workspace
from tests.test_values_reports import FILE_DETAILS, REPORT, write_package

EXAMPLES = int(os.environ.get("AMPARO_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 100,  # bounded runs are repeatable; long runs explore
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
FIXTURES = Path(__file__).parent / "fixtures"

# Hostile text: control characters, odd Unicode (no surrogates: files are UTF-8), empty.
hostile_text = st.one_of(
    st.just(""),
    st.text(st.characters(codec="utf-8"), max_size=30),
    st.sampled_from(
        ["\x00", "\x1b[31m", "\u202e", "\ufeff", " ", "٣", "²", "\U0001d7d7", "NaN", "-0"]
    ),
)
huge_int = st.one_of(
    st.integers(-(2**70), 2**70), st.sampled_from([-1, 0, 65535, 65536, 2**31, 2**63, 2**64])
)


_month, _day = st.integers(1, 12), st.integers(1, 31)


@st.composite
def iso_date_time(draw: st.DrawFn) -> str:
    """An ISO 8601 date and time, its year and offset anywhere (often beyond any calendar)."""
    year = draw(st.one_of(st.integers(-99999, 99999), st.sampled_from([1, 1899, 9999, 10000])))
    month, day = draw(st.sampled_from([(1, 1), (12, 31)]) | st.tuples(_month, _day))
    text = f"{'-' if year < 0 else ''}{abs(year):04d}-{month:02d}-{day:02d}"
    text += f"T{draw(st.sampled_from([0, 23]) | st.integers(0, 23)):02d}:59:59"
    offset = draw(st.one_of(st.none(), st.just("Z"), st.integers(-14 * 60, 14 * 60)))
    if isinstance(offset, int):
        sign = "-" if offset < 0 else "+"
        offset = f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    return text + (offset or "")


values_in_xml = st.one_of(iso_date_time(), huge_int.map(str), hostile_text)
REPORT_SLOTS = {
    "<incidentDateTime>2026-03-01T10:30:00+01:00</incidentDateTime>": "incidentDateTime",
    "<dateOfBirth>2010-05-04</dateOfBirth>": "dateOfBirth",
    "<dateTime>2026-03-01T09:00:00-03:00</dateTime>": "dateTime",
    "<port>51234</port>": "port",
    "<firstName>Ana</firstName>": "firstName",
    "<espIdentifier>pn-4242</espIdentifier>": "espIdentifier",
}
FILE_SLOTS = {
    "<uploadedToEspTimestamp>2026-03-01T09:05:00-03:00</uploadedToEspTimestamp>": (
        "uploadedToEspTimestamp"
    ),
    "<port>51234</port>": "port",
    "<dateTime>2026-03-01T12:05:00Z</dateTime>": "dateTime",
    "<fileName>IMG_0001.jpg</fileName>": "fileName",
}


def _fill(template: str, slots: dict[str, str], chosen: dict[str, str]) -> str:
    for element, tag in slots.items():
        if tag in chosen:
            template = template.replace(element, f"<{tag}>{escape(chosen[tag])}</{tag}>", 1)
    return template


def _report_values() -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(st.sampled_from(sorted(set(REPORT_SLOTS.values()))), values_in_xml)


def _assert_names_file_and_place(error: InputRejected, path: str) -> None:
    assert error.path == path and error.reason, error.describe()


@FUZZ
@given(_report_values(), st.one_of(st.none(), iso_date_time()))
@example({"incidentDateTime": "9999-12-31T23:59:59-05:00"}, None)
@example({"dateOfBirth": "10000-01-01", "port": "2147483647"}, "0001-01-01T00:00:00+09:00")
def test_report_xml(chosen: dict[str, str], location: str | None) -> None:
    text = _fill(REPORT, REPORT_SLOTS, chosen)
    if location is not None:
        text = text.replace('timestamp="2026-03-01T09:00:00Z"', f"timestamp={quoteattr(location)}")
    try:
        report = read_report(text.encode(), path="p/report.xml")
    except InputRejected as error:
        _assert_names_file_and_place(error, "p/report.xml")
        return
    for refused in report.set_aside:
        _assert_names_file_and_place(refused, "p/report.xml")
        assert refused.place and ", line " in refused.place
    reported = report.parties[0]
    if "port" in chosen and reported.ip_events[0].port is None:
        assert any(e.place.startswith("port, line") for e in report.set_aside)
    incident = report.incident_at
    if incident.utc is not None:
        assert 1900 <= incident.utc.year < 2200 and incident.utc.tzinfo is UTC


@FUZZ
@given(st.dictionaries(st.sampled_from(sorted(set(FILE_SLOTS.values()))), values_in_xml))
def test_file_details(chosen: dict[str, str]) -> None:
    try:
        entry = read_file_details(_fill(FILE_DETAILS, FILE_SLOTS, chosen).encode(), path="p/f.xml")
    except InputRejected as error:
        _assert_names_file_and_place(error, "p/f.xml")
        return
    for refused in entry.set_aside:
        _assert_names_file_and_place(refused, "p/f.xml")
    at = entry.uploaded_at
    assert at is None or at.utc is None or 1900 <= at.utc.year < 2200


ZONES = ["UTC", "America/New_York", "Asia/Tokyo", "Pacific/Kiritimati", "Pacific/Pago_Pago"]


@st.composite
def whatsapp_line(draw: st.DrawFn) -> str:
    day, month = draw(st.integers(0, 99)), draw(st.integers(0, 99))
    year = draw(st.one_of(st.integers(0, 99999), st.sampled_from([1, 9999, 2018])))
    hour, minute = draw(st.integers(0, 29)), draw(st.integers(0, 69))
    author = draw(st.sampled_from(["Ana", "+34 600 11 22 33", "\u202eBea", ""]))
    said = draw(hostile_text).replace("\n", " ").replace("\r", " ")
    return f"{day:02d}/{month:02d}/{year}, {hour:02d}:{minute:02d} - {author}: {said}"


@FUZZ
@given(st.lists(whatsapp_line(), min_size=1, max_size=12), st.sampled_from(ZONES))
@example(["31/12/9999, 23:30 - Ana: late"], "America/New_York")
@example(["01/01/0001, 00:30 - Ana: early"], "Asia/Tokyo")
def test_whatsapp(lines: list[str], zone: str) -> None:
    text = "\n".join(lines)
    try:
        export = parse_whatsapp(text, path="chat.txt", zone=ZoneInfo(zone), this_year=2026)
    except InputRejected as error:
        _assert_names_file_and_place(error, "chat.txt")
        return
    covered = {n for m in export.messages for n in range(m.line, m.line + m.text.count("\n") + 1)}
    for unreadable in export.unreadable:
        assert unreadable.reason
        covered |= set(range(unreadable.line, unreadable.last_line + 1))
    starts = [n for n, line in enumerate(re.split(r"\r\n|\r|\n", text), 1) if line[:1].isdigit()]
    assert set(starts) <= covered
    for message in export.messages:
        assert 1900 <= message.at.utc.year < 2200


telegram_value = st.one_of(huge_int, hostile_text, st.none(), st.booleans(), st.floats())


@st.composite
def telegram_message(draw: st.DrawFn) -> dict[str, object]:
    message: dict[str, object] = {
        "id": draw(st.one_of(huge_int, st.integers(1, 1000))),
        "type": draw(st.sampled_from(["message", "service"])),
        "date": draw(st.one_of(iso_date_time(), hostile_text)),
        "text": draw(hostile_text),
    }
    epoch = draw(st.one_of(st.none(), st.integers(0, 10**12).map(str), hostile_text))
    if epoch is not None:
        message["date_unixtime"] = epoch
    extra = draw(st.sampled_from(["reply_to_message_id", "from_id", "from", "photo", "edited"]))
    message[extra] = draw(telegram_value)
    return message


@FUZZ
@given(st.lists(telegram_message(), max_size=8), huge_int)
@example(
    [
        {"id": 2**64, "type": "message", "date": "2023-05-14T18:30:00", "text": ""},
        {"id": 1, "type": "message", "date": "x", "date_unixtime": "999999999999"},
    ],
    1,
)
def test_telegram(messages: list[dict[str, object]], chat_id: int) -> None:
    document = {"name": "Chat", "type": "personal_chat", "id": chat_id, "messages": messages}
    try:
        export = parse_telegram(json.dumps(document).encode(), path="result.json")
    except InputRejected as error:
        _assert_names_file_and_place(error, "result.json")
        return
    (chat,) = export.chats
    assert len(chat.messages) + len(chat.refused) == len(messages)
    for refused in (*chat.refused, *export.set_aside):
        _assert_names_file_and_place(refused, "result.json")
        assert refused.place and refused.place.startswith("messages["), refused.describe()
    for message in chat.messages:
        assert -(2**31) <= message.id < 2**31
        assert message.at.utc is None or 1900 <= message.at.utc.year < 2200


hash_cell = st.one_of(
    hostile_text,
    st.just("d41d8cd98f00b204e9800998ecf8427e"),
    st.builds(lambda q: "f" * 64 + "," + q, st.one_of(huge_int.map(str), hostile_text)),
)


@FUZZ
@given(st.lists(st.tuples(hash_cell, hash_cell, hostile_text, huge_int), max_size=6))
def test_csv_hash_set(rows: list[tuple[str, str, str, int]]) -> None:
    lines = ["id,md5,pdq,series,category_code"]
    for index, (md5, pdq, series, category) in enumerate(rows):
        cells = [str(index), md5, pdq, series, str(category)]
        lines.append(",".join('"' + c.replace('"', '""') + '"' for c in cells))
    try:
        found = read_hash_set("\n".join(lines).encode(), path="set.csv")
    except InputRejected as error:
        _assert_names_file_and_place(error, "set.csv")
        return
    assert len(found.entries) <= len(rows)


@FUZZ
@given(huge_int.map(str) | hostile_text, huge_int.map(str) | hostile_text, telegram_value)
def test_vics_hash_set(size: str, category: str, media_id: object) -> None:
    document = json.loads((FIXTURES / "hashsets" / "vics-2.0.json").read_text())
    media = document["value"][0]["Media"][0]
    media.update({"MediaSize": size, "Category": category, "MediaID": media_id})
    try:
        read_hash_set(json.dumps(document).encode(), path="set.json")
    except InputRejected as error:
        _assert_names_file_and_place(error, "set.json")


@FUZZ
@given(st.lists(st.tuples(hostile_text, hostile_text), min_size=1, max_size=4))
def test_ncmec_hash_set(entries: list[tuple[str, str]]) -> None:
    images = "".join(
        f"<image><member id={quoteattr(member)}/><id>{escape(entry_id)}</id>"
        "<fingerprints><md5>d41d8cd98f00b204e9800998ecf8427e</md5></fingerprints></image>"
        for member, entry_id in entries
    )
    xml = f'<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2"><images>{images}'
    try:
        read_hash_set(f"{xml}</images></queryResult>".encode(), path="set.xml")
    except InputRejected as error:
        _assert_names_file_and_place(error, "set.xml")


subscriber_cell = st.one_of(hostile_text, iso_date_time(), huge_int.map(str))


@FUZZ
@given(st.lists(st.tuples(*[subscriber_cell] * 5), min_size=1, max_size=6))
@example([("192.0.2.1", "1", "9999-12-31T23:00:00-05:00", "", "")])
def test_subscriber_csv(rows: list[tuple[str, ...]]) -> None:
    lines = ["ip,port,start_utc,end_utc,date_of_birth"]
    lines += [",".join('"' + c.replace('"', '""') + '"' for c in row) for row in rows]
    try:
        parsed = read_subscriber_csv("\n".join(lines).encode(), path="return.csv")
    except InputRejected as error:
        _assert_names_file_and_place(error, "return.csv")
        return
    numbers = [r.row for r in parsed.rows] + [p.row for p in parsed.refused]
    assert len(numbers) == len(set(numbers))
    assert all(p.reason for p in parsed.refused)
    for row in parsed.rows:
        assert row.port is None or 0 <= row.port <= 65535
        assert 1900 <= row.start_at.year < 2200


_numbers = itertools.count(190500000)


@pytest.fixture(scope="module")
def fuzz_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    workspace = open_workspace(tmp_path_factory.mktemp("fuzz") / "ws")
    yield workspace
    workspace.close()


@settings(FUZZ, max_examples=max(5, EXAMPLES // 4))
@given(_report_values(), st.dictionaries(st.sampled_from(["port", "dateTime"]), values_in_xml))
@example({"incidentDateTime": "9999-12-31T23:59:59-05:00"}, {"port": "70000"})
def test_a_batch_is_never_lost_to_one_package(
    fuzz_workspace: Workspace,
    tmp_path_factory: pytest.TempPathFactory,
    chosen: dict[str, str],
    in_file: dict[str, str],
) -> None:
    folder = tmp_path_factory.mktemp("batch")
    hostile = write_package(folder / "a-hostile", next(_numbers),
                            report=_fill(REPORT, REPORT_SLOTS, chosen),
                            details=_fill(FILE_DETAILS, FILE_SLOTS, in_file))  # fmt: skip
    good = write_package(folder / "b-good", next(_numbers))
    summary = ingest_paths(fuzz_workspace, [folder])
    assert str(good) in summary.ingested
    if str(hostile) not in summary.ingested:
        assert [q.path for q in summary.quarantined] == [str(hostile)]
    for quarantine in summary.quarantined:
        assert quarantine.reason.startswith(str(hostile)), quarantine.reason
