"""Forms as data through the studio's pages: a new démarche from a model, its forms built in the form
editor, published, filed by a family (with a document), an info loop, an agent's decision, the mails."""

from __future__ import annotations

import io
import re

import pytest
import time_machine
from sqlalchemy import select

from engine.models import HumanTask, HumanTaskState, ProcessInstance
from tests.fixtures.app import csrf_token, login
from tests.fixtures.integration import PDF, html, outbox, post_form, start_demarche, text
from web.extensions import db

KEY = "stationnement_resident"
NOW = "2026-12-07 09:00:00+00:00"
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
#: (type, fields of « Ajouter un champ ») in the order the analyst adds them.
FIELDS = [
    ("section", {"label": "Votre véhicule"}),
    (
        "text",
        {
            "label": "Immatriculation",
            "required": "y",
            "pattern": "[A-Z]{2}-[0-9]{3}-[A-Z]{2}",
            "pattern_message": "L'immatriculation s'écrit AB-123-CD.",
        },
    ),
    (
        "choice",
        {
            "label": "Type de véhicule",
            "required": "y",
            "widget": "radios",
            "choices": "voiture | Voiture particulière\nutilitaire | Véhicule utilitaire léger",
        },
    ),
    ("yesno", {"label": "Le véhicule est-il à votre nom ?", "required": "y"}),
    (
        "textarea",
        {
            "label": "Précisez le titulaire de la carte grise",
            "required": "y",
            "show_if_field": "le_vehicule_est_il_a_votre_nom",
            "show_if_equals": "non",
        },
    ),
    ("document", {"label": "Carte grise", "required": "y"}),
]


@pytest.fixture
def parking(app, make_user):
    return {
        "analyst": make_user("analyste", prenom="Ana", nom="Lyste"),
        "agent": make_user("agent", groups=("Stationnement",), prenom="Lina", nom="Roux"),
        "family": make_user("famille", prenom="Camille", nom="Martin"),
    }


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _errors(response) -> list[str]:
    doc = html(response)
    return [" ".join(t.split()) for t in doc.xpath("//*[contains(@class, 'error')]//text()") if t.strip()]


def build_and_publish(client) -> None:
    """What an analyst does: model, fields of the family's form, publish."""
    response = post_form(client, "/studio/nouvelle-demarche", MODEL)
    assert response.status_code == 302, text(response)[:2000]
    assert response.headers["Location"].endswith(f"/studio/{KEY}/formulaires")
    editor = f"/studio/{KEY}/formulaires/saisie"
    for kind, data in FIELDS:
        page = f"{editor}/champs/nouveau?type={kind}"
        response = client.post(page, data={**data, "type": kind, "csrf_token": csrf_token(client, page)})
        assert response.status_code == 302, (kind, _errors(response))
    listing = text(client.get(editor))
    assert "Carte grise — Document à joindre, obligatoire" in " ".join(listing.split())
    response = post_form(
        client, f"/studio/{KEY}", {"commentaire": "Première version"}, action=f"/studio/{KEY}/publier"
    )
    assert response.status_code == 302, text(response)[:3000]


def _open_task(app, lane):
    with app.app_context():
        return (
            db.session.execute(
                select(HumanTask).where(HumanTask.lane == lane, HumanTask.state == HumanTaskState.OPEN)
            )
            .scalar_one()
            .id
        )


@time_machine.travel(NOW, tick=False)
def test_a_demarche_built_in_the_studio_runs_end_to_end(app, parking):
    build_and_publish(_client(app, parking["analyst"]))
    family = _client(app, parking["family"])
    assert "Demande de carte de stationnement résident" in text(family.get("/demarches"))
    task_id = start_demarche(family, KEY)
    page = family.get(f"/taches/{task_id}")
    doc = html(page)
    assert doc.xpath("//h2[text()='Votre véhicule']")
    assert doc.xpath("//fieldset/legend[contains(., 'Type de véhicule')]")
    assert doc.xpath("//form[@enctype='multipart/form-data']")
    # Bad input: the pattern, the condition now required, the missing document; nothing typed is lost.
    bad = {"immatriculation": "AB123", "type_de_vehicule": "voiture", "le_vehicule_est_il_a_votre_nom": "non"}
    response = post_form(family, f"/taches/{task_id}", bad)
    assert response.status_code == 400
    body = text(response)
    raw = response.get_data(as_text=True)
    assert "L'immatriculation s'écrit AB-123-CD." in body
    assert "Renseignez « Précisez le titulaire de la carte grise » : ce champ est obligatoire." in body
    assert "Joignez « Carte grise » (PDF, JPEG ou PNG)." in body
    assert 'value="AB123"' in raw
    assert 'aria-invalid="true"' in raw
    good = {
        **bad,
        "immatriculation": "AB-123-CD",
        "le_vehicule_est_il_a_votre_nom": "oui",
        "precisez_le_titulaire_de_la_carte_grise": "typed but hidden",
        "carte_grise": (io.BytesIO(PDF), "cg.pdf"),
    }
    response = post_form(family, f"/taches/{task_id}", good)
    assert response.status_code == 302, text(response)[:3000]
    instance_id = int(re.search(r"/mes-demandes/(\d+)", response.headers["Location"]).group(1))
    with app.app_context():
        instance = db.session.get(ProcessInstance, instance_id)
        assert instance.status_label == "En cours d'instruction"
        assert instance.deadline_at is not None  # the maximum duration counts from the filing

    agent = _client(app, parking["agent"])
    agent_task = _open_task(app, "Stationnement")
    assert "AB-123-CD" in text(agent.get(f"/agents/dossiers/{instance_id}"))
    response = post_form(agent, f"/taches/{agent_task}", {"decision": "complement", "motif": ""})
    assert response.status_code == 400
    assert "Écrivez le message à la famille pour « Demander des compléments à la famille »" in text(response)
    response = post_form(
        agent, f"/taches/{agent_task}", {"decision": "complement", "motif": "Carte grise illisible."}
    )
    assert response.status_code == 302, text(response)[:2000]

    complement = _open_task(app, "Famille")
    response = post_form(
        family,
        f"/taches/{complement}",
        {"reponse": "La voici, plus nette.", "pieces": (io.BytesIO(PDF), "cg2.pdf")},
    )
    assert response.status_code == 302, text(response)[:2000]
    agent_task = _open_task(app, "Stationnement")
    response = post_form(
        agent, f"/taches/{agent_task}", {"decision": "acceptee", "motif": "Carte à retirer en mairie."}
    )
    assert response.status_code == 302, text(response)[:2000]

    with app.app_context():
        instance = db.session.get(ProcessInstance, instance_id)
        assert instance.status_label == "Acceptée"
    history = text(family.get(f"/mes-demandes/{instance_id}"))
    assert "Carte grise illisible." in history
    assert "Carte à retirer en mairie." in history
    subjects = [m.subject for m in outbox(app)]
    assert any("compléments" in s.lower() for s in subjects), subjects
    assert any("accept" in s.lower() for s in subjects), subjects
