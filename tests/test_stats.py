"""Operation statistics: exact counts on a constructed store (SQLite and PostgreSQL), names
and the press-release line, the findings' stats object, and the JSON, CSV, Markdown and PNG."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from PIL import Image

from amparo.export.findings import findings_schema
from amparo.export.stats import (
    build_stats,
    export_stats,
    press_line,
    stats_for_findings,
)
from amparo.geo.ages import assess_ages
from amparo.geo.places import country_name, subdivision_name
from amparo.store import tables
from amparo.workspace import Workspace
from tests.test_referrals import OperationBuilder

AT = datetime(2024, 3, 1, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def operation(workspace: Workspace) -> Workspace:
    """Spain: 13 and 15 in Alicante, 30 in Barcelona, no age in Álava, 16 without province;
    Argentina: 15 in Buenos Aires (below Argentina's 16); Mexico: 40; one 12-year-old nowhere.
    One new and one known series."""
    with workspace.session() as session:
        op = OperationBuilder(session)
        op.person("P-ES-1", "ES", "ES-A", age=13)
        op.person("P-ES-2", "ES", "ES-A", age=15)
        op.person("P-ES-3", "ES", "ES-B", age=30)
        op.person("P-ES-4", "ES", "ES-VI")
        op.person("P-ES-5", "ES", None, age=16)
        op.person("P-AR-1", "AR", "AR-B", age=15)
        op.person("P-MX-1", "MX", "MX-CMX", age=40)
        op.person("P-X-1", None, age=12)
        session.add_all(
            tables.Series(key=key, status=status, first_accounts=[], groups=[])
            for key, status in (("new:1", "new"), ("known:vics/1", "known"))
        )
    with workspace.session() as session:
        assess_ages(session)
    return workspace


EXPECTED = {
    "home_country": "ES",
    "reports": 8,
    "files": 8,
    "new_series": 1,
    "persons": 8,
    "located": 7,
    "minors": 5,
    "below_age_of_responsibility": 2,
    "routing": {"child_protection": 2, "juvenile_prosecutor": 2, "prosecution": 2, "unknown": 2},
    "by_country": {"AR": 1, "ES": 5, "MX": 1},
    "by_subdivision": {"AR-B": 1, "ES-A": 2, "ES-B": 1, "ES-VI": 1, "MX-CMX": 1},
    "names": {
        "countries": {"AR": "Argentina", "ES": "Spain", "MX": "Mexico"},
        "subdivisions": {
            "AR-B": "Buenos Aires",
            "ES-A": "Alicante",
            "ES-B": "Barcelona",
            "ES-VI": "Álava",
            "MX-CMX": "Ciudad de México",
        },
    },
    "press_release": {
        "home": "Álava (1), Alicante (2), Barcelona (1)",
        "abroad": "Argentina (1), Mexico (1)",
    },
}


def test_stats_are_exact(operation: Workspace) -> None:
    with operation.session() as session:
        assert build_stats(session) == EXPECTED


def test_stats_for_findings(operation: Workspace) -> None:
    with operation.session() as session:
        before = stats_for_findings(session)
        session.add(tables.StageRun(stage="resolve", fingerprint="x", finished_at=AT))
    with operation.session() as session:
        after = stats_for_findings(session)
    assert before["persons"] is None  # accounts not resolved by the stage: not a guessed count
    assert after == {
        "reports": 8,
        "persons": 8,
        "minors": 5,
        "below_age_of_responsibility": 2,
        "by_country": EXPECTED["by_country"],
        "by_subdivision": EXPECTED["by_subdivision"],
        "files": 8,
        "new_series": 1,
        "routing": EXPECTED["routing"],
    }
    jsonschema.validate(
        after, findings_schema()["properties"]["stats"] | {"$defs": findings_schema()["$defs"]}
    )


def test_an_empty_store_says_not_known_rather_than_zero(
    workspace: Workspace, tmp_path: Path
) -> None:
    with workspace.session() as session:
        stats = stats_for_findings(session)
    assert stats["minors"] is None and stats["below_age_of_responsibility"] is None
    assert stats["by_country"] is None and stats["by_subdivision"] is None
    result = export_stats(workspace, tmp_path / "stats")
    assert result.files["chart"].read_bytes().startswith(PNG_SIGNATURE)
    assert "| Minors | not assessed |" in result.files["markdown"].read_text()


def test_names() -> None:
    assert subdivision_name("ES-A") == "Alicante"
    assert subdivision_name("ES-GI") == "Girona"  # not "Girona [Gerona]"
    assert subdivision_name("ES-C") == "A Coruña"
    assert subdivision_name("ES-PM") == "Baleares"
    assert subdivision_name("ES-MC") == "Región de Murcia"
    assert subdivision_name("ES-VC") == "Comunidad Valenciana"
    assert subdivision_name("XX-NOPE") == "XX-NOPE"
    assert country_name("MX") == "Mexico"
    assert country_name("BO") == "Bolivia"
    assert country_name("A1") == "A1"


def test_press_line_sorts_by_name_ignoring_accents() -> None:
    counts = {"ES-B": 8, "ES-A": 2, "ES-VI": 1, "ES-AV": 3}
    names = {code: subdivision_name(code) for code in counts}
    assert press_line(counts, names) == "Álava (1), Alicante (2), Ávila (3), Barcelona (8)"
    assert press_line({}, {}) == ""


def test_files_written(operation: Workspace) -> None:
    result = export_stats(operation)
    folder = operation.root / "stats"
    assert sorted(p.name for p in folder.iterdir()) == [
        "stats.csv",
        "stats.json",
        "stats.md",
        "stats.png",
    ]
    assert json.loads(result.files["json"].read_text(encoding="utf-8")) == EXPECTED

    rows = list(csv.DictReader(io.StringIO(result.files["csv"].read_text(encoding="utf-8"))))
    table = {(r["section"], r["code"]): (r["name"], r["count"]) for r in rows}
    assert table[("total", "minors")] == ("Minors", "5")
    assert table[("country", "AR")] == ("Argentina", "1")
    assert table[("subdivision", "ES-VI")] == ("Álava", "1")
    assert table[("routing", "child_protection")] == ("Child-protection services", "2")
    assert len(rows) == 7 + 3 + 5 + 4

    markdown = result.files["markdown"].read_text(encoding="utf-8")
    assert "- **Spain:** Álava (1), Alicante (2), Barcelona (1)" in markdown
    assert "- **Abroad:** Argentina (1), Mexico (1)" in markdown
    assert "| Below the age of criminal responsibility | 2 |" in markdown
    assert "| Alicante (ES-A) | 2 |" in markdown
    assert "| Juvenile prosecutor | 2 |" in markdown

    png = result.files["chart"].read_bytes()
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(result.files["chart"]) as image:
        image.verify()
    with Image.open(result.files["chart"]) as image:
        assert image.format == "PNG" and image.width >= 600 and image.height >= 300


def test_cli_export_stats(operation: Workspace, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from amparo.cli import main

    out = tmp_path / "press"
    url = operation.engine.url.render_as_string(hide_password=False)
    arguments = ["-w", str(operation.root), "export", "stats", "-o", str(out)]
    result = CliRunner().invoke(main, arguments, env={"AMPARO_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "8 persons (7 located), minors: 5, below the age of criminal responsibility: 2" in said
    assert "Álava (1), Alicante (2), Barcelona (1)" in said
    assert sorted(p.name for p in out.iterdir()) == [
        "stats.csv",
        "stats.json",
        "stats.md",
        "stats.png",
    ]
