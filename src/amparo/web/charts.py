"""Horizontal bar charts as inline SVG, drawn on the server (no script, no inline style)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from amparo.geo.places import name_key

BAR_HEIGHT = 18
GAP = 6
LABEL_WIDTH = 170
BAR_WIDTH = 300
VALUE_WIDTH = 40


def bar_chart(element_id: str, title: str, bars: list[tuple[str, str, int]]) -> Markup:
    """``bars`` are (code, label, value); the SVG carries ``id``, a title and one row each."""
    height = max(1, len(bars)) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    top = max((value for _, _, value in bars), default=0) or 1
    rows = [_row(i, code, label, value, top) for i, (code, label, value) in enumerate(bars)]
    if not bars:
        rows = [f'<text x="4" y="{BAR_HEIGHT}" class="chart-empty">No located persons yet</text>']
    return Markup(
        f'<svg id="{escape(element_id)}" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(rows)}</svg>"
    )


def _row(index: int, code: str, label: str, value: int, top: int) -> str:
    y = GAP + index * (BAR_HEIGHT + GAP)
    length = max(2, round(BAR_WIDTH * value / top))
    middle = y + BAR_HEIGHT * 0.72
    return (
        f'<g class="bar" data-code="{escape(code)}" data-value="{value}">'
        f'<text x="{LABEL_WIDTH - 6}" y="{middle:.1f}" text-anchor="end" class="bar-label">'
        f"{escape(label)}</text>"
        f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" class="bar-rect">'
        f"<title>{escape(label)}: {value}</title></rect>"
        f'<text x="{LABEL_WIDTH + length + 4}" y="{middle:.1f}" class="bar-value">{value}</text>'
        "</g>"
    )


def province_bars(stats: dict[str, Any]) -> list[tuple[str, str, int]]:
    """Persons by province of the home country, by name."""
    home = stats["home_country"]
    names = stats["names"]["subdivisions"]
    counts = {c: n for c, n in stats["by_subdivision"].items() if c.startswith(f"{home}-")}
    return [(c, names[c], counts[c]) for c in sorted(counts, key=lambda c: name_key(names[c]))]


def country_bars(stats: dict[str, Any]) -> list[tuple[str, str, int]]:
    """Persons by country, most first."""
    names = stats["names"]["countries"]
    counts = stats["by_country"]
    ordered = sorted(counts, key=lambda c: (-counts[c], name_key(names[c])))
    return [(c, names[c], counts[c]) for c in ordered]
