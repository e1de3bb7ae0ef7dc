"""The file a WhatsApp message shares, as the export names it on the message's first line.

iOS writes ``<attached: NAME>`` (any words before it, as in a document's
``Name.pdf • 2 pages <attached: 00000047-Name.pdf>``; old exports ``NAME <attached>``; some
``< attached: NAME >``), Android ``NAME (file attached)``; each in the phone's language. The
wording of the most used WhatsApp languages is known below; a name in WhatsApp's own pattern
(``IMG-20220205-WA0028.jpg``, ``00000042-PHOTO-2020-06-07-15-13-20.jpg``) is recognised
whatever the wording around it.
"""

from __future__ import annotations

import re

# Android "(file attached)": English, Spanish, Portuguese (Brazil, Portugal), German, French,
# Italian, Dutch, Russian, Turkish, Indonesian, Malay, Arabic, Hindi, Polish, Vietnamese, Thai,
# Ukrainian, Persian, Chinese, Japanese, Korean, Catalan, Swedish, Danish, Hebrew, Romanian.
_ANDROID_WORDS = (
    "file attached", "archivo adjunto", "arquivo anexado", "ficheiro anexado",
    "Datei angehängt", "fichier joint", "file allegato", "bestand bijgevoegd",
    "файл прикреплен", "файл прикреплён", "dosya ekli", "dosya eklendi", "file terlampir",
    "fail dilampirkan", "ملف مرفق", "फ़ाइल संलग्न है", "फ़ाइल संलग्न", "plik załączony",
    "załączono plik", "tệp đính kèm", "ไฟล์แนบ", "файл додано", "فایل پیوست شد",
    "文件已附加", "已附加文件", "ファイル添付あり", "파일 첨부됨", "fitxer adjunt",
    "fil bifogad", "fil vedhæftet", "קובץ מצורף", "fișier atașat",
)  # fmt: skip
# iOS "<attached: NAME>" in the same languages.
_IOS_WORDS = (
    "attached", "adjunto", "anexado", "anexo", "Anhang", "angehängt", "pièce jointe",
    "fichier joint", "allegato", "bijgevoegd", "bijlage", "вложение", "прикреплено",
    "eklendi", "ek", "terlampir", "lampiran", "dilampirkan", "مرفق", "संलग्न", "załącznik",
    "załączono", "đính kèm", "ไฟล์แนบ", "вкладення", "پیوست", "附件", "添付", "첨부",
    "adjuntat", "bifogad", "vedhæftet", "מצורף", "atașat",
)  # fmt: skip


# Left-to-right and right-to-left marks iOS puts before the name and inside "<attached>".
_MARKS = re.compile("[\u200e\u200f]")


def _any_of(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


_IOS = re.compile(rf"<\s*(?:{_any_of(_IOS_WORDS)})\s*:\s*(?P<name>[^<>]+?)\s*>", re.IGNORECASE)
_IOS_NUMBERED = re.compile(r"<\s*[^<>:]{1,40}:\s*(?P<name>\d{8}-[^<>]+?)\s*>")
_IOS_OLD = re.compile(rf"(?P<name>\S[^<>]*?)\s*<(?:{_any_of(_IOS_WORDS)})>", re.IGNORECASE)
_ANDROID = re.compile(rf"(?P<name>\S.*?)\s\((?:{_any_of(_ANDROID_WORDS)})\)", re.IGNORECASE)
_ANDROID_WA_NAME = re.compile(
    r"(?P<name>(?:IMG|VID|AUD|PTT|STK|DOC|GIF)-\d{8}-WA\d+(?:\.\w{1,8})?)\s\([^()]{1,60}\)"
)


def attachment_name(first_line: str) -> str | None:
    """The attached file's name when a message's first line announces one."""
    if "<" in first_line:
        line = _MARKS.sub("", first_line)
        found = _IOS.search(line) or _IOS_NUMBERED.search(line)
        found = found or _IOS_OLD.fullmatch(line.strip())
        return found["name"] if found else None
    if "(" in first_line:
        line = _MARKS.sub("", first_line).strip()
        found = _ANDROID.fullmatch(line) or _ANDROID_WA_NAME.fullmatch(line)
        return found["name"].strip() if found else None
    return None
