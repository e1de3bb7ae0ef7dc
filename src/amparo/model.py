"""Domain types shared by stages: plain, immutable data with no I/O."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from amparo.errors import InvalidInput

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def without_accents(text: str) -> str:
    """``text`` with its letters' accents dropped (NFKD, combining marks removed)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def ascii_key(text: str) -> str:
    """Lower case, accents dropped, every run of other characters one underscore: how headers,
    provider names and hand-written place names are compared (``Inicio (UTC)``: ``inicio_utc``).
    """
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


def instant(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, or None."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def platform_slug(name: str) -> str:
    """The stable lower-case key of a platform name: ``"Photo Net"`` → ``"photo-net"``."""
    return _NON_ALNUM.sub("-", name.strip().lower()).strip("-")


class MediaStatus(StrEnum):
    """What matching made of a file (``media.status``; None for what is not a picture or video)."""

    KNOWN = "known"
    KNOWN_VARIANT = "known_variant"
    NEW = "new"
    UNPROCESSABLE = "unprocessable"


class SeriesStatus(StrEnum):
    """A series from the hash sets (known) or clustered here from new material (series.status)."""

    KNOWN = "known"
    NEW = "new"


class CaseStatus(StrEnum):
    """Where a case stands in the analysts' work (``case_file.status``)."""

    NEW = "new"
    IN_REVIEW = "in_review"
    REFERRED = "referred"
    CLOSED = "closed"


class PriorityLevel(StrEnum):
    """A case's priority level (``case_file.priority_level``); declared highest first."""

    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


# Messengers whose user id is the phone number in E.164 (DESIGN.md section 5).
PHONE_NUMBER_PLATFORMS = frozenset({"whatsapp"})


def account_key(platform: str, user_id: str) -> str:
    """The external key of an account (DESIGN.md section 5): ``platform:user_id``."""
    return f"{platform}:{user_id}"


def parse_account_key(key: str) -> tuple[str, str]:
    """``(platform, user_id)`` of an account key; the user id is empty when there is no colon."""
    platform, _, user_id = key.partition(":")
    return platform, user_id


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
    set_aside: tuple[InvalidInput, ...] = ()  # values out of range, nulled, with file and place


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
    set_aside: tuple[InvalidInput, ...] = ()  # values out of range, nulled, with file and place


@dataclass(frozen=True)
class MediaDigest:
    """The cryptographic hashes and size of one file's bytes."""

    sha256: str
    md5: str
    sha1: str
    size: int


@dataclass(frozen=True)
class Category:
    """A classification as its scheme defines it, never translated into another scheme.

    Schemes in use: ``vics-us`` (0 non-pertinent, 1 child abuse material, 2 exploitive or age
    difficult, 3 CGI/animation, 4 comparison), ``caid-uk`` (A, B, C), ``ncmec-industry``
    (A1, A2, B1, B2) and whatever a CSV hash set names.
    """

    scheme: str
    code: str


@dataclass(frozen=True)
class KnownEntry:
    """One entry of an imported hash set: the hashes of one known file and what is known of it.

    Hashes are lower-case hex (PDQ: 64 hex digits, 256 bits); PhotoDNA is kept as given (Amparo
    cannot compute it, but partners can join on it); vPDQ is a video's frame features, each
    ``"pdq_hex,quality,seconds"`` as ThreatExchange exchanges them. ``deleted`` marks an entry a
    newer version of the set withdraws (NCMEC hash-sharing deletions).
    """

    entry_id: str
    kind: str | None = None
    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    pdq: str | None = None
    photodna: str | None = None
    vpdq: tuple[str, ...] | None = None
    category: Category | None = None
    series: str | None = None
    victim_identified: bool | None = None
    offender_identified: bool | None = None
    is_distributed: bool | None = None
    deleted: bool = False
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HashSetFile:
    """What one hash-set file holds: its format, its own version label if any, its entries."""

    format: str
    version: str | None
    entries: tuple[KnownEntry, ...]


@dataclass(frozen=True)
class VideoFrameHash:
    """One frame's PDQ, with its quality: a vPDQ frame of a video (one a second), or a distinct
    frame of an animated picture. ``second`` is when the frame starts (None when the animation
    does not say), ``frame`` its 0-based number in the file (the fifth frame is 4)."""

    second: float | None
    pdq: str
    quality: int
    frame: int | None = None


@dataclass(frozen=True)
class MediaAnalysis:
    """What decoding a file tells: its kind, perceptual hashes and metadata, or why it failed.

    ``pdq_dihedral`` holds the eight PDQ hashes of the dihedral transforms in the order
    ``pdqhash.compute_dihedral`` returns them (original, rotate 90, rotate 180, rotate 270,
    flip x, flip y, flip plus 1, flip minus 1). ``preparation`` says how the pixels were obtained
    (decoder, version, reduction), since preprocessing alone moves PDQ by several bits.
    ``video_frames`` holds a video's vPDQ frames, or the distinct frames of an animated picture
    (GIF, WebP, APNG; ``pdq`` is then its first frame's).
    ``error`` is set, and the hashes are None, when the file could not be decoded safely.
    """

    kind: str
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    pdq: str | None = None
    pdq_quality: int | None = None
    pdq_dihedral: tuple[str, ...] | None = None
    preparation: str | None = None
    video_frames: tuple[VideoFrameHash, ...] | None = None
    exif: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
