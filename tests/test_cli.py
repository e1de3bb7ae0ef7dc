"""The command line: help everywhere, meaningful exit codes, the demo end to end."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from amparo.cli import EXIT_WORKSPACE, main
from amparo.media.video import vpdq
from amparo.store.tables import Account, Message
from amparo.workspace import open_workspace


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _all_commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("command", _all_commands(main), ids=" ".join)
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    assert len(result.output.splitlines()) > 3


def test_demo_generates_ingests_and_exports(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    result = CliRunner().invoke(main, ["-w", str(workspace), "demo", "--reports", "12"])
    assert result.exit_code == 0, result.output
    assert "Demo ready" in result.output
    document = json.loads((workspace / "findings.json").read_text(encoding="utf-8"))
    assert document["inputs"]["reports"] == 12
    assert document["media"] and document["accounts"]
    statuses = {m["status"] for m in document["media"]}
    assert {"known", "known_variant", "new", "unprocessable"} <= statuses
    assert (workspace / "vics.json").is_file()
    assert (workspace / "stats" / "stats.png").is_file()
    assert (workspace / "legal-requests" / "legal-requests.json").is_file()
    assert any(p["country"] for p in document["persons"])
    videos = [m for m in document["media"] if m["kind"] == "video"]
    assert len(videos) == 3, "the seized phone's videos"
    if vpdq is not None:  # video hashing installed (as `make demo` does): every video hashed
        assert [m["problem"] for m in videos] == [None] * 3
    inputs = 12 + 1 + len(list((workspace / "demo-input" / "chats").rglob("*.*")))
    again = CliRunner().invoke(main, ["-w", str(workspace), "demo", "--reports", "12"])
    assert again.exit_code == 0, again.output
    assert f"Ingested 0 input(s); {inputs} were already in the workspace" in " ".join(
        again.output.split()
    ), "12 reports, one phone dump and the chat exports"


def test_export_findings_to_a_chosen_file(tmp_path: Path) -> None:
    runner = CliRunner()
    workspace = ["-w", str(tmp_path / "ws")]
    out = tmp_path / "elsewhere" / "f.json"
    result = runner.invoke(main, [*workspace, "export", "findings", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["inputs"]["reports"] == 0


def test_amparo_home_chooses_the_workspace(tmp_path: Path) -> None:
    result = CliRunner(env={"AMPARO_HOME": str(tmp_path / "home")}).invoke(
        main, ["export", "findings"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "home" / "findings.json").is_file()


def test_an_unusable_database_is_exit_code_3(tmp_path: Path) -> None:
    runner = CliRunner(env={"AMPARO_DATABASE_URL": "nosuchdb://nowhere"})
    result = runner.invoke(main, ["-w", str(tmp_path / "ws"), "export", "findings"])
    assert result.exit_code == EXIT_WORKSPACE
    assert "workspace problem" in result.output


def test_a_missing_input_path_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["-w", str(tmp_path), "ingest", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_ingest_attributes_the_owners_named_lines(tmp_path: Path) -> None:
    chat = tmp_path / "WhatsApp Chat with Amigos.txt"
    chat.write_text(
        "[13/06/18, 21:26:00] +34 600 11 22 33: ¿quedamos?\n[13/06/18, 21:28:00] Ana: vale\n",
        encoding="utf-8",
    )
    owner = ["--owner", "+34 611 00 00 00", "--owner-name", "Ana"]
    result = CliRunner().invoke(main, ["-w", str(tmp_path / "ws"), "ingest", *owner, str(chat)])
    assert result.exit_code == 0, result.output
    workspace = open_workspace(tmp_path / "ws")
    with workspace.session() as session:
        rows = session.execute(select(Message.author, Account.user_id).join(Account)).all()
    workspace.close()
    assert sorted(rows) == [("+34 600 11 22 33", "+34600112233"), ("Ana", "+34611000000")]


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        (["--owner", "611 00 00 00"], "not an international phone number"),
        (["--owner-name", "Ana"], "--owner-name needs --owner"),
    ],
)
def test_ingest_refuses_an_owner_it_cannot_key(
    tmp_path: Path, options: list[str], reason: str
) -> None:
    chat = tmp_path / "chat.txt"
    chat.write_text("13/06/2018, 21:25 - Ana: hola\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["-w", str(tmp_path / "ws"), "ingest", *options, str(chat)])
    assert result.exit_code == 2
    assert reason in " ".join(result.output.split())
    assert not (tmp_path / "ws").exists()


def test_export_graphml_of_an_ingested_operation(tmp_path: Path) -> None:
    import igraph

    from amparo.demo import generate_operation

    operation = generate_operation(tmp_path / "op", reports=6, seed=9)
    runner = CliRunner()
    workspace = ["-w", str(tmp_path / "ws")]
    assert runner.invoke(main, [*workspace, "ingest", str(operation.root)]).exit_code == 0
    out = tmp_path / "elsewhere" / "net.graphml"
    result = runner.invoke(main, [*workspace, "export", "graphml", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "vertices" in result.output and "communities" in result.output
    graph = igraph.Graph.Read_GraphML(str(out))
    assert {"person", "account", "group"} <= set(graph.vs["kind"])
    assert runner.invoke(main, [*workspace, "export", "graphml"]).exit_code == 0
    assert igraph.Graph.Read_GraphML(str(tmp_path / "ws" / "network.graphml")).vcount()
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    blocked = tmp_path / "a-file" / "net.graphml"
    failed = runner.invoke(main, [*workspace, "export", "graphml", "-o", str(blocked)])
    assert failed.exit_code == 1
    assert "cannot write" in failed.output


def test_settings_are_checked_and_kept(tmp_path: Path) -> None:
    runner, workspace = CliRunner(), ["-w", str(tmp_path / "ws")]
    assert "home_country = ES" in runner.invoke(main, [*workspace, "settings", "show"]).output
    changed = runner.invoke(main, [*workspace, "settings", "set", "home_country", "ar"])
    assert changed.exit_code == 0 and "home_country = AR" in changed.output
    refused = runner.invoke(main, [*workspace, "settings", "set", "home_country", "Atlantis"])
    assert refused.exit_code == 1 and "not an ISO 3166-1" in refused.output
    unknown = runner.invoke(main, [*workspace, "settings", "set", "colour", "blue"])
    assert unknown.exit_code == 1 and "no setting 'colour'" in unknown.output
    assert "home_country = AR" in runner.invoke(main, [*workspace, "settings", "show"]).output
