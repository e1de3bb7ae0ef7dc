"""``amparo subscribers``: import Internet providers' answers (subscriber returns)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from amparo.cli.common import EXIT_INPUT, console, reports_errors, workspace_of
from amparo.terminal import printable

if TYPE_CHECKING:
    from amparo.intake.subscribers import ImportResult


@click.group()
def subscribers() -> None:
    """Internet providers' answers: who held an address, port and time (subscriber returns)."""


@subscribers.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
@reports_errors
def subscribers_import(context: click.Context, file: Path) -> None:
    """Import a provider's subscriber return (CSV) and match it to the IP events.

    Columns (names in English or Spanish, any case): ip, port, start_utc, end_utc, isp,
    subscriber_name, address, postal_code, municipality, subdivision, country, date_of_birth.
    Times need a zone (Z or an offset) unless the column name says UTC. Exits 1 when no row
    could be used.
    """
    from amparo.intake.subscribers import import_subscriber_returns

    result = import_subscriber_returns(workspace_of(context), file)
    _print_subscriber_import(result)
    if result.nothing_usable:
        sys.exit(EXIT_INPUT)


def _print_subscriber_import(result: ImportResult) -> None:
    again = " (already imported; nothing added)" if result.duplicate else ""
    console.print(
        f"{printable(result.path)}{again}: {result.used} rows used, {len(result.refused)} refused; "
        f"{result.events_answered} IP events answered, {result.ambiguous} of them ambiguously "
        "(a port in the return but not in the event, no port from a provider that shares "
        "addresses, or several subscribers).",
        highlight=False, markup=False,
    )  # fmt: skip
    for problem in result.refused:
        console.print(f"  refused row {problem.row}: {printable(problem.reason)}",
                      highlight=False, markup=False)  # fmt: skip
    for note in result.notes:
        console.print(f"  note, row {note.row}: {printable(note.reason)}", highlight=False,
                      markup=False)  # fmt: skip
