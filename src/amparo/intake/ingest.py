"""``amparo ingest``: every input ingested, recognised as already ingested, or quarantined."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import filetype
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from amparo.errors import InputRejected, InvalidInput
from amparo.intake.package import (
    DEFAULT_LIMITS,
    REPORT_XML,
    Limits,
    Package,
    file_sha256,
    open_package,
)
from amparo.intake.report_package import PartProblem, ReadPackage, read_report_package
from amparo.intake.writer import StoredFile, write_report
from amparo.model import FileEntry, MediaDigest
from amparo.store import tables
from amparo.workspace import Workspace

REPORT_PACKAGE = "report_package"
SNIFF_BYTES = 8192


@dataclass(frozen=True)
class Quarantine:
    path: str
    reason: str


@dataclass
class IngestSummary:
    ingested: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    quarantined: list[Quarantine] = field(default_factory=list)

    @property
    def nothing_ingested(self) -> bool:
        """True when inputs were given and not one of them could be taken in."""
        return not self.ingested and not self.duplicates


def ingest_paths(
    workspace: Workspace,
    paths: Iterable[Path],
    *,
    limits: Limits = DEFAULT_LIMITS,
    on_input: Callable[[Path], None] | None = None,
) -> IngestSummary:
    """Ingest report packages found at ``paths`` (packages, or folders of packages)."""
    summary = IngestSummary()
    for path in discover(paths):
        ingest_package(workspace, path, summary, limits=limits)
        if on_input is not None:
            on_input(path)
    return summary


def discover(paths: Iterable[Path]) -> Iterator[Path]:
    """Packages under ``paths``: folders holding report.xml and every other file or zip."""
    for path in paths:
        if path.is_dir() and not (path / REPORT_XML).is_file():
            yield from discover(sorted(path.iterdir()))
        else:
            yield path


def ingest_package(
    workspace: Workspace, path: Path, summary: IngestSummary, *, limits: Limits = DEFAULT_LIMITS
) -> None:
    digest = None
    try:
        with open_package(path, limits) as package:
            digest = package.digest
            if _already_ingested(workspace, digest):
                summary.duplicates.append(package.label)
                return
            read = read_report_package(package)
            _store_package(workspace, package, read, summary, limits)
    except InputRejected as error:
        if digest is None and path.is_file():
            digest = file_sha256(path)
        _quarantine_input(workspace, str(path), digest, error)
        summary.quarantined.append(Quarantine(str(path), error.describe()))


def _already_ingested(workspace: Workspace, digest: str) -> bool:
    """True for a package ingested before; a quarantined one is forgotten and tried again."""
    with workspace.session() as session:
        earlier = session.scalars(_top_source(digest)).all()
        for source in earlier:
            if source.status == tables.SOURCE_QUARANTINED:
                session.delete(source)
        return any(source.status == tables.SOURCE_INGESTED for source in earlier)


def _top_source(digest: str) -> Select[tuple[tables.Source]]:
    return select(tables.Source).filter_by(digest=digest, parent_id=None, kind=REPORT_PACKAGE)


def _store_package(
    workspace: Workspace,
    package: Package,
    read: ReadPackage,
    summary: IngestSummary,
    limits: Limits,
) -> None:
    files = [_store_file(workspace, package, entry, m, limits) for entry, m in read.files]
    with workspace.session() as session:
        _refuse_known_number(session, package, read.number)
        source = _source(REPORT_PACKAGE, package.label, package.digest)
        session.add(source)
        write_report(session, source, read.number, read.report, files)
        for problem in read.problems:
            source.parts.append(_quarantined_part(workspace, package, problem, limits))
    summary.ingested.append(package.label)
    summary.quarantined.extend(
        Quarantine(package.place(p.member), p.error.describe()) for p in read.problems
    )


def _refuse_known_number(session: Session, package: Package, number: str) -> None:
    earlier = session.scalars(select(tables.Report).filter_by(number=number)).one_or_none()
    if earlier is not None:
        raise InvalidInput(
            f"report {number} was already ingested from {earlier.source.path}; "
            "this package differs from it, so it is kept apart for review",
            path=package.label,
        )


def _store_file(
    workspace: Workspace, package: Package, entry: FileEntry, member: str, limits: Limits
) -> StoredFile:
    digest = _keep_member(workspace, package, member, limits)
    kind, mime = sniff(workspace.evidence.head(digest.sha256, SNIFF_BYTES))
    return StoredFile(entry, digest, kind, mime)


def sniff(head: bytes) -> tuple[str, str | None]:
    """``(image|video|other, MIME type or None)`` from a file's first bytes."""
    guess = filetype.guess(head)
    if guess is None:
        return "other", None
    top = guess.mime.split("/", 1)[0]
    return (top if top in {"image", "video"} else "other"), guess.mime


def _keep_member(
    workspace: Workspace, package: Package, member: str, limits: Limits
) -> MediaDigest:
    """Copy a member into the evidence store (so even quarantined parts are never lost)."""
    with package.open(member) as stream:
        return workspace.evidence.put_stream(
            stream, name=package.place(member), max_bytes=limits.max_file_bytes
        )


def _quarantined_part(
    workspace: Workspace, package: Package, problem: PartProblem, limits: Limits
) -> tables.Source:
    digest = _keep_member(workspace, package, problem.member, limits)
    source = _source(problem.kind, package.place(problem.member), digest.sha256, problem.error)
    source.size = digest.size
    return source


def _quarantine_input(
    workspace: Workspace, path: str, digest: str | None, error: InputRejected
) -> None:
    """Record a rejected input once, however often it is offered again."""
    with workspace.session() as session:
        same = select(tables.Source).filter_by(path=path, parent_id=None, reason=error.describe())
        if digest is not None:
            same = _top_source(digest)
        if session.scalars(same).first() is None:
            session.add(_source(REPORT_PACKAGE, path, digest, error))


def _source(
    kind: str, path: str, digest: str | None, error: InputRejected | None = None
) -> tables.Source:
    return tables.Source(
        kind=kind,
        path=path,
        digest=digest,
        received_at=datetime.now(UTC),
        status=tables.SOURCE_INGESTED if error is None else tables.SOURCE_QUARANTINED,
        reason=None if error is None else error.describe(),
        place=None if error is None else error.place,
    )
