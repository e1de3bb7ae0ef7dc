"""Tables of the work done in Amparo: its users, cases and their history, the audit trail,
and each analyst's exposure to material (``amparo.store.tables`` re-exports them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amparo.store.base import Base


class User(Base):
    """Someone who signs in to the web workspace, with a role and wellness preferences."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)  # argon2
    role: Mapped[str] = mapped_column(String(20))  # analyst | supervisor | auditor
    created_at: Mapped[datetime]
    disabled: Mapped[bool] = mapped_column(Boolean)
    failed_logins: Mapped[int]
    locked_until: Mapped[datetime | None]
    daily_budget_seconds: Mapped[int]
    preferences: Mapped[dict[str, Any]]  # e.g. stronger blur per category


class Case(Base):
    """A person or new series to act on: priority with reasons, status, assignee.

    ``subject`` is the stable external key (a person key or a series key), not a row id,
    because persons and series are recomputed by their stages.
    """

    __tablename__ = "case_file"
    __table_args__ = (UniqueConstraint("kind", "subject"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # person | series
    subject: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # new | in_review | referred | closed
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    priority_level: Mapped[str] = mapped_column(String(10), index=True)
    priority_score: Mapped[float]
    reasons: Mapped[list[Any]]
    flags: Mapped[list[Any]]  # e.g. child_protection_services
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    assignee: Mapped[User | None] = relationship()


class CaseEvent(Base):
    """One entry of a case's history: a status change, an assignment, a note, a re-score."""

    __tablename__ = "case_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(Text)  # a username, or "pipeline"
    action: Mapped[str] = mapped_column(String(30))
    detail: Mapped[dict[str, Any]]


class AuditEvent(Base):
    """Who did what, when; each event's hash covers the previous one's, so gaps show."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]]
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # HMAC-SHA256 of ``hash`` under the workspace's audit key; null before the workspace had keys
    mac: Mapped[str | None] = mapped_column(String(64))


class Exposure(Base):
    """A user's day against their budget: a supervisor's release, and ``seconds`` of viewing
    counted apart from the intervals (before the server counted them, or set by hand)."""

    __tablename__ = "exposure"
    __table_args__ = (UniqueConstraint("user_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    seconds: Mapped[int]
    released_by: Mapped[str | None] = mapped_column(Text)  # a supervisor who lifted the budget
    released_at: Mapped[datetime | None]


class ExposureInterval(Base):
    """One reveal's viewing time, counted by the server: from the reveal until it is blurred
    again, until the page says it stopped showing it, or until the reveal expires (``until``)."""

    __tablename__ = "exposure_interval"
    __table_args__ = (Index("ix_exposure_interval_user_start", "user_id", "started_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    session_key: Mapped[str] = mapped_column(String(64))  # which signed-in session revealed
    sha256: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    until: Mapped[datetime]
    ended_at: Mapped[datetime | None]
