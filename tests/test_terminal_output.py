"""Nothing from an input reaches the analyst's terminal raw: control characters (ESC sequences
that retitle the window or clear the screen, C1 controls, bidirectional overrides) in file
names, reasons, names and keys are printed as visible escapes, and Rich markup in them stays
text."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from amparo.cli import main
from amparo.terminal import printable, untrusted

HOSTILE_NAME = "pkg\x1b]0;pwned\x07\x1b[2J\x9b31m\u202egpj.exe[red]x[/red]"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x1b[31mb", "a\\x1b[31mb"),
        ("bell\x07", "bell\\x07"),
        ("csi\x9b2J", "csi\\x9b2J"),
        ("line\nbreak\r", "line\\x0abreak\\x0d"),
        ("del\x7f", "del\\x7f"),
        ("rtl\u202efdp.exe", "rtl\\u202efdp.exe"),
        ("Ñandú → ok", "Ñandú → ok"),
    ],
)
def test_control_characters_are_escaped(raw: str, shown: str) -> None:
    assert printable(raw) == shown


def test_markup_in_untrusted_text_stays_text() -> None:
    assert untrusted("[red]x[/red]") == "\\[red]x\\[/red]"


def terminal_text(result: object) -> str:
    return result.output + (result.stderr or "")  # type: ignore[attr-defined]


def test_a_hostile_file_name_in_a_quarantine_reason_is_escaped(tmp_path: Path) -> None:
    package = tmp_path / "in" / HOSTILE_NAME
    package.mkdir(parents=True)
    (package / "report.xml").write_text("<not xml", encoding="utf-8")
    result = CliRunner().invoke(main, ["-w", str(tmp_path / "ws"), "ingest", str(package)])
    text = terminal_text(result)
    assert "quarantined" in text, text
    assert not any(char in text for char in RAW), repr(text)
    assert "pkg\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202egpj.exe[red]x[/red]" in text


def test_a_hostile_key_in_an_error_message_is_escaped(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["-w", str(tmp_path / "ws"), "people", "show", HOSTILE_NAME])
    text = terminal_text(result)
    assert result.exit_code == 1 and "no person" in text, text
    assert not any(char in text for char in RAW), repr(text)
    assert "[red]x[/red]" in text, "markup printed as text, not applied"


def test_a_hostile_setting_value_is_escaped(tmp_path: Path) -> None:
    runner = CliRunner()
    workspace = ["-w", str(tmp_path / "ws")]
    result = runner.invoke(main, [*workspace, "settings", "set", "mmdb_city", HOSTILE_NAME])
    text = terminal_text(result)
    assert result.exit_code == 1, text
    assert not any(char in text for char in RAW), repr(text)
