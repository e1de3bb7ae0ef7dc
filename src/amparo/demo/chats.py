"""WhatsApp chat exports of two seized phones: the operation's people in groups, sharing pictures.

Each phone belongs to a person the reports name. Phone 1 exports in the Android layout
(``WhatsApp Chat with NAME.zip`` holding ``WhatsApp Chat with NAME.txt`` and files such as
``IMG-20240105-WA0003.jpg``), phone 2 in the iOS one (``WhatsApp Chat - NAME.zip`` holding
``_chat.txt`` and ``00000042-PHOTO-2024-01-05-21-25-15.jpg``). A one-to-one chat is exported
without media: the text alone on Android, a zip of ``_chat.txt`` on iOS. One group is on both
phones, so their exports overlap.

Every author, the owner included, is written as an international number (``+34 555 01 12 34``)
that normalises to the E.164 number the reports give for the same person, so the WhatsApp
account ``whatsapp:+34555011234`` can be linked to that person's reported accounts. Members are
reported people and made-up contacts; pictures are reported new-series and known ones, and a
new-series variant that no report holds. Times fall between January and June, in each phone's
time zone, so no local time is ambiguous.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from amparo.demo.images import MediaItem
from amparo.demo.packages import zip_bytes
from amparo.demo.people import IpAllocator, Persona, new_persona
from amparo.demo.truth import (
    KNOWN,
    KNOWN_VARIANT,
    ExpectedChatExport,
    ExpectedChatFile,
    ExpectedMedia,
)
from amparo.identifiers import normalize_identifier
from amparo.model import account_key, platform_slug

PLATFORM = platform_slug("WhatsApp")
CHATS_START = datetime(2024, 1, 2, 8, 0, tzinfo=UTC)
CHAT_DAYS = 150
EXTRA_CONTACTS = 4
OWN_GROUP_SHARE = 0.75
DIRECT_SHARE = 0.6
MULTI_LINE_SHARE = 0.2
ZONES = {
    "ES": "Europe/Madrid", "AR": "America/Argentina/Buenos_Aires", "MX": "America/Mexico_City",
    "CO": "America/Bogota", "PT": "Europe/Lisbon", "IT": "Europe/Rome",
}  # fmt: skip
GROUP_NAMES = (
    "Amigos del barrio", "Fútbol los domingos", "Viaje a Lisboa", "Gaming night", "Los primos",
    "Barbacoa del sábado", "Book club", "Running crew",
)  # fmt: skip
PHRASES = {
    "es": ("¿Quedamos el sábado?", "Jajaja qué bueno", "Mañana no puedo, tengo clase",
           "Buenos días a todos", "Llego en diez minutos", "¡Feliz cumpleaños! 🎉",
           "¿A qué hora es el partido?", "Vale, perfecto", "Qué calor hace hoy", "¡Gracias!"),
    "en": ("See you on Saturday?", "Haha that's great", "Running late, sorry",
           "Good morning everyone", "Who's bringing the ball?", "Sounds good 👍",
           "What time is the match?", "Happy birthday! 🎉", "Thanks!", "Back home now"),
}  # fmt: skip
SYSTEM = {
    "en": {
        "encrypted": "Messages and calls are end-to-end encrypted. No one outside of this chat,"
        " not even WhatsApp, can read or listen to them.",
        "created": "{author} created group “{name}”",
        "added": "{author} added {added}",
    },
    "es": {
        "encrypted": "Los mensajes y las llamadas están cifrados de extremo a extremo. Nadie fuera"
        " de este chat, ni siquiera WhatsApp, puede leerlos ni escucharlos.",
        "created": "{author} creó el grupo “{name}”",
        "added": "{author} añadió a {added}",
    },
}


@dataclass(frozen=True)
class Contact:
    persona: Persona
    number: str  # international, as an export writes it: "+34 555 01 12 34"
    key: str  # the WhatsApp account key "whatsapp:+34555011234"

    @property
    def language(self) -> str:
        return "es" if self.persona.locale.language == "es" else "en"


@dataclass(frozen=True)
class Line:
    at: datetime  # UTC
    kind: str  # "encrypted", "created", "added" (system lines); "text", "picture", "omitted"
    author: Contact | None = None
    text: str = ""
    picture: MediaItem | None = None
    added: tuple[Contact, ...] = ()


@dataclass(frozen=True)
class Chat:
    name: str
    members: tuple[Contact, ...]  # the creator first; every member writes at least once
    lines: tuple[Line, ...]
    direct: bool = False


class Android:
    name = "android"

    def header(self, at: datetime) -> str:
        return f"{at:%d/%m/%Y, %H:%M} - "

    def system(self, chat: Chat, text: str) -> str:
        return text

    def file_name(self, at: datetime, number: int, extension: str) -> str:
        return f"IMG-{at:%Y%m%d}-WA{number:04d}.{extension}"

    def attached(self, name: str, language: str) -> str:
        return f"{name} ({'archivo adjunto' if language == 'es' else 'file attached'})"

    def omitted(self, language: str) -> str:
        return "<Multimedia omitido>" if language == "es" else "<Media omitted>"

    def export_name(self, chat: Chat) -> str:
        return f"WhatsApp Chat with {chat.name}.{'txt' if chat.direct else 'zip'}"

    def text_name(self, chat: Chat) -> str:
        return f"WhatsApp Chat with {chat.name}.txt"


class Ios:
    name = "ios"

    def header(self, at: datetime) -> str:
        return f"[{at:%d/%m/%y, %H:%M:%S}] "

    def system(self, chat: Chat, text: str) -> str:
        return f"{chat.name}: \u200e{text}"

    def file_name(self, at: datetime, number: int, extension: str) -> str:
        return f"{number:08d}-PHOTO-{at:%Y-%m-%d-%H-%M-%S}.{extension}"

    def attached(self, name: str, language: str) -> str:
        return f"\u200e<{'adjunto' if language == 'es' else 'attached'}: {name}>"

    def omitted(self, language: str) -> str:
        return "\u200eimagen omitida" if language == "es" else "\u200eimage omitted"

    def export_name(self, chat: Chat) -> str:
        return f"WhatsApp Chat - {chat.name}.zip"

    def text_name(self, chat: Chat) -> str:
        return "_chat.txt"


Layout = Android | Ios


@dataclass(frozen=True)
class Phone:
    device: str
    owner: Contact
    layout: Layout
    chats: tuple[Chat, ...]

    @property
    def zone(self) -> str:
        return ZONES.get(self.owner.persona.locale.country_code, "UTC")

    @property
    def language(self) -> str:
        return self.owner.language


@dataclass(frozen=True)
class Pictures:
    """What chats share: new-series pictures first, then known ones and their variants."""

    series: tuple[MediaItem, ...]
    known: tuple[MediaItem, ...]

    def draw(self, rng: random.Random, count: int) -> list[MediaItem]:
        """Up to ``count`` distinct pictures, a new-series one first when there is one."""
        first = [rng.choice(self.series)] if self.series else []
        rest = [item for item in (*self.series, *self.known) if item not in first]
        return first + rng.sample(rest, max(0, min(count - len(first), len(rest))))


def chat_pictures(
    reported: Sequence[MediaItem],
    unreported: Sequence[MediaItem],
    roles: Mapping[str, ExpectedMedia],
) -> Pictures:
    """Reported new-series and known pictures, and unreported new-series variants."""
    series = [item for item in (*reported, *unreported) if roles[item.sha256].series_label]
    known = [item for item in reported if roles[item.sha256].status in (KNOWN, KNOWN_VARIANT)]
    return Pictures(tuple(series), tuple(known))


def contact(persona: Persona) -> Contact:
    """A persona's WhatsApp identity: the number as written, and its account key."""
    e164 = normalize_identifier("phone", persona.phone, persona.locale.calling_code)
    number = _spaced(e164, persona.locale.calling_code)
    if not e164.startswith("+") or normalize_identifier("phone", number) != e164:
        raise ValueError(f"no international form of {persona.phone!r} normalises to {e164!r}")
    return Contact(persona, number, account_key(PLATFORM, e164))


