"""The catalogue (/demarches): rubriques, maximum duration, documents to provide, « Aide à la saisie »."""

from __future__ import annotations

import re

from engine import api
from tests.fixtures.app import WORKFLOWS
from tests.fixtures.integration import html, post_form, text
from web.app import lint_context
from web.extensions import db

COORDONNEES = ["Changement d'adresses postales", "Changement de téléphones", "Changement de courriels"]
XSS = "<script>alert('aide')</script>"


def cards(response) -> dict[str, list[str]]:
    """{rubrique: [démarche titles in page order]}."""
    page = html(response)
    return {
        section.xpath("string(h2)").strip(): [
            title.strip() for title in section.xpath(".//section/h3/text()")
        ]
        for section in page.xpath("//section[contains(@class, 'rubrique')]")
    }


def card(response, title: str):
    (found,) = html(response).xpath(f'//section[h3[normalize-space()="{title}"]]')
    return found


def test_coordonnees_offers_its_three_choices_in_the_seed_guide_order(client):
    response = client.get("/demarches")
    assert response.status_code == 200
    assert cards(response) == {"Coordonnées": COORDONNEES, "Enfance": ["Correction de mon dossier famille"]}
    page = text(response)
    assert "Création d'un espace personnel" not in page  # catalogue="non"
    assert "Oubli de mot de passe" not in page


def test_each_card_shows_duration_help_link_and_documents(client):
    response = client.get("/demarches")
    phones = card(response, "Changement de téléphones")
    content = " ".join(phones.text_content().split())
    assert "Durée maximum de la démarche : 15 jours" in content
    assert "Aucun document à fournir." in content
    (link,) = phones.xpath(".//a[starts-with(normalize-space(), 'Aide à la saisie')]")
    assert link.get("href") == "/demarches/changement_telephone/aide"
    # « Aide à la saisie » comes right under the maximum duration, as the seed guide says.
    paragraphs = [" ".join(p.text_content().split()) for p in phones.xpath("./p")]
    duration = next(i for i, p in enumerate(paragraphs) if p.startswith("Durée maximum"))
    assert paragraphs[duration + 1].startswith("Aide à la saisie")
    address = card(response, "Changement d'adresses postales")
    (piece,) = address.xpath(".//ul[@class='pieces']/li")
    assert piece.text_content().startswith("Un justificatif de domicile de moins de trois mois")


def test_a_visitor_is_asked_to_log_in_a_family_gets_start_buttons(client, people, client_for):
    assert text(client.get("/demarches")).count("Se connecter pour commencer") == 4
    famille = client_for(people["famille"])
    buttons = html(famille.get("/demarches")).xpath("//button[starts-with(normalize-space(), 'Commencer')]")
    assert [" ".join(b.text_content().split()) for b in buttons] == [
        f"Commencer la démarche : {title}" for title in [*COORDONNEES, "Correction de mon dossier famille"]
    ]


def test_the_help_page_renders_the_property_as_paragraphs(client):
    response = client.get("/demarches/changement_courriel/aide")
    assert response.status_code == 200
    page = html(response)
    assert page.xpath("string(//h1)") == "Changement de courriels"
    paragraphs = page.xpath("//div[@class='help-text']/p")
    assert len(paragraphs) == 3
    assert (
        paragraphs[1].text_content().startswith("Un lien de vérification est envoyé à la nouvelle adresse.")
    )
    assert "Durée maximum de la démarche : 1 jour" in text(response)


def test_help_pages_of_unknown_or_unlisted_demarches_are_404(client):
    assert client.get("/demarches/nulle_part/aide").status_code == 404
    assert client.get("/demarches/inscription/aide").status_code == 404


def test_a_demarche_published_later_appears_without_code(app, client):
    """An analyst deploys a new démarche: its rubrique, documents and documentation show up, escaped."""
    xml = (WORKFLOWS / "changement_telephone.bpmn").read_text(encoding="utf-8")
    xml = xml.replace('"changement_telephone"', '"signalement_enfance"')
    xml = xml.replace('name="Changement de téléphones"', 'name="Signaler un changement de garde"')
    xml = re.sub(r'<spiffworkflow:property name="(rubrique|ordre|aideSaisie)" value="[^"]*" />', "", xml)
    xml = xml.replace(
        '<spiffworkflow:property name="dureeMaximale" value="P15D" />',
        '<spiffworkflow:property name="dureeMaximale" value="P2M" />'
        '<spiffworkflow:property name="rubrique" value="Enfance" />'
        '<spiffworkflow:property name="piecesAFournir" '
        'value="Jugement de garde&#10;&lt;b&gt;Livret de famille&lt;/b&gt;" />',
    )
    escaped = XSS.replace("<", "&lt;").replace(">", "&gt;")
    xml = xml.replace(
        '<bpmn:process id="signalement_enfance" name="Signaler un changement de garde" isExecutable="true">',
        '<bpmn:process id="signalement_enfance" name="Signaler un changement de garde" isExecutable="true">'
        f"<bpmn:documentation>Premier paragraphe {escaped}.\n\nSecond paragraphe.</bpmn:documentation>",
    )
    with app.app_context():
        api.deploy(db.session(), xml.encode("utf-8"), "analyste", lint_context())
        db.session.commit()

    response = client.get("/demarches")
    assert cards(response) == {
        "Coordonnées": COORDONNEES,
        "Enfance": ["Correction de mon dossier famille", "Signaler un changement de garde"],
    }
    body = response.get_data(as_text=True)
    assert "&lt;b&gt;Livret de famille&lt;/b&gt;" in body  # shown as text, never as HTML
    assert "Durée maximum de la démarche : 2 mois" in text(response)
    assert '<a href="#rubrique-enfance">Enfance</a>' in body

    help_page = client.get("/demarches/signalement_enfance/aide")
    assert help_page.status_code == 200
    raw = help_page.get_data(as_text=True)
    assert XSS not in raw
    assert "&lt;script&gt;alert(&#39;aide&#39;)&lt;/script&gt;" in raw
    paragraphs = html(help_page).xpath("//div[@class='help-text']/p/text()")
    assert paragraphs == [f"Premier paragraphe {XSS}.", "Second paragraphe."]


def test_starting_shows_the_reference_and_the_maximum_duration(app, people, client_for):
    famille = client_for(people["famille"])
    response = post_form(famille, "/demarches", {}, action="/demarches/changement_telephone/commencer")
    assert response.status_code == 302
    page = text(famille.get(response.headers["Location"]))
    assert re.search(
        r"Votre demande DEM-\d{4}-\d{6} est commencée\. Durée maximum de la démarche : 15 jours\.", page
    ), page[:600]
    # The task page keeps showing it, with « Aide à la saisie » folded under it (no page change).
    (hint,) = html(famille.get(response.headers["Location"])).xpath("//main/p[@class='hint'][1]")
    assert " ".join(hint.text_content().split()) == "Durée maximum de la démarche : 15 jours"
    (details,) = html(famille.get(response.headers["Location"])).xpath("//details[@class='task-help']")
    assert details.xpath("string(summary)") == "Aide à la saisie"
    assert "Saisissez au moins un numéro" in details.text_content()
