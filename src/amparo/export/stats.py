"""Operation statistics, as a police press release gives them: persons by country and by
province, minors, those below the age of criminal responsibility, reports, files, new series.

``build_stats`` reads the store in a few aggregate queries; ``write_stats`` writes it as JSON,
CSV, Markdown and a bar chart (PNG, drawn off-screen with matplotlib's Agg canvas).
"""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amparo.errors import ExportError
from amparo.formats.spreadsheet_safe import SafeWriter
from amparo.geo.ages import ROUTES, UNKNOWN, chosen_places, route
from amparo.geo.places import country_name, name_key, subdivision_name
from amparo.model import SeriesStatus
from amparo.settings import get_setting
from amparo.stages.resolution import STAGE as RESOLVE_STAGE
from amparo.store import tables
from amparo.workspace import Workspace

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STATS_DIR = "stats"
FILE_NAMES = {
    "json": "stats.json",
    "csv": "stats.csv",
    "markdown": "stats.md",
    "chart": "stats.png",
}

# --- names ---------------------------------------------------------------------------------


def press_line(counts: dict[str, int], names: dict[str, str]) -> str:
    """``Alicante (2), Barcelona (8), ...``: places by name, each with its persons."""
    ordered = sorted(counts, key=lambda code: (name_key(names[code]), code))
    return ", ".join(f"{names[code]} ({counts[code]})" for code in ordered)


# --- building ------------------------------------------------------------------------------


def build_stats(session: Session) -> dict[str, Any]:
    """Everything the exports and the findings' ``stats`` need, from the store."""
    home = get_setting(session, "home_country")
    places = chosen_places(session)
    by_country = _count(country for country, _ in places.values())
    by_subdivision = _count(sub for _, sub in places.values())
    names = {
        "countries": {code: country_name(code) for code in by_country},
        "subdivisions": {code: subdivision_name(code) for code in by_subdivision},
    }
    return {
        "home_country": home,
        "reports": _rows(session, tables.Report),
        "files": _rows(session, tables.Media),
        "new_series": _rows(session, tables.Series, tables.Series.status == SeriesStatus.NEW),
        "persons": _rows(session, tables.Person),
        "located": sum(1 for country, _ in places.values() if country),
        **_ages(session),
        "by_country": by_country,
        "by_subdivision": by_subdivision,
        "names": names,
        "press_release": _press_release(home, by_country, by_subdivision, names),
    }


def stats_for_findings(session: Session) -> dict[str, Any]:
    """The findings document's ``stats`` (DESIGN.md section 5), with files, new series and
    routing added. Persons are null until accounts are resolved, ages until they are assessed,
    places until some person has a location: never a guessed zero."""
    stats = build_stats(session)
    resolved = session.get(tables.StageRun, RESOLVE_STAGE) is not None
    located = (
        session.execute(select(func.count()).select_from(tables.PersonLocation)).scalar_one() > 0
    )
    return {
        "reports": stats["reports"],
        "persons": stats["persons"] if resolved else None,
        "minors": stats["minors"],
        "below_age_of_responsibility": stats["below_age_of_responsibility"],
        "by_country": stats["by_country"] if located else None,
        "by_subdivision": stats["by_subdivision"] if located else None,
        "files": stats["files"],
        "new_series": stats["new_series"],
        "routing": stats["routing"],
    }


def _rows(session: Session, table: type[tables.Base], *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(table).where(*where)) or 0


def _count(codes: Any) -> dict[str, int]:
    return dict(sorted(Counter(code for code in codes if code).items()))


def _ages(session: Session) -> dict[str, Any]:
    """Minors, those below the age of responsibility and routes; null before ages are assessed."""
    age = tables.PersonAge
    rows = session.execute(select(age.minor, age.criminally_responsible)).all()
    routes = Counter(route(minor, responsible) for minor, responsible in rows)
    routes[UNKNOWN] += _rows(session, tables.Person) - len(rows)
    assessed = bool(rows)
    return {
        "minors": sum(1 for minor, _ in rows if minor) if assessed else None,
        "below_age_of_responsibility": (
            sum(1 for _, responsible in rows if responsible is False) if assessed else None
        ),
        "routing": {name: routes[name] for name in ROUTES},
    }


def _press_release(
    home: str, by_country: dict[str, int], by_subdivision: dict[str, int], names: dict[str, Any]
) -> dict[str, str]:
    home_places = {code: n for code, n in by_subdivision.items() if code.startswith(f"{home}-")}
    abroad = {code: n for code, n in by_country.items() if code != home}
    return {
        "home": press_line(home_places, names["subdivisions"]),
        "abroad": press_line(abroad, names["countries"]),
    }


# --- writing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatsExport:
    stats: dict[str, Any]
    files: dict[str, Path]


def export_stats(workspace: Workspace, out_dir: Path | None = None) -> StatsExport:
    """Build the statistics and write them under ``out_dir`` (default: ``stats/`` inside)."""
    with workspace.session() as session:
        stats = build_stats(session)
    return StatsExport(stats, write_stats(stats, out_dir or workspace.root / STATS_DIR))


