"""The ``amparo`` command group: the workspace option, the version, and every command."""

from __future__ import annotations

from pathlib import Path

import click

from amparo import __version__
from amparo.cli.audit import audit, keys
from amparo.cli.demo import demo
from amparo.cli.export import export
from amparo.cli.hashsets import hashsets
from amparo.cli.ingest import ingest
from amparo.cli.people import people
from amparo.cli.process import process
from amparo.cli.serve import serve
from amparo.cli.settings import settings
from amparo.cli.subscribers import subscribers
from amparo.cli.users import users

COMMANDS = (ingest, process, settings, people, hashsets, export, subscribers, users, serve,
            demo, keys, audit)  # fmt: skip


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


for _command in COMMANDS:
    main.add_command(_command)
