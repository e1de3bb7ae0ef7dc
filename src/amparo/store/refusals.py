"""The one place database errors are translated: into a one-line reason, or a StoreError.

The driver's exceptions (SQLAlchemy's, sqlite3's, psycopg's) never leave the library: a write
the database refuses becomes a ``StoreError`` saying what could not be written and the first
line of the driver's reason, or (at intake) a quarantine reason naming the input.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import OperationalError, SQLAlchemyError

from amparo.errors import StoreError

DatabaseError = SQLAlchemyError


def refusal_reason(error: Exception) -> str:
    """The first line of what the database driver said, for a one-line message."""
    return str(getattr(error, "orig", None) or error).splitlines()[0]


@contextmanager
def refusals_as_store_errors(what: str) -> Iterator[None]:
    """Inside, a database refusal becomes ``StoreError("WHAT: the driver's reason")``."""
    try:
        yield
    except SQLAlchemyError as error:
        raise StoreError(f"{what}: {refusal_reason(error)}") from error


def is_busy(failure: SQLAlchemyError) -> bool:
    """True when SQLite stayed locked by another command for its whole busy timeout."""
    return isinstance(failure, OperationalError) and "database is locked" in str(failure)
