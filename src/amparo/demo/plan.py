"""The random decisions behind one synthetic report, made before any XML is written."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import TypeVar

from amparo.demo.images import MediaItem
from amparo.demo.people import Account, Persona, Platform

T = TypeVar("T")

OPERATION_START = datetime(2024, 2, 5, tzinfo=UTC)
OPERATION_DAYS = 150
PHONE_SHOWN_SHARE = 0.6
CHILD_PORNOGRAPHY = "Child Pornography (possession, manufacture, and distribution)"
ONLINE_ENTICEMENT = "Online Enticement of Children for Sexual Acts"
ZONES = tuple(timezone(timedelta(hours=hours)) for hours in (0, 1, 2, -3))
ZONE_WEIGHTS = (3, 2, 2, 2)
PLATFORM_WEIGHTS = (5, 3, 2, 1)
FILES_PER_REPORT_WEIGHTS = (4, 3, 2, 1)  # for 1, 2, 3 and 4 files
FILE_ANNOTATIONS = ("viral", "possibleSelfProduction", "physicalHarm", "infant", "generativeAi")
INDUSTRY_CLASSES = ("A1", "A2", "B1", "B2")
ESCALATION_REASONS = (
    "Reported user appears to be in ongoing contact with a minor.",
    "Reported user mentioned meeting a minor in person this week.",
)
PROXY_SHARE = 0.08


@dataclass(frozen=True)
class IpEvent:
    ip: str
    at: datetime  # aware, in the zone the platform reported it in
    event: str | None
    port: int | None
    possible_proxy: bool


@dataclass(frozen=True)
class ReportedPerson:
    account: Account
    ip_events: tuple[IpEvent, ...]
    group_id: str | None
    shows_device: bool
    shows_phone: bool
    shows_location: bool
    shows_birth_date: bool  # dateOfBirth instead of age


@dataclass(frozen=True)
class Upload:
    file_id: str
    file_name: str
    original_file_name: str
    media: MediaItem
    uploaded_at: datetime
    viewed_by_esp: bool
    publicly_available: bool
    annotations: tuple[str, ...]
    industry_class: str | None
    declares_md5: bool
    upload_event: IpEvent | None


@dataclass(frozen=True)
class ChatIncident:
    client: str
    room: str


@dataclass(frozen=True)
class WebIncident:
    url: str


@dataclass(frozen=True)
class ReportPlan:
    number: int
    platform: Platform
    incident_type: str
    incident_at: datetime
    escalation: str | None
    annotations: tuple[str, ...]
    internet_incident: ChatIncident | WebIncident | None
    persons: tuple[ReportedPerson, ...]
    uploads: tuple[Upload, ...]

    @property
    def ip_events(self) -> tuple[IpEvent, ...]:
        """Every IP event in document order: reported persons first, then fileDetails."""
        person_events = [event for person in self.persons for event in person.ip_events]
        upload_events = [upload.upload_event for upload in self.uploads if upload.upload_event]
        return (*person_events, *upload_events)


def _weights(rng: random.Random, count: int) -> list[float]:
    """Heavy-tailed popularity, so a few accounts and pictures recur in many reports."""
    return [rng.paretovariate(1.6) for _ in range(count)]


class ReportPlanner:
    """Draws reports from fixed pools of accounts, media, groups and proxy addresses."""

    def __init__(
        self,
        rng: random.Random,
        accounts: tuple[Account, ...],
        media: tuple[MediaItem, ...],
        proxy_ips: tuple[str, ...],
        featured: Sequence[MediaItem] = (),
    ) -> None:
        """Reports draw ``media`` by popularity; the first ones each upload one ``featured``."""
        self._rng = rng
        self._platforms = tuple(dict.fromkeys(account.platform for account in accounts))
        self._accounts = {p.name: [a for a in accounts if a.platform == p] for p in self._platforms}
        self._account_weights = {name: _weights(rng, len(a)) for name, a in self._accounts.items()}
        self._groups = {p.name: [p.new_group_id(rng) for _ in range(4)] for p in self._platforms}
        self._media = media
        self._media_weights = _weights(rng, len(media))
        self._proxy_ips = proxy_ips
        self._featured = deque(featured)

    def plan(self, number: int) -> ReportPlan:
        rng = self._rng
        platform = rng.choices(self._platforms, PLATFORM_WEIGHTS[: len(self._platforms)])[0]
        incident_at = self._incident_time()
        incident_type = CHILD_PORNOGRAPHY if rng.random() < 0.85 else ONLINE_ENTICEMENT
        persons = tuple(self._person(a, incident_at) for a in self._pick_accounts(platform))
        return ReportPlan(
            number=number,
            platform=platform,
            incident_type=incident_type,
            incident_at=incident_at,
            escalation=rng.choice(ESCALATION_REASONS) if rng.random() < 0.08 else None,
            annotations=self._report_annotations(incident_type, persons[0], incident_at.date()),
            internet_incident=self._internet_incident(platform) if rng.random() < 0.55 else None,
            persons=persons,
            uploads=self._uploads(persons[0].account.persona, incident_at),
        )

    def _incident_time(self) -> datetime:
        seconds = self._rng.randint(0, OPERATION_DAYS * 86400)
        zone = self._rng.choices(ZONES, ZONE_WEIGHTS)[0]
        return (OPERATION_START + timedelta(seconds=seconds)).astimezone(zone)

    def _pick_accounts(self, platform: Platform) -> list[Account]:
        candidates = self._accounts[platform.name]
        wanted = 2 if self._rng.random() < 0.15 and len(candidates) > 1 else 1
        return self._distinct(candidates, self._account_weights[platform.name], wanted)

    def _distinct(self, items: Sequence[T], weights: list[float], count: int) -> list[T]:
        chosen: dict[int, T] = {}
        while len(chosen) < count:
            index = self._rng.choices(range(len(items)), weights)[0]
            chosen.setdefault(index, items[index])
        return list(chosen.values())

    def _person(self, account: Account, incident_at: datetime) -> ReportedPerson:
        rng = self._rng
        return ReportedPerson(
            account=account,
            ip_events=self._person_ip_events(account.persona, incident_at),
            group_id=self._maybe_group(account.platform),
            shows_device=account.persona.device is not None and rng.random() < 0.7,
            shows_phone=rng.random() < PHONE_SHOWN_SHARE,
            shows_location=rng.random() < 0.4,
            shows_birth_date=rng.random() < 0.4,
        )

    def _maybe_group(self, platform: Platform) -> str | None:
        return self._rng.choice(self._groups[platform.name]) if self._rng.random() < 0.35 else None

    def _person_ip_events(self, persona: Persona, incident_at: datetime) -> tuple[IpEvent, ...]:
        count = self._rng.choices((1, 2, 3), (4, 3, 2))[0]
        offsets = sorted((self._rng.randint(300, 10 * 86400) for _ in range(count)), reverse=True)
        return tuple(
            self._ip_event(persona, incident_at - timedelta(seconds=offset), self._event_name())
            for offset in offsets
        )

    def _event_name(self) -> str | None:
        return self._rng.choices(("Login", "Upload", None), (6, 3, 1))[0]

    def _ip_event(self, persona: Persona, at: datetime, event: str | None) -> IpEvent:
        rng = self._rng
        via_proxy = rng.random() < PROXY_SHARE
        return IpEvent(
            ip=rng.choice(self._proxy_ips if via_proxy else persona.home_ips),
            at=at.astimezone(UTC) if rng.random() < 0.25 else at,
            event=event,
            port=self._source_port(persona, via_proxy),
            possible_proxy=via_proxy,
        )

    def _source_port(self, persona: Persona, via_proxy: bool) -> int | None:
        """Behind carrier-grade NAT the platform logs the port, or nobody could be found."""
        if persona.port_block is not None and not via_proxy:
            return self._rng.randint(*persona.port_block)
        return self._rng.randint(1024, 65535) if self._rng.random() < 0.3 else None

    def _report_annotations(
        self, incident_type: str, first_person: ReportedPerson, day: date
    ) -> tuple[str, ...]:
        rng = self._rng
        enticement = incident_type == ONLINE_ENTICEMENT
        flags = {
            "sextortion": enticement and rng.random() < 0.5,
            "csamSolicitation": rng.random() < (0.3 if enticement else 0.1),
            "minorToMinorInteraction": first_person.account.persona.age_on(day) < 18,
        }
        return tuple(name for name, is_set in flags.items() if is_set)

    def _internet_incident(self, platform: Platform) -> ChatIncident | WebIncident:
        rng = self._rng
        if platform.chat_client:
            room = rng.choice([*self._groups[platform.name], "Direct messages"])
            return ChatIncident(platform.chat_client, room)
        return WebIncident(f"https://{platform.domain}/p/{rng.getrandbits(48):012x}")

    def _uploads(self, uploader: Persona, incident_at: datetime) -> tuple[Upload, ...]:
        taken_names: set[str] = set()
        media = self._pick_media()
        return tuple(self._upload(item, uploader, incident_at, taken_names) for item in media)

    def _pick_media(self) -> list[MediaItem]:
        count = self._rng.choices((1, 2, 3, 4), FILES_PER_REPORT_WEIGHTS)[0]
        chosen = self._next_featured()
        while len(chosen) < min(count, len(self._media)):
            item = self._rng.choices(self._media, self._media_weights)[0]
            chosen.setdefault(item.sha256, item)
        return list(chosen.values())

    def _next_featured(self) -> dict[str, MediaItem]:
        if not self._featured:
            return {}
        item = self._featured.popleft()
        return {item.sha256: item}

    def _upload(
        self, media: MediaItem, uploader: Persona, incident_at: datetime, taken_names: set[str]
    ) -> Upload:
        rng = self._rng
        uploaded_at = incident_at - timedelta(seconds=rng.randint(0, 3 * 3600))
        file_name = self._unique_file_name(media, uploaded_at, taken_names)
        original_file_name = self._file_name(media, uploaded_at)
        picture = media.is_picture
        return Upload(
            file_id=f"{rng.getrandbits(128):032x}",
            file_name=file_name,
            original_file_name=original_file_name if rng.random() < 0.5 else file_name,
            media=media,
            uploaded_at=uploaded_at,
            viewed_by_esp=rng.random() < 0.7,
            publicly_available=rng.random() < 0.2,
            annotations=self._file_annotations() if picture and rng.random() < 0.25 else (),
            industry_class=rng.choice(INDUSTRY_CLASSES) if picture and rng.random() < 0.5 else None,
            declares_md5=rng.random() < 0.4,
            upload_event=self._upload_event(uploader, uploaded_at),
        )

    def _upload_event(self, uploader: Persona, uploaded_at: datetime) -> IpEvent | None:
        if self._rng.random() < 0.15:
            return None
        return self._ip_event(uploader, uploaded_at, "Upload")

    def _file_annotations(self) -> tuple[str, ...]:
        chosen = set(self._rng.sample(FILE_ANNOTATIONS, self._rng.randint(1, 2)))
        return tuple(name for name in FILE_ANNOTATIONS if name in chosen)

    def _unique_file_name(self, media: MediaItem, at: datetime, taken: set[str]) -> str:
        name = self._file_name(media, at)
        while name in taken:
            name = self._file_name(media, at)
        taken.add(name)
        return name

    def _file_name(self, media: MediaItem, at: datetime) -> str:
        rng = self._rng
        if not media.is_picture:
            return f"file_{rng.getrandbits(32):08x}.{media.extension}"
        styles = (
            f"IMG_{rng.randint(1, 9999):04d}",
            f"{at:%Y%m%d_%H%M%S}",
            f"Screenshot_{at:%Y-%m-%d-%H-%M-%S}",
            f"{rng.getrandbits(64):016x}",
        )
        return f"{rng.choice(styles)}.{media.extension}"
