"""Telegram Desktop's JSON export (``result.json``) into chats and messages.

A pure parser: it takes the bytes of ``result.json`` and gives back every chat with its
messages, senders, attachments and service actions. Two shapes are read:

* one chat ("Export chat history"): an object with ``name``, ``type``, ``id`` and ``messages``;
* a whole account ("Export Telegram data"): ``personal_information`` (the owner) and
  ``chats.list`` (and ``left_chats.list``, chats the owner has left), each chat as above.

Every vintage of the export is read. Times: ``date`` is the exporting computer's local time
without a zone; ``date_unixtime`` (epoch seconds, in newer exports) gives UTC and, with ``date``,
that computer's offset. Without ``date_unixtime`` only the raw text is kept (UTC only when the text
itself carries a zone): no zone is ever guessed. A message with ``date_unixtime`` and no ``date``
keeps the epoch seconds as its raw time. Senders: newer exports write ``from_id`` as
``"user123"`` or ``"channel123"``; older exports wrote the bare number of the user, read
as ``"user123"`` so both vintages name one account. A message without ``id`` is named by its
place in the chat. Text is ``text`` (a string or a list of fragments), else ``text_entities``.

One message that cannot be read (a wrongly typed field, no time at all) is refused on its own:
it lands in its chat's ``refused`` with its place (``chats.list[0].messages[3]``); the rest of
the export is read.

Attachments (``photo`` or ``file``) are paths relative to the export folder. Telegram's
"(File not included. ...)" placeholder sets ``attachment_missing``; a path that is absolute or
climbs out with ``..`` is refused: the message is kept, its attachment is None and ``problem``
says why.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeGuard

from amparo import values
from amparo.errors import InvalidInput, UnsafeInput
from amparo.model import Timestamp

MAX_EXPORT_BYTES = 512 * 1024 * 1024

_EXPECTED = (
    "not a Telegram Desktop export: expected an object with 'messages' (one chat) "
    "or 'chats.list' (whole account)"
)

# Telegram's placeholder for a file left out of the export, e.g. "(File not included. Change
# data exporting settings to download.)" or "(File exceeds maximum size. ...)".
_FILE_LEFT_OUT = re.compile(r"\(File [^)]*\)")

_WINDOWS_DRIVE = re.compile(r"[A-Za-z]:")
_PATH_SEPARATORS = re.compile(r"[\\/]")
_EPOCH_SECONDS = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True)
class TelegramOwner:
    """The account holder, from ``personal_information``."""

    user_id: int | None
    first_name: str | None
    last_name: str | None
    phone_number: str | None
    username: str | None

    @property
    def sender_id(self) -> str | None:
        """The owner as messages name senders: ``"user123456"``."""
        return None if self.user_id is None else f"user{self.user_id}"


@dataclass(frozen=True)
class TelegramMessage:
    """One message or service event; for service events the sender is the actor."""

    id: int | None
    chat_id: int | None
    at: Timestamp
    sender: str | None
    sender_id: str | None
    text: str
    attachment: str | None
    attachment_missing: bool
    media_type: str | None
    mime_type: str | None
    reply_to: int | None
    forwarded_from: str | None
    edited: Timestamp | None
    service: bool
    action: str | None
    members: tuple[str | None, ...]
    problem: str | None
    index: int = 0  # where the message stands in its chat's list, from 0

    @property
    def position(self) -> int:
        """The message id; for an export that gives none, its place in the chat from 1."""
        return self.id if self.id is not None else self.index + 1


@dataclass(frozen=True)
class TelegramParticipant:
    """A sender (with its id) or a member named only by a service action (id None)."""

    id: str | None
    name: str | None


@dataclass(frozen=True)
class TelegramChat:
    name: str | None
    type: str | None
    id: int | None
    messages: tuple[TelegramMessage, ...]
    participants: tuple[TelegramParticipant, ...]
    left: bool
    refused: tuple[InvalidInput, ...] = ()  # messages that could not be read, with their place


@dataclass(frozen=True)
class TelegramExport:
    owner: TelegramOwner | None
    chats: tuple[TelegramChat, ...]
    set_aside: tuple[InvalidInput, ...] = ()  # times out of range (kept as text), with place


def parse_telegram(data: bytes, *, path: str) -> TelegramExport:
    """Every chat and message of a Telegram Desktop ``result.json``.

    A message whose id is out of range is refused with the chat's other unreadable messages
    (``TelegramChat.refused``); a time out of range keeps only its text, and the reason, with its
    place, is in ``set_aside``.
    """
    with values.collecting() as set_aside:
        export = _export(data, path)
    return TelegramExport(export.owner, export.chats, tuple(set_aside))


def _export(data: bytes, path: str) -> TelegramExport:
    document = _load(data, path)
    if not isinstance(document, dict):
        raise InvalidInput(_EXPECTED, path=path)
    if "chats" in document or "personal_information" in document:
        return _account(document, path)
    if isinstance(document.get("messages"), list):
        return TelegramExport(None, (_chat(document, "", path, left=False),))
    raise InvalidInput(_EXPECTED, path=path)


def _load(data: bytes, path: str) -> Any:
    """The JSON document, refusing oversized, undecodable, malformed or too deep input."""
    if len(data) > MAX_EXPORT_BYTES:
        raise UnsafeInput(f"export larger than {MAX_EXPORT_BYTES} bytes", path=path)
    try:
        return json.loads(data)
    except json.JSONDecodeError as error:
        place = f"line {error.lineno}, column {error.colno}"
        raise InvalidInput(f"malformed JSON: {error.msg}", path=path, place=place) from error
    except UnicodeDecodeError as error:
        raise InvalidInput(f"not UTF-8 text: {error.reason}", path=path) from error
    except RecursionError as error:
        raise UnsafeInput("JSON nested too deeply", path=path) from error


def _account(document: dict[str, Any], path: str) -> TelegramExport:
    owner = _owner(document.get("personal_information"), path)
    chats = _section_chats(document, "chats", path) + _section_chats(document, "left_chats", path)
    return TelegramExport(owner, tuple(chats))


def _owner(raw: Any, path: str) -> TelegramOwner | None:
    if raw is None:
        return None
    info = _object(raw, "personal_information", path)
    return TelegramOwner(
        user_id=_int_field(info, "user_id", "personal_information", path),
        first_name=_text_field(info, "first_name", "personal_information", path),
        last_name=_text_field(info, "last_name", "personal_information", path),
        phone_number=_text_field(info, "phone_number", "personal_information", path),
        username=_text_field(info, "username", "personal_information", path),
    )


def _section_chats(document: dict[str, Any], section: str, path: str) -> list[TelegramChat]:
    """The chats listed under ``section`` (``chats`` or ``left_chats``), if it is there."""
    if document.get(section) is None:
        return []
    listed = _object(document[section], section, path).get("list")
    if not isinstance(listed, list):
        raise InvalidInput(f"expected a 'list' of chats in '{section}'", path=path, place=section)
    left = section == "left_chats"
    return [
        _chat(raw, f"{section}.list[{index}]", path, left=left) for index, raw in enumerate(listed)
    ]


def _chat(value: Any, where: str, path: str, *, left: bool) -> TelegramChat:
    raw = _object(value, where, path)
    listed = raw.get("messages")
    if not isinstance(listed, list):
        raise InvalidInput("expected a 'messages' list", path=path, place=where or None)
    chat_id = _int_field(raw, "id", where, path)
    messages, refused = _messages(listed, chat_id, where, path)
    name, kind = _text_field(raw, "name", where, path), _text_field(raw, "type", where, path)
    return TelegramChat(name, kind, chat_id, messages, _participants(messages), left, refused)


def _messages(
    listed: list[Any], chat_id: int | None, where: str, path: str
) -> tuple[tuple[TelegramMessage, ...], tuple[InvalidInput, ...]]:
    """The readable messages of a chat, and why each other one was refused."""
    kept, refused = [], []
    for index, item in enumerate(listed):
        try:
            kept.append(_message(item, chat_id, index, _place(where, f"messages[{index}]"), path))
        except InvalidInput as error:
            refused.append(error)
    return tuple(kept), tuple(refused)


def _message(value: Any, chat_id: int | None, index: int, where: str, path: str) -> TelegramMessage:
    raw = _object(value, where, path)
    service = raw.get("type") == "service"
    sender_key, sender_id_key = ("actor", "actor_id") if service else ("from", "from_id")
    attachment, missing, problem = _attachment(raw, where, path)
    return TelegramMessage(
        id=_message_id(raw, where, path),
        chat_id=chat_id,
        at=_sent_at(raw, where, path),
        sender=_text_field(raw, sender_key, where, path),
        sender_id=_sender_id(raw, sender_id_key, where, path),
        text=_message_text(raw, where, path),
        attachment=attachment,
        attachment_missing=missing,
        media_type=_text_field(raw, "media_type", where, path),
        mime_type=_text_field(raw, "mime_type", where, path),
        reply_to=_int_field(raw, "reply_to_message_id", where, path),
        forwarded_from=_text_field(raw, "forwarded_from", where, path),
        edited=_timestamp(raw, "edited", where, path),
        service=service,
        action=_text_field(raw, "action", where, path),
        members=_members(raw, where, path),
        problem=problem,
        index=index,
    )


def _sender_id(raw: dict[str, Any], key: str, where: str, path: str) -> str | None:
    """``"user123"`` / ``"channel123"`` as written, or a bare number of an older export as
    ``"user123"`` (those exports named only users by number)."""
    value = raw.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"user{value}"
    if not _is_text_or_none(value):
        raise InvalidInput(f"'{key}' is neither text nor a number", path=path, place=where or None)
    return value


def _message_text(raw: dict[str, Any], where: str, path: str) -> str:
    """``text``, or the ``text_entities`` when an export holds the text only there."""
    text = _flat_text(raw.get("text"), where, path)
    if text or raw.get("text_entities") is None:
        return text
    return _flat_text(raw["text_entities"], where, path)


def _sent_at(raw: dict[str, Any], where: str, path: str) -> Timestamp:
    at = _timestamp(raw, "date", where, path)
    if at is None:
        raise InvalidInput(
            "no time: neither 'date' nor 'date_unixtime'", path=path, place=where or None
        )
    return at


def _attachment(raw: dict[str, Any], where: str, path: str) -> tuple[str | None, bool, str | None]:
    """(relative path, missing from the export, why the path was refused) of the attachment."""
    photo = _text_field(raw, "photo", where, path)
    value = photo if photo is not None else _text_field(raw, "file", where, path)
    if value is None:
        return None, False, None
    if _FILE_LEFT_OUT.fullmatch(value):
        return None, True, None
    refusal = _path_refusal(value)
    if refusal is not None:
        return None, False, f"attachment path {value!r} refused: {refusal}"
    return value, False, None


def _path_refusal(value: str) -> str | None:
    """Why a path must not be followed inside the export folder, or None when it is safe."""
    if not value or "\x00" in value:
        return "empty or containing NUL"
    if value.startswith(("/", "\\")) or _WINDOWS_DRIVE.match(value):
        return "absolute path"
    if ".." in _PATH_SEPARATORS.split(value):
        return "climbs out of the export with '..'"
    return None


def _timestamp(raw: dict[str, Any], key: str, where: str, path: str) -> Timestamp | None:
    """``key`` as written, in UTC when ``key + "_unixtime"`` is there (or the text has a zone)."""
    written = _text_field(raw, key, where, path)
    epoch = raw.get(f"{key}_unixtime")
    if epoch is None:
        return None if written is None else _written_time(written, _place(where, key), path)
    epoch_text = str(epoch) if isinstance(epoch, int) and not isinstance(epoch, bool) else epoch
    if not isinstance(epoch_text, str) or not _EPOCH_SECONDS.fullmatch(epoch_text):
        reason = f"'{key}_unixtime' is not epoch seconds: {epoch!r}"
        raise InvalidInput(reason, path=path, place=where or None)
    place = _place(where, f"{key}_unixtime")
    utc = values.optional(values.utc_from_epoch, int(epoch_text), path=path, place=place)
    if written is None:
        return Timestamp(epoch_text, utc, None)
    offset = None if utc is None else _offset_minutes(written, utc)
    if offset is not None:
        offset = values.optional(values.offset_minutes, offset, path=path, place=place)
    return Timestamp(written, utc, offset)


def _written_time(written: str, place: str, path: str) -> Timestamp:
    """A time without epoch seconds: UTC only when the text itself carries a zone."""
    try:
        moment = datetime.fromisoformat(written)
    except ValueError:
        return Timestamp(written, None, None)
    offset = moment.utcoffset()
    if offset is None:
        return Timestamp(written, None, None)
    utc = values.optional(values.utc_instant, moment, path=path, place=place)
    return Timestamp(written, utc, int(offset.total_seconds() // 60))


def _offset_minutes(written: str, utc: datetime) -> int | None:
    """How far the written local time is from UTC, when it reads as a zoneless ISO time."""
    try:
        local = datetime.fromisoformat(written)
    except ValueError:
        return None
    if local.tzinfo is not None:
        return None
    return round((local.replace(tzinfo=UTC) - utc).total_seconds() / 60)


def _flat_text(value: Any, where: str, path: str) -> str:
    """A message's text: a string, or a list of strings and entities joined as plain text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(_fragment(item, where, path) for item in value)
    raise InvalidInput("'text' is neither text nor a list", path=path, place=where or None)


