"""Generated hash sets: the known pictures, grouped into series, and one non-pertinent meme."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from amparo.demo.images import MediaItem
from amparo.demo.pdq import PdqSignature
from amparo.demo.truth import HashSetEntry
from amparo.formats.spreadsheet_safe import SafeWriter

KNOWN_CSV = "known.csv"
NON_PERTINENT_CSV = "non_pertinent.csv"
HASH_SET_COLUMNS = (
    "md5", "sha1", "sha256", "pdq", "category_scheme", "category_code", "series",
)  # fmt: skip
SERIES_WORDS = (
    "Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India", "Juliett",
    "Kilo", "Lima", "Mike", "November", "Oscar", "Papa", "Quebec", "Romeo", "Sierra", "Tango",
    "Uniform", "Victor", "Whiskey", "Xray", "Yankee", "Zulu",
)  # fmt: skip
SERIES_SIZES = (1, 2, 3, 4, 5)
VICS_ABUSE = ("vics-us", "1")
VICS_NON_PERTINENT = ("vics-us", "0")
CAID_A = ("caid-uk", "A")
CAID_PICTURES = 2

HashedPicture = tuple[MediaItem, PdqSignature]


def series_name(index: int) -> str:
    """``Series-Alpha`` ... ``Series-Zulu``, then ``Series-Alpha-2`` and so on."""
    word = SERIES_WORDS[index % len(SERIES_WORDS)]
    lap = index // len(SERIES_WORDS)
    return f"Series-{word}-{lap + 1}" if lap else f"Series-{word}"


def series_per_picture(count: int, rng: np.random.Generator) -> list[str]:
    """Consecutive pictures share a series; series hold one to five pictures."""
    names: list[str] = []
    while len(names) < count:
        names += [series_name(len(set(names)))] * int(rng.choice(SERIES_SIZES))
    return names[:count]


def known_entries(
    pictures: Sequence[HashedPicture], rng: np.random.Generator
) -> tuple[HashSetEntry, ...]:
    """Entries for the known pictures: VICS category 1, except a couple graded CAID A."""
    series = series_per_picture(len(pictures), rng)
    caid_count = min(CAID_PICTURES, len(pictures) - 1)
    caid = {int(index) for index in rng.choice(len(pictures), caid_count, replace=False)}
    return tuple(
        _entry(item, signature, CAID_A if index in caid else VICS_ABUSE, series[index])
        for index, (item, signature) in enumerate(pictures)
    )


def non_pertinent_entry(item: MediaItem, signature: PdqSignature) -> HashSetEntry:
    return _entry(item, signature, VICS_NON_PERTINENT, None)


def _entry(
    item: MediaItem, signature: PdqSignature, category: tuple[str, str], series: str | None
) -> HashSetEntry:
    scheme, code = category
    return HashSetEntry(item.md5, item.sha1, item.sha256, signature.hex, scheme, code, series)


def write_hash_set(path: Path, entries: Sequence[HashSetEntry]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = SafeWriter(stream, lineterminator="\n")
        writer.writerow(HASH_SET_COLUMNS)
        writer.writerows(_row(entry) for entry in entries)
    return path


def _row(entry: HashSetEntry) -> tuple[str, ...]:
    return (
        entry.md5, entry.sha1, entry.sha256, entry.pdq,
        entry.category_scheme, entry.category_code, entry.series or "",
    )  # fmt: skip
