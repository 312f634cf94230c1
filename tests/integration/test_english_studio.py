"""The analysts' studio in English (Accept-Language: en): home, a démarche's page, the form editor,
a refused publication, the waiting figures; French stays the default."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import time_machine

from tests.fixtures.app import csrf_token, login
from tests.fixtures.integration import file_address_change, html, post_form, text

DATA = Path(__file__).resolve().parents[1] / "data" / "studio"
NOW = "2026-12-07 09:00:00+00:00"
KEY = "stationnement_resident"
MODEL = {
    "title": "Demande de carte de stationnement résident",
    "key": KEY,
    "group": "Stationnement",
    "days": "30",
    "rubrique": "Stationnement",
    "description": "Demandez la carte qui vous permet de stationner près de chez vous au tarif résident.",
    "pieces": "La carte grise du véhicule à votre nom",
    "help_text": "Indiquez le véhicule et joignez sa carte grise.",
    "blocks": ["complements", "relances", "notification"],
}


@pytest.fixture
def analyst(app, make_user):
    make_user("agent", groups=("Stationnement",), prenom="Lina", nom="Roux")
    return make_user("analyste", prenom="Ana", nom="Lyste")


def _english(app, user):
    """The analyst's client (logged in under the frozen clock), whose browser asks for English."""
    client = app.test_client()
    login(client, user)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9"
    return client


def _words(response) -> str:
    return " ".join(text(response).split())


@time_machine.travel(NOW, tick=False)
def test_the_studio_home_and_a_demarche_page_in_english(app, analyst):
    studio = _english(app, analyst)
    home = studio.get("/studio/")
    assert home.status_code == 200
    assert html(home).get("lang") == "en"
    page = _words(home)
    for english in (
        "Procedure studio",
        "New procedure from a template",
        "Open a file from another tool",
        "BPMN 2.0 file (.bpmn or .xml, 2 MiB at most)",
        "Publication log",
    ):
        assert english in page
    for french in ("Nouvelle démarche à partir d'un modèle", "Ouvrir un fichier", "Journal des publications"):
        assert french not in page
    headers = [" ".join(th.text_content().split()) for th in html(home).xpath("//table[1]//th")]
    assert headers == ["Procedure", "Section", "Version in service", "Requests in progress", "Last change"]
    labels = html(home).xpath("//table[1]//td/@data-label")
    assert "Version in service" in labels
    assert "Version en service" not in labels

    demarche = studio.get("/studio/changement_adresse")
    assert html(demarche).get("lang") == "en"
    page = _words(demarche)
    for english in (
        "Version in service: v1, published by",
        "Your draft",
        "You have no draft for this procedure.",
        "Edit the procedure in the editor",
        "Published versions",
        "Test cases",
        "Where requests wait",
        "Move requests in progress to version 1",
    ):
        assert english in page
    for french in ("Versions publiées", "Votre brouillon", "Où les demandes attendent", "Cas de test"):
        assert french not in page


@time_machine.travel(NOW, tick=False)
def test_the_form_editor_in_english_with_an_error_in_english(app, analyst):
    studio = _english(app, analyst)
    created = post_form(studio, "/studio/nouvelle-demarche", MODEL)
    assert created.status_code == 302
    listing = studio.get(f"/studio/{KEY}/formulaires")
    assert "Procedure forms" in _words(listing)
    assert "Edit the form" in _words(listing)
    editor = f"/studio/{KEY}/formulaires/saisie"
    page = _words(studio.get(editor))
    for english in (
        "Add a field",
        "Field type",
        "Add a field of this type",
        "Form settings",
        "Send button text",
    ):
        assert english in page
    assert "Ajouter un champ" not in page
    assert "Réglages du formulaire" not in page

    new_field = f"{editor}/champs/nouveau?type=text"
    form = _words(studio.get(new_field))
    assert "Add a field:" in form
    assert "Technical name" in form
    assert "Nom technique" not in form
    refused = studio.post(
        new_field, data={"label": "", "type": "text", "csrf_token": csrf_token(studio, new_field)}
    )
    assert refused.status_code == 400
    page = _words(refused)
    assert "Enter the field label, as the family will read it." in page
    assert "Indiquez le libellé du champ" not in page

    blocks = studio.get(f"/studio/{KEY}/blocs")
    assert "Further information loop: after the decision" in _words(blocks)
    names = html(blocks).xpath(
        "//main//ul/li/strong/text()"
    )  # the block names in the select are the engine's
    assert names == ["Further information loop", "Reminder, then delay warning", "Telling the family"]

    saved = studio.post(
        new_field,
        data={"label": "Immatriculation", "type": "text", "csrf_token": csrf_token(studio, new_field)},
        follow_redirects=True,
    )
    assert "Field “Immatriculation” saved in your draft." in _words(saved)
    assert "1 field" in _words(studio.get(f"/studio/{KEY}/formulaires"))
    preview = _words(studio.get(f"{editor}/apercu"))
    assert "Studio preview: the form as the family will see it." in preview


