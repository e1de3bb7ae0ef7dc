"""WhatsApp export parsing speed: messages per second on one core, against a naive splitter.

Generates benign synthetic chat exports (made-up names, +34 555 01 numbers, plain words), one
per locale shape, 200,000 messages in all by default: Android day-first 24-hour in Spanish,
Android US month-first 12-hour, iOS day-first with seconds, iOS German dotted dates. Each has
multi-line messages, attachment lines, system lines and the direction marks iOS scatters.
Then times, in the same run, interleaved, each repeated and the median kept (CPU time, since
these machines are shared and noisy):

- baseline: a naive line splitter, one ``re.match`` per line of a single pattern written for
            that file's shape (which it is told), no date parsing, no author split;
- amparo:   ``parse_whatsapp``, which finds the shape itself, decides day/month order per
            file, reads every time in the phone's zone, splits authors and attachments.

Both must find every generated message. The ratio says what the full parse costs. Also timed
(wall clock, median of the same repeats): ``ingest_chat_export``, the library call behind
``amparo ingest``, of the Android export into a fresh SQLite workspace, whose one-off creation
is not counted. The result goes to ``benchmarks/results/whatsapp_parse.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from amparo.formats.whatsapp import parse_whatsapp
from amparo.intake.chat import ingest_chat_export
from amparo.workspace import open_workspace

RESULTS = Path(__file__).parent / "results" / "whatsapp_parse.json"
MADRID = ZoneInfo("Europe/Madrid")
START = datetime(2018, 6, 13, 9, 0)
LRM = "\u200e"
NAMES = ("Ana", "Luis Gómez", "Tía Carmen", "Marta")
NUMBERS = tuple(f"+34 555 01 {n // 100:02d} {n % 100:02d}" for n in (1023, 4577, 8120, 9342))
WORDS = (
    "hola", "qué", "tal", "mañana", "vale", "perfecto", "nos", "vemos", "luego", "en", "el",
    "parque", "a", "las", "cinco", "llevo", "la", "merienda", "ok", "thanks", "see", "you",
    "tomorrow", "at", "school", "bus", "train", "late", "sorry", "great", "idea", "lunch",
)  # fmt: skip


@dataclass(frozen=True)
class Shape:
    """One locale's export: how a header, an attachment and a system line are written."""

    name: str
    header: Callable[[datetime], str]
    attachment: Callable[[datetime, int], str]
    system: Callable[[str], str]
    naive: re.Pattern[str]


def _twelve_hour(at: datetime) -> str:
    return f"{(at.hour - 1) % 12 + 1}:{at:%M} {'PM' if at.hour >= 12 else 'AM'}"


def _android_file(at: datetime, number: int) -> str:
    return f"IMG-{at:%Y%m%d}-WA{number % 10000:04d}.jpg"


def _ios_file(at: datetime, number: int) -> str:
    return f"{LRM}<attached: {number:08d}-PHOTO-{at:%Y-%m-%d-%H-%M-%S}.jpg>"


SHAPES = (
    Shape(
        "android_es_day_first_24h",
        lambda at: f"{at:%d/%m/%Y, %H:%M} - ",
        lambda at, n: f"{_android_file(at, n)} (archivo adjunto)",
        lambda header: f"{header}+34 555 01 10 23 añadió a Marta",
        re.compile(r"(\d{1,2}/\d{1,2}/\d{4}, \d{1,2}:\d{2}) - (.*)"),
    ),
    Shape(
        "android_us_month_first_12h",
        lambda at: f"{at.month}/{at.day}/{at:%y}, {_twelve_hour(at)} - ",
        lambda at, n: f"{_android_file(at, n)} (file attached)",
        lambda header: f"{header}Messages and calls are end-to-end encrypted.",
        re.compile(r"(\d{1,2}/\d{1,2}/\d{2}, \d{1,2}:\d{2} [AP]M) - (.*)"),
    ),
    Shape(
        "ios_day_first_seconds",
        lambda at: f"[{at:%d/%m/%y, %H:%M:%S}] ",
        _ios_file,
        lambda header: f"{LRM}{header}Amigos: {LRM}Ana added Marta",
        re.compile(LRM + r"?\[(\d{2}/\d{2}/\d{2}, \d{2}:\d{2}:\d{2})\] (.*)"),
    ),
    Shape(
        "ios_de_dotted",
        lambda at: f"[{at:%d.%m.%y, %H:%M:%S}] ",
        _ios_file,
        lambda header: f"{LRM}{header}Amigos: {LRM}Luis Gómez hat Ana hinzugefügt.",
        re.compile(LRM + r"?\[(\d{2}\.\d{2}\.\d{2}, \d{2}:\d{2}:\d{2})\] (.*)"),
    ),
)


def make_export(shape: Shape, messages: int, seed: int) -> str:
    """A chat of ``messages`` messages in ``shape``: ~8% multi-line, ~5% files, ~2% system."""
    rng = random.Random(seed)
    at, lines = START, []
    for number in range(messages):
        at += timedelta(seconds=rng.randint(5, 240))
        lines.append(_message(shape, at, number, rng))
    return "\n".join(lines) + "\n"


