"""`guichet factures importer FICHIER [--essai]` (the management software's nightly file, through the same
importer as the page « Importer des factures ») and `guichet factures quotidien` (the daily job, now)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from web.core.transaction import unit_of_work

ACTOR = "import (ligne de commande)"


@click.group("factures")
def invoices_group() -> None:
    """Factures et paiements (service des finances)."""


@invoices_group.command("importer")
@click.argument("fichier", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--essai", is_flag=True, help="Vérifie le fichier et montre ce qui serait créé, sans rien enregistrer."
)
@with_appcontext
def invoices_import(fichier: Path, essai: bool) -> None:
    """Import a CSV of invoices (one transaction: every invoice or none; the same file again changes nothing).

    Exit code 0 when the file is accepted (or would be, with --essai), 1 when it is refused."""
    from .importer import CsvImportError, run

    try:
        with unit_of_work() as session:  # a dry run rolls its own savepoint back: nothing to commit
            report = run(session, fichier.read_bytes(), dry_run=essai, actor=ACTOR)
    except CsvImportError as error:
        for line in error.errors:
            click.echo(line, err=True)
        raise click.ClickException("Fichier refusé : aucune facture n'a été enregistrée.") from error
    for line in report.lines():
        click.echo(line)
    if essai:
        click.echo("Essai seulement (--essai) : rien n'a été enregistré.")


@invoices_group.command("quotidien")
@with_appcontext
def invoices_daily() -> None:
    """Run the daily job now: the reconciliation report of the day before, the late invoices' reminders."""
    from .daily import run_daily

    reports, reminders = run_daily(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"Rapports de rapprochement mis en file d'envoi : {reports}.")
    click.echo(f"Factures en retard relancées : {reminders}.")
