"""WhatsApp chat exports: line shapes, day/month order per file, authors, attachments, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from amparo.errors import InvalidInput
from amparo.formats.whatsapp import ChatExport, parse_whatsapp

MADRID = ZoneInfo("Europe/Madrid")
EVENING = datetime(2018, 6, 13, 19, 25, 15, tzinfo=UTC)  # 13 June 2018 21:25:15 in Madrid
AFTERNOON = datetime(2018, 6, 3, 11, 55, tzinfo=UTC)  # 3 June 2018 13:55 in Madrid
NIGHT = datetime(2018, 6, 2, 23, 55, tzinfo=UTC)  # 3 June 2018 01:55 in Madrid
MIDNIGHT = datetime(2018, 6, 2, 22, 10, tzinfo=UTC)  # 3 June 2018 00:10 in Madrid


def parse(text: str) -> ChatExport:
    return parse_whatsapp(text, path="chat.txt", zone=MADRID)


@pytest.mark.parametrize(
    ("line", "raw", "utc"),
    [
        ("3/6/18, 1:55 p.m. - a: m", "3/6/18, 1:55 p.m.", AFTERNOON),
        ("03-06-2018, 01.55 PM - a: m", "03-06-2018, 01.55 PM", AFTERNOON),
        ("13.06.18 21.25.15: a: m", "13.06.18 21.25.15", EVENING),
        ("[06.13.18 21:25:15] a: m", "06.13.18 21:25:15", EVENING),
        ("13.6.2018 klo 21.25.15 - a: m", "13.6.2018 klo 21.25.15", EVENING),
        ("13. 6. 2018. 21:25:15 a: m", "13. 6. 2018. 21:25:15", EVENING),
        ("[3/6/18 1:55:00 p. m.] a: m", "3/6/18 1:55:00 p. m.", AFTERNOON),
        ("[2018/06/13, 21:25:15] a: m", "2018/06/13, 21:25:15", EVENING),
        ("3/6/18 1:55\u202fpm - a: m", "3/6/18 1:55\u202fpm", AFTERNOON),
        ("[3/6/2018, 1:55:00\u202fa.\u202fm.] a: m", "3/6/2018, 1:55:00\u202fa.\u202fm.", NIGHT),
        ("03/06/2018 12:10 am - a: m", "03/06/2018 12:10 am", MIDNIGHT),
    ],
)
def test_line_shapes(line: str, raw: str, utc: datetime) -> None:
    (message,) = parse(line).messages
    assert (message.author, message.text, message.line) == ("a", "m", 1)
    assert message.at.raw == raw
    assert message.at.utc == utc
    assert message.at.offset_minutes == 120


def test_month_first_file_decided_by_any_line() -> None:
    export = parse("3/6/18, 9:00 - a: early\n3/14/18, 9:00 - a: later")
    assert not export.day_first
    assert export.messages[0].at.utc == datetime(2018, 3, 6, 8, 0, tzinfo=UTC)


def test_day_first_file_decided_by_any_line() -> None:
    export = parse("3/6/18, 9:00 - a: early\n14/6/18, 9:00 - a: later")
    assert export.day_first
    assert export.messages[0].at.utc == datetime(2018, 6, 3, 7, 0, tzinfo=UTC)


def test_ambiguous_file_is_day_first_unless_only_month_first_is_in_order() -> None:
    assert parse("1/2/18, 9:00 - a: x\n2/1/18, 9:00 - a: y").day_first is False
    assert parse("2/1/18, 9:00 - a: x\n1/2/18, 9:00 - a: y").day_first is True
    assert parse("1/2/18, 9:00 - a: x\n1/2/18, 9:30 - a: y").day_first is True


def test_a_date_in_another_order_costs_only_its_line() -> None:
    export = parse("13/6/18, 9:00 - a: x\n14/6/18, 9:00 - a: y\n6/15/18, 9:00 - a: z")
    assert [m.line for m in export.messages] == [1, 2]
    (bad,) = export.unreadable
    assert (bad.line, bad.last_line, bad.text) == (3, 3, "6/15/18, 9:00 - a: z")
    assert "day/month/year" in bad.reason


def test_multi_line_messages() -> None:
    export = parse(
        "\ufeff[13/06/2018, 21:25:15] a: one\ntwo\n\nthree\n[13/06/2018, 21:26:00] b: x\n"
    )
    first, second = export.messages
    assert first.text == "one\ntwo\n\nthree"
    assert (second.line, second.text) == (5, "x")


def test_system_lines() -> None:
    export = parse(
        "13/06/2018, 21:25 - Messages and calls are end-to-end encrypted. Tap to learn more.\n"
        "13/06/2018, 21:25 - Ana created group \u201cPlans\u201d\n"
        "13/06/2018, 21:26 - Ana added +34 600 11 22 33\n"
        "13/06/2018, 21:27 - Ana: hola"
    )
    system = [m for m in export.messages if m.system]
    assert len(system) == 3
    assert all(m.author is None for m in system)
    assert system[1].text == "Ana created group \u201cPlans\u201d"
    assert export.participants == ("Ana",)


@pytest.mark.parametrize(
    "line",
    [
        "[13/06/2018, 21:25:15] a: \u200e<attached: 00000042-PHOTO-2020-06-07-15-13-20.jpg>",
        "[13/06/2018, 21:25:15] a: \u200e<adjunto: 00000042-PHOTO-2020-06-07-15-13-20.jpg>",
        "13/06/2018, 21:25 - a: IMG-20220205-WA0028.jpg (file attached)",
        "13/06/2018, 21:25 - a: IMG-20220205-WA0028.jpg (archivo adjunto)\ncaption",
    ],
)
def test_attachments(line: str) -> None:
    (message,) = parse(line).messages
    assert message.attachment in {
        "00000042-PHOTO-2020-06-07-15-13-20.jpg",
        "IMG-20220205-WA0028.jpg",
    }


def test_plain_message_has_no_attachment() -> None:
    assert parse("13/06/2018, 21:25 - a: see photo.jpg").messages[0].attachment is None


def test_authors_phone_numbers_and_names_with_colons_in_text() -> None:
    export = parse(
        "13/06/2018, 21:25 - +34 600 11 22 33: meet at: 10:30\n"
        "13/06/2018, 21:26 - Jos\u00e9 Mar\u00eda \U0001f60a: note: ok"
    )
    first, second = export.messages
    assert (first.author, first.text) == ("+34 600 11 22 33", "meet at: 10:30")
    assert (second.author, second.text) == ("Jos\u00e9 Mar\u00eda \U0001f60a", "note: ok")
    assert export.participants == ("+34 600 11 22 33", "Jos\u00e9 Mar\u00eda \U0001f60a")


def test_direction_marks_stripped() -> None:
    line = "\u200e[13/06/2018, 21:25:15] \u202a+34 600 11 22 33\u202c: \u200fhi\u2066x\u2069"
    (message,) = parse(line).messages
    assert (message.author, message.text) == ("+34 600 11 22 33", "hix")


def test_no_message_lines() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse("hello\nnot a chat")
    assert (caught.value.reason, caught.value.place) == (
        "no WhatsApp message lines found",
        "line 1",
    )


@pytest.mark.parametrize(
    "bad", ["13/06/2018, 25:61 - a: x", "13/06/2018, 13:10 pm - a: x", "31/02/2018, 10:00 - a: x"]
)
def test_impossible_time_costs_only_its_line(bad: str) -> None:
    export = parse(f"13/06/2018, 21:25 - a: fine\n{bad}\nmore of it\n13/06/2018, 21:30 - b: ok")
    assert [(m.line, m.text) for m in export.messages] == [(1, "fine"), (4, "ok")]
    (unreadable,) = export.unreadable
    assert (unreadable.line, unreadable.last_line) == (2, 3)
    assert unreadable.text == f"{bad}\nmore of it"
    assert unreadable.reason.startswith(f"unreadable date or time {bad.split(' - ')[0]!r}")


def test_text_before_the_first_message_line_is_unreadable() -> None:
    export = parse("stray\n\n13/06/2018, 21:25 - a: x")
    assert [m.line for m in export.messages] == [3]
    (preamble,) = export.unreadable
    assert (preamble.line, preamble.last_line, preamble.text) == (1, 2, "stray\n")


def test_dst_gap_and_fold_use_fold_zero() -> None:
    gap = parse("25/03/2018, 02:30 - a: x").messages[0].at
    fold = parse("28/10/2018, 02:30 - a: x").messages[0].at
    assert (gap.utc, gap.offset_minutes) == (datetime(2018, 3, 25, 1, 30, tzinfo=UTC), 60)
    assert (fold.utc, fold.offset_minutes) == (datetime(2018, 10, 28, 0, 30, tzinfo=UTC), 120)
