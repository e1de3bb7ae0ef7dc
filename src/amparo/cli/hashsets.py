"""``amparo hashsets``: import hash sets of known material."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from amparo.cli.common import (
    StageBars,
    console,
    process_with_progress,
    reports_errors,
    workspace_of,
)
from amparo.match.thresholds import DEFAULT_PDQ_THRESHOLD
from amparo.terminal import untrusted


@click.group()
def hashsets() -> None:
    """Hash sets of known material (Project VIC VICS, NCMEC hash sharing, CSV)."""


@hashsets.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="Name of the hash set (re-importing updates it).")
@click.option(
    "--allow", is_flag=True, help="An allow list: its entries suppress matches (known benign)."
)
@click.option(
    "--pdq-threshold",
    type=click.IntRange(0, 256),
    default=DEFAULT_PDQ_THRESHOLD,
    show_default=True,
    help="PDQ distance within which a file is a variant of an entry of this set.",
)
@click.pass_context
@reports_errors
def hashsets_import(
    context: click.Context, file: Path, name: str, allow: bool, pdq_threshold: int
) -> None:
    """Import FILE as the hash set NAME, then re-match the files already in the workspace."""
    from amparo.intake.hashset_reader import start_early

    start_early(str(file))
    from amparo.intake.hashsets import holds_files, import_hash_set

    workspace = workspace_of(context)
    purpose = "allow" if allow else "block"
    with _import_bars() as bars:
        result = import_hash_set(workspace, file, name=name, purpose=purpose,
                                 pdq_threshold=pdq_threshold, progress=bars)  # fmt: skip
    if result.unchanged:
        console.print(
            f"Hash set {untrusted(repr(name))} is unchanged ({result.entries} entries).",
            highlight=False,
        )
        return
    console.print(
        f"Hash set {untrusted(repr(name))} ({result.format}): {result.entries} entries; "
        f"{result.added} written ({result.changed} of them changed), {result.removed} withdrawn.",
        highlight=False,
    )
    if result.rejected:
        console.print(
            f"  [yellow]{result.rejected} bad entries set aside[/], each recorded with its place:",
            highlight=False,
        )
        for reason in result.rejected_examples:
            console.print(f"  [yellow]set aside[/] {untrusted(reason)}", highlight=False)
        if result.rejected > len(result.rejected_examples):
            shown = len(result.rejected_examples)
            console.print(f"  ... and {result.rejected - shown} more.", highlight=False)
    if result.without_hashes:
        console.print(
            f"  [yellow]{result.without_hashes} entries carry no hash[/] and cannot match "
            "anything; they are kept with their metadata.",
            highlight=False,
        )
    # Without stored files there is nothing to re-match, and loading the stages costs more
    # time and memory than a small import.
    if holds_files(workspace):
        console.print("Re-matching stored files ...", highlight=False)
        process_with_progress(workspace, ("match", "cluster"), None)
    else:
        console.print("No stored files to re-match.", highlight=False)


@contextmanager
def _import_bars() -> Iterator[StageBars]:
    """A bar for the file read (in bytes, with the time left), then one for the indexes."""
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("[bold]{task.description:>13}"), BarColumn(), TaskProgressColumn(),
               TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=True) as progress:
        yield StageBars(progress)
