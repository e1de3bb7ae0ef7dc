"""Report packages on disk: a folder ``<number>/`` or a byte-reproducible ``<number>.zip``."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from amparo.demo.phone_shapes import PhoneWriter
from amparo.demo.plan import ReportPlan
from amparo.demo.report_xml import render_file_details, render_report

PackageEntries = dict[str, bytes]  # name inside the package -> bytes, in writing order

# A fixed stamp instead of the clock, so the same operation always zips to the same bytes.
ZIP_DATE_TIME = (2024, 7, 1, 12, 0, 0)
ZIP_UNIX_SYSTEM = 3
ZIP_FILE_MODE = 0o100644
ALREADY_COMPRESSED = (".jpg", ".png")


def package_entries(plan: ReportPlan, phones: PhoneWriter | None = None) -> PackageEntries:
    """``report.xml``, one ``fileDetails-<fileId>.xml`` per upload, then ``files/<name>``."""
    entries = {"report.xml": render_report(plan, phones)}
    for upload in plan.uploads:
        entries[f"fileDetails-{upload.file_id}.xml"] = render_file_details(plan.number, upload)
    for upload in plan.uploads:
        entries[f"files/{upload.file_name}"] = upload.media.data
    return entries


def package_path(out_dir: Path, number: int, *, as_zip: bool) -> Path:
    return out_dir / (f"{number}.zip" if as_zip else str(number))


def write_package(path: Path, entries: PackageEntries) -> Path:
    """Write a zip when ``path`` ends in ``.zip``, else a folder; refuse to overwrite."""
    if path.exists():
        raise FileExistsError(f"package already exists: {path}")
    if path.suffix == ".zip":
        path.write_bytes(zip_bytes(entries))
    else:
        write_directory(path, entries)
    return path


def write_directory(root: Path, entries: PackageEntries) -> None:
    for name, data in entries.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def zip_bytes(entries: PackageEntries) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(zip_info(name), data)
    return buffer.getvalue()


def zip_info(name: str) -> zipfile.ZipInfo:
    """An entry header that depends only on ``name``: fixed time, owner system and mode."""
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
    info.create_system = ZIP_UNIX_SYSTEM
    info.external_attr = ZIP_FILE_MODE << 16
    is_compressed = name.lower().endswith(ALREADY_COMPRESSED)
    info.compress_type = zipfile.ZIP_STORED if is_compressed else zipfile.ZIP_DEFLATED
    return info
