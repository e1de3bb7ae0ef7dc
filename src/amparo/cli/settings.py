"""``amparo settings``: show and set the workspace's settings."""

from __future__ import annotations

import click

from amparo.cli.common import reports_errors, workspace_of
from amparo.terminal import printable


@click.group()
def settings() -> None:
    """Workspace settings (for example the home country, whose persons are not referred)."""


@settings.command("show")
@click.pass_context
@reports_errors
def settings_show(context: click.Context) -> None:
    """Print every setting and its value."""
    from amparo.settings import all_settings

    with workspace_of(context).session() as session:
        for key, value in all_settings(session).items():
            click.echo(f"{key} = {printable(value)}")


@settings.command("set")
@click.argument("key")
@click.argument("value")
@click.pass_context
@reports_errors
def settings_set(context: click.Context, key: str, value: str) -> None:
    """Set KEY to VALUE (checked: a country must be an ISO 3166-1 code)."""
    from amparo.settings import set_setting

    with workspace_of(context).session() as session:
        stored = set_setting(session, key, value)
    click.echo(f"{key} = {printable(stored)}")
