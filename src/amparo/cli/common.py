"""What every command module shares: the console, error reporting, exit codes, progress bars.

Light on purpose: ``amparo --help`` imports this, so the library (and its heavy dependencies)
is imported inside the functions that need it, never here.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console

from amparo.errors import AmparoError, StoreError, WorkspaceError
from amparo.terminal import untrusted

if TYPE_CHECKING:
    from rich.progress import Progress

    from amparo.intake.dispatch import IngestOptions
    from amparo.intake.ingest import IngestSummary
    from amparo.workspace import Workspace

EXIT_INPUT = 1
EXIT_WORKSPACE = 3
FINDINGS_FILE = "findings.json"

# soft_wrap: a message is one line whatever the terminal's width (logs, grep, tests).
console = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(command: F) -> F:
    """Turn Amparo's errors into a one-line message and a meaningful exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (WorkspaceError, StoreError) as error:
            console.print(f"[red]amparo: workspace problem:[/] {untrusted(error)}", highlight=False)
            sys.exit(EXIT_WORKSPACE)
        except AmparoError as error:
            console.print(f"[red]amparo:[/] {untrusted(error)}", highlight=False)
            sys.exit(EXIT_INPUT)

    return wrapper  # type: ignore[return-value]


def workspace_of(context: click.Context) -> Workspace:
    """The workspace the root command names (``--workspace``), closed when the command ends."""
    from amparo.workspace import open_workspace

    workspace = open_workspace(context.find_root().obj)
    context.call_on_close(workspace.close)
    return workspace


class StageBars:
    """Rich progress bars for the pipeline stages, or for each kind of input ingested."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, Any] = {}

    def start(self, stage: str, total: int) -> None:
        self._tasks[stage] = self._progress.add_task(stage, total=total)

    def advance(self, stage: str, amount: int = 1) -> None:
        self._progress.advance(self._tasks[stage], amount)


def ingest_with_progress(
    workspace: Workspace, paths: list[Path], options: IngestOptions | None = None
) -> IngestSummary:
    """``ingest_inputs`` with a progress bar per kind of input."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from amparo.intake.dispatch import ingest_inputs

    columns = (
        TextColumn("[bold]Ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        return ingest_inputs(workspace, paths, options, progress=StageBars(progress))


def print_ingest_summary(summary: IngestSummary) -> None:
    console.print(
        f"Ingested {len(summary.ingested)} input(s); "
        f"{len(summary.duplicates)} were already in the workspace; "
        f"{len(summary.quarantined)} item(s) quarantined.",
        highlight=False,
    )
    for item in summary.quarantined:
        console.print(f"  [yellow]quarantined[/] {untrusted(item.reason)}", highlight=False)
    for note in summary.notes:
        console.print(f"  [cyan]note[/] {untrusted(note)}", highlight=False)


def process_with_progress(
    workspace: Workspace, stages: tuple[str, ...], workers: int | None
) -> None:
    """Run ``stages`` with a bar each, then say what each did."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from amparo.stages.pipeline import run_pipeline
    from amparo.stages.registry import stage_named

    columns = (TextColumn("[bold]{task.description:>7}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=console) as progress:
        reports = run_pipeline(workspace, stages, workers=workers, progress=StageBars(progress))
    for report in reports:
        what = stage_named(report.stage).unit
        done = "nothing changed" if report.processed is None else f"{report.processed} {what}"
        console.print(f"  {report.stage}: {done}", highlight=False)
