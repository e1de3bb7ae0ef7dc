"""``amparo people``: show a person with its links' evidence; link and unlink accounts."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import Any

import click

from amparo.cli.common import console, reports_errors, workspace_of
from amparo.errors import UnknownReference
from amparo.terminal import printable


@click.group()
def people() -> None:
    """Persons: who holds which accounts, and why Amparo thinks so."""


@people.command("show")
@click.argument("key")
@click.pass_context
@reports_errors
def people_show(context: click.Context, key: str) -> None:
    """Show a person (by person id or by one of its accounts) with its links' evidence."""
    from amparo.people.report import find_person

    with workspace_of(context).session() as session:
        person = find_person(session, key)
    if person is None:
        raise UnknownReference(f"no person or resolved account {key!r} (run `amparo process`?)")
    _print_person(person)


def _print_person(person: dict[str, Any]) -> None:
    accounts = ", ".join(person["accounts"])
    console.print(printable(f"{person['id']}: {accounts}"), highlight=False, markup=False)
    for link in person["links"]:
        line = f"  {link['a']} — {link['b']}  ({link['rule']}, weight {link['weight']:.1f})"
        console.print(printable(line), highlight=False, markup=False)
        for evidence in link["evidence"]:
            console.print(f"      {printable(evidence)}", highlight=False, markup=False)
    for phone in person.get("phones", []):
        console.print(printable(f"  phone {_phone_line(phone)}"), highlight=False, markup=False)
    for merge in person.get("merged_accounts", []):
        line = f"  merged {merge['from']} into {merge['into']} at {merge['at']}: {merge['reason']}"
        console.print(printable(line), highlight=False, markup=False)


def _phone_line(phone: dict[str, Any]) -> str:
    """``671 92 47 77 → +34671924777 (region ES from home country) on whatsapp:+34…``."""
    basis = phone["region_basis"]
    if basis is None:
        how = "not read: no country known, never links"
    elif basis == "international":
        how = "own country code"
    else:
        how = f"region {phone['region']} from {basis.replace('_', ' ')}"
    return f"{phone['raw']} → {phone['normalized']} ({how}) on {phone['account']}"


def _decision_command(same_person: bool) -> Callable[..., None]:
    @click.argument("account_a")
    @click.argument("account_b")
    @click.option("--reason", default=None, help="Why (kept with the decision).")
    @click.option("--analyst", default=None, help="Who decides (default: the login name).")
    @click.pass_context
    @reports_errors
    def command(context: click.Context, account_a: str, account_b: str, reason: str | None,
                analyst: str | None) -> None:  # fmt: skip
        from amparo.people.clusters import LINK, UNLINK, Decision
        from amparo.stages.resolution import decide

        kind = LINK if same_person else UNLINK
        decision = Decision(account_a, account_b, kind, analyst or getpass.getuser(), reason)
        for person in decide(workspace_of(context), decision):
            _print_person(person)

    return command


people.command("link", help="Say that two accounts are one person; re-runs respect it.")(
    _decision_command(same_person=True)
)
people.command("unlink", help="Say that two accounts are different people; re-runs respect it.")(
    _decision_command(same_person=False)
)
