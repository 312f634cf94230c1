"""`guichet factures importer FICHIER [--essai]` with the CLI runner: the management software's nightly
file through the same importer as the page; dry run, idempotent, French report, exit code 1 on a refused
file with nothing written."""

from __future__ import annotations

import time_machine
from sqlalchemy import select

from tests.fixtures.integration import snapshot
from tests.integration.factures_world import NOW, invoices  # noqa: F401
from tests.integration.test_factures_agents import IMPORT
from web.extensions import db
from web.factures.cli import invoices_group
from web.factures.models import Invoice, InvoiceSource


def importer(app, path, *options: str):
    with time_machine.travel(NOW, tick=False):
        return app.test_cli_runner().invoke(invoices_group, ["importer", str(path), *options])


def imported(app) -> list[tuple[str, int, str]]:
    with app.app_context():
        rows = db.session.scalars(
            select(Invoice).where(Invoice.source == InvoiceSource.IMPORT).order_by(Invoice.number)
        )
        return [(i.number, i.total_cents, i.events[0].actor) for i in rows]


def test_a_dry_run_then_the_import_then_the_same_file_again(app, invoices, tmp_path):  # noqa: F811
    nightly = tmp_path / "factures-2026-12-07.csv"
    # What the management software writes: Windows-1252.
    nightly.write_text(IMPORT.replace("Stage de natation", "Stage d'été"), encoding="cp1252")
    before = snapshot(app)
    dry = importer(app, nightly, "--essai")
    assert dry.exit_code == 0, dry.output
    out = dry.output.replace("\xa0", " ")
    assert "Fichier de factures lu (Windows-1252) : 3 ligne(s)." in out
    assert "2 création(s), 0 modification(s), 0 élément(s) inchangé(s)." in out
    assert "Facture 2026-11-002 de BERNARD Louise : 1 095,00 € (serait créé)" in out
    assert "Essai seulement (--essai) : rien n'a été enregistré." in out
    assert snapshot(app) == before
    done = importer(app, nightly)
    assert done.exit_code == 0, done.output
    assert "Facture 2026-11-001 de MARTIN Camille : 98,80 € (a été créé)" in done.output.replace("\xa0", " ")
    assert imported(app) == [
        ("2026-11-001", 9880, "import (ligne de commande)"),
        ("2026-11-002", 109500, "import (ligne de commande)"),
    ]
    after = snapshot(app)
    again = importer(app, nightly)
    assert again.exit_code == 0, again.output
    assert "0 création(s), 0 modification(s), 2 élément(s) inchangé(s)." in again.output
    assert "Rien n'a changé." in again.output
    assert snapshot(app) == after


def test_a_refused_file_exits_non_zero_in_french_and_writes_nothing(app, invoices, tmp_path):  # noqa: F811
    bad = tmp_path / "factures.csv"
    bad.write_text(
        IMPORT.replace("1 095,00", "-12,00").replace("Mercredis", "=HYPERLINK(1)"), encoding="utf-8"
    )
    before = snapshot(app)
    for options in ((), ("--essai",)):
        result = importer(app, bad, *options)
        assert result.exit_code == 1, result.output
        assert "Fichier refusé : aucune facture n'a été enregistrée." in result.output
        assert "formule" in result.output
    assert snapshot(app) == before
    negative = tmp_path / "negatif.csv"
    negative.write_text(IMPORT.replace("1 095,00", "-12,00"), encoding="utf-8")
    result = importer(app, negative)
    assert result.exit_code == 1
    assert "Ligne 4, colonne « prix_unitaire » : la cellule commence par « - »" in result.output
    negative.write_text(IMPORT.replace("1 095,00", "douze euros"), encoding="utf-8")
    result = importer(app, negative)
    assert result.exit_code == 1
    assert "Ligne 4 : colonne « prix_unitaire »" in result.output
    changed = tmp_path / "change.csv"
    changed.write_text(IMPORT, encoding="utf-8")
    assert importer(app, changed).exit_code == 0
    changed.write_text(IMPORT.replace("1 095,00", "1 096,00"), encoding="utf-8")
    result = importer(app, changed)
    assert result.exit_code == 1
    assert "a déjà été importée avec un autre contenu" in result.output
    missing = importer(app, tmp_path / "absent.csv")
    assert missing.exit_code == 2  # click: the file does not exist
