"""The family's pages and the facilities in English (Accept-Language: en), as the demo family, an agent of
the Enfance service and an agent of the facilities' group: `lang="en"`, the English text there and its
French gone; errors in English; the export's README in the family's language. French stays the default
(the other tests of these areas read French)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from flask.testing import FlaskClient

from tests.fixtures.app import csrf_token
from tests.fixtures.integration import html, post_form, text
from web.accounts.services import find_by_login
from web.extensions import db
from web.structures.models import Facility

pytestmark = pytest.mark.usefixtures("clock")

PASSWORDS = {
    "famille": "demo-famille-2026",
    "agent": "demo-agent-2026",
    "quartiers": "demo-quartiers-2026",
}


@pytest.fixture
def demo(app):
    """The demo data (`guichet demo`): the family, its record, children, documents, invoices, facilities."""
    from web.cli import main

    result = app.test_cli_runner().invoke(main, ["demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return app


def english(app, username: str | None = None) -> FlaskClient:
    """A client whose browser asks for English, logged in as a demo account when `username` is given."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9"
    if username:
        token = csrf_token(client, "/connexion")
        response = client.post(
            "/connexion",
            data={"username": username, "password": PASSWORDS[username], "csrf_token": token},
        )
        assert response.status_code == 302, text(response)[:300]
    return client


def page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    assert html(response).get("lang") == "en", path
    return text(response)


def in_english(content: str, present: list[str], absent: list[str]) -> None:
    missing = [words for words in present if words not in content]
    left = [words for words in absent if words in content]
    assert (missing, left) == ([], []), "missing English text, then French text left"


def test_the_family_dashboard_and_my_family_in_english(demo):
    family = english(demo, "famille")
    dashboard = page(family, "/")
    in_english(
        dashboard,
        [
            "Hello",
            "To do",
            "My children and their activities",
            "My activity bookings",
            "My invoices",
            "in your secure storage space",
            "Start a procedure",
            "The town’s facilities",
            "Town news",
            "SEE ALL NEWS",
        ],
        [
            "Votre tableau de bord",
            "Mes enfants et leurs activités",
            "Voir mes documents",
            "Faire une démarche",
            "Les structures de la ville",
            "VOIR TOUTES LES ACTUALITÉS",
            "espace de stockage sécurisé",
        ],
    )
    mine = page(family, "/ma-famille")
    in_english(
        mine,
        [
            "My family",
            "Family record: ",
            "Parents and carers",
            "My children",
            "Date of birth",
            "School year",
            "Is something wrong?",
            "Ask for a correction",
        ],
        [
            "Responsables",
            "Mes enfants",
            "Date de naissance",
            "Une information est fausse",
            "Demander une correction",
        ],
    )
    # The child's date of birth in the English form (« 14 Mar 2017 », not « 14/03/2017 »).
    assert "14 Mar 2017" in mine
    assert "14/03/2017" not in mine


def test_my_documents_in_english_with_an_upload_error(demo):
    family = english(demo, "famille")
    documents = page(family, "/mes-documents")
    in_english(
        documents,
        [
            "Your secure storage space",
            "Space used:",
            "Saved documents",
            "Valid until",
            "Added on",
            "Proof of address",
            "Expired",
            "Add a document",
            "Document type",
            "Accepted formats: PDF, JPEG or PNG.",
        ],
        [
            "Votre espace de stockage",
            "Place utilisée",
            "Documents enregistrés",
            "Valable jusqu'au",
            "Justificatif de domicile",
            "Ajouter un document",
            "Formats acceptés",
        ],
    )
    assert " MB" in documents
    assert " Mo" not in documents
    response = post_form(
        family,
        "/mes-documents",
        {"fichier": (io.BytesIO(b""), "vide.pdf"), "type_document": "Justificatif de domicile"},
    )
    assert response.status_code == 422
    assert html(response).get("lang") == "en"
    error = text(response)
    assert "The file “vide.pdf” is empty. Choose another file." in error
    assert "est vide" not in error
    first = html(family.get("/mes-documents")).xpath("//table//a/@href")[0]
    shown = page(family, first)
    in_english(
        shown,
        ["Format", "Download", "Rename or edit", "Delete this document", "Preview"],
        ["Télécharger", "Renommer ou modifier", "Supprimer ce document", "Aperçu"],
    )


