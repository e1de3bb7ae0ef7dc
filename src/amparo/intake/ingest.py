"""``amparo ingest``: every input ingested, recognised as already ingested, or quarantined."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from amparo.errors import InputRejected, InvalidInput, UnsafeInput
from amparo.intake.concurrency import TRIES_AFTER_A_REFUSAL, TRIES_WHILE_BUSY, claim_input
from amparo.intake.ledger import QuarantinedPart, earlier_source, record_rejected
from amparo.intake.package import (
    DEFAULT_LIMITS,
    REPORT_XML,
    Limits,
    Package,
    file_sha256,
    open_package,
)
from amparo.intake.phones import read_in_context
from amparo.intake.report_package import PartProblem, read_report_package
from amparo.intake.writer import REPORT_PACKAGE, KnownIds, StoredFile, write_package
from amparo.media.analyse import sniff_bytes
from amparo.model import FileEntry, MediaDigest
from amparo.store import tables
from amparo.store.refusals import DatabaseError, is_busy, refusal_reason
from amparo.workspace import Workspace

NOT_READ = "not_read"  # a link or special file, recorded but never read
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
    notes: list[str] = field(default_factory=list)  # choices made reading ingested inputs

    def merge(self, other: IngestSummary) -> None:
        """Add another summary's inputs to this one."""
        self.ingested += other.ingested
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined
        self.notes += other.notes

    @property
    def nothing_ingested(self) -> bool:
        """True when not one input could be taken in (nor had been before)."""
        return not self.ingested and not self.duplicates


@dataclass(frozen=True)
class InputKind:
    """A kind of input: its Source kind, how an opened package of it is stored, and how it is
    opened (by default :func:`open_package`)."""

    name: str
    store: Callable[[Workspace, Session, Package, Limits, KnownIds], list[QuarantinedPart]]
    open: Callable[[Path, Limits], AbstractContextManager[Package]] = open_package


def ingest_paths(
    workspace: Workspace,
    paths: Iterable[Path],
    *,
    limits: Limits = DEFAULT_LIMITS,
    on_input: Callable[[Path], None] | None = None,
) -> IngestSummary:
    """Ingest report packages found at ``paths`` (packages, or folders of packages)."""
    summary = IngestSummary()
    known = KnownIds()
    for path in discover(paths):
        if isinstance(path, FoundLink):
            quarantine_link(workspace, path, summary)
            continue
        ingest_package(workspace, path, summary, limits=limits, known=known)
        if on_input is not None:
            on_input(path)
    return summary


# A folder holding one of these is one input (a report package, a Telegram export).
INPUT_MARKERS = (REPORT_XML, "result.json")


@dataclass(frozen=True)
class FoundLink:
    """A symbolic link met while walking a folder of inputs: recorded, never followed."""

    path: Path

    def reason(self) -> UnsafeInput:
        try:
            target = os.readlink(self.path)
        except OSError as error:
            target = f"unreadable: {error.strerror}"
        return UnsafeInput(f"a symbolic link (to {target!r}), not followed", path=str(self.path))


def discover(paths: Iterable[Path]) -> Iterator[Path | FoundLink]:
    """Inputs under ``paths``: folders holding an input marker, and every other file or zip.

    A path named in ``paths`` may be a link (the user chose it); a link found inside one is
    yielded as a ``FoundLink`` and never followed, so no walk leaves its folder or loops.
    """
    for path in paths:
        yield from _discover(path, named=True, seen=set())


def _discover(path: Path, *, named: bool, seen: set[tuple[int, int]]) -> Iterator[Path | FoundLink]:
    if not named and path.is_symlink():
        yield FoundLink(path)
    elif path.is_dir() and not any((path / marker).is_file() for marker in INPUT_MARKERS):
        folder = path.stat()
        if (folder.st_dev, folder.st_ino) in seen:  # a loop made some other way (bind mounts)
            return
        seen.add((folder.st_dev, folder.st_ino))
        for child in sorted(path.iterdir()):
            yield from _discover(child, named=False, seen=seen)
    else:
        yield path


def quarantine_link(workspace: Workspace, link: FoundLink, summary: IngestSummary) -> None:
    """Record a link found among the inputs as a quarantined input naming its target."""
    error = link.reason()
    record_rejected(workspace, NOT_READ, str(link.path), None, error)
    summary.quarantined.append(Quarantine(str(link.path), error.describe()))


