"""``amparo keys`` and ``amparo audit``: the workspace's keys, and checking the audit trail."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from amparo.cli.common import EXIT_INPUT, console, reports_errors, workspace_of
from amparo.terminal import untrusted

if TYPE_CHECKING:
    from amparo.store.evidence import EvidenceStore
    from amparo.store.evidence_rotation import ResealReport


@click.group()
def keys() -> None:
    """The workspace's keys (files the database never holds; $AMPARO_KEYS_DIR moves them)."""


@keys.command("init")
@click.pass_context
@reports_errors
def keys_init(context: click.Context) -> None:
    """Make the audit key (HMAC-SHA256, file mode 0600) and the evidence keyset unless they
    exist.

    Events already in the trail stay "unauthenticated (before keys)"; the current head is
    written to the anchor file, so they cannot be changed unnoticed from now on.
    """
    from amparo.audit import init_audit_key

    workspace = workspace_of(context)
    with workspace.session() as session:
        key_file, created = init_audit_key(session)
    done = "made" if created else "already there, kept"
    console.print(f"audit key {untrusted(key_file.path)}: {done}", highlight=False)
    evidence = workspace.evidence
    if evidence.encrypt and evidence.keys is not None:
        evidence.cipher()  # made here unless it exists
        where = untrusted(evidence.keys.describe())
        console.print(f"evidence keyset {where}: ready", highlight=False)


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


@keys.command("rotate")
@click.pass_context
@reports_errors
def keys_rotate(context: click.Context) -> None:
    """Make a new primary evidence key and re-encrypt every evidence file under it.

    Resumable: stopped half way, every file stays readable (the old key is kept until all
    files are moved); run it again to finish.
    """
    from amparo.store.evidence_rotation import rotate_evidence_key

    evidence = workspace_of(context).evidence
    report = _with_progress("Rotating", rotate_evidence_key, evidence)
    _print_reseal("re-encrypted under the new key", report)
    if report.old_keys_dropped:
        console.print("old evidence keys dropped", highlight=False)
    else:
        console.print("[yellow]old evidence keys kept[/]: run it again", highlight=False)
    if report.failed:
        sys.exit(EXIT_INPUT)


@keys.command("encrypt")
@click.pass_context
@reports_errors
def keys_encrypt(context: click.Context) -> None:
    """Encrypt the evidence files still kept in clear (a workspace from before encryption).

    Resumable: each file is either clear or encrypted at any moment, and both are readable.
    """
    from amparo.store.evidence_rotation import encrypt_clear_evidence

    evidence = workspace_of(context).evidence
    report = _with_progress("Encrypting", encrypt_clear_evidence, evidence)
    _print_reseal("encrypted", report)
    if report.failed:
        sys.exit(EXIT_INPUT)


def _with_progress(label: str, run: Callable[..., ResealReport], store: EvidenceStore) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(label, total=None)
        return run(
            store,
            on_total=lambda total: progress.update(task, total=total),
            on_done=lambda: progress.advance(task),
        )


def _print_reseal(what: str, report: ResealReport) -> None:
    console.print(
        f"{report.moved} evidence file(s) {what}; {report.in_place} already were",
        highlight=False,
    )
    for sha256, reason in report.failed:
        console.print(f"  [red]not moved[/] {sha256}: {untrusted(reason)}", highlight=False)
