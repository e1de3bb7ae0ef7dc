"""Importing hash sets into the store: streamed, written in bulk, only the difference applied.

A VICS or CSV file is a full export, so a newer version replaces the set's entries; an NCMEC
hash-sharing file is a delta (additions and deletions), so it is applied on top. The file is
read one entry at a time (``amparo.formats.hashsets``) and written in batches through a staging
table (``hashset_store``), so memory holds one batch whatever the file's size. A bad entry is
recorded as a quarantined part of the file's source, with its place, and costs that entry only;
a file whose structure is broken is quarantined whole and changes nothing.
"""

from __future__ import annotations

import gc
import hashlib
import os
import threading
from collections.abc import Generator, Iterable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from amparo.errors import InputRejected, InvalidInput
from amparo.formats.hashsets import EntryBatch, HashSetStream, open_hash_set
from amparo.intake import hashset_direct as direct
from amparo.intake import hashset_reader as reader
from amparo.intake import hashset_store as store
from amparo.intake.ledger import (
    QuarantinedPart,
    drop_parts,
    earlier_source,
    open_source,
    record_parts,
    record_rejected,
)
from amparo.intake.progress import IngestProgress
from amparo.match.thresholds import DEFAULT_PDQ_THRESHOLD
from amparo.store import tables
from amparo.store.bulk_journal import rollback_journal
from amparo.store.refusals import refusals_as_store_errors
from amparo.workspace import Workspace

DELTA_FORMATS = {"ncmec-hashsharing"}
PURPOSES = ("block", "allow")
HASH_SET_SOURCE = "hash_set"
HASH_SET_ENTRY_SOURCE = "hash_set_entry"
READING, READING_AGAIN, INDEXING = "Reading", "Reading again", "Indexing"
SHOWN_BAD_ENTRIES = 10


@dataclass(frozen=True)
class HashSetImport:
    """What an import did. ``added`` counts the entries written (new and changed ones),
    ``changed`` those of them that replaced a different stored entry, ``removed`` the entries
    withdrawn, ``rejected`` the bad entries set aside with their place."""

    name: str
    format: str
    entries: int
    added: int
    removed: int
    unchanged: bool
    without_hashes: int = 0
    changed: int = 0
    rejected: int = 0
    rejected_examples: tuple[str, ...] = ()  # the first few, as "file, place: reason"


def import_hash_set(
    workspace: Workspace,
    path: Path,
    *,
    name: str,
    purpose: str = "block",
    pdq_threshold: int = DEFAULT_PDQ_THRESHOLD,
    progress: IngestProgress | None = None,
) -> HashSetImport:
    """Import ``path`` as the hash set ``name`` (creating or updating it); ``progress`` is told
    how many bytes of the file are read, then when the indexes are written."""
    if purpose not in PURPOSES:
        raise InvalidInput(f"purpose must be one of {', '.join(PURPOSES)}", path=str(path))
    if not 0 <= pdq_threshold <= 256:
        raise InvalidInput("the PDQ threshold must be between 0 and 256 bits", path=str(path))
    digest = _Digest(path)
    try:
        with closing(_Reading(path, progress)) as reading, _frozen_heap():
            refused = f"the database refused hash set {name!r}"
            with (
                refusals_as_store_errors(refused),
                _bulk_load(workspace, path, name),
                workspace.session() as session,
            ):
                return _apply(session, reading, digest, str(path), name=name, purpose=purpose,
                              threshold=pdq_threshold)  # fmt: skip
    except InputRejected as error:
        record_rejected(workspace, HASH_SET_SOURCE, str(path), digest.value(), error)
        raise


def _bulk_load(workspace: Workspace, path: Path, name: str) -> AbstractContextManager[bool]:
    """SQLite's rollback journal for a large file into a set that holds nothing yet, where the
    workspace is this process's alone (``store.bulk_journal``)."""
    if workspace.engine.dialect.name != "sqlite" or not reader.worth_a_worker(str(path)):
        return nullcontext(False)
    if _holds_entries(workspace, name):
        return nullcontext(False)
    return rollback_journal(workspace.engine)


