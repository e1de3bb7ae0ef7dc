"""WhatsApp exports of every locale the apps write: one test per way they used to fail."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from amparo.formats.whatsapp import ChatExport, parse_whatsapp

UTC_ZONE = ZoneInfo("UTC")
EVENING = datetime(2018, 6, 13, 21, 25, tzinfo=UTC)


def parse(text: str) -> ChatExport:
    return parse_whatsapp(text, path="chat.txt", zone=UTC_ZONE, this_year=2026)


def times(export: ChatExport) -> list[datetime]:
    return [message.at.utc for message in export.messages]


@pytest.mark.parametrize("separator", ["-", "/", "."])
def test_two_digit_year_first_dates(separator: str) -> None:
    lines = ["19-11-03, 10:20 - a: x", "19-11-30, 10:20 - a: y", "19-12-01, 10:20 - b: z"]
    export = parse("\n".join(line.replace("-", separator, 2) for line in lines))
    assert export.date_order.order == "ymd"
    assert times(export)[0] == datetime(2019, 11, 3, 10, 20, tzinfo=UTC)
    (note,) = export.notes  # every date also fits day/month/year: the choice is shown
    assert note.startswith("dates read year/month/day: ") and "time order" in note


def test_year_day_month_dates_are_proven_by_a_day_above_twelve() -> None:
    export = parse("[19-03-11 10:20] a: x\n[19-30-11 10:20] a: y")
    assert export.date_order.order == "ydm" and export.date_order.proven
    assert times(export)[1] == datetime(2019, 11, 30, 10, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    "line",
    [
        "Jun 13, 2018, 9:25 PM - a: m",
        "13 Jun 2018 21:25 - a: m",
        "13. Juni 2018, 21:25 - a: m",
        "13 jun. 2018 21:25 - a: m",
        "13 juin 2018 21:25 - a: m",
    ],
)
def test_month_names_of_early_android_exports(line: str) -> None:
    assert times(parse(line)) == [EVENING]


def test_time_first_ios_layout() -> None:
    (message,) = parse("[21:25:00, 13/06/2018] Lan: Chào bạn").messages
    assert (message.at.utc, message.author, message.text) == (EVENING, "Lan", "Chào bạn")


ARABIC_DIGITS = str.maketrans({str(n): chr(0x0660 + n) for n in range(10)})


def test_arabic_digits_comma_and_markers() -> None:
    text = "\u200f13\u200f/6\u200f/2018 9:25 م - أحمد: موعد 10\n14/6/2018، 9:25 ص - سارة: حسنا"
    first, second = parse(text.translate(ARABIC_DIGITS)).messages
    said = "موعد 10".translate(ARABIC_DIGITS)  # digits in the text stay as written
    assert (first.at.utc, first.author, first.text) == (EVENING, "أحمد", said)
    assert first.at.raw == "13/6/2018 9:25 م".translate(ARABIC_DIGITS)
    assert second.at.utc == datetime(2018, 6, 14, 9, 25, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "note"),
    [
        ("[13/6/2561 21:25:00] a: m", False),
        ("13/6/61 21:25 - a: m", True),
        ("[令和2/06/13 21:25:00] a: m", False),
        ("[R2/06/13 21:25:00] a: m", False),
        ("[平成30/06/13 21:25:00] a: m", False),
    ],
)
def test_buddhist_and_japanese_era_years(line: str, note: bool) -> None:
    export = parse(line)
    (at,) = times(export)
    assert (at.month, at.day, at.hour) == (6, 13, 21)
    assert at.year == (2020 if "2/06" in line else 2018)
    assert any("Buddhist-era" in n for n in export.notes) is note


@pytest.mark.parametrize(
    ("line", "hour"),
    [
        ("06/20/2020, 00:08 a. m. - a: m", 0),
        ("06/20/2020, 00:08 p. m. - a: m", 12),
        ("06/20/2020, 12:08 a. m. - a: m", 0),
        ("2020. 6. 20. 오후 0:08 - a: m", 12),
        ("[2020/6/20 上午12:08:00] a: m", 0),
    ],
)
def test_hour_zero_on_a_twelve_hour_clock(line: str, hour: int) -> None:
    (at,) = times(parse(line))
    assert (at.day, at.hour, at.minute) == (20, hour, 8)


@pytest.mark.parametrize("mark", ["\ufeff", "\u200e", "\u200f", "\u202a"])
def test_a_mark_at_the_start_of_every_line(mark: str) -> None:
    text = "\n".join(f"{mark}13/06/2018, 21:{n:02d} - a: message {n}" for n in range(49))
    export = parse(text)
    assert len(export.messages) == 49
    assert export.messages[48].text == "message 48"


PHOTO = "00000042-PHOTO-2020-06-07-15-13-20.jpg"


@pytest.mark.parametrize(
    ("first_line", "name"),
    [
        ("Name.pdf • 2 pages <attached: 00000047-Name.pdf>", "00000047-Name.pdf"),
        ("\u200e2015-08-04-PHOTO-00004762.jpg <\u200eattached>", "2015-08-04-PHOTO-00004762.jpg"),
        (f"< attached: {PHOTO} >", PHOTO),
        (f"<Anhang: {PHOTO}>", PHOTO),
        (f"<vedlegg: {PHOTO}>", PHOTO),  # Norwegian: not in the list, a WhatsApp name
    ],
)  # fmt: skip
def test_ios_attachments_keep_their_sender(first_line: str, name: str) -> None:
    (message,) = parse(f"[13/06/2018, 21:25:00] Ana: {first_line}\ncaption").messages
    assert (message.author, message.attachment) == ("Ana", name)


ANDROID_WORDINGS = [
    "file attached", "archivo adjunto", "arquivo anexado", "Datei angehängt", "fichier joint",
    "file allegato", "bestand bijgevoegd", "файл прикреплен", "dosya ekli", "file terlampir",
    "ملف مرفق", "फ़ाइल संलग्न है", "plik załączony", "tệp đính kèm", "ไฟล์แนบ", "fail dilampirkan",
]  # fmt: skip


@pytest.mark.parametrize("wording", ANDROID_WORDINGS)
def test_android_attachment_wordings_keep_their_sender(wording: str) -> None:
    line = f"13/06/2018, 21:25 - +34 600 11 22 33: Plan final.pdf ({wording})"
    (message,) = parse(line).messages
    assert (message.author, message.attachment) == ("+34 600 11 22 33", "Plan final.pdf")


def test_an_unknown_wording_around_a_whatsapp_file_name() -> None:
    (message,) = parse("13/06/2018, 21:25 - a: IMG-20180613-WA0001.jpg (fitxategia)").messages
    assert message.attachment == "IMG-20180613-WA0001.jpg"


def test_words_in_brackets_are_no_attachment() -> None:
    (message,) = parse("13/06/2018, 21:25 - a: see photo.jpg (the red one)").messages
    assert message.attachment is None


def test_a_file_the_order_cannot_be_proven_for_says_so() -> None:
    export = parse("[02-12-18 22:55:45] a: x")
    assert not export.date_order.proven
    assert times(export) == [datetime(2018, 12, 2, 22, 55, 45, tzinfo=UTC)]
    (note,) = export.notes
    assert note.startswith("dates read day/month/year: every date could be read day/month/year")
    assert note.endswith("nothing else decides, and it is the most common order")


def test_two_digit_years_first_within_one_month_are_read_by_the_time_they_span() -> None:
    export = parse("19-11-03, 10:20 - a: x\n19-11-28, 10:20 - a: y")
    assert times(export)[0] == datetime(2019, 11, 3, 10, 20, tzinfo=UTC)
    (note,) = export.notes
    assert "in time order either way, its dates span 25 days" in note


def test_a_day_above_twelve_proves_the_order_and_names_its_line() -> None:
    export = parse("3/6/18, 9:00 - a: x\n3/14/18, 9:00 - a: y")
    assert export.date_order.proven and export.notes == ()
    assert "line 2 (3-14-18) is no day/month/year" in export.date_order.reason
