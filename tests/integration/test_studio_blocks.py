"""« Ajouter un bloc réutilisable » (issue 17): the building blocks inserted into an EXISTING draft, around
the agents' task the analyst picks; the result validates, its scenario cases pass, it publishes, and the
family's complement loop, the notification and the reminder timers work in the published démarche."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from engine import api
from engine.models import HumanTask, HumanTaskState, ProcessInstance
from tests.fixtures.app import csrf_token
from tests.fixtures.integration import PDF, outbox, post_form, start_demarche, text
from tests.integration.test_formulaires import (
    FIELDS,
    KEY,
    MODEL,
    NOW,
    _client,
    _errors,
    _open_task,
    parking,  # noqa: F401  (fixture)
)
from web.accounts.services import lint_context
from web.extensions import db
from web.studio import scenario_services
from web.studio.models import StudioDraft

BLOCKS = f"/studio/{KEY}/blocs"
GOOD = {
    "immatriculation": "AB-123-CD",
    "type_de_vehicule": "voiture",
    "le_vehicule_est_il_a_votre_nom": "oui",
}
LOOP_CASE = {
    "nom": "Compléments puis acceptation",
    "etapes": [
        {"tache": "saisie", "donnees": GOOD},
        {"tache": "instruction", "donnees": {"decision": "complement", "motif": "La carte grise est floue."}},
        {"tache": "instruction_complement", "donnees": {"reponse": "La voici, nette.", "pieces": []}},
        {"tache": "instruction", "donnees": {"decision": "acceptee", "motif": ""}},
    ],
    "parcours": ["instruction", "instruction_complement", "instruction", "instruction_notifier_acceptation"],
    "statut_final": "completed",
    "libelle_final": "Acceptée",
    "courriels": ["compléments", "est acceptée"],
}


def _draft_xml(app, analyst_id: int) -> str:
    with app.app_context():
        return db.session.execute(
            select(StudioDraft.bpmn_xml).where(StudioDraft.key == KEY, StudioDraft.user_id == analyst_id)
        ).scalar_one()


def _bare_draft(client) -> None:
    """The model WITHOUT any block, and the family's form filled."""
    response = post_form(client, "/studio/nouvelle-demarche", {**MODEL, "blocks": []})
    assert response.status_code == 302, text(response)[:2000]
    editor = f"/studio/{KEY}/formulaires/saisie"
    for kind, data in FIELDS:
        page = f"{editor}/champs/nouveau?type={kind}"
        response = client.post(page, data={**data, "type": kind, "csrf_token": csrf_token(client, page)})
        assert response.status_code == 302, (kind, _errors(response))


def _timers(app, state: str | None = None) -> dict[str, str]:
    """The element_passage rows of the timers: {element: state} (the last row of each)."""
    from engine.passages import ElementPassage

    with app.app_context():
        rows = db.session.execute(
            select(ElementPassage.element_id, ElementPassage.state)
            .where(ElementPassage.kind == "timer")
            .order_by(ElementPassage.id)
        ).all()
    return {e: s for e, s in rows if state is None or s == state}


def _insert(client, block: str, task: str = "instruction"):
    return post_form(client, BLOCKS, {"block": block, "task": task})


def test_blocks_go_into_an_existing_draft_validate_and_publish(app, parking):  # noqa: F811  (fixture)
    with time_machine.travel(NOW, tick=False):
        analyst = _client(app, parking["analyst"])
        _bare_draft(analyst)
        page = text(analyst.get(BLOCKS))
        assert "Instruire la demande (couloir « Stationnement »)" in page
        assert "Saisir la demande" not in page  # the family's own task takes no block
        bare = _draft_xml(app, parking["analyst"].id)
        assert "instruction_complement" not in bare
        assert "tache_relancer" not in bare
        for block in ("notification", "complements", "relances"):  # any order
            response = _insert(analyst, block)
            assert response.status_code == 302, _errors(response)
        again = _insert(analyst, "relances")
        assert again.status_code == 400
        assert "Ce bloc est déjà inséré autour de « Instruire la demande »." in text(again)
        family_task = _insert(analyst, "relances", "saisie")
        assert family_task.status_code == 400
        xml = _draft_xml(app, parking["analyst"].id)
        with app.app_context():
            validation = api.validate_bpmn(xml.encode(), lint_context())
            assert validation.ok, [p.message for p in validation.problems]
            (outcomes,) = [
                t.definition["outcomes"] for t in api.task_forms(xml) if t.task_id == "instruction"
            ]
            assert "complement" in {o["value"] for o in outcomes}
            session = db.session()
            api.save_case(session, KEY, api.case_from_dict(LOOP_CASE), author="analyste")
            session.commit()
            (result,) = scenario_services.run_all(session, KEY, xml)
            assert result.ok, result.problems
        response = post_form(
            analyst, f"/studio/{KEY}", {"commentaire": "Blocs ajoutés"}, action=f"/studio/{KEY}/publier"
        )
        assert response.status_code == 302, text(response)[:3000]
        with app.app_context():
            assert api.studio_demarche(db.session(), KEY).current.version == 1


