"""A BPMN expression that fails or runs away: the step is rolled back, the request marked « en erreur ».

Through the portal: at « Commencer » (the start runs a script), on the family's form, and on an agent's
decision. Each time the answer is a French page (never a traceback), nothing of the failed step is
kept, the family's request page says « En erreur », and the agents' dossier shows the technical
French message.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.models import HistoryEvent, HumanTask, HumanTaskState, InstanceStatus, ProcessInstance, Visibility
from tests.fixtures.integration import decide, post_form, snapshot, start_demarche, text
from tests.fixtures.runaway import LONG_LOOP, MISSING, SQUARING, deploy, with_script, with_start_script
from web.extensions import db


def events(app, instance_id: int) -> list[HistoryEvent]:
    with app.app_context():
        rows = db.session.execute(
            select(HistoryEvent).where(HistoryEvent.instance_id == instance_id).order_by(HistoryEvent.id)
        ).scalars()
        return [db.session.merge(row) for row in rows]


@pytest.mark.parametrize(
    ("script", "reason"),
    [(SQUARING, "Nombre trop grand"), (LONG_LOOP, "Boucle trop longue"), (MISSING, "NameError")],
)
def test_a_failure_at_commencer_files_a_request_in_error(app, people, client_for, script, reason):
    deploy(app, with_start_script(script))
    famille = client_for(people["famille"])
    response = post_form(famille, "/demarches", {}, action="/demarches/changement_telephone/commencer")
    assert response.status_code == 500
    page = text(response)
    assert "Erreur dans la démarche" in page
    assert "Traceback" not in page
    assert reason not in page  # the technical message is for the agents
    with app.app_context():
        instance = db.session.execute(select(ProcessInstance)).scalar_one()
        assert instance.status == InstanceStatus.ERROR
        assert instance.status_label == "En erreur"
        assert instance.requester_id == people["famille"].id
        assert db.session.execute(select(HumanTask)).first() is None  # nothing of the start is kept
        instance_id = instance.id
    assert f'href="/mes-demandes/{instance_id}"' in response.get_data(as_text=True)
    internal = [e for e in events(app, instance_id) if e.visibility == Visibility.INTERNAL]
    assert len(internal) == 1
    assert internal[0].comment.startswith("Erreur dans l'élément « Calcul » (calcul) : ")
    assert reason in internal[0].comment
    request_page = text(famille.get(f"/mes-demandes/{instance_id}"))
    assert "En erreur" in request_page
    assert "Le service a été prévenu" in request_page
    assert reason not in request_page


def test_a_failure_on_the_family_form_keeps_nothing_of_the_step(app, people, client_for):
    deploy(app, with_script("flux_saisie_instruction", SQUARING))
    famille = client_for(people["famille"])
    task_id = start_demarche(famille, "changement_telephone")
    with app.app_context():
        instance_id = db.session.get(HumanTask, task_id).instance_id
    before = snapshot(app)
    response = post_form(famille, f"/taches/{task_id}", {"telephone": "01 23 45 67 89", "mobile": ""})
    assert response.status_code == 500
    assert "Erreur dans la démarche" in text(response)
    after = snapshot(app)
    # Only the failure itself was written: the status of the request and two timeline entries.
    assert after["human_task"] == before["human_task"]  # the family's task is still open
    assert len(after["history_event"]) == len(before["history_event"]) + 2
    with app.app_context():
        instance = db.session.get(ProcessInstance, instance_id)
        assert instance.status == InstanceStatus.ERROR
        serialization_after = instance.serialization
    old_row = next(row for row in before["process_instance"] if row[0] == instance_id)
    assert old_row[list(ProcessInstance.__table__.c.keys()).index("serialization")] == serialization_after


def test_a_failure_on_an_agent_decision_shows_in_the_dossier(app, people, client_for):
    deploy(app, with_script("flux_instruction_decision", MISSING))
    famille = client_for(people["famille"])
    task_id = start_demarche(famille, "changement_telephone")
    sent = post_form(famille, f"/taches/{task_id}", {"telephone": "01 23 45 67 89", "mobile": ""})
    assert sent.status_code == 302
    with app.app_context():
        agent_task = db.session.execute(
            select(HumanTask).where(HumanTask.lane == "Accueil", HumanTask.state == HumanTaskState.OPEN)
        ).scalar_one()
        agent_task_id, instance_id = agent_task.id, agent_task.instance_id
    agent = client_for(people["accueil"])
    response = decide(agent, agent_task_id, "acceptee")
    assert response.status_code == 500
    assert "Erreur dans la démarche" in text(response)
    with app.app_context():
        assert db.session.get(HumanTask, agent_task_id).state == HumanTaskState.OPEN
        assert db.session.get(ProcessInstance, instance_id).status == InstanceStatus.ERROR
    dossier = text(agent.get(f"/agents/dossiers/{instance_id}"))
    assert "Erreur dans le diagramme de la démarche" in dossier
    assert "Erreur dans l'élément « Calcul » (calcul)" in dossier
    assert "NameError" in dossier
    family_page = text(famille.get(f"/mes-demandes/{instance_id}"))
    assert "En erreur" in family_page
    assert "NameError" not in family_page


def test_an_instance_too_big_to_store_is_refused(app, people, client_for, monkeypatch):
    from engine import runtime

    monkeypatch.setattr(runtime, "MAX_INSTANCE_BYTES", 20_000)
    deploy(app, with_start_script("gros = []\nfor i in range(2000):\n    gros.append('donnée')"))
    famille = client_for(people["famille"])
    response = post_form(famille, "/demarches", {}, action="/demarches/changement_telephone/commencer")
    assert response.status_code == 500
    with app.app_context():
        instance = db.session.execute(select(ProcessInstance)).scalar_one()
        assert instance.status == InstanceStatus.ERROR
        comment = db.session.execute(
            select(HistoryEvent.comment).where(HistoryEvent.visibility == Visibility.INTERNAL)
        ).scalar_one()
    assert comment.startswith("Les données de la demande sont trop volumineuses : ")
    assert "(au plus 20000)" in comment


def test_an_endless_loop_of_automatic_tasks_is_stopped(app, people, client_for):
    # « Calcul » adds one, then a gateway sends the request back to « Calcul » until n is huge: each
    # evaluation is cheap, the loop is not; the engine's count of evaluations stops it.
    bpmn = with_start_script("compteur = 1").decode()
    loop = (
        '<bpmn:exclusiveGateway id="encore" name="Encore ?" default="flux_assez" />'
        '<bpmn:sequenceFlow id="flux_encore" sourceRef="encore" targetRef="calcul">'
        "<bpmn:conditionExpression>compteur &gt; 0</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )
    bpmn = bpmn.replace(
        '<bpmn:sequenceFlow id="flux_calcul" sourceRef="calcul" targetRef="saisie" />',
        (
            '<bpmn:sequenceFlow id="flux_calcul" sourceRef="calcul" targetRef="encore" />'
            + loop
            + '<bpmn:sequenceFlow id="flux_assez" sourceRef="encore" targetRef="saisie" />'
        ),
    )
    assert 'targetRef="encore"' in bpmn
    deploy(app, bpmn.encode())
    famille = client_for(people["famille"])
    response = post_form(famille, "/demarches", {}, action="/demarches/changement_telephone/commencer")
    assert response.status_code == 500
    with app.app_context():
        comment = db.session.execute(
            select(HistoryEvent.comment).where(HistoryEvent.visibility == Visibility.INTERNAL)
        ).scalar_one()
    assert "plus de 500 expressions évaluées sans attendre personne" in comment