def _holds_entries(workspace: Workspace, name: str) -> bool:
    entries = (
        select(tables.KnownEntry.id)
        .join(tables.HashSet, tables.HashSet.id == tables.KnownEntry.hash_set_id)
        .where(tables.HashSet.name == name)
        .limit(1)
    )
    with workspace.session() as session:
        return session.execute(entries).first() is not None


class _Digest:
    """The file's SHA-256, taken in a thread from the start (hashlib and reading let other
    threads run): a first import writes its entries meanwhile, and asks for it at the end."""

    def __init__(self, path: Path) -> None:
        self._found: str | BaseException | None = None
        self._thread = threading.Thread(target=self._take, args=(path,), daemon=True)
        self._thread.start()

    def _take(self, path: Path) -> None:
        try:
            _yield_to_others()
            self._found = _file_digest(path)
        except BaseException as error:  # raised where the digest is asked for
            self._found = error

    def value(self) -> str:
        self._thread.join()
        if isinstance(self._found, BaseException):
            raise self._found
        assert self._found is not None
        return self._found


def _yield_to_others() -> None:
    """Run the calling thread at the lowest priority, where the system allows one thread's
    (Linux): the digest is wanted only at the end, the reading and writing now."""
    with suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


class _Source:
    """The file's Source, made when first needed (a part to record, or the import's end), so
    that a first import does not wait for the digest before writing."""

    def __init__(self, connection: Connection, path: str, digest: _Digest) -> None:
        self.connection, self.path, self.digest = connection, path, digest
        self._id: int | None = None

    def made(self) -> int:
        """The Source's id, made now if it is not yet."""
        if self._id is None:
            self._id = _source_id(self.connection, self.path, self.digest.value())
        return self._id

    def forget(self) -> None:
        """After a rollback that may have undone making it: made again when next needed."""
        self._id = None


class _Reading:
    """The file being imported, its stream (which can be read again from the start), and the
    progress shown of it."""

    def __init__(self, path: Path, progress: IngestProgress | None) -> None:
        self.path = path
        self.progress = progress
        self.file, self.stream = self._opened()
        self._stage, self._shown = READING, 0
        self._step(READING)

    def again(self) -> HashSetStream:
        """A new stream from the file's first entry (the current one is abandoned)."""
        self.close()
        self.file, self.stream = self._opened()
        self._step(READING_AGAIN)
        return self.stream

    def show(self) -> None:
        """Tell the progress how far into the file the reading has gone."""
        if self.progress is not None and (now := self.position()) > self._shown:
            self.progress.advance(self._stage, now - self._shown)
            self._shown = now

    @contextmanager
    def indexing(self) -> Iterator[None]:
        """Shown as a step of its own: the indexes built again, the difference applied."""
        if self.progress is not None:
            self.progress.start(INDEXING, 1)
        yield
        if self.progress is not None:
            self.progress.advance(INDEXING)

    def _step(self, stage: str) -> None:
        self._stage, self._shown = stage, 0
        if self.progress is not None:
            self.progress.start(stage, max(1, self.path.stat().st_size))

    def _opened(self) -> tuple[BinaryIO, HashSetStream]:
        file = open(self.path, "rb")  # noqa: SIM115 (closed by close())
        try:
            if reader.worth_a_worker(str(self.path)):
                return file, reader.read_in_worker(str(self.path))
            return file, open_hash_set(file, path=str(self.path))
        except BaseException:
            file.close()
            raise

    def position(self) -> int:
        """How far into the file the reading has gone, in bytes."""
        items = self.stream.items
        return items.position if isinstance(items, reader.WorkerItems) else self.file.tell()

    def close(self) -> None:
        _closed(self.stream)
        self.file.close()


def _closed(stream: HashSetStream) -> None:
    """Stop reading ``stream`` (its worker, if it has one, with it)."""
    if isinstance(stream.items, Generator | reader.WorkerItems):
        stream.items.close()


