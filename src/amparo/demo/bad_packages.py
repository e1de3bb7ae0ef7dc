"""One deliberately broken package per kind of hostile or faulty input, for quarantine tests.

Each starts as a good generated package and gets exactly one defect. Hostile documents are
built by string surgery on purpose: lxml would refuse to write them.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from lxml import etree

from amparo.demo.generator import build_planner
from amparo.demo.images import encode_picture, generated_picture
from amparo.demo.packages import (
    package_entries,
    package_path,
    write_package,
    zip_bytes,
    zip_info,
)
from amparo.demo.plan import ReportPlan
from amparo.demo.report_xml import serialize

BAD_PACKAGE_SEED = 4242
BAD_NUMBER_BASE = 180_000_000
ZIP_BOMB_BYTES = 200 * 1024**2
ZIP_BOMB_CHUNK = 1024**2
ENTITY_MARKER = "AMPARO-ENTITY-REFERENCE"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
EXTERNAL_ENTITY_DOCTYPE = '<!DOCTYPE report [\n<!ENTITY x SYSTEM "file:///etc/passwd">\n]>'
EVIL_ENTRY = "../../evil.txt"
ORPHAN_FILE = "files/unlisted_picture.png"

BadPackageWriter = Callable[[Path, ReportPlan], Path]


def write_bad_packages(out_dir: Path) -> dict[str, Path]:
    """Write one package per defect under ``out_dir``; maps the defect's name to its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    planner = build_planner(BAD_PACKAGE_SEED, len(BAD_PACKAGE_WRITERS))
    return {
        kind: write(out_dir, planner.plan(BAD_NUMBER_BASE + index))
        for index, (kind, write) in enumerate(BAD_PACKAGE_WRITERS.items(), start=1)
    }


def _not_well_formed(out_dir: Path, plan: ReportPlan) -> Path:
    entries = package_entries(plan)
    report = entries["report.xml"]
    entries["report.xml"] = report[: report.index(b"<espIdentifier>") + len(b"<espIdent")]
    return write_package(package_path(out_dir, plan.number, as_zip=False), entries)


def _xsd_invalid(out_dir: Path, plan: ReportPlan) -> Path:
    entries = package_entries(plan)
    report = etree.fromstring(entries["report.xml"])
    summary = _only(report, "incidentSummary")
    summary.remove(_only(summary, "incidentType"))
    entries["report.xml"] = serialize(report)
    return write_package(package_path(out_dir, plan.number, as_zip=False), entries)


def _only(root: etree._Element, path: str) -> etree._Element:
    """The element at ``path`` of a report the generator wrote (which always has it)."""
    found = root.find(path)
    assert found is not None
    return found


def _billion_laughs_doctype() -> str:
    """Ten levels of ten references each: about 3 GB once fully expanded."""
    entities = ['<!ENTITY lol0 "lol">']
    entities += [f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">' for level in range(1, 10)]
    return "<!DOCTYPE report [\n" + "\n".join(entities) + "\n]>"


def _report_with_entity(report: bytes, doctype: str, entity: str) -> bytes:
    """The report with ``doctype`` prepended and ``&entity;`` as the platform's text."""
    root = etree.fromstring(report)
    _only(root, "incidentSummary/platform").text = ENTITY_MARKER
    body = etree.tostring(root, encoding="UTF-8").replace(
        ENTITY_MARKER.encode(), f"&{entity};".encode()
    )
    return XML_DECLARATION + doctype.encode() + b"\n" + body + b"\n"


def _entity_package(out_dir: Path, plan: ReportPlan, doctype: str, entity: str) -> Path:
    entries = package_entries(plan)
    entries["report.xml"] = _report_with_entity(entries["report.xml"], doctype, entity)
    return write_package(package_path(out_dir, plan.number, as_zip=False), entries)


def _entity_expansion(out_dir: Path, plan: ReportPlan) -> Path:
    return _entity_package(out_dir, plan, _billion_laughs_doctype(), "lol9")


def _external_entity(out_dir: Path, plan: ReportPlan) -> Path:
    return _entity_package(out_dir, plan, EXTERNAL_ENTITY_DOCTYPE, "x")


def _zip_slip(out_dir: Path, plan: ReportPlan) -> Path:
    entries = package_entries(plan)
    entries[EVIL_ENTRY] = b"This file tried to escape the package folder.\n"
    return write_package(package_path(out_dir, plan.number, as_zip=True), entries)


def _missing_file(out_dir: Path, plan: ReportPlan) -> Path:
    entries = package_entries(plan)
    del entries[f"files/{plan.uploads[0].file_name}"]
    return write_package(package_path(out_dir, plan.number, as_zip=False), entries)


def _orphan_file(out_dir: Path, plan: ReportPlan) -> Path:
    entries = package_entries(plan)
    picture = generated_picture(np.random.default_rng(plan.number))
    entries[ORPHAN_FILE] = encode_picture(picture, np.random.default_rng(0), jpeg_share=0).data
    return write_package(package_path(out_dir, plan.number, as_zip=False), entries)


def _unreadable_zip(out_dir: Path, plan: ReportPlan) -> Path:
    archive = zip_bytes(package_entries(plan))
    path = package_path(out_dir, plan.number, as_zip=True)
    with path.open("xb") as stream:
        stream.write(archive[: len(archive) // 2])
    return path


def _zip_bomb(out_dir: Path, plan: ReportPlan) -> Path:
    """The first uploaded file becomes ~200 MB of zeros that deflate to ~200 KB."""
    bomb_name = f"files/{plan.uploads[0].file_name}"
    path = package_path(out_dir, plan.number, as_zip=True)
    with zipfile.ZipFile(path, "x") as archive:
        for name, data in package_entries(plan).items():
            if name == bomb_name:
                _stream_zeros(archive, bomb_name)
            else:
                archive.writestr(zip_info(name), data)
    return path


def _stream_zeros(archive: zipfile.ZipFile, name: str) -> None:
    info = zip_info(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    chunk = bytes(ZIP_BOMB_CHUNK)
    with archive.open(info, "w") as entry:
        for _ in range(ZIP_BOMB_BYTES // ZIP_BOMB_CHUNK):
            entry.write(chunk)


BAD_PACKAGE_WRITERS: dict[str, BadPackageWriter] = {
    "not_well_formed": _not_well_formed,
    "xsd_invalid": _xsd_invalid,
    "entity_expansion": _entity_expansion,
    "external_entity": _external_entity,
    "zip_slip": _zip_slip,
    "missing_file": _missing_file,
    "orphan_file": _orphan_file,
    "unreadable_zip": _unreadable_zip,
    "zip_bomb": _zip_bomb,
}
