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


def _answers(response) -> dict[str, str]:
    """The page's answers as label -> value (its `dl`: « Données de la demande », « Ma demande »)."""
    return {
        " ".join(dt.text_content().split()): " ".join(dt.getnext().text_content().split())
        for dt in html(response).xpath("//dl/dt")
    }


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


def instance_data(instance_id):
    from engine import api
    from web.accounts.models import User

    instance = db.session.get(ProcessInstance, instance_id)
    requester = db.session.get(User, instance.requester_id)
    return api.instance_data(db.session(), instance, requester)


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
        data = instance_data(instance_id)
        assert data["immatriculation"] == "AB-123-CD"
        assert "typed but hidden" not in data.values()
        assert instance.deadline_at is not None  # the maximum duration counts from the filing

    agent = _client(app, parking["agent"])
    agent_task = _open_task(app, "Stationnement")
    # The choices by their labels, as the family read them, not the values the form stores: in the
    # agents' dossier and on the family's request page.
    for client, page in (
        (agent, f"/agents/dossiers/{instance_id}"),
        (family, f"/mes-demandes/{instance_id}"),
    ):
        shown = _answers(client.get(page))
        assert shown["Immatriculation"] == "AB-123-CD"
        assert shown["Type de véhicule"] == "Voiture particulière"
        assert shown["Le véhicule est-il à votre nom ?"] == "Oui"
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


def test_the_form_editor_moves_deletes_previews_and_refuses_bad_fields(app, parking):
    client = _client(app, parking["analyst"])
    assert post_form(client, "/studio/nouvelle-demarche", MODEL).status_code == 302
    again = post_form(client, "/studio/nouvelle-demarche", MODEL)  # the draft is never overwritten
    assert again.status_code == 400
    assert "Vous avez déjà un brouillon avec cet identifiant" in text(again)
    taken = post_form(client, "/studio/nouvelle-demarche", {**MODEL, "key": "changement_adresse"})
    assert "Une démarche porte déjà cet identifiant" in text(taken)
    editor = f"/studio/{KEY}/formulaires/saisie"
    for kind, data in FIELDS[1:4]:
        page = f"{editor}/champs/nouveau?type={kind}"
        client.post(page, data={**data, "type": kind, "csrf_token": csrf_token(client, page)})
    # Bad input: a choice list with no choice, a name already taken — French, naming the field; nothing saved.
    page = f"{editor}/champs/nouveau?type=choice"
    names = lambda: html(client.get(editor)).xpath("//li[@class='form-field-item']/@id")  # noqa: E731
    before = names()
    response = client.post(
        page,
        data={"label": "Couleur", "type": "choice", "choices": "", "csrf_token": csrf_token(client, page)},
    )
    assert response.status_code == 400
    assert "Champ « couleur » : la liste de choix est vide ; ajoutez au moins un choix" in text(response)
    response = client.post(
        page.replace("choice", "text"),
        data={
            "label": "Autre",
            "name": "immatriculation",
            "type": "text",
            "csrf_token": csrf_token(client, page),
        },
    )
    assert "Champ « immatriculation » : ce nom est déjà celui d'un autre champ du formulaire" in text(
        response
    )
    assert names() == before
    # Move « Type de véhicule » up, then delete « Immatriculation ».
    assert names() == [
        "champ-immatriculation",
        "champ-type_de_vehicule",
        "champ-le_vehicule_est_il_a_votre_nom",
    ]
    assert (
        post_form(client, editor, {"sens": "haut"}, action=f"{editor}/champs/1/deplacer").status_code == 302
    )
    assert names()[:2] == ["champ-type_de_vehicule", "champ-immatriculation"]
    assert post_form(client, editor, {}, action=f"{editor}/champs/1/supprimer").status_code == 302
    assert names() == ["champ-type_de_vehicule", "champ-le_vehicule_est_il_a_votre_nom"]
    # The modeler's « Formulaire » list offers the draft's data forms beside the coded ones.
    forms = client.get("/studio/choix.json").get_json()["forms"]
    assert {"stationnement_resident.saisie", "changement_adresse.saisie"} <= set(forms)
    # The preview is the family's page; sending it only validates.
    preview = client.get(f"{editor}/apercu")
    assert preview.status_code == 200
    assert html(preview).xpath("//fieldset/legend[contains(., 'Type de véhicule')]")
    response = post_form(
        client, f"{editor}/apercu", {"type_de_vehicule": "voiture", "le_vehicule_est_il_a_votre_nom": "oui"}
    )
    assert response.status_code == 200
    assert "Saisie valide" in text(response)
    # The decision: only accept and refuse (the diagram keeps its « complement » path).
    decision = f"/studio/{KEY}/formulaires/instruction"
    response = post_form(
        client,
        decision,
        {
            "issue_acceptee": "1",
            "issue_refusee": "1",
            "libelle_acceptee": "Délivrer la carte",
            "submit_label": "Enregistrer",
        },
        action=f"{decision}/issues",
    )
    assert response.status_code == 302
    assert 'value="Délivrer la carte"' in client.get(decision).get_data(as_text=True)


