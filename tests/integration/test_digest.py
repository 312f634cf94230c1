"""The agents' daily digest (web/delais/digest.py): content, once per agent and day, CLI, scheduler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from engine import api
from engine.models import HumanTask, OutboxMessage, OutboxStatus
from engine.tasks import queue_for
from web import scheduler
from web.accounts.models import User
from web.cli import digest_group
from web.delais.digest import send_digests
from web.extensions import db
from web.scheduler import run_outbox

PHONES = {"telephone": "+33123456789", "mobile": None}
MORNING = datetime(2027, 3, 10, 6, 0, tzinfo=UTC)  # 7:00 in Paris


@pytest.fixture
def queue(app, make_user):
    """Four open Accueil tasks: one claimed by `agent`, one reminded, one late, one plain."""
    people = {
        "agent": make_user("agent", groups=["Accueil"], prenom="Alex", nom="Durand"),
        "collegue": make_user("agent", groups=["Accueil"]),
        "etat_civil": make_user("agent", groups=["Etat civil"]),
        "analyste": make_user("analyste"),
        "famille": make_user("famille"),
    }
    with app.app_context(), time_machine.travel(MORNING - timedelta(days=2)):  # due 15 days later
        session = db.session()
        family = session.get(User, people["famille"].id)
        for _ in range(4):
            api.start(session, "changement_telephone", family)
            task = api.tasks_for(session, family)[0]
            api.complete(session, task.id, family, dict(PHONES))
        claimed, reminded, late, plain = queue_for(session, frozenset({"Accueil"}))[0]  # the rows
        claimed.assignee_id = people["agent"].id
        reminded.reminded_at = MORNING - timedelta(days=1)
        late.reminded_at = MORNING - timedelta(days=4)
        late.escalated_at = MORNING - timedelta(days=1)
        session.commit()
        people["tasks"] = {"claimed": claimed.id, "reminded": reminded.id, "late": late.id, "plain": plain.id}
    return people


def digests(app) -> list[OutboxMessage]:
    with app.app_context():
        return list(
            db.session.execute(
                select(OutboxMessage)
                .where(OutboxMessage.message_id.like("<resume-%"))
                .order_by(OutboxMessage.id)
            ).scalars()
        )


def test_each_agent_with_open_tasks_gets_one_digest(app, queue):
    with app.app_context():
        assert send_digests(db.session(), MORNING) == 2  # the two Accueil agents; nothing for the others
        db.session.commit()  # read below on another connection (on PostgreSQL, uncommitted rows are not seen)
    mails = digests(app)
    assert sorted(m.recipient for m in mails) == sorted([queue["agent"].email, queue["collegue"].email])
    mine = next(m for m in mails if m.recipient == queue["agent"].email)
    assert mine.subject == "Résumé du jour : 4 tâches ouvertes, dont 1 en retard"
    assert mine.message_id == f"<resume-{queue['agent'].id}-2027-03-10@ville.example>"
    body = mine.body_text
    assert "Voici le résumé du 10/03/2027 de vos services (Accueil)." in body
    tasks = queue["tasks"]
    sections = body.split("\n\n")
    claimed = next(s for s in sections if s.startswith("Vos tâches (1)"))
    assert f"/taches/{tasks['claimed']}" in claimed
    late = next(s for s in sections if s.startswith("En retard (1)"))
    assert f"/taches/{tasks['late']}" in late
    reminded = next(s for s in sections if s.startswith("Relancées (1)"))
    assert f"/taches/{tasks['reminded']}" in reminded
    assert f"/taches/{tasks['late']}" not in reminded  # late wins over reminded
    assert "Tâches ouvertes de vos services : 4" in body
    other = next(m for m in mails if m.recipient == queue["collegue"].email)
    assert "Vos tâches" not in other.body_text  # nothing claimed by the colleague


def test_the_digest_is_sent_once_per_agent_and_day(app, queue):
    with app.app_context():
        assert send_digests(db.session(), MORNING) == 2
        assert send_digests(db.session(), MORNING + timedelta(hours=10)) == 0  # same Paris day
        assert send_digests(db.session(), MORNING + timedelta(days=1)) == 2  # the next day
        db.session.commit()
    assert len(digests(app)) == 4


def test_the_cli_sends_it_now_and_only_once(app, queue):
    runner = app.test_cli_runner()
    first = runner.invoke(digest_group, ["envoyer"])
    assert first.exit_code == 0, first.output
    assert "Résumés du jour mis en file d'envoi : 2." in first.output
    again = runner.invoke(digest_group, ["envoyer"])
    assert "Résumés du jour mis en file d'envoi : 0." in again.output
    assert len(digests(app)) == 2


def test_the_digest_reaches_the_agent_over_smtp(app, app_factory, smtp_server, queue):
    mail_app = app_factory(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, MAIL_SUPPRESS_SEND=False)
    with app.app_context():
        send_digests(db.session(), MORNING)
        db.session.commit()
    assert run_outbox(mail_app) == (2, 0)
    received = {m["X-Envelope-To"]: m for m in smtp_server.messages}
    message = received[queue["agent"].email]
    assert message["Subject"] == "Résumé du jour : 4 tâches ouvertes, dont 1 en retard"
    assert message["Message-ID"] == f"<resume-{queue['agent'].id}-2027-03-10@ville.example>"
    assert all(m.status == OutboxStatus.SENT for m in digests(app))


def test_the_scheduler_runs_the_digest_at_the_configured_hour(app_factory):
    configured = scheduler._configure(BackgroundScheduler(), app_factory(DIGEST_HOUR=8))
    job = configured.get_job("digest")
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert fields["hour"] == "8"
    assert str(job.trigger.timezone) == "Europe/Paris"
    assert (
        scheduler._configure(BackgroundScheduler(), app_factory(DIGEST_ENABLED=False)).get_job("digest")
        is None
    )


def test_a_finished_task_leaves_the_digest(app, queue):
    with app.app_context():
        session = db.session()
        agent = session.get(User, queue["agent"].id)
        for task_id in queue["tasks"].values():
            api.complete(session, task_id, agent, {"decision": "refusee"})
        session.commit()
        assert session.execute(select(HumanTask).where(HumanTask.state == "open")).first() is None
        assert send_digests(session, MORNING) == 0  # nothing open: no mail