def test_my_data_and_the_export_readme_in_english(demo):
    family = english(demo, "famille")
    with demo.app_context():
        user = find_by_login(db.session(), "famille")
        user.langue = "en"  # the account's language: the ZIP is written in it
        db.session.commit()
    mine = page(family, "/mes-donnees")
    in_english(
        mine,
        [
            "My data",
            "Download my data",
            "What the export contains",
            "Security log",
            "Close my account",
            "Your household’s record as the Children’s service knows it",
        ],
        ["Télécharger mes données", "Ce que contient l'export", "Journal de sécurité", "Clôturer mon compte"],
    )
    token = csrf_token(family, "/mes-donnees")
    asked = family.post("/mes-donnees/export", data={"csrf_token": token}, follow_redirects=True)
    assert "Your data is ready: download it below (once only)." in text(asked)
    form = html(asked).xpath("//form[contains(@action, '/mes-donnees/export/')]")[0]
    download = family.post(form.get("action"), data={"csrf_token": csrf_token(family, "/mes-donnees")})
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    assert "README.txt" in archive.namelist()
    assert "LISEZ-MOI.txt" not in archive.namelist()
    readme = archive.read("README.txt").decode()
    assert readme.startswith("Your personal data — ")
    for words in ("Security log", "My documents", "rows"):
        assert words in readme
    assert "Vos données personnelles" not in readme
    assert re.search(r"\(\d+ lignes?\)", readme) is None  # « (3 lignes) »: the counts are in English
    register = page(english(demo), "/donnees-personnelles")
    in_english(
        register,
        ["Data controller", "How long", "Security of the service and accounts"],
        ["Responsable du traitement", "Combien de temps"],
    )


def test_the_enfance_agent_reads_the_family_records_in_english(demo):
    agent = english(demo, "agent")
    records = page(agent, "/agents/familles")
    in_english(
        records,
        ["Family records", "Import a CSV file", "Search", "Case"],
        ["Importer un fichier CSV", "Nom du dossier, n° de dossier"],
    )
    first = html(agent.get("/agents/familles")).xpath("//table//a/@href")[0]
    record = page(agent, first)
    in_english(
        record,
        ["Record no. (software)", "Parents and carers", "Children", "Correct"],
        ["Responsables", "Émettre une clé"],
    )
    imported = post_form(
        agent, "/agents/familles/import", {"fichier": (io.BytesIO(b"x;y\n1;2\n"), "vide.txt")}
    )
    assert html(imported).get("lang") == "en"
    assert "Unknown column(s): “x”, “y”. Possible columns:" in text(imported)


def test_the_facilities_in_english_for_families_and_their_managers(demo):
    visitor = english(demo)
    listing = page(visitor, "/structures")
    in_english(
        listing,
        ["Town facilities", "Facility name", "All types", "Library, media library"],
        ["Structures de la ville", "Tous les types", "Médiathèque, bibliothèque"],
    )
    with demo.app_context():
        facility_id = db.session.query(Facility.id).order_by(Facility.id).first()[0]
    shown = page(visitor, f"/structures/{facility_id}")
    in_english(
        shown,
        ["Opening hours", "Monday", "Address and contact details", "See on OpenStreetMap"],
        ["Horaires d'ouverture", "Lundi", "Adresse et contact"],
    )
    manager = english(demo, "quartiers")
    manage = page(manager, "/agents/structures")
    in_english(
        manage,
        ["Manage facilities", "New facility", "Status", "Visible"],
        ["Nouvelle structure", "Aucune structure"],
    )
    edit = page(manager, f"/agents/structures/{facility_id}/modifier")
    in_english(
        edit,
        ["Facility name", "Opening hours", "Exceptional closures", "Save the changes"],
        ["Horaires d'ouverture", "Enregistrer les modifications"],
    )
    form = html(manager.get(f"/agents/structures/{facility_id}/modifier")).xpath(
        "//form[contains(@class,'facility-form')]"
    )[0]
    data = {
        field.name: field.value or "" for field in form.inputs if field.name and field.name != "csrf_token"
    }
    data.update({"lundi": "n'importe quand", "kind": data.get("kind") or "bibliotheque"})
    refused = post_form(manager, f"/agents/structures/{facility_id}/modifier", data)
    assert refused.status_code in (400, 422)
    message = text(refused)
    assert "“n'importe quand” is not a readable time range: write the ranges as" in message
    assert "n'est pas une plage horaire lisible" not in message
    assert "n'importe quand" in html(refused).xpath("//input[@name='lundi']/@value")[0]