def test_the_demo_publishes_the_parking_permit_as_an_analyst_would(app):
    from sqlalchemy import func

    from web.cli import main
    from web.studio.models import StudioAudit, StudioDraft

    runner = app.test_cli_runner()
    assert runner.invoke(main, ["demo"], catch_exceptions=False).exit_code == 0
    assert runner.invoke(main, ["demo"], catch_exceptions=False).exit_code == 0  # idempotent
    with app.app_context():
        session = db.session()
        audit = session.execute(select(StudioAudit).where(StudioAudit.key == KEY)).scalars().all()
        assert [(a.actor, a.version) for a in audit] == [("analyste", 1)]
        assert (
            session.execute(
                select(func.count()).select_from(StudioDraft).where(StudioDraft.key == KEY)
            ).scalar()
            == 0
        )
        from web.accounts.services import find_by_login

        assert find_by_login(session, "stationnement").groups == frozenset({"Stationnement"})
    client = app.test_client()
    from web.accounts.services import find_by_login

    with app.app_context():
        family = find_by_login(db.session(), "famille")
        db.session.expunge(family)
    login(client, family, "demo-famille-2026")
    catalogue = text(client.get("/demarches"))
    assert "Demande de carte de stationnement résident" in catalogue


@time_machine.travel(NOW, tick=False)
def test_drafts_queue_and_export_work_for_a_data_form(app, parking):
    build_and_publish(_client(app, parking["analyst"]))
    family = _client(app, parking["family"])
    task_id = start_demarche(family, KEY)
    # « Enregistrer le brouillon »: kept unvalidated (never the file), then the page is pre-filled.
    response = post_form(family, f"/taches/{task_id}", {"action": "brouillon", "immatriculation": "AB-1"})
    assert response.status_code == 302
    page = family.get(f"/taches/{task_id}").get_data(as_text=True)
    assert 'value="AB-1"' in page
    good = {
        "immatriculation": "AB-123-CD",
        "type_de_vehicule": "utilitaire",
        "le_vehicule_est_il_a_votre_nom": "oui",
        "carte_grise": (io.BytesIO(PDF), "cg.pdf"),
    }
    assert post_form(family, f"/taches/{task_id}", good).status_code == 302
    agent = _client(app, parking["agent"])
    queue = text(agent.get("/agents/"))
    assert "Demande de carte de stationnement résident" in queue
    export = agent.get("/agents/export.csv").get_data(as_text=True)
    assert "Demande de carte de stationnement résident" in export
    # The dossier lists the document joined through the data form.
    with app.app_context():
        instance_id = db.session.execute(
            select(ProcessInstance.id).where(ProcessInstance.requester_id == parking["family"].id)
        ).scalar_one()
    assert "cg.pdf" in text(agent.get(f"/agents/dossiers/{instance_id}"))


def test_the_reminder_and_escalation_blocks_fire_like_the_coded_demarches(app, parking):
    from datetime import timedelta

    from web.scheduler import run_timers

    with time_machine.travel(NOW, tick=False):
        build_and_publish(_client(app, parking["analyst"]))
        family = _client(app, parking["family"])
        task_id = start_demarche(family, KEY)
        good = {
            "immatriculation": "AB-123-CD",
            "type_de_vehicule": "voiture",
            "le_vehicule_est_il_a_votre_nom": "oui",
            "carte_grise": (io.BytesIO(PDF), "cg.pdf"),
        }
        assert post_form(family, f"/taches/{task_id}", good).status_code == 302
        with app.app_context():
            deadline = db.session.execute(select(ProcessInstance.deadline_at)).scalar_one()
    with time_machine.travel(deadline - timedelta(days=6) + timedelta(minutes=1), tick=False):
        assert run_timers(app) == 1  # « Relancer les agents », 6 days before the maximum duration
    with time_machine.travel(deadline + timedelta(minutes=1), tick=False):
        assert run_timers(app) == 1  # « Signaler la demande en retard » and the family told
    with app.app_context():
        task = db.session.execute(select(HumanTask).where(HumanTask.lane == "Stationnement")).scalar_one()
        assert task.state == HumanTaskState.OPEN
        assert task.reminded_at < task.escalated_at
        assert (
            db.session.execute(select(ProcessInstance.status_label)).scalar_one() == "En cours d'instruction"
        )
    assert any("a pris du retard" in m.body_text for m in outbox(app))
