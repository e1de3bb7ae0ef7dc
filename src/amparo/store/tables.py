"""SQLAlchemy tables for the nouns of DESIGN.md section 4; ``tables.X`` reaches every table."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

# Every table is reached as ``tables.X``: those of persons and places and those of casework
# live in the modules beside this one and are re-exported here.
from amparo.store.base import Base
from amparo.store.casework_tables import (
    AuditEvent,
    Case,
    CaseEvent,
    Exposure,
    ExposureInterval,
    User,
)
from amparo.store.people_tables import (
    IpLookup,
    LinkDecision,
    Person,
    PersonAccount,
    PersonAge,
    PersonLink,
    PersonLocation,
    SubscriberMatch,
    SubscriberRecord,
)

__all__ = [
    "SOURCE_INGESTED",
    "SOURCE_QUARANTINED",
    "Account",
    "AccountMerge",
    "AuditEvent",
    "Base",
    "Case",
    "CaseEvent",
    "Device",
    "Exposure",
    "ExposureInterval",
    "Group",
    "HashSet",
    "IPEvent",
    "Identifier",
    "IpLookup",
    "KnownEntry",
    "LinkDecision",
    "Match",
    "Media",
    "Membership",
    "Message",
    "NetworkCrossBorder",
    "NetworkFirstSharers",
    "NetworkPerson",
    "NetworkSummary",
    "Party",
    "Person",
    "PersonAccount",
    "PersonAge",
    "PersonLink",
    "PersonLocation",
    "Report",
    "Series",
    "Setting",
    "Sighting",
    "Source",
    "StageRun",
    "SubscriberMatch",
    "SubscriberRecord",
    "User",
]

SOURCE_INGESTED = "ingested"
SOURCE_QUARANTINED = "quarantined"


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
    number: Mapped[str] = mapped_column(Text, unique=True)
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
    platform: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str] = mapped_column(Text)


class AccountMerge(Base):
    """An account key that no longer exists: merged into (or renamed to) ``into_account``.

    Written when a newer reading of identifiers made two keys one (``whatsapp:34600112233`` and
    ``whatsapp:+34600112233``); everything the old key held now belongs to the surviving one.
    ``detail`` says how the id was read and what moved.
    """

    __tablename__ = "account_merge"
    id: Mapped[int] = mapped_column(primary_key=True)
    from_key: Mapped[str] = mapped_column(Text)
    into_account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    merged_at: Mapped[datetime]
    detail: Mapped[dict[str, Any]]


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
    """File content, stored once and keyed by SHA-256, with what the stages learnt of it.

    ``analysed_at`` is null until the hash stage has decoded the file; ``status`` is null
    until the match stage has compared it with the hash sets of ``matched_against``.
    """

    __tablename__ = "media"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    md5: Mapped[str] = mapped_column(String(32), index=True)
    sha1: Mapped[str] = mapped_column(String(40), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(10))
    mime_type: Mapped[str | None] = mapped_column(String(100))
    width: Mapped[int | None]
    height: Mapped[int | None]
    pdq: Mapped[str | None] = mapped_column(String(64), index=True)
    pdq_quality: Mapped[int | None]
    pdq_dihedral: Mapped[list[Any] | None]
    preparation: Mapped[str | None] = mapped_column(Text)
    video_frames: Mapped[list[Any] | None]  # a video's vPDQ, or an animated picture's frames
    exif: Mapped[dict[str, Any] | None]
    analysed_at: Mapped[datetime | None]
    problem: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(20), index=True)
    matched_against: Mapped[str | None] = mapped_column(String(64))
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("series.id", ondelete="SET NULL"), index=True
    )


class Group(Base):
    """A chat or group on a platform."""

    __tablename__ = "chat_group"
    __table_args__ = (UniqueConstraint("platform", "group_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(Text)
    group_id: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)


class Device(Base):
    """A seized drive or phone whose file tree was ingested."""

    __tablename__ = "device"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(Text, unique=True)


class Sighting(Base):
    """Media seen in a report (with account and group when it says so) or on a device."""

    __tablename__ = "sighting"
    __table_args__ = (
        UniqueConstraint("report_id", "file_id"),
        UniqueConstraint("device_id", "file_id", name="uq_sighting_device_file"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("chat_group.id"), index=True)
    ip_event_id: Mapped[int | None] = mapped_column(ForeignKey("ip_event.id"))
    file_id: Mapped[str] = mapped_column(Text)
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
    report: Mapped[Report | None] = relationship()
    device: Mapped[Device | None] = relationship()
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


class HashSet(Base):
    """An imported hash list; ``purpose`` is ``block`` (known material) or ``allow``."""

    __tablename__ = "hash_set"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    format: Mapped[str] = mapped_column(String(40))
    version: Mapped[str | None] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(10))
    pdq_threshold: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64))
    applied: Mapped[list[Any] | None]  # digests of the delta files applied so far
    imported_at: Mapped[datetime]
    entry_count: Mapped[int]


class KnownEntry(Base):
    """One entry of a hash set, with its category as (scheme, code), never collapsed."""

    __tablename__ = "known_entry"
    # An index, not a constraint, so that a bulk import can drop it and build it again sorted;
    # a hash's index holds only the entries that have that hash (sets often lack one).
    __table_args__ = (
        Index("ux_known_entry_hash_set_id_entry_id", "hash_set_id", "entry_id", unique=True),
        *(
            Index(f"ix_known_entry_{name}", name, sqlite_where=text(f"{name} IS NOT NULL"),
                  postgresql_where=text(f"{name} IS NOT NULL"))
            for name in ("md5", "sha1", "sha256")
        ),
    )  # fmt: skip
    id: Mapped[int] = mapped_column(primary_key=True)
    hash_set_id: Mapped[int] = mapped_column(ForeignKey("hash_set.id", ondelete="CASCADE"))
    entry_id: Mapped[str] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(Text)
    md5: Mapped[str | None] = mapped_column(String(32))
    sha1: Mapped[str | None] = mapped_column(String(40))
    sha256: Mapped[str | None] = mapped_column(String(64))
    pdq: Mapped[str | None] = mapped_column(String(64))  # searched in the FAISS index
    photodna: Mapped[str | None] = mapped_column(Text)
    vpdq: Mapped[list[Any] | None]
    category_scheme: Mapped[str | None] = mapped_column(Text)
    category_code: Mapped[str | None] = mapped_column(Text)
    series: Mapped[str | None] = mapped_column(Text)
    victim_identified: Mapped[bool | None] = mapped_column(Boolean)
    offender_identified: Mapped[bool | None] = mapped_column(Boolean)
    is_distributed: Mapped[bool | None] = mapped_column(Boolean)
    details: Mapped[dict[str, Any]]
    hash_set: Mapped[HashSet] = relationship()


class Match(Base):
    """Media matched to a known entry: how (algorithm, transform), how close, at what threshold;
    where, when one frame matched: ``frame`` of an animated picture, ``second`` of a video."""

    __tablename__ = "match"
    __table_args__ = (UniqueConstraint("media_id", "known_entry_id", "algorithm"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id", ondelete="CASCADE"), index=True)
    known_entry_id: Mapped[int] = mapped_column(
        ForeignKey("known_entry.id", ondelete="CASCADE"), index=True
    )
    algorithm: Mapped[str] = mapped_column(String(10))
    distance: Mapped[int]
    threshold: Mapped[int]
    transform: Mapped[str | None] = mapped_column(String(20))
    suppressing: Mapped[bool] = mapped_column(Boolean)
    frame: Mapped[int | None]
    second: Mapped[float | None]
    # PDQ only: fast (the hash stage's), full (full-size decode), threatexchange or resized.
    preparation: Mapped[str | None] = mapped_column(String(20))
    known_entry: Mapped[KnownEntry] = relationship()


class Series(Base):
    """A cluster of media: a known series (from hash sets) or new material clustered here."""

    __tablename__ = "series"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(Text, unique=True)
    status: Mapped[str] = mapped_column(String(10))
    first_seen: Mapped[datetime | None]
    first_accounts: Mapped[list[Any]]
    groups: Mapped[list[Any]]


class Message(Base):
    """A message of a chat export: who wrote what, when, in which group, with which file."""

    __tablename__ = "message"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("chat_group.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    position: Mapped[int]  # the line of a WhatsApp export, the message id of a Telegram one
    author: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime | None]
    at_raw: Mapped[str] = mapped_column(Text)
    offset_minutes: Mapped[int | None]
    text: Mapped[str] = mapped_column(Text)
    attachment: Mapped[str | None] = mapped_column(Text)
    media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id"))
    system: Mapped[bool] = mapped_column(Boolean)


class StageRun(Base):
    """What a whole-store stage last ran on, so that a re-run with nothing new is skipped."""

    __tablename__ = "stage_run"
    stage: Mapped[str] = mapped_column(String(20), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    finished_at: Mapped[datetime]


class Setting(Base):
    """A workspace setting (e.g. ``home_country``), as JSON."""

    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[dict[str, Any]]


class NetworkPerson(Base):
    """A person's place in the network as the network stage last found it (``network/``).

    ``person`` is a person key, or the key of an account no person holds yet.
    """

    __tablename__ = "network_person"
    id: Mapped[int] = mapped_column(primary_key=True)
    person: Mapped[str] = mapped_column(Text, unique=True)
    community: Mapped[int | None]  # None: alone in a community of its own
    weighted_degree: Mapped[float]
    betweenness: Mapped[float]


class NetworkCrossBorder(Base):
    """Two linked persons whose country hints differ, with the groups that link them."""

    __tablename__ = "network_cross_border"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_a: Mapped[str] = mapped_column(Text)
    person_b: Mapped[str] = mapped_column(Text)
    country_a: Mapped[str] = mapped_column(Text)
    country_b: Mapped[str] = mapped_column(Text)
    weight: Mapped[float]
    groups: Mapped[list[Any]]


class NetworkFirstSharers(Base):
    """A new series' first sharers as persons, earliest first."""

    __tablename__ = "network_first_sharers"
    id: Mapped[int] = mapped_column(primary_key=True)
    series: Mapped[str] = mapped_column(Text, unique=True)
    persons: Mapped[list[Any]]


class NetworkSummary(Base):
    """The network as a whole: one row, written with the rows above."""

    __tablename__ = "network_summary"
    id: Mapped[int] = mapped_column(primary_key=True)
    persons: Mapped[int]
    large_groups: Mapped[list[Any]]  # groups too large to link their members
    betweenness_sources: Mapped[int | None]  # None: exact; else how many sources were sampled
