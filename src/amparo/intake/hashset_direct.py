"""A first import into an empty hash set on SQLite, written straight into ``known_entry``.

Staging (``hashset_store``) exists to apply only the difference to a set that holds entries
and to find ids given twice. A set that holds nothing has no difference to compute, and the
table's unique (hash set, entry id) index finds a repeated id: so its entries are inserted
where they belong, in file order, without the staging table, its index, the ``INSERT …
SELECT`` and the drop (together about half the SQL time of an import). When this import is
most of the table, that index is dropped with the hash indexes and built again, sorted, after
the last row (several times cheaper than inserting into it row by row, and the only bearable
way at 10M entries); building it then is what finds an id given twice.

The caller runs this inside a savepoint. Whatever this path cannot do exactly as staging would
(an id given twice, which staging reports with the place of its first entry or resolves to the
last state of a delta; a deletion in a delta) makes the writer ``refused``: the caller rolls
the savepoint back and imports the file again through staging. Such files cost two reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from amparo.intake import hashset_store as store

_WRITTEN = ("entry_id", *store.CONTENT)


def possible(connection: Connection, hash_set_id: int) -> bool:
    """Whether the set holds no entry yet, on SQLite (PostgreSQL stages with COPY)."""
    if connection.dialect.name != "sqlite":
        return False
    held = select(store.K.c.id).where(store.K.c.hash_set_id == hash_set_id).limit(1)
    return connection.execute(held).first() is None


class DirectWriter:
    """Writes staging columns (``hashset_store``'s) straight into ``known_entry``."""

    def __init__(self, connection: Connection, hash_set_id: int) -> None:
        self.connection = connection
        self.hash_set_id = hash_set_id
        self.written = 0
        self.hashless = 0
        self.refused = False
        # A table this small is cheaper to index again than to keep indexed row by row.
        self.reindex = store.table_size(connection) < store.BULK_REINDEX_MIN
        if self.reindex:
            store.drop_hash_indexes(connection, unique=True)

    def __call__(
        self, connection: Connection, columns: Mapping[str, Sequence[Any]], count: int
    ) -> None:
        if self.refused or count == 0:
            return
        if any(columns.get("deleted", ())):
            self.refused = True
            return
        names, filled = store.sqlite_columns(
            {name: columns[name] for name in _WRITTEN if name in columns}
        )
        listed = ", ".join(("hash_set_id", *names))
        marks = ", ".join((str(int(self.hash_set_id)), *("?" * len(names))))
        statement = f"INSERT INTO {store.K.name} ({listed}) VALUES ({marks})"
        try:
            connection.exec_driver_sql(statement, list(zip(*filled, strict=True)))
        except IntegrityError:  # an id given twice: staging says where, or keeps the last
            self.refused = True
            return
        self.written += count
        self.hashless += _hashless(columns, count)
        if not self.reindex and self.written >= store.BULK_REINDEX_MIN:
            self._drop_indexes_if_most()

    def _drop_indexes_if_most(self) -> None:
        """Drop the hash indexes once most of the table is this import's (built again by
        ``finish``, several times faster than maintaining them row by row)."""
        if 2 * self.written >= store.table_size(self.connection):
            store.drop_hash_indexes(self.connection, unique=True)
            self.reindex = True

    def finish(self) -> store.Applied | None:
        """Rebuild the indexes dropped; what was written, as ``apply_staged`` says it, or None
        where the (set, id) index finds an id written twice (the caller stages the file)."""
        if self.reindex:
            try:
                store.create_hash_indexes(self.connection, unique=True)
            except IntegrityError:
                return None
        return store.Applied(0, 0, self.written, self.hashless)


def _hashless(columns: Mapping[str, Sequence[Any]], count: int) -> int:
    """How many of the ``count`` entries have none of the hashes (a column left out is
    blank for every entry)."""
    hashes = [columns[name] for name in store.CONTENT[1:7] if name in columns]
    if not hashes:
        return count
    if any(None not in values for values in hashes):
        return 0
    return sum(all(value is None for value in row) for row in zip(*hashes, strict=True))