@contextmanager
def _frozen_heap() -> Iterator[None]:
    """The objects alive before the import are kept out of the garbage collector's passes
    while it reads and writes: each pass would walk them again for every few thousand entries
    (about a tenth of a CSV import's CPU time)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _file_digest(path: Path) -> str:
    """The file's SHA-256, read into one buffer of hashlib's, whatever the file's size (a new
    chunk per read, taken late by the low-priority thread, could add a megabyte to the
    import's peak memory: ``tests/test_hashset_streaming.py`` saw it)."""
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _apply(
    session: Session,
    reading: _Reading,
    digest: _Digest,
    path: str,
    *,
    name: str,
    purpose: str,
    threshold: int,
) -> HashSetImport:
    stream = reading.stream
    hash_set = session.scalars(select(tables.HashSet).filter_by(name=name)).one_or_none()
    if hash_set is not None:  # imported before: an unchanged file is known by its digest
        settings_same = (hash_set.purpose, hash_set.pdq_threshold) == (purpose, threshold)
        if settings_same and digest.value() in (hash_set.applied or [hash_set.digest]):
            return HashSetImport(name, stream.format, hash_set.entry_count, 0, 0, unchanged=True)
    else:
        hash_set = tables.HashSet(name=name, entry_count=0, digest="")  # the digest at the end
        session.add(hash_set)
    hash_set.format, hash_set.purpose, hash_set.pdq_threshold = stream.format, purpose, threshold
    hash_set.imported_at = datetime.now(UTC)
    session.flush()
    connection = session.connection()
    source = _Source(connection, path, digest)
    applied, set_aside = _write_entries(connection, reading, hash_set.id, source, path)
    hash_set.digest = digest.value()
    hash_set.applied = _applied_after(hash_set, stream.format, hash_set.digest)
    hash_set.version = reading.stream.version
    hash_set.entry_count = _entry_count(session, hash_set.id)
    source.made()  # where no part needed it yet: the file's earlier parts are dropped
    return HashSetImport(
        name, stream.format, hash_set.entry_count, applied.written, applied.removed, False,
        applied.hashless, applied.changed, set_aside.count, tuple(set_aside.examples),
    )  # fmt: skip


def _source_id(connection: Connection, path: str, digest: str) -> int:
    """The file's Source (ingested), made once per file; its earlier bad entries are cleared."""
    found = earlier_source(connection, HASH_SET_SOURCE, digest)
    if found is not None:
        drop_parts(connection, found)
        return found
    return open_source(connection, HASH_SET_SOURCE, path, digest)


@dataclass
class _SetAside:
    """The bad entries recorded so far: how many, and the first few, to show."""

    count: int = 0
    examples: list[str] = field(default_factory=list)


def _write_entries(
    connection: Connection, reading: _Reading, hash_set_id: int, source: _Source, path: str
) -> tuple[store.Applied, _SetAside]:
    """Write the entries into an empty set directly; else (or where that path refuses the
    file) stage every entry, set the bad ones aside, then apply the difference."""
    if direct.possible(connection, hash_set_id):
        savepoint = connection.begin_nested()
        writer = direct.DirectWriter(connection, hash_set_id)
        set_aside = _SetAside()
        store.bulk_cache(connection)
        applied = None
        if _stage_all(connection, reading, source, set_aside, writer):
            with reading.indexing():
                applied = writer.finish()
        store.bulk_cache(connection, done=True)
        if applied is not None:
            savepoint.commit()
            return applied, set_aside
        savepoint.rollback()
        source.forget()
        reading.again()
    stream = reading.stream
    store.create_staging(connection)
    set_aside = _SetAside()
    _stage_all(connection, reading, source, set_aside)
    with reading.indexing():
        return _apply_staged(connection, stream, hash_set_id, source, set_aside, path)


def _apply_staged(
    connection: Connection,
    stream: HashSetStream,
    hash_set_id: int,
    source: _Source,
    set_aside: _SetAside,
    path: str,
) -> tuple[store.Applied, _SetAside]:
    """Set aside the ids given twice, then apply the staged entries' difference to the set."""
    store.index_staging(connection)
    keep_last = stream.unique_id is None
    if keep_last:
        repeated = store.any_repeated(connection)
    else:
        bad_before = set_aside.count
        repeats = store.repeated_ids(connection, keep_last=False)
        errors = (_repeat_error(stream, repeat, path) for repeat in repeats)
        _record_parts(connection, source, errors, set_aside)
        repeated = set_aside.count > bad_before
    if repeated:
        store.drop_repeated(connection, keep_last=keep_last)
    full_export = stream.format not in DELTA_FORMATS
    applied = store.apply_staged(connection, hash_set_id, full_export=full_export)
    store.drop_staging(connection)
    return applied, set_aside


