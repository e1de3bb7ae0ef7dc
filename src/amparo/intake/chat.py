"""WhatsApp chat exports from seized phones: messages, members and shared files into the store.

An export is the chat's text (``WhatsApp Chat with NAME.txt`` or ``_chat.txt``), alone or in a
zip with the media it names. Authors written as international phone numbers become the
accounts ``whatsapp:+E164`` (the key reports use too); authors saved as contact names stay
as written, with no account, since the export does not say who they are. The group is named
after the export's file name. A file of the zip that no message names is kept and set aside.

Lines of the export that are no readable message (an impossible date, text before the first
message) are kept in the evidence store and set aside as quarantined parts naming their line
numbers; the rest is ingested. When the file does not prove the order of day, month and year,
the order chosen and why are kept as the chat source's ``reason`` and given back in the
summary's notes (``amparo ingest`` prints them).

The phone's owner (``owner``, an international number) is a member of the chat. The owner's
own lines carry the owner's profile name ("Ana", "Tú", "You"), never the number, so they are
attributed to the owner's account only when the user names that author (``owner_name``): it
must be an author written as a name, not a number. Nothing is guessed without it.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import UTC, tzinfo
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from amparo.errors import InvalidInput
from amparo.formats.whatsapp import ChatMessage, UnreadableLines, parse_whatsapp
from amparo.identifiers import normalize_identifier
from amparo.intake.ingest import (
    IngestSummary,
    InputKind,
    ingest_package,
    skipped_parts,
    store_file,
)
from amparo.intake.ledger import QuarantinedPart, open_source, record_parts
from amparo.intake.package import DEFAULT_LIMITS, Limits, Package
from amparo.intake.writer import KnownIds, media_id
from amparo.store import tables
from amparo.workspace import Workspace

CHAT_EXPORT = "chat_export"
PLATFORM = "whatsapp"
MAX_CHAT_BYTES = 256 * 1024**2
# "WhatsApp Chat with Amigos.txt", "WhatsApp Chat - Amigos.zip", Spanish "Chat de WhatsApp con X".
_CHAT_NAME = re.compile(
    r"^(?:WhatsApp Chat (?:with|-)|Chat de WhatsApp con)\s*(?P<name>.+?)(?:\.txt|\.zip)?$", re.I
)


@dataclass(frozen=True)
class _Owner:
    """The seized phone's owner: the account key, and the author name of the owner's lines."""

    key: dict[str, str] | None
    name: str | None


def ingest_chat_export(
    workspace: Workspace,
    path: Path,
    *,
    zone: tzinfo | None,
    owner: str | None = None,
    owner_name: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> IngestSummary:
    """Ingest a WhatsApp export at ``path``; ``zone`` is the phone's time zone, if known.

    ``owner`` is the phone owner's international number; ``owner_name`` the author name the
    export gives the owner's own lines. ValueError when ``owner`` is no international number,
    or ``owner_name`` comes without ``owner``.
    """
    if owner_name is not None and owner is None:
        raise ValueError("the owner's name needs the owner's phone number")
    chosen = _Owner(owner_key(owner) if owner is not None else None, owner_name)
    summary = IngestSummary()
    notes: list[str] = []
    kind = InputKind(CHAT_EXPORT, partial(_store_chat, zone, chosen, path.name, notes))
    ingest_package(workspace, path, summary, limits=limits, kind=kind)
    if summary.ingested:
        summary.notes.extend(notes)
    return summary


def owner_key(owner: str) -> dict[str, str]:
    """The account key of the phone owner's number; ValueError unless it is international."""
    key = _account_key(owner)
    if key is None:
        raise ValueError(f"{owner!r} is not an international phone number (e.g. +34600111222)")
    return key


