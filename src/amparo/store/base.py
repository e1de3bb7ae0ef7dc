"""The declarative base every table shares: one metadata, the column types for Python types."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import Table
from sqlalchemy.orm import DeclarativeBase

from amparo.store.types import JSONData, UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONData,
        list[Any]: JSONData,
    }
    if TYPE_CHECKING:
        # Every model here maps one Table (SQLAlchemy types __table__ as any FromClause).
        __table__: ClassVar[Table]
