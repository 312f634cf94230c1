"""CSV import of activities and family records: report, idempotence, one transaction, bad files."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.fixtures.integration import row_counts
from web.cli import main
from web.extensions import db
from web.famille.importer import CsvImportError, run
from web.famille.models import Activity, Child, FamilyRecord

ACTIVITIES = (
    "activite_id;nom;type;service;lieu\n"
    "CL-MERC;Centre de loisirs du mercredi;centre de loisirs;Enfance;Centre Mozart\n"
    "CANT-JM;Cantine Jean Macé;restauration scolaire;Enfance;École Jean Macé\n"
    "CONS-EV;Éveil musical;conservatoire;Enfance;Conservatoire\n"
)
HEADER = (
    "famille_id;famille_nom;adresse;responsable1_nom;responsable1_prenom;responsable1_courriel;"
    "responsable1_telephone;enfant_id;enfant_nom;enfant_prenom;enfant_date_naissance;enfant_ecole;"
    "enfant_classe;enfant_services;enfant_activites\n"
)
MARTIN = "F-1;MARTIN Camille;3 rue des Lilas;MARTIN;Camille;camille@example.test;+33 6 12 34 56 78;"
FAMILIES = (
    HEADER
    + MARTIN
    + "E-1;MARTIN;Léa;14/03/2017;École Jean Macé;CE2;Enfance;CANT-JM|CL-MERC\n"
    + MARTIN
    + "E-2;MARTIN;Hugo;2021-09-02;École Rabelais;MS;Enfance;CONS-EV\n"
    + "F-2;BERNARD Louise;;BERNARD;Louise;;;;;;;;;;\n"
)


def counts(app):
    return {
        k: v for k, v in row_counts(app).items() if k in {"activity", "family_record", "child", "enrolment"}
    }


def do(app, content, dry_run=False):
    with app.app_context():
        session = db.session()
        try:
            report = run(session, content.encode() if isinstance(content, str) else content, dry_run=dry_run)
        except CsvImportError:
            session.rollback()
            raise
        session.commit()
        return report


def test_activities_then_families_are_imported_and_a_reimport_changes_nothing(app):
    report = do(app, ACTIVITIES)
    assert report.kind == "activités"
    assert len(report.created) == 3
    report = do(app, FAMILIES)
    assert report.kind == "familles"
    assert "Dossier famille F-1 « MARTIN Camille »" in report.created
    assert "Enfant E-1 « Léa MARTIN »" in report.created
    assert counts(app) == {"activity": 3, "family_record": 2, "child": 2, "enrolment": 3}
    with app.app_context():
        lea = db.session.scalars(select(Child).where(Child.external_id == "E-1")).one()
        assert (lea.school, lea.class_name, lea.birth_date.isoformat()) == (
            "École Jean Macé",
            "CE2",
            "2017-03-14",
        )
        assert sorted(e.activity.external_id for e in lea.enrolments) == ["CANT-JM", "CL-MERC"]
        assert lea.services == ["Enfance"]
        assert [m.full_name for m in lea.record.members] == ["Camille MARTIN"]

    again = do(app, FAMILIES)
    assert again.nothing_to_do
    assert "Rien n'a changé." in again.lines()
    assert counts(app) == {"activity": 3, "family_record": 2, "child": 2, "enrolment": 3}


def test_a_dry_run_reports_the_changes_in_french_and_writes_nothing(app):
    do(app, ACTIVITIES)
    do(app, FAMILIES)
    before = counts(app)
    changed = FAMILIES.replace(";CE2;", ";CM1;").replace("CANT-JM|CL-MERC", "CANT-JM")
    report = do(app, changed, dry_run=True)
    (line,) = [c for c in report.changed if c.startswith("Enfant E-1")]
    assert "classe : « CE2 » → « CM1 »" in line
    assert "désinscrit de « Centre de loisirs du mercredi »" in line
    assert any("serait" in text for text in report.lines())
    assert counts(app) == before
    with app.app_context():
        assert db.session.scalars(select(Child.class_name).where(Child.external_id == "E-1")).one() == "CE2"
    report = do(app, changed)
    with app.app_context():
        assert db.session.scalars(select(Child.class_name).where(Child.external_id == "E-1")).one() == "CM1"
    assert counts(app)["enrolment"] == before["enrolment"] - 1


def expect_refused(app, content, *fragments):
    before = counts(app)
    with pytest.raises(CsvImportError) as caught:
        do(app, content)
    message = "\n".join(caught.value.errors)
    for fragment in fragments:
        assert fragment in message, message
    assert counts(app) == before  # nothing half-imported
    return message


def test_a_duplicate_child_refuses_the_whole_file(app):
    do(app, ACTIVITIES)
    duplicate = FAMILIES + MARTIN + "E-1;MARTIN;Léa;14/03/2017;École Jean Macé;CE2;Enfance;\n"
    expect_refused(app, duplicate, "Ligne 5 : l'enfant « E-1 » figure déjà ligne 2 (enfant en double).")
    same_child_new_id = FAMILIES + MARTIN + "E-9;MARTIN;Léa;14/03/2017;École Jean Macé;CE2;Enfance;\n"
    expect_refused(app, same_child_new_id, "sous un autre identifiant (enfant en double)")
    assert counts(app)["family_record"] == 0  # the good rows before the bad one were not written either


def test_unknown_and_missing_columns_are_named(app):
    message = expect_refused(
        app,
        "famille_id;nom_famille;couleur\nF-1;X;bleu\n",
        "« nom_famille »",
        "« couleur »",
        "« famille_nom »",
    )
    assert "Colonnes possibles" in message


def test_a_malformed_csv_gets_a_french_message(app):
    expect_refused(app, HEADER + "F-1;MARTIN;trop;peu\n", "Ligne 2 : 4 colonne(s) au lieu de 15")
    expect_refused(app, HEADER + 'F-1;"MARTIN;' + ";" * 13 + "\n", "mal formé")
    expect_refused(app, "", "Le fichier est vide")
    expect_refused(app, ACTIVITIES + "X-1;Judo;arts martiaux;Sports;\n", "type « arts martiaux » inconnu")
    expect_refused(app, HEADER + MARTIN + "E-1;MARTIN;Léa;31/02/2017;;;;\n", "31/02/2017")


def test_an_unknown_activity_is_refused(app):
    expect_refused(
        app, FAMILIES, "l'activité « CANT-JM » est inconnue : importez d'abord le fichier des activités"
    )


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x")', "@SUM(A1)", "-2+3", "+cmd|' /C calc'!A0"])
def test_a_formula_in_a_cell_is_refused(app, cell):
    content = ACTIVITIES.replace("Centre Mozart", cell)
    expect_refused(app, content, "comme une formule de tableur ; elle est refusée")


def test_a_phone_number_with_a_plus_is_not_a_formula(app):
    do(app, ACTIVITIES)
    do(app, FAMILIES)  # responsable1_telephone is « +33 6 12 34 56 78 »


def test_phones_are_stored_as_the_agents_form_stores_them_and_a_reimport_changes_nothing(app):
    from web.famille.models import FamilyMember

    do(app, ACTIVITIES)
    do(app, FAMILIES)  # « +33 6 12 34 56 78 »: stored in E.164, as the correction form does
    with app.app_context():
        phones = db.session.execute(select(FamilyMember.phone).where(FamilyMember.phone.is_not(None)))
        assert set(phones.scalars()) == {"+33612345678"}
    report = do(app, FAMILIES)
    assert not report.changed


def test_encodings_utf8_with_bom_and_windows_1252_are_read_others_refused(app):
    report = do(app, b"\xef\xbb\xbf" + ACTIVITIES.encode("utf-8"))
    assert report.encoding == "UTF-8"
    report = do(app, ACTIVITIES.replace("CL-MERC", "CL-2").encode("cp1252"), dry_run=True)
    assert report.encoding == "Windows-1252"
    with app.app_context():
        assert (
            db.session.scalar(select(Activity.name).where(Activity.external_id == "CANT-JM"))
            == "Cantine Jean Macé"
        )
    expect_refused(app, ACTIVITIES.encode("utf-16"), "ni en UTF-8 ni en Windows-1252")
    expect_refused(app, ACTIVITIES.encode("utf-8") + b"\x81\x8d", "ni en UTF-8 ni en Windows-1252")


def test_a_child_cannot_move_to_another_household_by_import(app):
    do(app, ACTIVITIES)
    do(app, FAMILIES)
    moved = HEADER + "F-2;BERNARD Louise;;BERNARD;Louise;;;E-1;MARTIN;Léa;14/03/2017;;;;\n"
    expect_refused(app, moved, "est déjà dans le dossier de la famille « F-1 »")


def test_the_command_imports_with_a_dry_run_first(app, tmp_path):
    runner = app.test_cli_runner()
    activities = tmp_path / "activites.csv"
    activities.write_text(ACTIVITIES, encoding="utf-8")
    families = tmp_path / "familles.csv"
    families.write_text(FAMILIES, encoding="utf-8")
    assert runner.invoke(main, ["famille", "importer", str(activities)]).exit_code == 0
    trial = runner.invoke(main, ["famille", "importer", str(families), "--dry-run"])
    assert trial.exit_code == 0, trial.output
    assert "Dossier famille F-1 « MARTIN Camille » (serait créé)" in trial.output
    assert "rien n'a été enregistré" in trial.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FamilyRecord)) == 0
    done = runner.invoke(main, ["famille", "importer", str(families)])
    assert done.exit_code == 0, done.output
    assert "(a été créé)" in done.output
    families.write_text(FAMILIES + "F-3;;;;;;;;;;;;;;\n", encoding="utf-8")
    refused = runner.invoke(main, ["famille", "importer", str(families)])
    assert refused.exit_code == 1
    assert "Ligne 5 : la colonne « famille_nom » est vide." in refused.output
    assert "Import refusé : rien n'a été enregistré." in refused.output


def test_a_new_household_is_reported_once_as_created_not_also_as_changed(app):
    do(app, ACTIVITIES)
    report = do(app, FAMILIES)
    assert not [line for line in report.changed if line.startswith("Dossier famille")]