def write_stats(stats: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """Write stats.json, stats.csv, stats.md and stats.png; returns them by kind."""
    files = {kind: out_dir / name for kind, name in FILE_NAMES.items()}
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        files["json"].write_text(json.dumps(stats, indent=2, ensure_ascii=False) + "\n", "utf-8")
        files["csv"].write_text(stats_csv(stats), encoding="utf-8")
        files["markdown"].write_text(stats_markdown(stats), encoding="utf-8")
        chart(stats).savefig(files["chart"], format="png", dpi=120)
    except OSError as error:
        raise ExportError(f"cannot write the statistics to {out_dir}: {error}") from error
    return files


TOTALS = (
    ("reports", "Reports"),
    ("files", "Files"),
    ("new_series", "New series"),
    ("persons", "Persons"),
    ("located", "Persons located"),
    ("minors", "Minors"),
    ("below_age_of_responsibility", "Below the age of criminal responsibility"),
)
ROUTE_LABELS = {
    "child_protection": "Child-protection services",
    "juvenile_prosecutor": "Juvenile prosecutor",
    "prosecution": "Prosecution (adults)",
    "unknown": "Not known yet",
}


def stats_csv(stats: dict[str, Any]) -> str:
    """One row per figure: ``section,code,name,count`` (empty count: not assessed yet)."""
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\n")
    writer.writerow(["section", "code", "name", "count"])
    writer.writerows(("total", key, label, stats[key]) for key, label in TOTALS)
    writer.writerows(_place_rows(stats, "country", "by_country", "countries"))
    writer.writerows(_place_rows(stats, "subdivision", "by_subdivision", "subdivisions"))
    writer.writerows(("routing", key, ROUTE_LABELS[key], n) for key, n in stats["routing"].items())
    return out.getvalue()


def _place_rows(
    stats: dict[str, Any], section: str, key: str, names: str
) -> list[tuple[str, str, str, int]]:
    return [(section, code, stats["names"][names][code], n) for code, n in stats[key].items()]


def stats_markdown(stats: dict[str, Any]) -> str:
    names = stats["names"]
    lines = ["# Operation statistics", ""]
    release = stats["press_release"]
    if release["home"]:
        lines += [f"- **{country_name(stats['home_country'])}:** {release['home']}"]
    if release["abroad"]:
        lines += [f"- **Abroad:** {release['abroad']}"]
    lines += ["", *_table(("Figure", "Count"), [(label, _n(stats[k])) for k, label in TOTALS])]
    lines += _section("Persons by country", "Country", stats["by_country"], names["countries"])
    lines += _section(
        "Persons by province or region",
        "Province or region",
        stats["by_subdivision"],
        names["subdivisions"],
    )
    routes = [(ROUTE_LABELS[key], str(n)) for key, n in stats["routing"].items()]
    lines += ["", "## Where persons go", "", *_table(("Route", "Persons"), routes)]
    return "\n".join(lines) + "\n"


def _section(title: str, column: str, counts: dict[str, int], names: dict[str, str]) -> list[str]:
    ordered = sorted(counts, key=lambda code: (name_key(names[code]), code))
    rows = [(f"{names[code]} ({code})", str(counts[code])) for code in ordered]
    return ["", f"## {title}", "", *(_table((column, "Persons"), rows) if rows else ["None."])]


def _table(header: tuple[str, str], rows: list[tuple[str, str]]) -> list[str]:
    def cells(row: tuple[str, str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"

    return [cells(header), "| --- | ---: |", *(cells(row) for row in rows)]


def _n(value: int | None) -> str:
    return "not assessed" if value is None else str(value)


# --- the chart -----------------------------------------------------------------------------


def chart(stats: dict[str, Any]) -> Figure:
    """Horizontal bars: persons by province (home country first), then abroad by country."""
    # matplotlib costs about a second to import: only the chart needs it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    home = stats["home_country"]
    panels = [
        (
            f"Persons by province ({country_name(home)})",
            _bars(stats, "by_subdivision", "subdivisions", home),
        ),
        ("Persons abroad, by country", _bars(stats, "by_country", "countries", None, home)),
    ]
    panels = [(title, bars) for title, bars in panels if bars]
    heights = [max(len(bars), 1) for _, bars in panels] or [1]
    figure = Figure(figsize=(8, 1.2 + 0.32 * sum(heights) + 0.6 * len(heights)))
    FigureCanvasAgg(figure)
    if not panels:
        figure.text(0.5, 0.5, "No located persons yet", ha="center", va="center")
        return figure
    axes = figure.subplots(len(panels), 1, squeeze=False, gridspec_kw={"height_ratios": heights})
    for ax, (title, bars) in zip(axes[:, 0], panels, strict=True):
        _draw(ax, title, bars)
    figure.tight_layout()
    return figure


def _bars(
    stats: dict[str, Any], key: str, names: str, within: str | None, excluding: str | None = None
) -> list[tuple[str, int]]:
    counts = {
        code: n
        for code, n in stats[key].items()
        if (within is None or code.startswith(f"{within}-")) and code != excluding
    }
    label = stats["names"][names]
    ordered = sorted(counts, key=lambda code: name_key(label[code]), reverse=True)
    return [(label[code], counts[code]) for code in ordered]


def _draw(ax: Any, title: str, bars: list[tuple[str, int]]) -> None:
    labels, values = zip(*bars, strict=True)
    ax.barh(labels, values, color="#3b6ea5")
    ax.set_xlim(0, max(values) * 1.12)
    ax.set_title(title, loc="left", fontsize=11)
    ax.set_xlabel("persons")
    ax.xaxis.get_major_locator().set_params(integer=True)
    for y, value in enumerate(values):
        ax.annotate(
            str(value),
            (value, y),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
        )
    ax.spines[["top", "right"]].set_visible(False)
