"""``amparo ingest``: report packages, chat exports and device trees into the workspace."""

from __future__ import annotations

import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from amparo.cli.common import (
    EXIT_INPUT,
    ingest_with_progress,
    print_ingest_summary,
    reports_errors,
    workspace_of,
)
from amparo.terminal import printable


def _time_zone(name: str | None) -> ZoneInfo | None:
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise click.BadParameter(f"unknown time zone {name!r} (e.g. Europe/Madrid)") from error


def _owner_number(number: str | None) -> str | None:
    if number is not None:
        from amparo.intake.chat import owner_key

        try:
            owner_key(number)
        except ValueError as error:
            raise click.BadParameter(printable(error)) from error
    return number


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--device",
    metavar="LABEL",
    help="Ingest PATH as the file tree (folder or zip) of the seized device LABEL.",
)
@click.option(
    "--zone",
    metavar="TZ",
    callback=lambda _c, _p, value: _time_zone(value),
    help="Time zone the phone was set to, for chat exports (e.g. Europe/Madrid). "
    "Without it their times are kept as written, not converted to UTC.",
)
@click.option(
    "--owner",
    metavar="PHONE",
    callback=lambda _c, _p, value: _owner_number(value),
    help="International phone number of the seized phone's owner (e.g. +34600111222).",
)
@click.option(
    "--owner-name",
    metavar="NAME",
    help="The author name a chat export gives the owner's own lines (e.g. Ana, Tú, You): "
    "those lines are attributed to --owner. Nothing is guessed without it.",
)
@click.pass_context
@reports_errors
def ingest(
    context: click.Context,
    paths: tuple[Path, ...],
    device: str | None,
    zone: ZoneInfo | None,
    owner: str | None,
    owner_name: str | None,
) -> None:
    """Ingest CyberTipline report packages and chat exports (kinds are detected).

    Report packages are folders or .zip files (or folders of them); WhatsApp exports are a
    chat's .txt, or a .zip of it with its media; Telegram Desktop exports are a folder holding
    result.json, a .zip of that folder, or result.json alone. With --device, ingest a seized
    drive or phone dump instead: every file is hashed, kept and sighted on that device with
    its path. Every input
    is ingested, recognised as already ingested, or quarantined with a reason naming the file
    and the place in it. Exits 1 only when nothing could be ingested.
    """
    from amparo.intake.dispatch import IngestOptions

    if owner_name is not None and owner is None:
        raise click.UsageError("--owner-name needs --owner, the owner's phone number")
    workspace = workspace_of(context)
    options = IngestOptions(device=device, zone=zone, owner=owner, owner_name=owner_name)
    summary = ingest_with_progress(workspace, list(paths), options)
    print_ingest_summary(summary)
    if summary.nothing_ingested:
        sys.exit(EXIT_INPUT)
