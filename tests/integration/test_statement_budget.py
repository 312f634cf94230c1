"""SQL statements per step of a démarche, through the real views on the real SQLite database (issue 18).

A count, not a timing: each POST of the address change — the family's « commencer », the family's
form with its justificatif, the agent's decision — must stay within its documented budget
(docs/performance.md, « Statement budgets »). A change that adds a query per step (an eager
collection, a forgotten prebuilt statement, a per-row INSERT) fails here with the statements listed.
The reads of the pages before each POST (CSRF tokens) are outside the counts.
"""

from __future__ import annotations

import pytest

from engine.db import utcnow
from engine.models import HumanTask, HumanTaskState, ReferenceCounter
from tests.fixtures.app import csrf_token
from tests.fixtures.integration import ADDRESS, proof
from tests.fixtures.work import kinds, statements
from web.extensions import db

pytestmark = pytest.mark.usefixtures("clock")

#: Statements run by the cursor per request (the session's COMMIT is not one), measured 2026-12-07:
#: the budget is the count today, so any new statement in a step is seen and decided on. Since the
#: waiting figures of timers and automatic steps (engine/passages.py): + 1 INSERT of element_passage
#: in the form's step (its timers armed), + 1 INSERT and 1 UPDATE in the decision's (steps passed,
#: timers closed). Web pass 2 (h-webcpu): the family's form reads the request's services once for the
#: acknowledgement (- 1 SELECT human_task.lane), and the mails no longer run the pages' context
#: processors, whose « Activités » menu entry read `activity` 3 times in the decision (- 3).
#: Engine pass 2 (h-enginecpu): « commencer » 14 → 11 (the reference taken by one UPDATE … RETURNING
#: once the year's counter row exists, a new instance's inbox not read back), and 1 fewer in each
#: completion (the instance's lock reads its columns back by RETURNING instead of a SELECT).
#: « commencer » 11 → 10: the year's counter row is locked by one UPDATE, made (INSERT … ON CONFLICT)
#: only when the UPDATE finds no row, at the first start of a year.
#: The form 18 → 17: the task read to build the form stays in the identity map for its completion
#: (`get_task` pins it; the map holds weak references, and the task was read a second time).
BUDGET = {"commencer": 10, "saisie": 17, "decision": 17}


def counted(app, client, path: str, data: dict) -> tuple[int, list[str]]:
    with statements(app) as seen:
        response = client.post(path, data=data)
    return response.status_code, list(seen)


def check(step: str, seen: list[str]) -> None:
    budget = BUDGET[step]
    assert len(seen) <= budget, f"{step}: {len(seen)} statements (budget {budget}):\n{kinds(seen)}"


def test_an_address_change_stays_within_its_statement_budget(app, people, client_for):
    famille = client_for(people["famille"])
    accueil = client_for(people["accueil"])
    with app.app_context():  # the year has had requests already: its reference counter exists
        db.session.add(ReferenceCounter(year=utcnow().year, last_number=41))
        db.session.commit()
    token = csrf_token(famille, "/demarches")
    status, seen = counted(app, famille, "/demarches/changement_adresse/commencer", {"csrf_token": token})
    assert status == 302
    check("commencer", seen)
    counts = {"commencer": len(seen)}

    with app.app_context():
        (task_id,) = db.session.query(HumanTask.id).filter_by(state=HumanTaskState.OPEN).one()
    page = f"/taches/{task_id}"
    data = {**ADDRESS, **proof(), "csrf_token": csrf_token(famille, page)}
    status, seen = counted(app, famille, page, data)
    assert status == 302
    check("saisie", seen)
    counts["saisie"] = len(seen)

    with app.app_context():
        (agent_task,) = db.session.query(HumanTask.id).filter_by(state=HumanTaskState.OPEN).one()
    page = f"/taches/{agent_task}"
    decision = {"decision": "acceptee", "motif": "", "commentaire_interne": ""}
    status, seen = counted(app, accueil, page, {**decision, "csrf_token": csrf_token(accueil, page)})
    assert status == 302
    check("decision", seen)
    counts["decision"] = len(seen)
    with app.app_context():
        assert db.session.get(HumanTask, agent_task).state == HumanTaskState.COMPLETED
    print("statements per step:", counts)