def _store_chat(
    zone: tzinfo | None,
    owner: _Owner,
    label: str,
    notes: list[str],
    workspace: Workspace,
    session: Session,
    package: Package,
    limits: Limits,
    known: KnownIds,
) -> list[QuarantinedPart]:
    member = _chat_member(package)
    text = _chat_text(package, member)
    place = package.place(member)
    export = parse_whatsapp(text, path=place, zone=zone or UTC)
    notes.extend(f"{place}: {note}" for note in export.notes)
    connection = session.connection()
    note = "; ".join(export.notes) or None
    source_id = open_source(connection, CHAT_EXPORT, package.label, package.digest, note=note)
    name = _chat_name(member, label)
    group_id = chat_group(connection, known, PLATFORM, name, name)
    writer = ChatWriter(connection, known, source_id, group_id)
    owner_id = writer.account(owner.key)
    for author in _owner_authors(export.participants, owner.name):
        writer.attribute(author, owner_id)
    named = writer.messages(export.messages, zone is not None, workspace, package, limits)
    unnamed = sorted(set(package.members) - named - {member})
    parts = skipped_parts(package)  # links and special files: recorded, never followed
    parts += [unreadable_part(workspace, place, lines) for lines in export.unreadable]
    parts += [unnamed_file(workspace, package, name, limits) for name in unnamed]
    record_parts(connection, source_id, parts)
    return parts


def _owner_authors(participants: tuple[str, ...], name: str | None) -> list[str]:
    """The authors written as ``name`` (compared in NFC, as terminals and exports differ)."""
    if name is None:
        return []
    wanted = unicodedata.normalize("NFC", name.strip())
    return [
        author
        for author in participants
        if _account_key(author) is None and unicodedata.normalize("NFC", author) == wanted
    ]


def _chat_member(package: Package) -> str:
    texts = sorted(name for name in package.members if name.lower().endswith(".txt"))
    preferred = [n for n in texts if _CHAT_NAME.match(PurePosixPath(n).name) or n == "_chat.txt"]
    if not (preferred or texts):
        raise InvalidInput("no chat text (.txt) in the export", path=package.label)
    return (preferred or texts)[0]


def _chat_text(package: Package, member: str) -> str:
    data = package.read(member, max_bytes=MAX_CHAT_BYTES)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        reason = f"not UTF-8 text (byte {error.start})"
        raise InvalidInput(reason, path=package.place(member)) from error


def _chat_name(member: str, label: str) -> str | None:
    """The chat's name from the text file's name, else from the export's (zip) name."""
    for name in (PurePosixPath(member).name, label):
        found = _CHAT_NAME.match(name)
        if found:
            return found["name"].strip()
    return None


def chat_group(
    connection: Connection, known: KnownIds, platform: str, group_id: str | None, name: str | None
) -> int | None:
    """The id of a platform's chat or group, created on first sight."""
    if group_id is None:
        return None
    key = {"platform": platform, "group_id": group_id}
    return known.find_or_insert(connection, tables.Group, key, key | {"name": name})


def _account_key(author: str | None) -> dict[str, str] | None:
    """``whatsapp:+E164`` for an author written as an international number, else None."""
    if not author or not author.lstrip().startswith("+"):
        return None
    number = normalize_identifier("phone", author)
    return {"platform": PLATFORM, "user_id": number} if len(number) > 7 else None


