"""Telegram Desktop exports from seized devices: every chat's messages, members and files.

An export is a folder (or a zip of it) holding ``result.json`` and the media folders it names.
Senders are keyed by Telegram's own ids (``telegram:user123456``), chats by theirs
(``telegram:-100…``), so the same person or group in two exports is one account or group. The
export's owner, when it names one, is a member of every chat. An attachment whose path would
leave the export is not read and is recorded as a quarantined part; files no message names
are kept and set aside. A message that cannot be read is a quarantined part naming its place
(``result.json (chats.list[0].messages[3])``); the rest of the export is ingested.
"""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from amparo.errors import InputRejected, InvalidInput, UnsafeInput
from amparo.formats.telegram import TelegramChat, TelegramMessage, parse_telegram
from amparo.intake.chat import ChatWriter, chat_group, unnamed_file
from amparo.intake.ingest import (
    IngestSummary,
    InputKind,
    ingest_package,
    skipped_parts,
    store_file,
)
from amparo.intake.ledger import QuarantinedPart, open_source, record_parts
from amparo.intake.package import DEFAULT_LIMITS, REPORT_XML, Limits, Package
from amparo.intake.writer import KnownIds, media_id
from amparo.store import tables
from amparo.workspace import Workspace

TELEGRAM_EXPORT = "telegram_export"
PLATFORM = "telegram"
RESULT_JSON = "result.json"
MAX_RESULT_BYTES = 512 * 1024**2


def ingest_telegram_export(
    workspace: Workspace, path: Path, *, limits: Limits = DEFAULT_LIMITS
) -> IngestSummary:
    """Ingest the Telegram Desktop export (folder or zip) at ``path``."""
    summary = IngestSummary()
    kind = InputKind(TELEGRAM_EXPORT, _store_export)
    ingest_package(workspace, path, summary, limits=limits, kind=kind)
    return summary


def looks_like_telegram_export(path: Path) -> bool:
    """A folder holding ``result.json``, a lone ``result.json``, or a zip of an export folder."""
    if path.is_dir():
        return (path / RESULT_JSON).is_file()
    if path.name.lower() == RESULT_JSON:
        return path.is_file()
    return path.suffix.lower() == ".zip" and _zip_holds_export(path)


def _zip_holds_export(path: Path) -> bool:
    """A zip with a ``result.json`` and no ``report.xml`` (which would make it a report package)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = {PurePosixPath(name).name.lower() for name in archive.namelist()}
    except (zipfile.BadZipFile, OSError):
        return False
    return RESULT_JSON in names and REPORT_XML not in names


def _store_export(
    workspace: Workspace, session: Session, package: Package, limits: Limits, known: KnownIds
) -> list[QuarantinedPart]:
    member = _result_member(package)
    data = package.read(member, max_bytes=MAX_RESULT_BYTES)
    export = parse_telegram(data, path=package.place(member))
    connection = session.connection()
    source_id = open_source(connection, TELEGRAM_EXPORT, package.label, package.digest)
    base = PurePosixPath(member).parent
    owner = _account_key(None if export.owner is None else export.owner.sender_id)
    named: set[str] = {member}
    parts = skipped_parts(package)  # attachments that are links: recorded, never followed
    for chat in export.chats:
        group_id = chat_group(connection, known, PLATFORM, _chat_id(chat), chat.name)
        writer = ChatWriter(connection, known, source_id, group_id)
        writer.account(owner)
        found, problems = _chat(writer, chat, base, workspace, package, limits)
        named |= found
        parts += problems + [_refused_message(error) for error in chat.refused]
    unnamed = sorted(set(package.members) - named)
    parts += [QuarantinedPart("value", error.path, None, error) for error in export.set_aside]
    parts += [unnamed_file(workspace, package, name, limits) for name in unnamed]
    record_parts(connection, source_id, parts)
    return parts


def _result_member(package: Package) -> str:
    candidates = sorted(
        (name for name in package.members if PurePosixPath(name).name == RESULT_JSON),
        key=lambda name: name.count("/"),
    )
    if not candidates:
        raise InvalidInput(f"no {RESULT_JSON} in the export", path=package.label)
    return candidates[0]


def _chat_id(chat: TelegramChat) -> str | None:
    return None if chat.id is None else str(chat.id)


def _account_key(sender_id: str | None) -> dict[str, str] | None:
    return None if not sender_id else {"platform": PLATFORM, "user_id": sender_id}


def _chat(
    writer: ChatWriter,
    chat: TelegramChat,
    base: PurePosixPath,
    workspace: Workspace,
    package: Package,
    limits: Limits,
) -> tuple[set[str], list[QuarantinedPart]]:
    """Write a chat's messages and shared files in one statement each; return the members they
    named and the parts set aside."""
    rows, shares, named, problems = [], [], set(), []
    for message in chat.messages:
        member = None if message.attachment is None else str(base / message.attachment)
        media = None
        if member is not None and member in package.members:
            stored = store_file(workspace, package, None, member, limits)
            media = media_id(writer.connection, writer.known, stored)
        account_id = writer.account(_account_key(message.sender_id))
        rows.append(_message_row(writer, message, account_id, media))
        if member is not None and media is not None:
            named.add(member)
            file_id = f"telegram-{writer.source_id}-chat-{writer.group_id}-msg-{message.position}"
            shares.append(writer.share(rows[-1], member, file_id))
        problems += _problem(package, message)
    if rows:
        writer.connection.execute(insert(tables.Message.__table__), rows)
    if shares:
        writer.connection.execute(insert(tables.Sighting.__table__), shares)
    return named, problems


def _message_row(
    writer: ChatWriter, message: TelegramMessage, account_id: int | None, media: int | None
) -> dict[str, Any]:
    return {
        "source_id": writer.source_id,
        "group_id": writer.group_id,
        "account_id": account_id,
        "position": message.position,
        "author": message.sender,
        "at": message.at.utc,
        "at_raw": message.at.raw,
        "offset_minutes": message.at.offset_minutes,
        "text": message.text,
        "attachment": message.attachment,
        "media_id": media,
        "system": message.service,
    }


def _problem(package: Package, message: TelegramMessage) -> list[QuarantinedPart]:
    if message.problem is None:
        return []
    place = f"{package.label} (message {message.position})"
    error = UnsafeInput(message.problem, path=place)
    return [QuarantinedPart("telegram_attachment", place, None, error)]


def _refused_message(error: InputRejected) -> QuarantinedPart:
    """A message the parser could not read, set aside with its place in ``result.json``."""
    return QuarantinedPart("telegram_message", f"{error.path} ({error.place})", None, error)
