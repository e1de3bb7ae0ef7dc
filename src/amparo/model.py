"""Domain types shared by stages: plain, immutable data with no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def platform_slug(name: str) -> str:
    """The stable lower-case key of a platform name: ``"Photo Net"`` → ``"photo-net"``."""
    return _NON_ALNUM.sub("-", name.strip().lower()).strip("-")


def account_key(platform: str, user_id: str) -> str:
    """The external key of an account (DESIGN.md section 5): ``platform:user_id``."""
    return f"{platform}:{user_id}"


@dataclass(frozen=True)
class Timestamp:
    """An instant as the input gave it: UTC when it carried an offset, else only raw."""

    raw: str
    utc: datetime | None
    offset_minutes: int | None


@dataclass(frozen=True)
class IpEvent:
    ip: str
    port: int | None = None
    at: Timestamp | None = None
    event: str | None = None
    possible_proxy: bool | None = None


@dataclass(frozen=True)
class Identifier:
    """An identifier as reported (``raw``) with its normalised form and any attributes."""

    kind: str
    raw: str
    normalized: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EstimatedLocation:
    city: str | None
    region: str | None
    country: str | None
    verified: bool | None
    at: Timestamp | None


@dataclass(frozen=True)
class AccountRef:
    platform: str
    user_id: str

    @property
    def key(self) -> str:
        return account_key(self.platform, self.user_id)


@dataclass(frozen=True)
class Party:
    """A person or user named in a report: reported user, intended recipient or victim."""

    role: str
    account: AccountRef | None
    first_name: str | None = None
    last_name: str | None = None
    age: int | None = None
    date_of_birth: date | None = None
    esp_service: str | None = None
    group_id: str | None = None
    addresses: tuple[dict[str, Any], ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    ip_events: tuple[IpEvent, ...] = ()
    estimated_location: EstimatedLocation | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FileEntry:
    """One uploaded file as its ``fileDetails`` describes it."""

    report_number: str
    file_id: str
    file_name: str | None
    original_file_name: str | None = None
    uploaded_at: Timestamp | None = None
    location_of_file: str | None = None
    viewed_by_esp: bool | None = None
    exif_viewed_by_esp: bool | None = None
    publicly_available: bool | None = None
    relevance: str | None = None
    annotations: tuple[str, ...] = ()
    industry_classification: str | None = None
    original_hashes: dict[str, str] = field(default_factory=dict)
    ip_event: IpEvent | None = None
    device_ids: tuple[Identifier, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportContent:
    """What ``report.xml`` says, before it is tied to a report number."""

    incident_type: str
    incident_at: Timestamp
    platform: str | None = None
    escalate_to_high_priority: str | None = None
    annotations: tuple[str, ...] = ()
    incident_description: str | None = None
    internet_details: tuple[dict[str, Any], ...] = ()
    parties: tuple[Party, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MediaDigest:
    """The cryptographic hashes and size of one file's bytes."""

    sha256: str
    md5: str
    sha1: str
    size: int
