"""A queue of more than 1,000 open tasks (engine/queue_counts.py): its tab and its total read
« plus de 1 000 », its pagination « Page n » with a « Page suivante » while tasks follow; below the
cap every number stays exact. In French and in English."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import insert, select

from engine import api
from engine.models import HumanTask
from tests.fixtures.integration import file_requests, html, text
from web.extensions import db

pytestmark = pytest.mark.usefixtures("clock")


def tabs(response):
    return [" ".join(a.text_content().split()) for a in html(response).xpath("//nav[@class='queue-tabs']//a")]


def lead(response):
    return " ".join(html(response).xpath("//p[@class='lead']")[0].text_content().split())


def add_open_tasks(app, task_id, count, **values):
    """`count` more open Accueil tasks, copies of task `task_id` (same request), inserted in bulk."""
    with app.app_context():
        session = db.session()
        task = session.execute(select(HumanTask.__table__).where(HumanTask.id == task_id)).mappings().one()
        model = {key: value for key, value in task.items() if key != "id"}
        session.execute(
            insert(HumanTask.__table__),
            [{**model, "spiff_task_id": str(uuid.uuid4()), **values} for _ in range(count)],
        )
        session.commit()


def test_a_queue_over_the_cap_reads_more_than_1000(app, people, client_for):
    agent = client_for(people["accueil"])
    (task_id,) = file_requests(app, people["famille"])
    add_open_tasks(app, task_id, api.QUEUE_COUNT_CAP - 1)  # exactly the cap: still exact
    page = agent.get("/agents/")
    assert tabs(page)[:2] == ["Mes tâches 0", "Accueil 1 000"]
    assert lead(page) == "1000 tâches ouvertes · Accueil"
    assert "Page 1 sur 20" in text(page)

    add_open_tasks(app, task_id, 1)  # one more than the cap
    page = agent.get("/agents/")
    assert page.status_code == 200
    assert tabs(page)[:2] == ["Mes tâches 0", "Accueil plus de 1 000"]
    assert lead(page) == "Plus de 1 000 tâches ouvertes · Accueil"
    words = text(page)
    assert "Page 1" in words
    assert "Page 1 sur" not in words
    assert html(page).xpath("//nav[@class='pagination']//a[contains(., 'Page suivante')]")
    assert len(html(page).xpath("//table/tbody/tr")) == 50
    # Past the cap, the page counts up to itself: the 21st page of 50 holds the 1,001st task.
    last = agent.get("/agents/?page=21")
    assert lead(last) == "1001 tâches ouvertes · Accueil"
    assert len(html(last).xpath("//table/tbody/tr")) == 1
    assert "Page 21 sur 21" in text(last)
    twentieth = agent.get("/agents/?page=20")  # its rows end at the cap: the tab's count answers
    assert lead(twentieth) == "Plus de 1 000 tâches ouvertes · Accueil"
    assert html(twentieth).xpath("//nav[@class='pagination']//a[contains(., 'Page suivante')]")

    # Filtered: « correspondent aux filtres », and a page beyond the cap still knows its next page.
    filtered = agent.get("/agents/?attribution=personne&page=20")
    assert lead(filtered) == "Plus de 1 000 tâches ouvertes correspondent aux filtres · Accueil"
    assert html(filtered).xpath("//nav[@class='pagination']//a[contains(., 'Page suivante')]")
    last = agent.get("/agents/?attribution=personne&page=21")
    assert lead(last) == "1001 tâches ouvertes correspondent aux filtres · Accueil"
    assert "Page 21 sur 21" in text(last)
    assert not html(last).xpath("//nav[@class='pagination']//a[contains(., 'Page suivante')]")
    # A search counts up to the cap too (SQLite's CTE and PostgreSQL's capped count alike).
    search = agent.get("/agents/?q=dem")
    assert lead(search) == "Plus de 1 000 tâches ouvertes correspondent aux filtres · Accueil"


def test_the_cap_in_english(app, people, client_for):
    agent = client_for(people["accueil"])
    (task_id,) = file_requests(app, people["famille"])
    add_open_tasks(app, task_id, api.QUEUE_COUNT_CAP, assignee_id=None)
    page = agent.get("/agents/?attribution=personne", headers={"Accept-Language": "en"})
    assert 'lang="en"' in page.get_data(as_text=True)
    assert tabs(page)[1] == "Accueil more than 1,000"
    assert lead(page) == "More than 1,000 open tasks match the filters · Accueil"
    assert "plus de" not in text(page).lower()


def test_the_engine_counts_up_to_the_cap(app, people):
    (task_id,) = file_requests(app, people["famille"])
    add_open_tasks(app, task_id, 4)  # 5 open tasks
    agent = people["accueil"]
    with app.app_context():
        session = db.session()
        query = api.QueueQuery(lanes=agent.groups, agent_id=agent.id, per_page=2, count_cap=3)
        page = api.queue_page(session, query)
        assert (page.total, page.more, page.pages, page.has_next) == (3, True, None, True)
        # Page 2 counts up to its own rows plus one: still more than 4.
        page = api.queue_page(session, api.QueueQuery(**{**query.__dict__, "page": 2}))
        assert (page.total, page.more, page.has_next, len(page.rows)) == (4, True, True, 2)
        page = api.queue_page(session, api.QueueQuery(**{**query.__dict__, "page": 3}))
        assert (page.total, page.more, page.pages, page.has_next, len(page.rows)) == (5, False, 3, False, 1)
        searched = api.queue_page(session, api.QueueQuery(**{**query.__dict__, "text": "dem"}))
        assert (searched.total, searched.more, len(searched.rows)) == (3, True, 2)
        assert api.queue_counts(session, agent.groups, agent.id, cap=3) == {"Accueil": 4, "": 0}
        assert api.queue_counts(session, agent.groups, agent.id, cap=5) == {"Accueil": 5, "": 0}
        assert api.queue_counts(session, frozenset(), agent.id) == {"": 0}
