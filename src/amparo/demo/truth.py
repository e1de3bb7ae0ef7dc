"""Ground truth of a generated operation: what ingesting and classifying its files must find."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from amparo.model import MediaStatus

if TYPE_CHECKING:
    from amparo.demo.people import Persona

KNOWN, KNOWN_VARIANT = MediaStatus.KNOWN, MediaStatus.KNOWN_VARIANT
NEW, UNPROCESSABLE = MediaStatus.NEW, MediaStatus.UNPROCESSABLE
NON_PERTINENT = "non_pertinent"
MEDIA_STATUSES = (KNOWN, KNOWN_VARIANT, NEW, UNPROCESSABLE, NON_PERTINENT)


@dataclass(frozen=True)
class ExpectedIpEvent:
    ip: str
    port: int | None
    at_utc: datetime | None  # aware, UTC
    event: str | None


@dataclass(frozen=True)
class ExpectedFile:
    file_id: str
    file_name: str
    sha256: str
    md5: str
    sha1: str
    size: int


@dataclass(frozen=True)
class ExpectedReport:
    number: str
    package: Path
    platform: str
    accounts: tuple[str, ...]  # account keys "platform_slug:user_id", in document order
    ip_events: tuple[ExpectedIpEvent, ...]  # reported persons', then fileDetails' uploads
    files: tuple[ExpectedFile, ...]
    groups: tuple[str, ...]  # group keys "platform_slug:group_id"


@dataclass(frozen=True)
class ExpectedMedia:
    """What classifying one file against the operation's hash sets must conclude.

    ``pdq`` is what the generator computed after decoding with Pillow (None: not a picture, or
    not decodable); another decoder may land a few bits away. ``source_sha256`` names the
    hash-set picture a variant or edited copy was made from (it need not be reported itself);
    ``series_label`` groups a new picture with its variants; ``hash_set_series`` is the series
    the matching hash-set entry names. ``frame`` (0-based) or ``second`` say where a known
    picture shows in an animated picture or a video; ``pdq`` of an animated picture is its first
    frame's.
    """

    sha256: str
    status: str  # one of MEDIA_STATUSES
    pdq: str | None = None
    pdq_quality: int | None = None
    source_sha256: str | None = None
    transform: str | None = None  # e.g. "rotate_90", "crop", "metadata_edit"
    series_label: str | None = None
    hash_set_series: str | None = None
    defect: str | None = None  # unprocessable files: "truncated" or "pixel_bomb"
    frame: int | None = None  # the frame of an animated picture that shows known material
    second: float | None = None  # the second of a video that shows a known picture


@dataclass(frozen=True)
class HashSetEntry:
    """One row of a generated CSV hash set (``series`` None is written as an empty cell)."""

    md5: str
    sha1: str
    sha256: str
    pdq: str
    category_scheme: str
    category_code: str
    series: str | None


@dataclass(frozen=True)
class ExpectedDeviceFile:
    device: str  # the dump's folder name under ``devices/``
    relative_path: str  # POSIX path inside the dump
    path: Path
    sha256: str
    size: int
    status: str


@dataclass(frozen=True)
class ExpectedChatFile:
    file_name: str  # as the export names it, e.g. "IMG-20240105-WA0003.jpg"
    sha256: str


@dataclass(frozen=True)
class ExpectedChatExport:
    """One WhatsApp export of a seized phone: a group chat (zip) or a one-to-one chat."""

    path: Path
    device: str  # the seized phone, e.g. "phone-1"
    layout: str  # "android" or "ios"
    owner: str  # the phone owner's account key "whatsapp:+E164", one of ``members``
    owner_number: str  # the owner's number as the export writes it, e.g. "+34 555 01 12 34"
    zone: str  # the phone's IANA time zone, e.g. "Europe/Madrid"
    group_name: str
    group_key: str  # "whatsapp:<group name>"
    direct: bool  # a one-to-one chat, exported without media
    members: tuple[str, ...]  # account keys "whatsapp:+E164", owner first; each one writes
    attachments: tuple[ExpectedChatFile, ...]  # in the order the messages attach them


@dataclass(frozen=True)
class GeneratedOperation:
    root: Path
    seed: int
    reports: tuple[ExpectedReport, ...]
    media_roles: Mapping[str, ExpectedMedia] = field(default_factory=dict)  # every file written
    hash_sets: Mapping[str, tuple[HashSetEntry, ...]] = field(default_factory=dict)  # by file
    hashset_files: Mapping[str, Path] = field(default_factory=dict)  # only when written
    device_files: tuple[ExpectedDeviceFile, ...] = ()
    chat_exports: tuple[ExpectedChatExport, ...] = ()
    personas: Mapping[str, Persona] = field(default_factory=dict)  # reported account → human

    @property
    def packages(self) -> tuple[Path, ...]:
        return tuple(report.package for report in self.reports)

    @property
    def account_keys(self) -> frozenset[str]:
        return frozenset(key for report in self.reports for key in report.accounts)

    @property
    def media_sha256(self) -> frozenset[str]:
        return frozenset(file.sha256 for report in self.reports for file in report.files)

    @property
    def group_keys(self) -> frozenset[str]:
        return frozenset(key for report in self.reports for key in report.groups)

    @property
    def sighting_count(self) -> int:
        """(report, file) pairs: every upload of a picture in a report is one sighting."""
        return sum(len(report.files) for report in self.reports)

    @property
    def ip_event_count(self) -> int:
        return sum(len(report.ip_events) for report in self.reports)

    @property
    def chat_media_sha256(self) -> frozenset[str]:
        return frozenset(file.sha256 for chat in self.chat_exports for file in chat.attachments)

    def sha256_with_status(self, status: str) -> frozenset[str]:
        return frozenset(sha for sha, media in self.media_roles.items() if media.status == status)