def _stage_all(
    connection: Connection,
    reading: _Reading,
    source: _Source,
    set_aside: _SetAside,
    writer: direct.DirectWriter | None = None,
) -> bool:
    """Write the entries to the staging table (or through ``writer``) in batches, the bad
    ones as parts; False as soon as ``writer`` refuses the file."""
    rows: list[tuple[Any, ...]] = []
    bad: list[InputRejected] = []
    staging_row = store.staging_row
    seq = 0
    for item in reading.stream.items:
        reading.show()
        if isinstance(item, InputRejected):
            bad.append(item)
            continue
        if isinstance(item, EntryBatch):
            store.stage_batch(connection, seq, item, writer)
            seq += len(item.places)
        else:
            rows.append(staging_row(seq, *item))
            seq += 1
        if len(rows) >= store.BATCH:
            store.stage(connection, rows, writer)
            rows = []
        if len(bad) >= store.BATCH:
            _record_parts(connection, source, bad, set_aside)
            bad = []
        if writer is not None and writer.refused:
            return False
    store.stage(connection, rows, writer)
    _record_parts(connection, source, bad, set_aside)
    return writer is None or not writer.refused


def _repeat_error(stream: HashSetStream, repeat: tuple[str, str, str], path: str) -> InvalidInput:
    place, entry_id, first_place = repeat
    return InvalidInput(
        f"{stream.unique_id} {entry_id!r} given twice (first at {first_place})",
        path=path,
        place=place,
    )


def _record_parts(
    connection: Connection,
    source: _Source,
    errors: Iterable[InputRejected],
    set_aside: _SetAside,
) -> None:
    """Bad entries as quarantined parts of the file's Source (counted, the first few kept)."""
    parts = _counted(errors, set_aside)
    first = next(parts, None)
    if first is not None:
        record_parts(connection, source.made(), chain([first], parts))


def _counted(errors: Iterable[InputRejected], set_aside: _SetAside) -> Iterator[QuarantinedPart]:
    for error in errors:
        set_aside.count += 1
        if len(set_aside.examples) < SHOWN_BAD_ENTRIES:
            set_aside.examples.append(error.describe())
        yield QuarantinedPart(HASH_SET_ENTRY_SOURCE, error.path, None, error)


def _applied_after(hash_set: tables.HashSet, file_format: str, digest: str) -> list[str]:
    """Files a set now reflects: every delta applied, or just the last full export."""
    if file_format not in DELTA_FORMATS:
        return [digest]
    earlier = [d for d in hash_set.applied or [] if d != digest]
    return [*earlier, digest]


def holds_files(workspace: Workspace) -> bool:
    """Whether the workspace holds any file that hash sets could be matched against."""
    with workspace.session() as session:
        return session.execute(select(tables.Media.id).limit(1)).first() is not None


def _entry_count(session: Session, hash_set_id: int) -> int:
    query = select(func.count()).select_from(tables.KnownEntry).filter_by(hash_set_id=hash_set_id)
    return session.scalar(query) or 0


def matching_fingerprint(session: Session) -> str:
    """Changes whenever any hash set's content or matching settings change.

    The entries' id range and count are part of it: a re-import writes a changed entry as a new
    row (dropping the matches to the old one), even when it brings back an earlier file.
    """
    sets = session.execute(
        select(tables.HashSet.id, tables.HashSet.digest, tables.HashSet.purpose,
               tables.HashSet.pdq_threshold).order_by(tables.HashSet.id)
    ).all()  # fmt: skip
    entries = session.execute(
        select(func.count(), func.max(tables.KnownEntry.id)).select_from(tables.KnownEntry)
    ).one()
    state = repr(([tuple(row) for row in sets], tuple(entries)))
    return hashlib.sha256(state.encode()).hexdigest()