def _message(shape: Shape, at: datetime, number: int, rng: random.Random) -> str:
    header, roll = shape.header(at), rng.random()
    author = rng.choice(NAMES + NUMBERS)
    if roll < 0.02:
        return shape.system(header)
    if roll < 0.07:
        mark = LRM if header.startswith("[") else ""  # iOS marks the lines that share a file
        return f"{mark}{header}{author}: {shape.attachment(at, number)}"
    if roll < 0.15:
        extra = "\n".join(_words(rng) for _ in range(rng.randint(1, 3)))
        return f"{header}{author}: {_words(rng)}\n{extra}"
    return f"{header}{author}: {_words(rng)}"


def _words(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(1, 16)))


def naive_split(text: str, pattern: re.Pattern[str]) -> list[list[str]]:
    """Messages as [stamp, first line, more lines...]: a new one wherever the pattern matches."""
    entries: list[list[str]] = []
    for line in text.splitlines():
        head = pattern.match(line)
        if head:
            entries.append([head[1], head[2]])
        elif entries:
            entries[-1].append(line)
    return entries


def amparo_parse(text: str, shape: Shape) -> int:
    return len(parse_whatsapp(text, path=shape.name, zone=MADRID).messages)


def baseline_parse(text: str, shape: Shape) -> int:
    return len(naive_split(text, shape.naive))


def cpu_seconds(parse: Callable[[str, Shape], int], text: str, shape: Shape, expect: int) -> float:
    start = time.process_time()
    found = parse(text, shape)
    seconds = time.process_time() - start
    if found != expect:
        sys.exit(f"benchmark invalid: {parse.__name__} found {found} of {expect} in {shape.name}")
    return seconds


def timed_rounds(exports: dict[Shape, str], each: int, repeat: int) -> dict[str, list[float]]:
    """CPU seconds per shape and parser, every round running both parsers on every export."""
    times: dict[str, list[float]] = {}
    for _ in range(repeat):
        for shape, text in exports.items():
            for parse in (baseline_parse, amparo_parse):
                key = f"{parse.__name__}:{shape.name}"
                times.setdefault(key, []).append(cpu_seconds(parse, text, shape, each))
    return times


def ingest_seconds(text: str, scratch: Path, repeat: int) -> list[float]:
    """Wall seconds to ingest ``text`` as one export into a new SQLite workspace, each round."""
    chat = scratch / "WhatsApp Chat with Amigos.txt"
    chat.write_text(text, encoding="utf-8")
    seconds = []
    for round_number in range(repeat):
        workspace = open_workspace(scratch / f"ws{round_number}", database_url=None)
        start = time.perf_counter()
        summary = ingest_chat_export(workspace, chat, zone=MADRID, owner=NUMBERS[0])
        seconds.append(time.perf_counter() - start)
        workspace.close()
        if summary.ingested != [str(chat)]:
            sys.exit(f"benchmark invalid: the export was not ingested: {summary.quarantined}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000, help="in all, over the shapes")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--ingest-repeat", type=int, default=3)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the other benchmarks
    each = args.messages // len(SHAPES)
    exports = {shape: make_export(shape, each, seed) for seed, shape in enumerate(SHAPES)}
    times = timed_rounds(exports, each, args.repeat)
    with tempfile.TemporaryDirectory(prefix="amparo-bench-") as folder:
        ingest = ingest_seconds(exports[SHAPES[0]], Path(folder), args.ingest_repeat)
    result = summarise(exports, each, times, ingest)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))


def summarise(
    exports: dict[Shape, str], each: int, times: dict[str, list[float]], ingest: list[float]
) -> dict:
    total = each * len(exports)
    runs = {parse: _round_totals(times, parse) for parse in ("baseline_parse", "amparo_parse")}
    base, full = (statistics.median(runs[p]) for p in ("baseline_parse", "amparo_parse"))
    return {
        "benchmark": "whatsapp_parse",
        "messages": total,
        "lines": sum(text.count("\n") for text in exports.values()),
        "megabytes": round(sum(len(t.encode()) for t in exports.values()) / 1e6, 1),
        "shapes": {shape.name: each for shape in exports},
        "cores": 1,
        "clock": "CPU time for the parsers, wall time for the ingest",
        "machine": f"{platform.machine()} {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores visible",
        "baseline_naive_split_seconds": [round(t, 3) for t in runs["baseline_parse"]],
        "parse_seconds": [round(t, 3) for t in runs["amparo_parse"]],
        "baseline_messages_per_second_median": round(total / base),
        "parse_messages_per_second_median": round(total / full),
        "parse_over_baseline_time_ratio": round(full / base, 2),
        "parse_messages_per_second_by_shape": {
            shape.name: round(each / statistics.median(times[f"amparo_parse:{shape.name}"]))
            for shape in exports
        },
        "ingest_sqlite": {
            "shape": SHAPES[0].name,
            "messages": each,
            "seconds": [round(t, 3) for t in ingest],
            "messages_per_second_median": round(each / statistics.median(ingest)),
        },
    }


def _round_totals(times: dict[str, list[float]], parse: str) -> list[float]:
    """Each round's seconds over all shapes for one parser."""
    columns = [seconds for key, seconds in times.items() if key.startswith(f"{parse}:")]
    return [sum(round_seconds) for round_seconds in zip(*columns, strict=True)]


if __name__ == "__main__":
    main()
