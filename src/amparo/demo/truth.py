"""Ground truth of a generated operation: what ingesting its packages must find."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


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
class GeneratedOperation:
    root: Path
    seed: int
    reports: tuple[ExpectedReport, ...]

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
