"""What a CyberTipline report package holds: the report, its files, and the parts that do not fit.

A package is ``report.xml``, one ``fileDetails`` document per uploaded file, and the files.
Faults in ``report.xml`` reject the whole package; a fileDetails that cannot be read, one that
names a file the package lacks, or a file no fileDetails names is set aside on its own, so the
rest of the report still lands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from amparo.errors import InputRejected, InvalidInput
from amparo.formats import cybertipline
from amparo.formats.xml import MAX_XML_BYTES, parse_xml
from amparo.intake.package import REPORT_XML, Package
from amparo.model import FileEntry, ReportContent

VALUE_SET_ASIDE = "value"  # a value out of range, nulled; its member is kept whole


@dataclass(frozen=True)
class PartProblem:
    """A member of the package that must be quarantined on its own."""

    member: str
    kind: str
    error: InputRejected


@dataclass
class ReadPackage:
    number: str
    report: ReportContent
    files: list[tuple[FileEntry, str]] = field(default_factory=list)
    problems: list[PartProblem] = field(default_factory=list)


def read_report_package(package: Package) -> ReadPackage:
    """Parse and cross-check a package; InputRejected when the report itself cannot stand."""
    if REPORT_XML not in package.members:
        raise InvalidInput(f"no {REPORT_XML} in the package", path=package.label)
    report_path = package.place(REPORT_XML)
    report = cybertipline.read_report(
        package.read(REPORT_XML, max_bytes=MAX_XML_BYTES), path=report_path
    )
    entries, problems, metadata = _read_file_details(package)
    number = _report_number(package, entries)
    data_members = [name for name in package.members if name not in metadata]
    files, missing = _match_files(package, entries, data_members)
    set_aside = [PartProblem(REPORT_XML, VALUE_SET_ASIDE, e) for e in report.set_aside]
    set_aside += [PartProblem(m, VALUE_SET_ASIDE, e) for f, m, _ in entries for e in f.set_aside]
    return ReadPackage(number, report, files, problems + missing + set_aside)


def _read_file_details(
    package: Package,
) -> tuple[list[tuple[FileEntry, str, bytes]], list[PartProblem], set[str]]:
    """fileDetails documents, problems with them, and every member that is package metadata."""
    entries, problems, metadata = [], [], {REPORT_XML}
    first_with_id: dict[str, str] = {}
    for name in package.members:
        if name == REPORT_XML or not name.lower().endswith(".xml") or _in_folder(name):
            continue
        data = package.read(name, max_bytes=MAX_XML_BYTES)
        try:
            root = parse_xml(data, path=package.place(name))
            if root.tag != "fileDetails":
                continue
            metadata.add(name)
            entry = cybertipline.file_details_from(root, path=package.place(name))
            _refuse_repeated_file_id(package, name, entry, first_with_id)
            entries.append((entry, name, data))
        except InputRejected as error:
            metadata.add(name)
            problems.append(PartProblem(name, "file_details", error))
    return entries, problems, metadata


def _refuse_repeated_file_id(
    package: Package, name: str, entry: FileEntry, first_with_id: dict[str, str]
) -> None:
    """A report's fileIds are unique; a second document reusing one is set aside."""
    first = first_with_id.setdefault(entry.file_id, name)
    if first != name:
        raise InvalidInput(
            f"fileId {entry.file_id!r} is already used by {first}", path=package.place(name)
        )


def _in_folder(name: str) -> bool:
    """Metadata sits at the package root; anything in a sub-folder is an uploaded file."""
    return "/" in name


def _report_number(package: Package, entries: list[tuple[FileEntry, str, bytes]]) -> str:
    numbers = {entry.report_number for entry, _, _ in entries}
    if len(numbers) > 1:
        listed = ", ".join(sorted(numbers))
        raise InvalidInput(f"fileDetails name different reports ({listed})", path=package.label)
    if numbers:
        return numbers.pop()
    name = PurePosixPath(package.label).name
    return name[:-4] if name.lower().endswith(".zip") else name


def _match_files(
    package: Package, entries: list[tuple[FileEntry, str, bytes]], data_members: list[str]
) -> tuple[list[tuple[FileEntry, str]], list[PartProblem]]:
    by_name = _index_by_name(data_members)
    matched, problems, named = [], [], set()
    for entry, details_member, data in entries:
        member = by_name.get(entry.file_name or "") or by_name.get(_basename(entry.file_name))
        if member is None:
            problems.append(_missing_file(package, entry, details_member, data))
            continue
        named.add(member)
        matched.append((entry, member))
    for member in data_members:
        if member not in named:
            reason = "no fileDetails in the package names this file"
            problems.append(
                PartProblem(member, "file", InvalidInput(reason, path=package.place(member)))
            )
    return matched, problems


def _index_by_name(members: list[str]) -> dict[str, str]:
    index: dict[str, str] = {}
    for member in members:
        index.setdefault(member, member)
        index.setdefault(_basename(member), member)
    return index


def _basename(name: str | None) -> str:
    return PurePosixPath(name or "").name


def _missing_file(package: Package, entry: FileEntry, member: str, data: bytes) -> PartProblem:
    reason = f"names the file {entry.file_name!r}, which is not in the package"
    if not entry.file_name:
        reason = "names no file (fileName is absent)"
    place = cybertipline.file_name_place(data)
    return PartProblem(
        member, "file_details", InvalidInput(reason, path=package.place(member), place=place)
    )
