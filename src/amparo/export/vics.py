"""``amparo export vics``: the operation's files as a Project VIC VICS 2.0 JSON document.

For partners and for tools such as Griffeye or IPED. Built from the findings, so it says no
more than they do: the category is the US VICS category of the file's closest counted match
(other schemes cannot be translated faithfully and are left out), ``IsDistributed`` is true
for files a platform reported as uploaded and unknown for files seen only on a device.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from amparo.errors import ExportError
from amparo.export.findings import build_findings
from amparo.formats.hashsets.vics import VicsMedia, write_vics
from amparo.model import Category
from amparo.workspace import Workspace

VICS_US = "vics-us"


def vics_media(document: dict[str, Any]) -> list[VicsMedia]:
    return [_vics_media(item) for item in document["media"]]


def _vics_media(item: dict[str, Any]) -> VicsMedia:
    counted = [m for m in item["matches"] if not m["suppressing"]]
    best = counted[0] if counted else None
    return VicsMedia(
        media_id=item["sha256"],
        md5=item["md5"],
        sha1=item["sha1"],
        sha256=item["sha256"],
        pdq=item["pdq"],
        category=_us_category(best),
        series=item["series"],
        is_distributed=True if any(s["report"] for s in item["sightings"]) else None,
        victim_identified=best and best.get("victim_identified"),
        offender_identified=best and best.get("offender_identified"),
        size=item.get("size"),
        files=tuple(_file(s) for s in item["sightings"]),
    )


def _us_category(match: dict[str, Any] | None) -> Category | None:
    category = match and match["category"]
    if not category or category["scheme"] != VICS_US:
        return None
    return Category(VICS_US, category["code"])


def _file(sighting: dict[str, Any]) -> tuple[str, str]:
    name = sighting.get("file_name") or ""
    if sighting.get("device"):
        return name, f"{sighting['device']}/{sighting['path']}"
    return name, f"report {sighting['report']}"


def export_vics(workspace: Workspace, out: Path, *, case_name: str = "amparo") -> int:
    """Write the VICS document to ``out``; return how many media it holds."""
    with workspace.session() as session:
        media = vics_media(build_findings(session))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(write_vics(media, case_name=case_name))
    except OSError as error:
        raise ExportError(f"cannot write {out}: {error}") from error
    return len(media)