def _spaced(e164: str, calling_code: str) -> str:
    """``+34555011234`` as ``+34 555 01 12 34``: the national number in groups."""
    national = e164.removeprefix(calling_code)
    head, rest = national[:3], national[3:]
    groups = [rest[start : start + 2] for start in range(0, len(rest), 2)]
    if len(groups) > 1 and len(groups[-1]) == 1:
        groups[-2:] = [groups[-2] + groups[-1]]
    return " ".join((calling_code, head, *groups))


def plan_phones(
    rng: random.Random,
    reported: Sequence[Persona],
    phone_reported: Collection[Persona],
    pictures: Pictures,
) -> tuple[Phone, ...]:
    """Two phones of reported people: a group on both, maybe one more each, maybe a 1:1 chat.

    The owners are people whose number a report gives (``phone_reported``), so that their
    WhatsApp accounts can be linked to their reported ones; in an operation too small to have
    two, other reported people, then made-up ones.
    """
    people = _contacts(reported)
    extras = _extra_contacts(rng, {person.key for person in people})
    linkable = [person for person in people if person.persona in phone_reported]
    owners = _two_owners(rng, (linkable, people, extras))
    others = [person for person in people if person not in owners]
    extras = [person for person in extras if person not in owners]
    names = iter(rng.sample(GROUP_NAMES, 3))
    members = [*owners, *_some(rng, others, 2, 3), *_some(rng, extras, 1, 1)]
    shared = _group(rng, next(names), members, pictures.draw(rng, 3))
    direct_contacts = iter(rng.sample([*others, *extras], min(2, len(others) + len(extras))))
    phones = []
    layouts: tuple[Layout, ...] = (Android(), Ios())
    for number, (owner, layout) in enumerate(zip(owners, layouts, strict=True), 1):
        chats = [shared]
        if rng.random() < OWN_GROUP_SHARE:
            members = [owner, *_some(rng, others, 1, 3), *_some(rng, extras, 1, 2)]
            chats.append(_group(rng, next(names), members, pictures.draw(rng, 2)))
        peer = next(direct_contacts, None)
        if peer is not None and rng.random() < DIRECT_SHARE:
            chats.append(_direct(rng, owner, peer))
        phones.append(Phone(f"phone-{number}", owner, layout, tuple(chats)))
    return tuple(phones)