def test_a_block_on_a_task_without_decision_form_or_several_exits_is_refused_in_french(app, parking):  # noqa: F811  (fixture)
    analyst = _client(app, parking["analyst"])
    _bare_draft(analyst)
    xml = _draft_xml(app, parking["analyst"].id)
    coded = xml.replace("&quot;kind&quot;: &quot;decision&quot;", "&quot;kind&quot;: &quot;?&quot;")
    assert coded != xml
    with pytest.raises(api.BlockRefused, match="n'a pas de formulaire de décision"):
        api.with_block(coded, "complements", "instruction", KEY)
    no_duration = xml.replace('name="dureeMaximale" value="P30D"', 'name="dureeMaximale" value=""')
    assert no_duration != xml
    with pytest.raises(api.BlockRefused, match=r"^La démarche n'a pas de durée maximale"):
        api.with_block(no_duration, "relances", "instruction", KEY)
    before = _draft_xml(app, parking["analyst"].id)
    response = _insert(analyst, "complements", "inconnue")
    assert response.status_code == 400
    assert _draft_xml(app, parking["analyst"].id) == before


def test_the_inserted_blocks_run_in_the_published_demarche(app, parking):  # noqa: F811  (fixture)
    from web.scheduler import run_timers

    with time_machine.travel(NOW, tick=False):
        analyst = _client(app, parking["analyst"])
        _bare_draft(analyst)
        for block in ("complements", "relances", "notification"):
            assert _insert(analyst, block).status_code == 302
        response = post_form(
            analyst, f"/studio/{KEY}", {"commentaire": "Blocs ajoutés"}, action=f"/studio/{KEY}/publier"
        )
        assert response.status_code == 302, text(response)[:3000]
        family = _client(app, parking["family"])
        task_id = start_demarche(family, KEY)
        sent = {**GOOD, "carte_grise": (io.BytesIO(PDF), "cg.pdf")}
        assert post_form(family, f"/taches/{task_id}", sent).status_code == 302
        assert _timers(app) == {"instruction_relance": "open", "instruction_echeance": "open"}
        agent = _client(app, parking["agent"])
        ask = {"decision": "complement", "motif": "La carte grise est floue."}
        assert post_form(agent, f"/taches/{_open_task(app, 'Stationnement')}", ask).status_code == 302
        # The instruction is done: its timers will never fire (cancelled), the family's task waits.
        assert set(_timers(app).values()) == {"cancelled"}
        answer = {"reponse": "La voici, nette."}
        assert post_form(family, f"/taches/{_open_task(app, 'Famille')}", answer).status_code == 302
        assert sorted(_timers(app, "open")) == ["instruction_echeance", "instruction_relance"]  # armed again
        with app.app_context():
            deadline = db.session.execute(select(ProcessInstance.deadline_at)).scalar_one()
    with time_machine.travel(deadline - timedelta(days=6) + timedelta(minutes=1), tick=False):
        assert run_timers(app) == 1  # « Relancer les agents »
    with time_machine.travel(deadline + timedelta(minutes=1), tick=False):
        assert run_timers(app) == 1  # late: flagged, the family told
    with app.app_context():
        task = db.session.execute(
            select(HumanTask).where(HumanTask.lane == "Stationnement", HumanTask.state == HumanTaskState.OPEN)
        ).scalar_one()  # the second examination, after the family's answer
        assert task.reminded_at < task.escalated_at
    assert any("a pris du retard" in m.body_text for m in outbox(app))
