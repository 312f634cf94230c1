"""What a request around a démarche step costs besides the step (issue 18, web pass 2).

Counts and states, no timing: the flash messages waiting in the signed session cookie are capped, the
outbox wakers learn which channels a commit wrote, and the in-process scheduler is not woken for
mails that nothing sends (no mail server). The statement counts are in test_statement_budget.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from engine.models import HumanTask, HumanTaskState
from tests.fixtures.app import csrf_token
from tests.fixtures.integration import ADDRESS, proof
from web import scheduler
from web.accounts.sessions import MAX_FLASHES
from web.core import transaction
from web.extensions import db

pytestmark = pytest.mark.usefixtures("clock")

START = "/demarches/changement_adresse/commencer"


def test_a_client_that_never_reads_a_page_does_not_grow_the_session_cookie(app, people, client_for):
    famille = client_for(people["famille"])
    token = csrf_token(famille, "/demarches")
    for _ in range(MAX_FLASHES + 3):  # each « commencer » flashes « started » or « resumed »
        assert famille.post(START, data={"csrf_token": token}).status_code == 302
    with famille.session_transaction() as session:
        waiting = session["_flashes"]
    assert len(waiting) == MAX_FLASHES
    page = famille.get("/demarches").get_data(as_text=True)  # the next page shows them and empties them
    assert "brouillon" in page.lower()
    with famille.session_transaction() as session:
        assert "_flashes" not in session


def test_the_outbox_wakers_get_the_channels_a_commit_wrote(app, people, client_for):
    woken: list[frozenset[str]] = []
    transaction.OUTBOX_WAKERS.append(woken.append)
    try:
        famille = client_for(people["famille"])
        token = csrf_token(famille, "/demarches")
        assert famille.post(START, data={"csrf_token": token}).status_code == 302
        assert woken == []  # nothing written to the outbox: nobody woken
        with app.app_context():
            (task_id,) = db.session.query(HumanTask.id).filter_by(state=HumanTaskState.OPEN).one()
        page = f"/taches/{task_id}"
        answer = famille.post(page, data={**ADDRESS, **proof(), "csrf_token": csrf_token(famille, page)})
        assert answer.status_code == 302
    finally:
        transaction.OUTBOX_WAKERS.remove(woken.append)
    assert woken == [frozenset({"courriel"})]  # the acknowledgement of receipt


@pytest.fixture
def paused_outbox_job(monkeypatch):
    """A real APScheduler whose « outbox » job is due in a year, paused so that nothing runs."""
    far = datetime.now() + timedelta(days=365)  # noqa: DTZ005 - APScheduler's local time, as web/scheduler.py
    real = BackgroundScheduler(daemon=True)
    real.add_job(lambda: None, "interval", id="outbox", days=1, next_run_time=far)
    real.start(paused=True)
    monkeypatch.setattr(scheduler, "_scheduler", real)
    monkeypatch.setattr(scheduler, "_sendable", frozenset({"sms"}))  # no mail server
    yield real, far
    real.shutdown(wait=False)


def _due(real: BackgroundScheduler) -> datetime:
    return real.get_job("outbox").next_run_time.replace(tzinfo=None)


def test_the_scheduler_is_woken_only_for_what_its_outbox_job_sends(paused_outbox_job):
    real, far = paused_outbox_job
    scheduler.wake_outbox(frozenset({"courriel"}))  # a mail, and no mail server: it waits anyway
    assert _due(real) >= far - timedelta(seconds=1)
    scheduler.wake_outbox(frozenset({"courriel", "sms"}))
    assert _due(real) < far - timedelta(days=300)


def test_a_commit_that_does_not_say_its_channels_still_wakes_the_scheduler(paused_outbox_job):
    real, far = paused_outbox_job
    scheduler.wake_outbox()
    assert _due(real) < far - timedelta(days=300)
