"""Script safety on publish (issue 17, point 7), through the studio.

Issue 11 built the allowlist, the deploy-time checks and the run-time budgets (tests/unit/
test_script_budget.py, test_script_failures.py, test_runaway_live.py). Here: a studio publish refuses
every forbidden expression with a French message naming the element; a runaway that passes the checks
(`x = x * x` in a loop) is caught by the démarche's scenario cases before it is published; and a loop
made only of gateways and events (no expression to count) stops its request with a French error
instead of leaving it stalled.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import api
from engine.errors import ScriptError
from engine.models import ProcessDefinition
from tests.fixtures.app import csrf_token, login
from tests.fixtures.integration import text
from tests.fixtures.runaway import SQUARING, with_script
from tests.fixtures.versions import HEAD, store
from web.extensions import db

KEY = "changement_telephone"
FORBIDDEN = [
    ("__import__('os').system('id')", "calcul"),
    ("open('/etc/passwd').read()", "calcul"),
    ("().__class__.__bases__[0].__subclasses__()", "calcul"),
    ("x = 10 ** 10 ** 10", "calcul"),
]


@pytest.fixture
def studio(app, make_user):
    client = app.test_client()
    login(client, make_user("analyste"))
    return client


def _publish(client, bpmn: bytes):
    page = f"/studio/{KEY}/editeur"
    saved = client.post(
        f"/studio/{KEY}/brouillon", data={"bpmn": bpmn.decode(), "csrf_token": csrf_token(client, page)}
    )
    assert saved.status_code == 302
    return client.post(
        f"/studio/{KEY}/publier",
        data={"commentaire": "Calcul", "csrf_token": csrf_token(client, f"/studio/{KEY}")},
    )


def _versions(app) -> int:
    with app.app_context():
        return db.session.execute(
            select(func.count()).select_from(ProcessDefinition).where(ProcessDefinition.key == KEY)
        ).scalar_one()


@pytest.mark.parametrize(("script", "element"), FORBIDDEN)
def test_a_forbidden_expression_is_refused_at_publish_in_french(app, studio, script, element):
    response = _publish(studio, with_script("flux_saisie_instruction", script))
    assert response.status_code == 400
    page = text(response)
    assert "La publication est refusée" in page
    assert element in page
    assert "Traceback" not in page
    assert _versions(app) == 1


def test_a_runaway_loop_that_passes_the_checks_is_caught_by_the_scenario_cases(app, studio):
    response = _publish(studio, with_script("flux_saisie_instruction", SQUARING))
    assert response.status_code == 400
    page = text(response)
    assert "2 cas de test échouent sur ce brouillon." in page
    assert "Erreur dans l'élément « Calcul » (calcul)" in page
    assert "Nombre trop grand" in page
    assert _versions(app) == 1


LOOP = (
    HEAD.format(key="boucle_sans_fin")
    + """<bpmn:process id="boucle_sans_fin" isExecutable="true">
<bpmn:startEvent id="debut" /><bpmn:exclusiveGateway id="g" default="f2" />
<bpmn:intermediateThrowEvent id="rien" name="Rien" /><bpmn:endEvent id="fin" />
<bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="g" />
<bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="rien" />
<bpmn:sequenceFlow id="f3" sourceRef="rien" targetRef="g" />
</bpmn:process></bpmn:definitions>"""
)


def test_a_loop_of_gateways_and_events_fails_its_request_in_french(app, session, people):
    family = people["famille"]
    store(session, "boucle_sans_fin", LOOP)
    session.commit()
    with pytest.raises(ScriptError) as raised:
        api.start(session, "boucle_sans_fin", family)
    assert "plus de 900 éléments parcourus sans attendre personne" in raised.value.message
    assert "Dernier élément : « " in raised.value.message
    session.rollback()
