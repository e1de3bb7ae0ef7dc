"""The one exception tree of Amparo.

    AmparoError
    ├── WorkspaceError          the workspace or its database cannot be opened or migrated
    ├── StoreError              the database refused a write a stage needed
    ├── EvidenceError           the evidence store cannot keep or give back a file
    │   ├── EvidenceCorrupted   a stored file no longer matches its SHA-256 name, or fails
    │   │                       its encryption check (changed, cut short)
    │   └── EvidenceKeyError    the evidence key is missing, unreadable, or not the one that
    │                           sealed a file
    ├── InputRejected           an input cannot be ingested; carries where and why (quarantine)
    │   ├── UnsafeInput         hostile or oversized input: entities, escaping paths, bombs
    │   └── InvalidInput        malformed or schema-invalid input, missing or unnamed parts
    │       └── ValueOutOfRange a value no input can truly hold (a year 9999, a port 70000)
    ├── UnknownReference        a command names an account or person the workspace lacks
    └── ExportError             an export cannot be written

Foreign errors (lxml, zipfile, SQLAlchemy, OS) are translated at the boundary with
``raise ... from``, so callers only ever catch AmparoError subclasses.
"""

from __future__ import annotations

from typing import Any


class AmparoError(Exception):
    """Base of every error Amparo raises on purpose."""


class WorkspaceError(AmparoError):
    """The workspace or its database cannot be opened, created or migrated."""


class StoreError(AmparoError):
    """The database refused a write a stage needed (the stage's transaction is rolled back)."""


class EvidenceError(AmparoError):
    """The evidence store cannot keep or return a file."""


class EvidenceCorrupted(EvidenceError):
    """A stored evidence file does not hash to its name, or fails its encryption check."""


class EvidenceKeyError(EvidenceError):
    """The evidence key cannot be had (no keyset, no passphrase) or did not seal a file."""


class InputRejected(AmparoError):
    """An input that must be quarantined: ``path`` names the file, ``place`` where in it."""

    def __init__(self, reason: str, *, path: str, place: str | None = None) -> None:
        self.reason = reason
        self.path = path
        self.place = place
        super().__init__(self.describe())

    def describe(self) -> str:
        where = ", ".join(part for part in (self.path, self.place) if part)
        return f"{where}: {self.reason}" if where else self.reason

    def __reduce__(self) -> tuple[Any, ...]:
        # Raised in worker processes too: pickled by its fields, as its keyword-only
        # arguments cannot be rebuilt from ``args`` alone.
        return _rebuild_rejection, (type(self), self.reason, self.path, self.place)


def _rebuild_rejection(
    kind: type[InputRejected], reason: str, path: str, place: str | None
) -> InputRejected:
    return kind(reason, path=path, place=place)


class UnsafeInput(InputRejected):
    """Hostile or oversized input: entity declarations, escaping paths, decompression bombs."""


class InvalidInput(InputRejected):
    """Malformed or schema-invalid input, or a package whose parts do not fit together."""


class ValueOutOfRange(InvalidInput, ValueError):
    """A value out of its possible range (``amparo.values``); a ValueError too, so readers
    that set a line or a row aside on ValueError set it aside for this as well."""


class UnknownReference(AmparoError):
    """A command names something the workspace does not hold, or names it in a wrong form."""


class ExportError(AmparoError):
    """An export cannot be produced or written."""
