"""SQLAlchemy tables for the nouns of DESIGN.md section 4 that intake fills."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from amparo.store.types import JSONData, UTCDateTime

SOURCE_INGESTED = "ingested"
SOURCE_QUARANTINED = "quarantined"


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONData,
        list[Any]: JSONData,
    }


class Source(Base):
    """One input, or one part of an input that had to be quarantined on its own."""

    __tablename__ = "source"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    path: Mapped[str] = mapped_column(Text)
    digest: Mapped[str | None] = mapped_column(String(64), index=True)
    size: Mapped[int | None] = mapped_column(BigInteger)
    received_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"))
    parts: Mapped[list[Source]] = relationship(cascade="all, delete-orphan")


class Report(Base):
    """A CyberTipline report, keyed by its number."""

    __tablename__ = "report"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"))
    incident_type: Mapped[str] = mapped_column(Text)
    incident_at: Mapped[datetime | None]
    incident_at_raw: Mapped[str] = mapped_column(String(64))
    incident_offset_minutes: Mapped[int | None]
    incident_description: Mapped[str | None] = mapped_column(Text)
    platform: Mapped[str | None] = mapped_column(Text)
    escalate_to_high_priority: Mapped[str | None] = mapped_column(Text)
    annotations: Mapped[list[Any]]
    internet_details: Mapped[list[Any]]
    details: Mapped[dict[str, Any]]
    source: Mapped[Source] = relationship()


class Account(Base):
    """An identity on one platform: the platform's own user id."""

    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("platform", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(String(400))


class Party(Base):
    """A person or user as one report describes them (reported user, recipient, victim)."""

    __tablename__ = "party"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    role: Mapped[str] = mapped_column(String(20))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    first_name: Mapped[str | None] = mapped_column(Text)
    last_name: Mapped[str | None] = mapped_column(Text)
    age: Mapped[int | None]
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    esp_service: Mapped[str | None] = mapped_column(Text)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("chat_group.id"))
    addresses: Mapped[list[Any]]
    est_city: Mapped[str | None] = mapped_column(Text)
    est_region: Mapped[str | None] = mapped_column(Text)
    est_country: Mapped[str | None] = mapped_column(String(8))
    est_verified: Mapped[bool | None] = mapped_column(Boolean)
    est_at: Mapped[datetime | None]
    details: Mapped[dict[str, Any]]
    report: Mapped[Report] = relationship()
    account: Mapped[Account | None] = relationship()
    group: Mapped[Group | None] = relationship()


class Identifier(Base):
    """An identifier of a party (email, phone, screen name, device id...), raw and normalised."""

    __tablename__ = "identifier"
    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    raw: Mapped[str] = mapped_column(Text)
    normalized: Mapped[str] = mapped_column(Text, index=True)
    attributes: Mapped[dict[str, Any]]
    party: Mapped[Party] = relationship()
    account: Mapped[Account | None] = relationship()


class IPEvent(Base):
    """An IP address seen at a time, for a party or for a file upload."""

    __tablename__ = "ip_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    port: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime | None]
    at_raw: Mapped[str | None] = mapped_column(String(64))
    offset_minutes: Mapped[int | None]
    event: Mapped[str | None] = mapped_column(String(40))
    possible_proxy: Mapped[bool | None] = mapped_column(Boolean)
    report: Mapped[Report] = relationship()
    party: Mapped[Party | None] = relationship()
    account: Mapped[Account | None] = relationship()


class Media(Base):
    """File content, stored once and keyed by SHA-256."""

    __tablename__ = "media"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    md5: Mapped[str] = mapped_column(String(32), index=True)
    sha1: Mapped[str] = mapped_column(String(40), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(10))
    mime_type: Mapped[str | None] = mapped_column(String(100))


class Group(Base):
    """A chat or group on a platform."""

    __tablename__ = "chat_group"
    __table_args__ = (UniqueConstraint("platform", "group_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(200))
    group_id: Mapped[str] = mapped_column(String(400))
    name: Mapped[str | None] = mapped_column(Text)


class Sighting(Base):
    """Media seen in a report (with the account and group when the report says so)."""

    __tablename__ = "sighting"
    __table_args__ = (UniqueConstraint("report_id", "file_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id"), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("chat_group.id"), index=True)
    ip_event_id: Mapped[int | None] = mapped_column(ForeignKey("ip_event.id"))
    file_id: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str | None] = mapped_column(Text)
    original_file_name: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime | None]
    at_raw: Mapped[str | None] = mapped_column(String(64))
    location_of_file: Mapped[str | None] = mapped_column(Text)
    viewed_by_esp: Mapped[bool | None] = mapped_column(Boolean)
    exif_viewed_by_esp: Mapped[bool | None] = mapped_column(Boolean)
    publicly_available: Mapped[bool | None] = mapped_column(Boolean)
    relevance: Mapped[str | None] = mapped_column(String(40))
    annotations: Mapped[list[Any]]
    industry_classification: Mapped[str | None] = mapped_column(String(4))
    original_hashes: Mapped[dict[str, Any]]
    details: Mapped[dict[str, Any]]
    media: Mapped[Media] = relationship()
    report: Mapped[Report] = relationship()
    account: Mapped[Account | None] = relationship()
    group: Mapped[Group | None] = relationship()
    ip_event: Mapped[IPEvent | None] = relationship()


class Membership(Base):
    """An account's membership of a group, with the source that showed it."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("group_id", "account_id", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("chat_group.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"))
    group: Mapped[Group] = relationship()
    account: Mapped[Account] = relationship()
    source: Mapped[Source] = relationship()
