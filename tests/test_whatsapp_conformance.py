"""WhatsApp exports from other parsers' public test suites, checked against their own results.

Each folder of ``tests/conformance/whatsapp/`` holds one project's fixtures, its ``SOURCES.md``
and ``expected.json``: what that project's tests assert, transcribed (cases of messages with
their local time, author, text, system flag and attachment; counts; authors; first and last
times), and the few ``differences`` where Amparo reads a file otherwise on purpose. Times are
the local times the projects assert, so the files are read in UTC.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from amparo.formats.whatsapp import ChatExport, ChatMessage, parse_whatsapp
from amparo.formats.whatsapp_attachments import attachment_name

FOLDER = Path(__file__).parent / "conformance" / "whatsapp"
PROJECTS = sorted(path.name for path in FOLDER.iterdir() if path.is_dir())
UTC_ZONE = ZoneInfo("UTC")
THIS_YEAR = 2026  # fixed, so two-digit years are read the same on any day


def _expected(project: str) -> dict[str, Any]:
    return json.loads((FOLDER / project / "expected.json").read_text(encoding="utf-8"))


def _cases() -> list[tuple[str, dict[str, Any]]]:
    return [(p, case) for p in PROJECTS for case in _expected(p).get("cases", [])]


def _parse(project: str, name: str) -> ChatExport:
    text = (FOLDER / project / name).read_text(encoding="utf-8")
    return parse_whatsapp(text, path=name, zone=UTC_ZONE, this_year=THIS_YEAR)


def _local(message: ChatMessage) -> str:
    return message.at.utc.replace(tzinfo=None).isoformat()


def _selected(export: ChatExport, case: dict[str, Any]) -> list[ChatMessage]:
    messages = list(export.messages)
    if case.get("select") == "authored":
        messages = [message for message in messages if message.author is not None]
    order = case.get("order", "file")
    if order == "time":
        messages.sort(key=lambda message: message.at.utc)
    elif order == "newest_first":
        messages.reverse()
    return messages


def _wanted(project: str, case: dict[str, Any]) -> list[dict[str, Any]]:
    if "messages_file" not in case:
        return case.get("messages", [])
    target = json.loads((FOLDER / project / case["messages_file"]).read_text(encoding="utf-8"))
    return [{"at": t["timestamp"], "author": t["author"], "text": t["message"]} for t in target]


def _as_expected(message: ChatMessage, keys: list[str], joiner: str) -> dict[str, Any]:
    found = {
        "at": _local(message),
        "author": message.author,
        "text": message.text.replace("\n", joiner),
        "system": message.system,
        "attachment": message.attachment,
    }
    return {key: found[key] for key in keys}


@pytest.mark.parametrize(
    ("project", "case"), _cases(), ids=[f"{p}/{c['file']}" for p, c in _cases()]
)
def test_fixture_parses_as_its_project_expects(project: str, case: dict[str, Any]) -> None:
    export = _parse(project, case["file"])
    assert export.unreadable == ()
    messages = _selected(export, case)
    wanted, joiner = _wanted(project, case), case.get("line_breaks_as", "\n")
    found = [_as_expected(m, sorted(w), joiner) for m, w in zip(messages, wanted, strict=False)]
    if case.get("match") == "contains":
        for expected in wanted:
            assert expected in [_as_expected(m, sorted(expected), joiner) for m in messages]
    else:
        assert found == [dict(sorted(w.items())) for w in wanted]
        assert len(messages) == len(wanted) or "count" in case
    if "count" in case:
        assert len(messages) == case["count"]
    if "authors" in case:
        assert sorted(export.participants) == sorted(case["authors"])
    if "first_at" in case:
        assert (_local(messages[0]), _local(messages[-1])) == (case["first_at"], case["last_at"])


@pytest.mark.parametrize("project", PROJECTS)
def test_attachment_lines_as_their_project_expects(project: str) -> None:
    lines = _expected(project).get("attachment_lines", [])
    assert [attachment_name(line["line"]) for line in lines] == [line["name"] for line in lines]


def _whatstk_layouts() -> list[str]:
    folder = FOLDER / "lucasrodes-whatstk"
    layouts = json.loads((folder / "header_format_support.json").read_text(encoding="utf-8"))
    return [layout["format"] for layout in layouts]


def _written(at: datetime, author: str, layout: str) -> str:
    """A header in one of whatstk's layouts (``%name`` stands for the author)."""
    before, after = layout.split("%name")
    return f"{at.strftime(before)}{author}{at.strftime(after)}"


@pytest.mark.parametrize("layout", _whatstk_layouts())
def test_every_whatstk_layout_reads_back_to_the_same_chat(layout: str) -> None:
    chat = [m for m in _parse("lucasrodes-whatstk", "pokemon.txt").messages if not m.system]
    lines = [f"{_written(m.at.utc, m.author or '', layout)} {m.text}" for m in chat]
    export = parse_whatsapp("\n".join(lines), path=layout, zone=UTC_ZONE, this_year=THIS_YEAR)
    seconds = "%S" in layout
    assert [(m.author, m.text, m.at.utc) for m in export.messages] == [
        (m.author, m.text, m.at.utc if seconds else m.at.utc.replace(second=0)) for m in chat
    ]
    assert export.unreadable == ()


def test_every_project_names_its_sources() -> None:
    assert len(PROJECTS) >= 5
    for project in PROJECTS:
        sources = (FOLDER / project / "SOURCES.md").read_text(encoding="utf-8")
        for heading in ("Repository", "Commit", "Licence"):
            assert heading in sources, (project, heading)
