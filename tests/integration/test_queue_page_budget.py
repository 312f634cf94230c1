"""The agents' queue page (GET /agents/), the agents' most requested page: its SQL statement budget,
its filter's choices right after a démarche is deployed by another app process, and its request
log line. Counts, not timings (docs/performance.md, « The agents' queue page, CPU (h-qpage) »).
"""

from __future__ import annotations

import logging
import re

import pytest

from engine import api
from tests.fixtures.app import WORKFLOWS
from tests.fixtures.integration import file_requests, html
from tests.fixtures.work import kinds, statements
from web.app import lint_context
from web.extensions import db

pytestmark = pytest.mark.usefixtures("clock")

#: Statements of GET /agents/ for an Accueil agent, measured 2026-12-07 (h-qpage): the account and
#: its groups (Flask-Login), the definitions' small columns (the filter's démarches and statuses),
#: the tabs' counts with « En attente de la famille », the page's ids, its rows, the saved filters,
#: the « Activités » menu entry. Was 11: the démarches and the statuses read apart (ORM objects for
#: the first), the waiting count apart from the tabs', the account read again after the commit
#: for the request's log line.
BUDGET = 8


def test_the_queue_page_stays_within_its_statement_budget(app, people, client_for):
    ids = file_requests(app, people["famille"], 3)
    with app.app_context():
        api.claim(db.session(), ids[0], db.session.get(type(people["accueil"]), people["accueil"].id))
        db.session.commit()
    agent = client_for(people["accueil"])
    assert agent.get("/agents/").status_code == 200  # the process's caches of the definitions filled
    with statements(app) as seen:
        response = agent.get("/agents/")
    assert response.status_code == 200
    page = html(response)
    assert len(page.xpath("//table[contains(@class,'queue-table')]/tbody/tr")) == 3
    assert len(page.xpath("//input[@name='taches']")) == 2  # the claimed one has no checkbox
    assert len(seen) <= BUDGET, f"GET /agents/: {len(seen)} statements (budget {BUDGET}):\n{kinds(seen)}"

    file_requests(app, people["famille"], 3)  # more rows, not more statements
    with statements(app) as more:
        response = agent.get("/agents/?tri=recue&ordre=asc")
    assert len(html(response).xpath("//table[contains(@class,'queue-table')]/tbody/tr")) == 6
    assert len(more) == len(seen), kinds(more)


def options(response, name: str) -> dict[str, str]:
    return {
        o.get("value"): o.text_content() for o in html(response).xpath(f"//select[@name='{name}']/option")
    }


def test_a_demarche_deployed_by_another_process_is_in_the_filter_at_the_next_page(
    app, app_factory, people, client_for
):
    """A second app on the same database stands for another gunicorn worker (or the CLI): what it
    deploys is in this app's filter at the next page, a new version with its new title and status."""
    agent = client_for(people["accueil"])
    before = agent.get("/agents/")
    demarches = options(before, "demarche")
    assert demarches["changement_telephone"] == "Changement de téléphones"
    assert "signalement_enfance" not in demarches
    assert "mot_de_passe_oublie" not in demarches  # it erases its data at the end
    assert "inscription" not in demarches
    assert "En cours d'examen" not in options(before, "statut")

    original = (WORKFLOWS / "changement_telephone.bpmn").read_text(encoding="utf-8")
    new_demarche = original.replace('"changement_telephone"', '"signalement_enfance"').replace(
        'name="Changement de téléphones"', 'name="Signaler un changement de garde"'
    )
    new_version = original.replace('name="Changement de téléphones"', 'name="Changer de téléphone"')
    new_version = new_version.replace(
        '<spiffworkflow:property name="statusLabel" value="En cours d\'instruction" />',
        '<spiffworkflow:property name="statusLabel" value="En cours d\'examen" />',
    )
    other = app_factory()
    with other.app_context():
        for xml in (new_demarche, new_version):
            api.deploy(db.session(), xml.encode("utf-8"), "analyste", lint_context())
        db.session.commit()
        db.session.remove()

    after = agent.get("/agents/")
    demarches = options(after, "demarche")
    assert demarches["signalement_enfance"] == "Signaler un changement de garde"
    assert demarches["changement_telephone"] == "Changer de téléphone"  # the latest version's title
    titles = [title for value, title in demarches.items() if value]
    assert titles == sorted(titles)
    assert "En cours d'examen" in options(after, "statut")
    filtered = agent.get("/agents/?demarche=signalement_enfance")
    assert filtered.status_code == 200  # an accepted choice, not « pas dans la liste »


def test_the_request_log_names_the_agent_without_reading_the_account_again(app, people, client_for, caplog):
    agent = client_for(people["accueil"])
    with caplog.at_level(logging.INFO, logger="guichet.requete"), statements(app) as seen:
        assert agent.get("/agents/").status_code == 200
    (record,) = [r for r in caplog.records if r.name == "guichet.requete" and r.path.startswith("/agents/")]
    assert record.user_id == people["accueil"].id
    accounts = [s for s in seen if re.search(r"FROM user_account\b", s) and "agent_group" not in s]
    assert len(accounts) == 1, accounts  # Flask-Login's load only


def test_the_filter_fields_kept_by_the_process_follow_the_url_and_the_language(app, people, client_for):
    """The filter's fields are kept rendered per language, values, errors and choices
    (queue_render.queue_filter_fields): each URL and language still gets its own."""
    agent = client_for(people["accueil"])

    def selected(response, name):
        return html(response).xpath(f"//select[@name='{name}']/option[@selected]/@value")

    def label(response, name):
        return html(response).xpath(f"normalize-space(//label[@for='{name}'])")

    for _ in range(2):  # the second time from the kept fields
        assert selected(agent.get("/agents/?tri=echeance"), "tri") == ["echeance"]
        assert selected(agent.get("/agents/?tri=reference&ordre=desc"), "ordre") == ["desc"]
        assert selected(agent.get("/agents/?tri=reference"), "tri") == ["reference"]
        assert label(agent.get("/agents/?tri=reference"), "tri") == "Trier par"
        english = agent.get("/agents/?tri=reference", headers={"Accept-Language": "en"})
        assert label(english, "tri") == "Sort by"
        refused = agent.get("/agents/?tri=zzz")
        assert refused.status_code == 400
        assert "Ce tri n'est pas proposé." in html(refused).xpath("string(//p[@id='tri-erreur'])")
        refused = agent.get("/agents/?tri=zzz", headers={"Accept-Language": "en"})
        assert "This sort is not offered." in html(refused).xpath("string(//p[@id='tri-erreur'])")
        assert not html(agent.get("/agents/?tri=recue")).xpath("//p[@id='tri-erreur']")
        assert agent.get("/agents/?file=moi").get_data(as_text=True).count('name="attribution"') == 0
        assert agent.get("/agents/").get_data(as_text=True).count('name="attribution"') == 1