def _fragment(item: Any, where: str, path: str) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and isinstance(item.get("text"), str):
        return item["text"]
    raise InvalidInput("a 'text' entity without text", path=path, place=where or None)


def _members(raw: dict[str, Any], where: str, path: str) -> tuple[str | None, ...]:
    """Names a service action concerns; None stands for a member Telegram gave no name."""
    listed = raw.get("members", [])
    if not isinstance(listed, list) or not all(_is_text_or_none(name) for name in listed):
        raise InvalidInput("'members' is not a list of names", path=path, place=where or None)
    return tuple(listed)


def _participants(messages: tuple[TelegramMessage, ...]) -> tuple[TelegramParticipant, ...]:
    """Distinct sender ids in order of appearance, then members named by service actions."""
    senders: dict[str, str | None] = {}
    for message in messages:
        if message.sender_id is not None:
            senders.setdefault(message.sender_id, message.sender)
    known_names = set(senders.values())
    members = (name for message in messages for name in message.members)
    named_only = dict.fromkeys(name for name in members if name and name not in known_names)
    by_id = [TelegramParticipant(sender_id, name) for sender_id, name in senders.items()]
    return (*by_id, *(TelegramParticipant(None, name) for name in named_only))


def _object(value: Any, where: str, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput("expected a JSON object", path=path, place=where or None)
    return value


def _text_field(raw: dict[str, Any], key: str, where: str, path: str) -> str | None:
    value = raw.get(key)
    if not _is_text_or_none(value):
        raise InvalidInput(f"'{key}' is not text", path=path, place=where or None)
    return value


def _int_field(raw: dict[str, Any], key: str, where: str, path: str) -> int | None:
    value = raw.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise InvalidInput(f"'{key}' is not an integer", path=path, place=where or None)
    return value


def _message_id(raw: dict[str, Any], where: str, path: str) -> int | None:
    """A message id, if any, that fits the store's column (Telegram's own are 32-bit)."""
    found = _int_field(raw, "id", where, path)
    if found is None:
        return None
    return values.int32(found, what="message id", path=path, place=where)


def _is_text_or_none(value: Any) -> TypeGuard[str | None]:
    return value is None or isinstance(value, str)


def _place(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key
