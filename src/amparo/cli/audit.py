"""``amparo keys`` and ``amparo audit``: the workspace's keys, and checking the audit trail."""

from __future__ import annotations

import sys

import click

from amparo.cli.common import EXIT_INPUT, console, reports_errors, workspace_of
from amparo.terminal import untrusted


@click.group()
def keys() -> None:
    """The workspace's keys (files the database never holds; $AMPARO_KEYS_DIR moves them)."""


@keys.command("init")
@click.pass_context
@reports_errors
def keys_init(context: click.Context) -> None:
    """Make the audit key (HMAC-SHA256, file mode 0600) unless it exists.

    Events already in the trail stay "unauthenticated (before keys)"; the current head is
    written to the anchor file, so they cannot be changed unnoticed from now on.
    """
    from amparo.audit import init_audit_key

    with workspace_of(context).session() as session:
        key_file, created = init_audit_key(session)
    done = "made" if created else "already there, kept"
    console.print(f"audit key {untrusted(key_file.path)}: {done}", highlight=False)


@click.group()
def audit() -> None:
    """The audit trail: verify it, and print the anchor an auditor writes down."""


@audit.command("verify")
@click.option(
    "--anchor",
    metavar="STRING",
    default=None,
    help="An anchor written down earlier (from `amparo audit anchor`): the chain must still "
    "hold that event, unchanged.",
)
@click.pass_context
@reports_errors
def audit_verify(context: click.Context, anchor: str | None) -> None:
    """Check every event's hash link and MAC, and the anchor file; exit 1 when anything was
    changed, removed, reordered, rehashed or cut short."""
    from amparo.audit import verify_audit

    with workspace_of(context).session() as session:
        verdict = verify_audit(session, anchor)
    console.print(untrusted(verdict.summary()), highlight=False)
    if not verdict.ok:
        sys.exit(EXIT_INPUT)


@audit.command("anchor")
@click.pass_context
@reports_errors
def audit_anchor(context: click.Context) -> None:
    """Verify the trail, then print its head as a short string to write down (ID:HEX).

    Later, `amparo audit verify --anchor STRING` fails if that event is gone or changed, even
    by someone who holds the key and rewrote the anchor file too.
    """
    from amparo.audit import anchor_string

    with workspace_of(context).session() as session:
        click.echo(anchor_string(session))
