"""Generic row writing: one row or many inserted with their ids back, or one kept if present.

Written with SQLAlchemy Core: the statements are built once per table (and dialect) and
cached, so writers that insert in bulk pay nothing per call for building them.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Connection, Insert, Table, insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from amparo.store import tables


def insert_row(connection: Connection, table: type[tables.Base], row: dict[str, Any]) -> int:
    """Insert one row and return its id."""
    return connection.execute(_insert_returning_id(table.__table__), row).scalar_one()


def insert_rows(
    connection: Connection, table: type[tables.Base], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert rows in one statement and return their ids, in the order of ``rows``."""
    if not rows:
        return []
    result = connection.execute(_insert_returning_id(table.__table__), rows)
    return list(result.scalars())


@cache
def _insert_returning_id(table: Table) -> Insert:
    return insert(table).returning(table.c.id, sort_by_parameter_order=True)


def insert_unless_present(
    connection: Connection, table: type[tables.Base], row: dict[str, Any], key: list[str]
) -> int | None:
    """Insert ``row`` and return its id, or None when a row with the same key already exists."""
    statement = _insert_or_nothing(connection.dialect.name, table.__table__, tuple(key))
    return connection.execute(statement, row).scalar_one_or_none()


def insert_many_unless_present(
    connection: Connection, table: type[tables.Base], rows: list[dict[str, Any]], key: list[str]
) -> None:
    """Insert ``rows`` in one statement, leaving out those whose key is already there."""
    if rows:
        statement = _insert_many_or_nothing(connection.dialect.name, table.__table__, tuple(key))
        connection.execute(statement, rows)


@cache
def _insert_or_nothing(dialect: str, table: Table, key: tuple[str, ...]) -> Insert:
    return (
        _dialect_insert(dialect)(table)
        .on_conflict_do_nothing(index_elements=key)
        .returning(table.c.id)
    )


@cache
def _insert_many_or_nothing(dialect: str, table: Table, key: tuple[str, ...]) -> Insert:
    return _dialect_insert(dialect)(table).on_conflict_do_nothing(index_elements=key)


def _dialect_insert(dialect: str) -> Any:
    return postgresql_insert if dialect == "postgresql" else sqlite_insert
