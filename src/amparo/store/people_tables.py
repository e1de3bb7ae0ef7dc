"""Tables of persons and where they are: resolved persons, their accounts, links and analysts'
decisions; IP lookups, providers' subscriber records and their matches; chosen locations and
ages (``amparo.store.tables`` re-exports them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from amparo.store.base import Base


class Person(Base):
    """Accounts resolved to one individual; ``key`` is stable while its accounts stay together."""

    __tablename__ = "person"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    resolved_at: Mapped[datetime]


class PersonAccount(Base):
    """Which person an account belongs to (each account to exactly one person)."""

    __tablename__ = "person_account"
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)


class PersonLink(Base):
    """Why two accounts are one person: the evidence, each feature's weight, and the total.

    ``rule`` is ``model`` for a link the resolver scored, ``analyst`` for one an analyst made.
    """

    __tablename__ = "person_link"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    account_a_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    account_b_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(20))
    weight: Mapped[float]
    probability: Mapped[float | None]
    evidence: Mapped[list[Any]]


class LinkDecision(Base):
    """An analyst's ruling on a pair of accounts (``link`` or ``unlink``); re-runs obey it."""

    __tablename__ = "link_decision"
    __table_args__ = (UniqueConstraint("account_a_id", "account_b_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_a_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    account_b_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    decision: Mapped[str] = mapped_column(String(10))
    analyst: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime]


class IpLookup(Base):
    """What an offline database said of an IP event's address: country, network owner, place.

    ``reserved`` names a range that routes nowhere on the Internet (private, loopback,
    carrier-grade NAT, documentation...); such an address has no country or owner.
    """

    __tablename__ = "ip_lookup"
    ip_event_id: Mapped[int] = mapped_column(
        ForeignKey("ip_event.id", ondelete="CASCADE"), primary_key=True
    )
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    subdivision: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(Text)
    asn: Mapped[int | None] = mapped_column(BigInteger)
    organisation: Mapped[str | None] = mapped_column(Text)
    network: Mapped[str | None] = mapped_column(String(64))
    reserved: Mapped[str | None] = mapped_column(String(60))
    source: Mapped[str] = mapped_column(Text)
    looked_up_at: Mapped[datetime]


class SubscriberRecord(Base):
    """One usable row of an Internet provider's answer: who held an address, port and time."""

    __tablename__ = "subscriber_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"), index=True)
    row: Mapped[int]
    ip: Mapped[str] = mapped_column(String(64), index=True)
    port: Mapped[int | None]
    start_at: Mapped[datetime | None]
    end_at: Mapped[datetime | None]
    isp: Mapped[str | None] = mapped_column(Text)
    subscriber_name: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    postal_code: Mapped[str | None] = mapped_column(String(20))
    municipality: Mapped[str | None] = mapped_column(Text)
    subdivision: Mapped[str | None] = mapped_column(String(10))  # ISO 3166-2, when recognised
    subdivision_raw: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(2))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    details: Mapped[dict[str, Any]]


class SubscriberMatch(Base):
    """A subscriber record that answers an IP event: same address, port and time window."""

    __tablename__ = "subscriber_match"
    subscriber_record_id: Mapped[int] = mapped_column(
        ForeignKey("subscriber_record.id", ondelete="CASCADE"), primary_key=True
    )
    ip_event_id: Mapped[int] = mapped_column(
        ForeignKey("ip_event.id", ondelete="CASCADE"), primary_key=True
    )


class PersonLocation(Base):
    """A place where a person may be, with its basis and confidence; one is ``chosen``.

    Every basis found is kept (subscriber return, IP lookup, platform estimate, phone), so
    conflicting evidence shows instead of hiding behind the chosen row.
    """

    __tablename__ = "person_location"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    country: Mapped[str | None] = mapped_column(String(2))
    subdivision: Mapped[str | None] = mapped_column(String(10))
    basis: Mapped[str] = mapped_column(String(20))
    subdivision_basis: Mapped[str | None] = mapped_column(String(20))  # when weaker than basis
    confidence: Mapped[float]
    chosen: Mapped[bool] = mapped_column(Boolean)
    evidence: Mapped[list[Any]]


class PersonAge(Base):
    """A person's age at the incident, and what follows from it in the person's country."""

    __tablename__ = "person_age"
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    age: Mapped[int | None]
    basis: Mapped[str | None] = mapped_column(String(20))  # age | date_of_birth | subscriber
    minor: Mapped[bool | None] = mapped_column(Boolean)
    criminally_responsible: Mapped[bool | None] = mapped_column(Boolean)
    responsibility_age: Mapped[int | None]
    evidence: Mapped[list[Any]]