class ChatWriter:
    """Accounts, memberships, messages and shared files of one export."""

    def __init__(
        self, connection: Connection, known: KnownIds, source_id: int, group_id: int | None
    ) -> None:
        self.connection, self.known = connection, known
        self.source_id, self.group_id = source_id, group_id
        self._members: dict[str, int | None] = {}
        self._joined: set[int] = set()

    def member(self, author: str | None) -> int | None:
        """The account of an author (created on first sight), a member of the group."""
        if author is None:
            return None
        if author not in self._members:
            self._members[author] = self.account(_account_key(author))
        return self._members[author]

    def attribute(self, author: str, account_id: int | None) -> None:
        """Attribute the lines of ``author`` to the account ``account_id``."""
        self._members[author] = account_id

    def account(self, key: dict[str, str] | None) -> int | None:
        """The id of the account ``key`` names, made a member of the group; None for None."""
        if key is None:
            return None
        account_id = self.known.find_or_insert(self.connection, tables.Account, key, key)
        self.join(account_id)
        return account_id

    def join(self, account_id: int) -> None:
        """One membership per account and export, however its number was written."""
        if self.group_id is None or account_id in self._joined:
            return
        self._joined.add(account_id)
        row = {"group_id": self.group_id, "account_id": account_id, "source_id": self.source_id}
        self.connection.execute(insert(tables.Membership.__table__), row)

    def messages(
        self,
        messages: tuple[ChatMessage, ...],
        zoned: bool,
        workspace: Workspace,
        package: Package,
        limits: Limits,
    ) -> set[str]:
        """Write the messages; return the package members their attachments name."""
        by_name = {PurePosixPath(name).name: name for name in package.members}
        rows, shares, named = [], [], set()
        for message in messages:
            member = by_name.get(message.attachment or "")
            media = None
            if member is not None:
                named.add(member)
                stored = store_file(workspace, package, None, member, limits)
                media = media_id(self.connection, self.known, stored)
            row = self._row(message, zoned, media)
            rows.append(row)
            if member is not None:  # stored, so it has a media row
                shares.append(self._share(row, member))
        if rows:
            self.connection.execute(insert(tables.Message.__table__), rows)
        if shares:
            self.connection.execute(insert(tables.Sighting.__table__), shares)
        return named

    def _row(self, message: ChatMessage, zoned: bool, media: int | None) -> dict[str, Any]:
        at = message.at
        return {
            "source_id": self.source_id,
            "group_id": self.group_id,
            "account_id": self.member(message.author),
            "position": message.line,
            "author": message.author,
            "at": at.utc if zoned else None,
            "at_raw": at.raw,
            "offset_minutes": at.offset_minutes if zoned else None,
            "text": message.text,
            "attachment": message.attachment,
            "media_id": media,
            "system": message.system,
        }

    def _share(self, row: dict[str, Any], member: str) -> dict[str, Any]:
        return self.share(row, member, f"chat-{self.source_id}-line-{row['position']}")

    def share(self, message: dict[str, Any], member: str, file_id: str) -> dict[str, Any]:
        """The sighting of a file a message shared in this chat."""
        return {
            "media_id": message["media_id"],
            "account_id": message["account_id"],
            "group_id": self.group_id,
            "file_id": file_id,
            "file_name": PurePosixPath(member).name,
            "at": message["at"],
            "at_raw": message["at_raw"],
            "annotations": [],
            "original_hashes": {},
            "details": {"message": message["position"], "author": message["author"]},
        }


def unnamed_file(
    workspace: Workspace, package: Package, name: str, limits: Limits
) -> QuarantinedPart:
    """A file of the export that no message names: kept, and set aside for a look."""
    stored = store_file(workspace, package, None, name, limits)
    error = InvalidInput("no message of the chat names this file", path=package.place(name))
    return QuarantinedPart("chat_file", package.place(name), stored.digest, error)


def unreadable_part(workspace: Workspace, place: str, lines: UnreadableLines) -> QuarantinedPart:
    """Lines of the chat that are no readable message: kept, and set aside with why."""
    digest = workspace.evidence.put_bytes(lines.text.encode("utf-8"))
    where = f"line {lines.line}"
    if lines.last_line > lines.line:
        where = f"lines {lines.line}-{lines.last_line}"
    error = InvalidInput(lines.reason, path=place, place=where)
    return QuarantinedPart("chat_lines", place, digest, error)


def looks_like_chat_export(path: Path) -> bool:
    """A ``.txt`` file, or a zip holding a ``.txt`` and no ``report.xml``."""
    if path.suffix.lower() == ".txt":
        return True
    if path.suffix.lower() != ".zip" or not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            names = [PurePosixPath(name).name.lower() for name in archive.namelist()]
    except (zipfile.BadZipFile, OSError):
        return False
    return "report.xml" not in names and any(name.endswith(".txt") for name in names)
