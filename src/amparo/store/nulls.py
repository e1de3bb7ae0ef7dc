"""Narrowing for columns SQLAlchemy types as nullable where a query has ruled NULL out."""

from __future__ import annotations

from typing import TypeVar

_T = TypeVar("_T")


def not_null(value: _T | None) -> _T:
    """``value``, from a nullable column the query's WHERE (or inner join) kept from NULL.

    SQLAlchemy types a selected column by its declaration, whatever the WHERE says.
    """
    assert value is not None, "a NULL the query ruled out"
    return value
