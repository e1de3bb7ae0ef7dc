"""The ``amparo`` command line: each command opens the workspace and calls one library function.

Exit codes: 0 done; 1 the input or export could not be handled (the message says why);
2 the command was mistyped; 3 the workspace or its database cannot be used.
"""

from __future__ import annotations

import functools
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from amparo import __version__
from amparo.errors import AmparoError, WorkspaceError
from amparo.export.findings import export_findings
from amparo.intake.ingest import IngestSummary, discover, ingest_paths
from amparo.workspace import Workspace, open_workspace

EXIT_INPUT = 1
EXIT_WORKSPACE = 3
FINDINGS_FILE = "findings.json"

console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(command: F) -> F:
    """Turn Amparo's errors into a one-line message and a meaningful exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except WorkspaceError as error:
            console.print(f"[red]amparo: workspace problem:[/] {error}", highlight=False)
            sys.exit(EXIT_WORKSPACE)
        except AmparoError as error:
            console.print(f"[red]amparo:[/] {error}", highlight=False)
            sys.exit(EXIT_INPUT)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--workspace",
    "-w",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="AMPARO_HOME",
    default=None,
    help="Workspace folder (default: $AMPARO_HOME or ./amparo-workspace). "
    "The database is SQLite inside it unless AMPARO_DATABASE_URL names another.",
)
@click.version_option(__version__, prog_name="amparo")
@click.pass_context
def main(context: click.Context, workspace: Path | None) -> None:
    """Amparo turns CyberTipline reports and seized-device data into explainable cases."""
    context.obj = workspace


def _workspace(context: click.Context) -> Workspace:
    workspace = open_workspace(context.find_root().obj)
    context.call_on_close(workspace.close)
    return workspace


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.pass_context
@reports_errors
def ingest(context: click.Context, paths: tuple[Path, ...]) -> None:
    """Ingest CyberTipline report packages (folders or .zip files, or folders of them).

    Every input is ingested, recognised as already ingested, or quarantined with a reason
    naming the file and the place in it. Exits 1 only when nothing could be ingested.
    """
    summary = _ingest_with_progress(_workspace(context), list(paths))
    _print_summary(summary)
    if summary.nothing_ingested:
        sys.exit(EXIT_INPUT)


def _ingest_with_progress(workspace: Workspace, paths: list[Path]) -> IngestSummary:
    inputs = list(discover(paths))
    columns = (
        TextColumn("[bold]Ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("ingest", total=len(inputs))
        return ingest_paths(workspace, inputs, on_input=lambda _: progress.advance(task))


def _print_summary(summary: IngestSummary) -> None:
    console.print(
        f"Ingested {len(summary.ingested)} report package(s); "
        f"{len(summary.duplicates)} were already in the workspace; "
        f"{len(summary.quarantined)} item(s) quarantined.",
        highlight=False,
    )
    for item in summary.quarantined:
        console.print(f"  [yellow]quarantined[/] {item.reason}", highlight=False)


@main.group()
def export() -> None:
    """Write what the workspace knows for people and other tools."""


@export.command("findings")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Where to write the JSON (default: {FINDINGS_FILE} in the workspace).",
)
@click.pass_context
@reports_errors
def export_findings_command(context: click.Context, output: Path | None) -> None:
    """Write the amparo.findings/1 JSON document (checked against its schema)."""
    workspace = _workspace(context)
    out = output or workspace.root / FINDINGS_FILE
    document = export_findings(workspace, out)
    console.print(
        f"Wrote {out}: {len(document['media'])} files, {len(document['accounts'])} accounts, "
        f"{document['inputs']['reports']} reports.",
        highlight=False,
    )


@main.command()
@click.option("--reports", default=200, show_default=True, help="How many reports to generate.")
@click.option("--seed", default=7, show_default=True, help="Seed of the synthetic operation.")
@click.pass_context
@reports_errors
def demo(context: click.Context, reports: int, seed: int) -> None:
    """Generate a benign synthetic operation, ingest it and export its findings.

    The pictures are sample photos and generated images; the people are fictional.
    """
    from amparo.demo import generate_operation

    workspace = _workspace(context)
    inputs = workspace.root / "demo-input"
    console.print(f"Generating {reports} synthetic reports (seed {seed}) in {inputs} ...")
    shutil.rmtree(inputs, ignore_errors=True)  # the previous demo's generated input only
    operation = generate_operation(inputs, reports=reports, seed=seed)
    summary = _ingest_with_progress(workspace, list(operation.packages))
    _print_summary(summary)
    out = workspace.root / FINDINGS_FILE
    document = export_findings(workspace, out)
    console.print(
        f"\n[bold green]Demo ready.[/] Workspace: {workspace.root}\n"
        f"  findings: {out} ({len(document['media'])} files, "
        f"{len(document['accounts'])} accounts, {len(document['groups'])} groups)\n"
        f"  database: {workspace.engine.url.render_as_string(hide_password=True)}\n"
        f"  evidence: {workspace.evidence.root}",
        highlight=False,
    )