def ingest_package(
    workspace: Workspace,
    path: Path,
    summary: IngestSummary,
    *,
    limits: Limits = DEFAULT_LIMITS,
    known: KnownIds | None = None,
    kind: InputKind | None = None,
) -> None:
    """Ingest one input in one transaction, or quarantine it with the reason.

    The summary gets only what was committed. A write the database refuses is tried again, as
    another command on this workspace may have stored the same input or key meanwhile; the
    next try then finds what it stored. Only a refusal that persists quarantines the input.
    """
    attempt = _Attempt(known or KnownIds(), kind or REPORT_PACKAGES)
    while True:
        try:
            attempt.ingest(workspace, path, summary, limits)
            return
        except InputRejected as failure:
            attempt.known.forget()
            error = failure
        except DatabaseError as failure:
            attempt.known.forget()
            if attempt.try_again(failure):
                continue
            if is_busy(failure):
                summary.notes.append(f"{path}: not ingested: {BUSY}")
                return
            error = _as_rejection(failure, str(path))
        break
    digest = attempt.digest
    if digest is None and path.is_file():
        digest = file_sha256(path)
    record_rejected(workspace, attempt.kind.name, str(path), digest, error)
    summary.quarantined.append(Quarantine(str(path), error.describe()))


BUSY = "the workspace stayed busy with another command; run again"


@dataclass
class _Attempt:
    """The tries at ingesting one input, and what the last one learnt."""

    known: KnownIds
    kind: InputKind
    digest: str | None = None
    refusals: int = 0
    busy: int = 0

    def try_again(self, failure: DatabaseError) -> bool:
        if is_busy(failure):
            self.busy += 1
            return self.busy < TRIES_WHILE_BUSY
        self.refusals += 1
        return self.refusals < TRIES_AFTER_A_REFUSAL

    def ingest(
        self, workspace: Workspace, path: Path, summary: IngestSummary, limits: Limits
    ) -> None:
        with self.kind.open(path, limits) as package:
            self.digest = package.digest
            parts: list[QuarantinedPart] = []
            with workspace.session() as session:
                connection = session.connection()
                claim_input(connection, self.kind.name, package.digest)
                duplicate = earlier_source(connection, self.kind.name, package.digest) is not None
                if not duplicate:
                    parts = self.kind.store(workspace, session, package, limits, self.known)
        if duplicate:
            summary.duplicates.append(package.label)
            if self.refusals:
                summary.notes.append(f"{package.label}: already ingested by another run")
            return
        summary.ingested.append(package.label)
        summary.quarantined.extend(Quarantine(p.path, p.error.describe()) for p in parts)


def _as_rejection(failure: InputRejected | DatabaseError, path: str) -> InputRejected:
    """A database refusal of one input quarantines that input instead of stopping the batch."""
    if isinstance(failure, InputRejected):
        return failure
    return InvalidInput(f"the database refused this input: {refusal_reason(failure)}", path=path)


def _ingest_read_package(
    workspace: Workspace, session: Session, package: Package, limits: Limits, known: KnownIds
) -> list[QuarantinedPart]:
    read = read_report_package(package)
    _refuse_known_number(session, package, read.number)
    files = [store_file(workspace, package, entry, m, limits) for entry, m in read.files]
    parts = [_keep_part(workspace, package, problem, limits) for problem in read.problems]
    parts += skipped_parts(package)
    report = read_in_context(session, read.report)
    write_package(session, package.label, package.digest, read.number, report, files, parts, known)
    return parts


_SOURCE = tables.Source.__table__.c
_SOURCE_OF_REPORT = (
    select(_SOURCE.path)
    .join(tables.Report.__table__)
    .where(tables.Report.__table__.c.number == bindparam("number"))
)


def _refuse_known_number(session: Session, package: Package, number: str) -> None:
    earlier = session.connection().execute(_SOURCE_OF_REPORT, {"number": number}).scalar()
    if earlier is not None:
        raise InvalidInput(
            f"report {number} was already ingested from {earlier}; "
            "this package differs from it, so it is kept apart for review",
            path=package.label,
        )


def store_file(
    workspace: Workspace, package: Package, entry: FileEntry | None, member: str, limits: Limits
) -> StoredFile:
    """Keep a member in the evidence store and recognise its type."""
    digest = _keep_member(workspace, package, member, limits)
    kind, mime = sniff_bytes(workspace.evidence.head(digest.sha256, SNIFF_BYTES))
    return StoredFile(entry, digest, kind, mime)


def _keep_member(
    workspace: Workspace, package: Package, member: str, limits: Limits
) -> MediaDigest:
    """Copy a member into the evidence store (so even quarantined parts are never lost)."""
    with package.open(member) as stream:
        return workspace.evidence.put_stream(
            stream, name=package.place(member), max_bytes=limits.max_file_bytes
        )


def skipped_parts(package: Package) -> list[QuarantinedPart]:
    """Links and special files a folder held, recorded as parts that were not read."""
    return [
        QuarantinedPart(NOT_READ, package.place(name), None,
                        UnsafeInput(reason, path=package.place(name)))
        for name, reason in sorted(package.skipped.items())
    ]  # fmt: skip


def _keep_part(
    workspace: Workspace, package: Package, problem: PartProblem, limits: Limits
) -> QuarantinedPart:
    digest = _keep_member(workspace, package, problem.member, limits)
    return QuarantinedPart(problem.kind, package.place(problem.member), digest, problem.error)


REPORT_PACKAGES = InputKind(REPORT_PACKAGE, _ingest_read_package)
