"""``amparo users``: who may sign in to the web workspace."""

from __future__ import annotations

import getpass
import sys

import click

from amparo.cli.common import console, reports_errors, workspace_of
from amparo.terminal import printable


@click.group()
def users() -> None:
    """Who may sign in to the web workspace (amparo serve)."""


@users.command("add")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["analyst", "supervisor", "auditor"]),
    help="analyst: cases and reveals; supervisor: also the audit view and exposure releases; "
    "auditor: the audit view and the pages, read-only, no reveals.",
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
@click.pass_context
@reports_errors
def users_add(context: click.Context, username: str, role: str, password_stdin: bool) -> None:
    """Add a user who signs in with USERNAME; the password (12 characters or more) is asked
    for twice without echo, or read from stdin, and kept as an argon2 hash."""
    from amparo.web.auth import create_user

    password = _new_password(password_stdin)
    workspace = workspace_of(context)
    with workspace.session() as session:
        create_user(session, username, password, role)
    console.print(f"User {printable(repr(username))} added as {role}.", highlight=False,
                  markup=False)  # fmt: skip


def _new_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise click.UsageError("the two passwords differ")
    return first
