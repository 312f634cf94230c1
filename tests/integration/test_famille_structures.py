"""Activities held at a facility: the CSV « structure » column, the facility page, the family's record."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.fixtures.integration import html, row_counts, text
from tests.integration.test_famille_import import ACTIVITIES, do
from tests.integration.test_structures import facility
from web.extensions import db
from web.famille.importer import CsvImportError
from web.famille.models import Activity, FamilyRecord

WITH_FACILITY = (
    "activite_id;nom;type;service;lieu;structure\n"
    "CL-MERC;Centre de loisirs du mercredi;centre de loisirs;Enfance;Centre Mozart;centre de loisirs mozart\n"
    "CANT-JM;Cantine Jean Macé;restauration scolaire;Enfance;École Jean Macé;ECOLE ELEMENTAIRE JEAN-MACE\n"
    "CONS-EV;Éveil musical;conservatoire;Enfance;;\n"
)


def facilities_of(app):
    with app.app_context():
        return {
            a.external_id: a.facility.name if a.facility else None
            for a in db.session().scalars(select(Activity))
        }


@pytest.fixture
def places(app):
    return {
        "mozart": facility(app, "Centre de loisirs Mozart", "centre_loisirs", "Mozart"),
        "jean-mace": facility(app, "École élémentaire Jean-Macé", "ecole", "Centre"),
    }


def test_the_structure_column_links_activities_to_facilities_and_a_reimport_changes_nothing(app, places):
    report = do(app, WITH_FACILITY, dry_run=True)
    assert len(report.created) == 3
    assert facilities_of(app) == {}  # a dry run writes nothing
    do(app, WITH_FACILITY)
    assert facilities_of(app) == {
        "CL-MERC": "Centre de loisirs Mozart",
        "CANT-JM": "École élémentaire Jean-Macé",
        "CONS-EV": None,
    }
    again = do(app, WITH_FACILITY)
    assert again.nothing_to_do
    assert again.unchanged == 3

    moved = WITH_FACILITY.replace("ECOLE ELEMENTAIRE JEAN-MACE", "Centre de loisirs Mozart")
    report = do(app, moved, dry_run=True)
    assert report.changed == [
        "Activité CANT-JM « Cantine Jean Macé » : "
        "structure : « École élémentaire Jean-Macé » → « Centre de loisirs Mozart »"
    ]
    assert any("(serait modifié)" in line for line in report.lines())
    assert facilities_of(app)["CANT-JM"] == "École élémentaire Jean-Macé"
    do(app, moved)
    assert facilities_of(app)["CANT-JM"] == "Centre de loisirs Mozart"

    # A file without the column keeps the links; an empty cell removes the link.
    assert not any("structure" in line for line in do(app, ACTIVITIES).changed)
    assert facilities_of(app)["CL-MERC"] == "Centre de loisirs Mozart"
    report = do(app, moved.replace(";centre de loisirs mozart\n", ";\n"))
    assert (
        "Activité CL-MERC « Centre de loisirs du mercredi » : "
        "structure : « Centre de loisirs Mozart » → « vide »" in report.changed
    )
    assert facilities_of(app)["CL-MERC"] is None


def test_an_unknown_facility_is_refused_and_nothing_is_written(app, places):
    before = row_counts(app)
    bad = WITH_FACILITY.replace("ECOLE ELEMENTAIRE JEAN-MACE", "École Victor-Hugo")
    with pytest.raises(CsvImportError) as error:
        do(app, bad)
    assert error.value.errors == [
        "Ligne 3 : colonne « structure », la structure « École Victor-Hugo » est inconnue "
        "(nom exact d'une structure de la page « Structures »)."
    ]
    assert row_counts(app) == before


def test_the_facility_page_lists_its_activities_and_the_record_links_to_it(
    app, places, client, client_for, make_user
):
    do(app, WITH_FACILITY)
    do(
        app,
        "famille_id;famille_nom;enfant_id;enfant_nom;enfant_prenom;enfant_date_naissance;enfant_activites\n"
        "F-1;MARTIN Camille;E-1;MARTIN;Léa;14/03/2017;CANT-JM|CONS-EV\n",
    )
    page = html(client.get(f"/structures/{places['jean-mace']}"))
    assert page.xpath("//section[@aria-labelledby='activites']//li/text()") == [
        "Cantine Jean Macé – restauration scolaire (Enfance)"
    ]
    mozart = text(client.get(f"/structures/{places['mozart']}"))
    assert "Centre de loisirs du mercredi – centre de loisirs (Enfance)" in mozart
    assert "Éveil musical" not in mozart  # no facility: listed nowhere
    other = facility(app, "Gymnase Richet", "equipement_sportif", "Europe")
    assert "Activités proposées ici" not in text(client.get(f"/structures/{other}"))

    with app.app_context():
        record = db.session().scalars(select(FamilyRecord)).one().id
    agent = client_for(make_user("agent", groups=["Enfance"]))
    links = html(agent.get(f"/agents/familles/{record}")).xpath("//ul[@class='activity-list']//a")
    assert [(a.text, a.get("href")) for a in links] == [
        ("École élémentaire Jean-Macé", f"/structures/{places['jean-mace']}")
    ]