def _two_owners(rng: random.Random, pools: Sequence[Sequence[Contact]]) -> list[Contact]:
    """Two people from the first pool, topped up from the next ones if it has fewer."""
    owners: list[Contact] = []
    for pool in pools:
        rest = [person for person in pool if person not in owners]
        owners += rng.sample(rest, min(2 - len(owners), len(rest)))
    return owners


def _contacts(personas: Sequence[Persona]) -> list[Contact]:
    """One contact per number, the first persona to have it."""
    found: dict[str, Contact] = {}
    for persona in personas:
        person = contact(persona)
        found.setdefault(person.key, person)
    return list(found.values())


def _extra_contacts(rng: random.Random, taken: set[str]) -> list[Contact]:
    """Made-up people no report names, with numbers no reported person has."""
    ips = IpAllocator(rng)
    extras: list[Contact] = []
    while len(extras) < EXTRA_CONTACTS:
        candidate = contact(new_persona(rng, ips, CHATS_START.date()))
        if candidate.key not in taken:
            taken.add(candidate.key)
            extras.append(candidate)
    return extras


def _some(rng: random.Random, people: Sequence[Contact], low: int, high: int) -> list[Contact]:
    return rng.sample(list(people), min(len(people), rng.randint(low, high)))


def _group(
    rng: random.Random, name: str, members: list[Contact], pictures: list[MediaItem]
) -> Chat:
    creator = members.pop(rng.randrange(len(members)))
    everyone = (creator, *members)
    opening = [("encrypted", None), ("created", creator), ("added", creator)]
    lines = _lines(rng, everyone, opening, [("picture", p) for p in pictures])
    return Chat(name, everyone, lines)