@time_machine.travel(NOW, tick=False)
def test_a_refused_publication_and_a_missing_comment_in_english(app, analyst):
    studio = _english(app, analyst)
    data = (DATA / "camunda7_couloir_inconnu.bpmn").read_bytes()
    opened = studio.post(
        "/studio/importer",
        data={"fichier": (io.BytesIO(data), "travaux.bpmn"), "csrf_token": csrf_token(studio, "/studio/")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "The file is open as your draft: fix the problems listed, then publish." in _words(opened)
    assert "2 problems to fix before publishing:" in _words(opened)

    page = "/studio/demande_travaux"
    no_comment = post_form(studio, page, {"commentaire": ""}, action=f"{page}/publier")
    assert no_comment.status_code == 400
    words = _words(no_comment)
    assert html(no_comment).xpath("//title")[0].text.startswith("Error – ")
    assert "Nothing was published" in words
    assert "Say what changes in this version." in words
    assert "Indiquez ce qui change" not in words

    refused = post_form(studio, page, {"commentaire": "Import"}, action=f"{page}/publier")
    assert refused.status_code == 400
    words = _words(refused)
    assert "Publishing refused: 2 problems to fix" in words
    assert "La publication est refusée" not in words
    # The engine's messages are listed as they come (their English is the engine's catalogue).
    items = html(refused).xpath("//ol[@id='problemes-publication']/li")
    assert [li.get("data-element-id") for li in items] == ["Lane_urbanisme", "Activity_examen"]

    discarded = post_form(studio, page, {}, action=f"{page}/brouillon/abandonner")
    assert discarded.status_code == 302
    assert "Draft discarded." in _words(studio.get("/studio/"))


def test_the_waiting_page_gives_its_script_english_badges(app, people, client_for, analyst, clock):
    file_address_change(app, client_for(people["famille"]))
    clock.shift(3600)
    studio = _english(app, analyst)
    page = studio.get("/studio/changement_adresse/attente")
    assert page.status_code == 200
    words = _words(page)
    assert "Where requests wait" in words
    assert "The path of a request" in words
    assert "90 % within" in words
    assert "Où les demandes attendent" not in words
    rows = html(page).xpath("//table[@id='chiffres-attente']/tbody/tr")
    badges = {r.get("data-element-id"): r.get("data-badge") for r in rows}
    assert badges["saisie"].startswith("1 passed · 0 waiting · median ")
    assert badges["instruction"].startswith("0 passed · 1 waiting · median ")
    assert all("passées" not in badge for badge in badges.values())
    wrong = studio.get("/studio/changement_adresse/attente?du=2026-13-01")
    assert wrong.status_code == 400
    assert "The start date is not a date (dd/mm/yyyy)." in _words(wrong)


@time_machine.travel(NOW, tick=False)
def test_french_stays_the_default(app, make_user):
    client = app.test_client()
    login(client, make_user("analyste", prenom="Ana", nom="Lyste"))
    home = client.get("/studio/")
    assert html(home).get("lang") == "fr"
    assert "Nouvelle démarche à partir d'un modèle" in _words(home)
    assert "New procedure from a template" not in _words(home)
