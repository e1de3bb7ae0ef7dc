"""The demo's WhatsApp exports of two seized phones: reproducible, parseable and linkable."""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from amparo.demo import NEW, ExpectedChatExport, GeneratedOperation, generate_operation
from amparo.formats.whatsapp import ChatExport, parse_whatsapp
from amparo.identifiers import normalize_identifier
from amparo.intake.chat import ingest_chat_export
from amparo.intake.ingest import ingest_paths
from amparo.store import tables
from amparo.workspace import Workspace

ANDROID_FILE = re.compile(r"IMG-\d{8}-WA\d{4}\.(jpg|png)")
IOS_FILE = re.compile(r"\d{8}-PHOTO-\d{4}(-\d\d){5}\.(jpg|png)")


@pytest.fixture(scope="module")
def operation(tmp_path_factory: pytest.TempPathFactory) -> GeneratedOperation:
    root = tmp_path_factory.mktemp("operation")
    return generate_operation(root, reports=30, seed=11, chat_exports=True)


def export_files(chat: ExpectedChatExport) -> tuple[str, dict[str, bytes]]:
    """The export's chat text, and its other files by name."""
    if chat.path.suffix == ".txt":
        return chat.path.read_text(encoding="utf-8"), {}
    with zipfile.ZipFile(chat.path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    (text_name,) = [name for name in files if name.endswith(".txt")]
    return files.pop(text_name).decode("utf-8"), files


def parsed(chat: ExpectedChatExport) -> ChatExport:
    text, _ = export_files(chat)
    return parse_whatsapp(text, path=str(chat.path), zone=ZoneInfo(chat.zone))


def author_keys(export: ChatExport) -> set[str]:
    """The WhatsApp accounts of the authors written as international numbers."""
    numbers = (author for author in export.participants if author.startswith("+"))
    return {f"whatsapp:{normalize_identifier('phone', number)}" for number in numbers}


def by_group(operation: GeneratedOperation) -> dict[str, list[ExpectedChatExport]]:
    groups: dict[str, list[ExpectedChatExport]] = defaultdict(list)
    for chat in operation.chat_exports:
        groups[chat.group_key].append(chat)
    return groups


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def test_same_seed_gives_the_same_exports_and_another_seed_does_not(tmp_path: Path) -> None:
    first, again, other = (
        generate_operation(tmp_path / name, reports=12, seed=seed, chat_exports=True)
        for name, seed in (("first", 3), ("again", 3), ("other", 4))
    )
    assert tree_digest(first.root / "chats") == tree_digest(again.root / "chats")
    assert tree_digest(first.root / "chats") != tree_digest(other.root / "chats")
    relative = [(c.path.relative_to(first.root), c.members, c.attachments)
                for c in first.chat_exports]  # fmt: skip
    assert relative == [(c.path.relative_to(again.root), c.members, c.attachments)
                        for c in again.chat_exports]  # fmt: skip


def test_two_phones_each_with_one_or_two_groups(operation: GeneratedOperation) -> None:
    phones: dict[str, list[ExpectedChatExport]] = defaultdict(list)
    for chat in operation.chat_exports:
        phones[chat.device].append(chat)
        assert chat.path.parent == operation.root / "chats" / chat.device
        assert chat.members[0] == chat.owner
    assert sorted(phones) == ["phone-1", "phone-2"]
    assert len({chats[0].owner for chats in phones.values()}) == 2
    for chats in phones.values():
        assert len({chat.owner for chat in chats}) == 1
        assert 1 <= sum(not chat.direct for chat in chats) <= 2
        assert sum(chat.direct for chat in chats) <= 1
    assert {chat.layout for chat in phones["phone-1"]} == {"android"}
    assert {chat.layout for chat in phones["phone-2"]} == {"ios"}


def test_each_export_parses_to_its_members_and_attachments(
    operation: GeneratedOperation,
) -> None:
    for chat in operation.chat_exports:
        export = parsed(chat)
        assert author_keys(export) == set(chat.members), chat.path.name
        named = [message.attachment for message in export.messages if message.attachment]
        assert named == [file.file_name for file in chat.attachments]
        _, files = export_files(chat)
        assert {name: hashlib.sha256(data).hexdigest() for name, data in files.items()} == {
            file.file_name: file.sha256 for file in chat.attachments
        }
        pattern = ANDROID_FILE if chat.layout == "android" else IOS_FILE
        assert all(pattern.fullmatch(name) for name in named)


def test_exports_look_like_whatsapp_s(operation: GeneratedOperation) -> None:
    messages = [message for chat in operation.chat_exports for message in parsed(chat).messages]
    assert any(message.system for message in messages)
    assert any("\n" in message.text for message in messages if not message.system)
    for chat in operation.chat_exports:
        if chat.direct:
            assert chat.attachments == () and chat.group_name.startswith("+")
            assert chat.path.suffix == (".txt" if chat.layout == "android" else ".zip")
        else:
            assert chat.path.suffix == ".zip" and chat.attachments
        text, _ = export_files(chat)
        assert chat.group_name in chat.path.name
        assert ("archivo adjunto" in text or "file attached" in text) == (
            chat.layout == "android" and not chat.direct
        )


def test_one_group_is_on_both_phones(operation: GeneratedOperation) -> None:
    shared = [chats for chats in by_group(operation).values() if len(chats) > 1]
    assert len(shared) == 1
    (one, other) = shared[0]
    assert {one.device, other.device} == {"phone-1", "phone-2"}
    assert set(one.members) == set(other.members) >= {one.owner, other.owner}
    assert [f.sha256 for f in one.attachments] == [f.sha256 for f in other.attachments]
    assert [f.file_name for f in one.attachments] != [f.file_name for f in other.attachments]


def test_chats_share_reported_and_new_series_pictures(operation: GeneratedOperation) -> None:
    shared = operation.chat_media_sha256
    assert shared & operation.media_sha256
    assert any(operation.media_roles[sha].series_label for sha in shared)
    assert {operation.media_roles[sha].status for sha in shared} >= {NEW}
    assert set(operation.media_roles) == operation.media_sha256 | shared
    reported = operation.account_keys
    assert reported and not any(key.startswith("whatsapp:") for key in reported)


def test_without_reported_people_the_phones_belong_to_made_up_ones(tmp_path: Path) -> None:
    operation = generate_operation(tmp_path, reports=0, chat_exports=True)
    assert {chat.device for chat in operation.chat_exports} == {"phone-1", "phone-2"}
    assert len({chat.owner for chat in operation.chat_exports}) == 2
    assert set(operation.media_roles) == operation.chat_media_sha256  # unreported pictures
    for chat in operation.chat_exports:
        assert author_keys(parsed(chat)) == set(chat.members)


def test_ingested_chats_give_groups_members_sightings_and_linkable_phones(
    workspace: Workspace, operation: GeneratedOperation
) -> None:
    summary = ingest_paths(workspace, operation.packages)
    for chat in operation.chat_exports:
        zone = ZoneInfo(chat.zone)
        summary.merge(ingest_chat_export(workspace, chat.path, zone=zone, owner=chat.owner_number))
    assert summary.quarantined == []
    assert len(summary.ingested) == len(operation.reports) + len(operation.chat_exports)
    with workspace.session() as session:
        keys = {a.id: f"{a.platform}:{a.user_id}" for a in session.scalars(select(tables.Account))}
        groups = {g.id: f"{g.platform}:{g.group_id}" for g in session.scalars(select(tables.Group))}
        members: dict[str, set[str]] = defaultdict(set)
        for membership in session.scalars(select(tables.Membership)):
            members[groups[membership.group_id]].add(keys[membership.account_id])
        media = {m.id: m.sha256 for m in session.scalars(select(tables.Media))}
        shared: dict[str, set[str]] = defaultdict(set)
        for sighting in session.scalars(select(tables.Sighting)):
            if sighting.group_id is not None:
                shared[groups[sighting.group_id]].add(media[sighting.media_id])
        phones = session.scalars(
            select(tables.Identifier.normalized).where(tables.Identifier.kind == "phone")
        ).all()
    for key, chats in by_group(operation).items():
        assert members[key] == {member for chat in chats for member in chat.members}, key
        assert shared.get(key, set()) == {f.sha256 for chat in chats for f in chat.attachments}
    linked = {f"whatsapp:{phone}" for phone in phones} & set(keys.values())
    assert {chat.owner for chat in operation.chat_exports} <= linked