def _direct(rng: random.Random, owner: Contact, peer: Contact) -> Chat:
    lines = _lines(rng, (owner, peer), [("encrypted", None)], [("omitted", None)])
    return Chat(peer.number, (owner, peer), lines, direct=True)


def _lines(
    rng: random.Random,
    members: tuple[Contact, ...],
    opening: list[tuple[str, Contact | None]],
    shares: list[tuple[str, MediaItem | None]],
) -> tuple[Line, ...]:
    """System lines, then everyone's messages with the shares among them, minutes apart."""
    at = CHATS_START + timedelta(seconds=rng.randint(0, (CHAT_DAYS - 5) * 86400))
    lines = [
        Line(at + timedelta(seconds=n), kind, author, added=members[1:] if kind == "added" else ())
        for n, (kind, author) in enumerate(opening)
    ]
    writers = [*rng.sample(members, len(members)), *rng.choices(members, k=rng.randint(3, 6))]
    body: list[tuple[str, Contact, MediaItem | None]] = [("text", w, None) for w in writers]
    for kind, picture in shares:
        body.insert(rng.randint(0, len(body)), (kind, rng.choice(members), picture))
    for kind, author, picture in body:
        at += timedelta(seconds=rng.randint(40, 90 * 60))
        text = _text(rng, author.language) if kind == "text" else ""
        lines.append(Line(at, kind, author, text, picture))
    return tuple(lines)


def _text(rng: random.Random, language: str) -> str:
    count = 2 if rng.random() < MULTI_LINE_SHARE else 1
    return "\n".join(rng.sample(PHRASES[language], count))


def render(phone: Phone, chat: Chat) -> tuple[str, dict[str, MediaItem]]:
    """The export's text in the phone's layout, zone and language, and its files by name."""
    zone, layout, language = ZoneInfo(phone.zone), phone.layout, phone.language
    files: dict[str, MediaItem] = {}
    rows = []
    for line in chat.lines:
        at = line.at.astimezone(zone)
        if line.picture is not None:
            name = layout.file_name(at, len(files) + 1, line.picture.extension)
            files[name] = line.picture
            body = layout.attached(name, language)
        elif line.kind == "omitted":
            body = layout.omitted(language)
        else:
            body = line.text
        rows.append(layout.header(at) + _said(layout, language, chat, line, body))
    return "".join(f"{row}\n" for row in rows), files


def _said(layout: Layout, language: str, chat: Chat, line: Line, body: str) -> str:
    """A system line's text, or a message: its author's number, then what was said."""
    author = line.author.number if line.author else ""
    if line.kind not in SYSTEM[language]:
        return f"{author}: {body}"
    added = ", ".join(member.number for member in line.added)
    text = SYSTEM[language][line.kind].format(author=author, added=added, name=chat.name)
    return layout.system(chat, text)


def write_chat_exports(chats_dir: Path, phones: Sequence[Phone]) -> tuple[ExpectedChatExport, ...]:
    """Write every chat of ``phones`` under ``chats_dir/<device>/`` and describe each export."""
    return tuple(
        _write(chats_dir / phone.device, phone, chat) for phone in phones for chat in phone.chats
    )


def _write(folder: Path, phone: Phone, chat: Chat) -> ExpectedChatExport:
    text, files = render(phone, chat)
    path = folder / phone.layout.export_name(chat)
    folder.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".txt":
        path.write_bytes(text.encode())
    else:
        entries = {phone.layout.text_name(chat): text.encode()}
        path.write_bytes(zip_bytes(entries | {name: item.data for name, item in files.items()}))
    return ExpectedChatExport(
        path=path,
        device=phone.device,
        layout=phone.layout.name,
        owner=phone.owner.key,
        owner_number=phone.owner.number,
        zone=phone.zone,
        group_name=chat.name,
        group_key=f"{PLATFORM}:{chat.name}",
        direct=chat.direct,
        members=tuple(dict.fromkeys(member.key for member in (phone.owner, *chat.members))),
        attachments=tuple(ExpectedChatFile(name, item.sha256) for name, item in files.items()),
    )
