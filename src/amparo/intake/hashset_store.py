"""Writing a streamed hash-set file into ``known_entry`` in bulk, applying only the difference.

The file's entries go first, in batches, into a temporary staging table (executemany on SQLite,
COPY on PostgreSQL), then set-based SQL does the rest in the database (a set that holds nothing
yet is written straight into ``known_entry`` on SQLite instead: ``hashset_direct``):

1. an id given twice keeps its first entry in a full export (the later ones are bad entries)
   and its last in a delta, where the last state of an id is what the file says of it;
2. entries the set holds that a full export no longer lists, or that a delta deletes, are
   removed;
3. entries whose content differs from the stored one are replaced;
4. entries the set does not hold yet are inserted, in file order.

Unchanged entries are not touched, so re-importing a slightly changed export costs a scan of the
staging table, not a rewrite of the set. When most of the table is being written, the hash
indexes of ``known_entry`` are dropped for the insert and built again after it, which is several
times faster than maintaining them row by row.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    and_,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from amparo.formats.hashsets import EntryBatch, EntryRow, nul_free_entry, to_json
from amparo.model import KnownEntry
from amparo.store import tables

BATCH = 10_000
BULK_REINDEX_MIN = 100_000
SQLITE_CACHE_KIB = 16 * 1024
# SQLite sorts an index's keys in runs the size of its page cache (250 pages at least), then
# merges them. Runs of 4 MiB sort in the processor's cache, and one helper thread sorts beside
# the connection's own. Measured on the MD5 index of a 10M NCMEC import's table, with its hashes
# spread as real ones are: 15.4-15.6 s with 16 MiB runs in one thread, 10.3-12.4 s with 4 MiB
# runs, 6.5-6.9 s with a helper thread too (the same CPU time: 8-9 s).
SQLITE_SORT_KIB = 4 * 1024
SQLITE_SORT_HELPERS = 1
K = tables.KnownEntry.__table__
HASH_INDEXES = ("ix_known_entry_md5", "ix_known_entry_sha1", "ix_known_entry_sha256")
UNIQUE_INDEX = "ux_known_entry_hash_set_id_entry_id"
CONTENT = ("kind", "md5", "sha1", "sha256", "pdq", "photodna", "vpdq", "category_scheme",
            "category_code", "series", "victim_identified", "offender_identified",
            "is_distributed", "details")  # fmt: skip
_JSON_COLUMNS = {"vpdq", "details"}
_FLAG_COLUMNS = {"victim_identified", "offender_identified", "is_distributed"}

STAGING = Table(
    "hash_set_staging",
    MetaData(),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("place", Text),
    Column("entry_id", Text),
    *(Column(name, Boolean if name in _FLAG_COLUMNS else Text) for name in CONTENT),
    Column("deleted", Boolean),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)
S = STAGING.c
_STAGED_NAMES = tuple(column.name for column in STAGING.columns)
_BOOLEAN_STAGED = {*_FLAG_COLUMNS, "deleted"}


# Where staging columns go: the staging table (``_write``) or, for a set that holds nothing
# yet, ``known_entry`` itself (``hashset_direct``).
Writer = Callable[[Connection, Mapping[str, Sequence[Any]], int], None]


@dataclass(frozen=True)
class Applied:
    """What applying a file changed: rows removed, replaced, written (new and replaced)."""

    removed: int
    changed: int
    written: int
    hashless: int


def create_staging(connection: Connection) -> None:
    """A new, empty staging table; on SQLite a larger page cache for the bulk work."""
    connection.execute(text(f"DROP TABLE IF EXISTS {STAGING.name}"))
    STAGING.create(connection)
    bulk_cache(connection)


def drop_staging(connection: Connection) -> None:
    connection.execute(text(f"DROP TABLE IF EXISTS {STAGING.name}"))
    bulk_cache(connection, done=True)


def bulk_cache(connection: Connection, *, done: bool = False) -> None:
    """On SQLite, a page cache of ``SQLITE_CACHE_KIB`` for the bulk work, or SQLite's default
    again once it is ``done`` (indexes are built with ``_sorting_cache``'s)."""
    if connection.dialect.name == "sqlite":
        kib = 2000 if done else SQLITE_CACHE_KIB
        connection.exec_driver_sql(f"PRAGMA cache_size = -{kib}")


def staging_row(seq: int, place: str, row: EntryRow) -> tuple[Any, ...]:
    """One entry as a staging row; NUL removed where any text holds one (rarely)."""
    details = row[14]
    details_json = to_json(details) if details else "{}"
    category = row[8]
    scheme, code = (None, None) if category is None else (category.scheme, category.code)
    probe = f"{row[0]}\x1f{row[6]}\x1f{row[9]}\x1f{scheme}\x1f{code}\x1f{details_json}"
    if "\x00" in probe or "\\u0000" in probe:
        cleaned = _nul_free(row)
        if cleaned != row:  # "\\u0000" may also be the text of a backslash and "u0000"
            return staging_row(seq, place, cleaned)
    vpdq = None if not row[7] else json.dumps(list(row[7]))
    return (seq, place, row[0], row[1], *row[2:7], vpdq, scheme, code, *row[9:13],
            details_json, row[13])  # fmt: skip


def stage_batch(
    connection: Connection, seq: int, batch: EntryBatch, write: Writer | None = None
) -> None:
    """Write the entries of ``batch`` to the staging table (or through ``write``), numbered
    from ``seq``."""
    write = write or _write
    count = len(batch.places)
    columns: dict[str, Sequence[Any]] = {**batch.columns, "place": batch.places}
    columns["seq"] = range(seq, seq + count)
    details = batch.columns.get("details")
    encoded = columns.pop("details_json", None)
    if encoded is not None:
        columns["details"] = encoded
    else:
        columns["details"] = (
            ("{}",) * count if details is None else [to_json(d) if d else "{}" for d in details]
        )
    if _holds_nul(columns):  # rarely: the entries go one by one, where NUL is removed
        rows = batch.rows()
        stage(connection, [staging_row(seq + i, *entry) for i, entry in enumerate(rows)], write)
        return
    vpdq = batch.columns.get("vpdq")
    if vpdq is not None:
        columns["vpdq"] = [json.dumps(list(v)) if v else None for v in vpdq]
    columns.setdefault("deleted", (False,) * count)
    write(connection, columns, count)


def _holds_nul(columns: Mapping[str, Sequence[Any]]) -> bool:
    texts = ("entry_id", "kind", "photodna", "series", "category_scheme", "category_code")
    if any("\x00" in "".join(filter(None, columns.get(name, ()))) for name in texts):
        return True
    return "\\u0000" in "".join(columns["details"])


def _nul_free(row: EntryRow) -> EntryRow:
    entry = nul_free_entry(KnownEntry(*row))
    return tuple(getattr(entry, name) for name in KnownEntry.__dataclass_fields__)


def stage(connection: Connection, rows: list[tuple[Any, ...]], write: Writer | None = None) -> None:
    """Write staging rows (``staging_row``) to the staging table (or through ``write``)."""
    if rows:
        columns = dict(zip(_STAGED_NAMES, zip(*rows, strict=True), strict=True))
        (write or _write)(connection, columns, len(rows))


def _write(connection: Connection, columns: Mapping[str, Sequence[Any]], count: int) -> None:
    """Write staging columns (a name left out is NULL): COPY on PostgreSQL, executemany
    elsewhere."""
    if connection.dialect.name == "postgresql":
        blank = (None,) * count
        rows = zip(*(columns.get(name, blank) for name in _STAGED_NAMES), strict=True)
        driver: Any = connection.connection.driver_connection  # psycopg's own connection
        listed = ", ".join(_STAGED_NAMES)
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {STAGING.name} ({listed}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    names, filled = sqlite_columns(columns)
    marks = ", ".join("?" * len(names))
    statement = f"INSERT INTO {STAGING.name} ({', '.join(names)}) VALUES ({marks})"
    connection.exec_driver_sql(statement, list(zip(*filled, strict=True)))


def sqlite_columns(
    columns: Mapping[str, Sequence[Any]],
) -> tuple[list[str], list[Sequence[Any]]]:
    """The columns that hold any value, flags as 0/1: Python's sqlite3 binds a None or a bool
    several times slower than an int or a text, so columns left NULL are not bound."""
    names: list[str] = []
    filled: list[Sequence[Any]] = []
    for name in _STAGED_NAMES:
        values = columns.get(name)
        blanks = -1 if values is None else values.count(None)
        if values is None or blanks == len(values):
            continue
        if name in _BOOLEAN_STAGED:
            values = _as_integers(values, any_blank=blanks > 0)
        names.append(name)
        filled.append(values)
    return names, filled


def _as_integers(flags: Sequence[Any], *, any_blank: bool) -> Sequence[Any]:
    if any_blank:
        return tuple(None if value is None else int(value) for value in flags)
    if flags.count(False) == len(flags):
        return (0,) * len(flags)
    return tuple(map(int, flags))


def index_staging(connection: Connection) -> None:
    connection.execute(text(f"CREATE INDEX {STAGING.name}_id ON {STAGING.name} (entry_id, seq)"))


def repeated_ids(connection: Connection, *, keep_last: bool) -> Iterator[tuple[str, str, str]]:
    """``(place, entry id, place of the entry kept)`` of every entry that repeats an id."""
    kept = STAGING.alias("kept")
    keeper = (func.max if keep_last else func.min)(S.seq)
    chosen = select(S.entry_id, keeper.label("seq")).group_by(S.entry_id).having(
        func.count() > 1
    ).subquery()  # fmt: skip
    query = (
        select(S.place, S.entry_id, kept.c.place)
        .join(chosen, and_(chosen.c.entry_id == S.entry_id, chosen.c.seq != S.seq))
        .join(kept, kept.c.seq == chosen.c.seq)
        .order_by(S.seq)
    )
    for place, entry_id, kept_place in connection.execute(query):
        yield str(place), str(entry_id), str(kept_place)


def any_repeated(connection: Connection) -> bool:
    """Whether any id is staged more than once (read from the staging index)."""
    repeated = select(S.entry_id).group_by(S.entry_id).having(func.count() > 1).limit(1)
    return connection.execute(repeated).first() is not None


def drop_repeated(connection: Connection, *, keep_last: bool) -> None:
    other = STAGING.alias("other")
    later = other.c.seq > S.seq if keep_last else other.c.seq < S.seq
    connection.execute(delete(STAGING).where(exists().where(other.c.entry_id == S.entry_id, later)))


def apply_staged(connection: Connection, hash_set_id: int, *, full_export: bool) -> Applied:
    """Steps 2 to 4 of the module docstring, for the set ``hash_set_id``."""
    in_set = K.c.hash_set_id == hash_set_id
    held = connection.scalar(select(func.count()).select_from(K).where(in_set)) or 0
    hashless_entry = and_(*(S[name].is_(None) for name in CONTENT[1:7]))
    live, hashless = connection.execute(
        select(func.count(), func.count().filter(hashless_entry)).where(not_(S.deleted))
    ).one()  # one scan of the staging table for both
    removed = changed = 0
    if held:
        staged = exists().where(S.entry_id == K.c.entry_id)
        withdrawn = (
            not_(staged) if full_export else exists().where(S.entry_id == K.c.entry_id, S.deleted)
        )
        removed = connection.execute(delete(K).where(in_set, withdrawn)).rowcount
        differs = or_(*(_differs(connection, name) for name in CONTENT))
        changed_rows = exists().where(S.entry_id == K.c.entry_id, not_(S.deleted), differs)
        changed = connection.execute(delete(K).where(in_set, changed_rows)).rowcount
    # Every entry a full export keeps is staged, so what is not kept yet is new.
    expected = (live or 0) - (held - removed - changed) if full_export or not held else None
    written = _insert_new(connection, hash_set_id, expected, check_stored=held > 0)
    return Applied(removed, changed, written, hashless or 0)


def _differs(connection: Connection, name: str) -> Any:
    staged: Any = S[name]
    if name in _JSON_COLUMNS and connection.dialect.name == "postgresql":
        staged = cast(staged, JSONB)
    return staged.is_distinct_from(K.c[name])


def _insert_new(
    connection: Connection, hash_set_id: int, expected: int | None, *, check_stored: bool
) -> int:
    """Insert the staged entries the set does not hold; return how many (``expected``, when
    the caller knows it)."""
    stored = K.alias("stored")
    values = (_stored_value(connection, name) for name in CONTENT)
    new = select(literal(hash_set_id), S.entry_id, *values).where(not_(S.deleted)).order_by(S.seq)
    if check_stored:
        held = exists().where(stored.c.hash_set_id == hash_set_id, stored.c.entry_id == S.entry_id)
        new = new.where(~held)
    if expected is None:
        expected = connection.scalar(select(func.count()).select_from(new.subquery())) or 0
    reindex = expected >= BULK_REINDEX_MIN and 2 * expected >= table_size(connection)
    if reindex:
        drop_hash_indexes(connection)
    columns = ["hash_set_id", "entry_id", *CONTENT]
    connection.execute(insert(K).from_select(columns, new))
    if reindex:
        create_hash_indexes(connection)
    return expected


def _stored_value(connection: Connection, name: str) -> Any:
    if name in _JSON_COLUMNS and connection.dialect.name == "postgresql":
        return cast(S[name], JSONB)
    return S[name]


def table_size(connection: Connection) -> int:
    return connection.scalar(select(func.count()).select_from(K)) or 0


def drop_hash_indexes(connection: Connection, *, unique: bool = False) -> None:
    """Drop the hash indexes, and the (set, id) one if ``unique`` (nothing then stops an id
    being written twice, until ``create_hash_indexes`` builds it again)."""
    for index in _bulk_indexes(unique=unique):
        index.drop(connection)


def create_hash_indexes(connection: Connection, *, unique: bool = False) -> None:
    """Build the indexes ``drop_hash_indexes`` dropped; IntegrityError if ``unique`` and an
    id was written twice."""
    with _sorting_cache(connection):
        for index in _bulk_indexes(unique=unique):
            index.create(connection)


@contextmanager
def _sorting_cache(connection: Connection) -> Iterator[None]:
    """On SQLite, the page cache and sorting threads that build indexes fastest; as they were
    after."""
    if connection.dialect.name != "sqlite":
        yield
        return
    cache = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    threads = connection.exec_driver_sql("PRAGMA threads").scalar()
    helpers = SQLITE_SORT_HELPERS if (os.cpu_count() or 1) > 1 else 0
    connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_SORT_KIB}")
    connection.exec_driver_sql(f"PRAGMA threads = {helpers}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(cache or -2000)}")
        connection.exec_driver_sql(f"PRAGMA threads = {int(threads or 0)}")


def _bulk_indexes(*, unique: bool) -> list[Index]:
    names = (*HASH_INDEXES, UNIQUE_INDEX) if unique else HASH_INDEXES
    return [index for index in K.indexes if index.name in names]
