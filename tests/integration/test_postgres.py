"""The same app on a real PostgreSQL: migrations, the whole démarche, and concurrent agents."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from engine import api
from engine.errors import Conflict
from engine.models import (
    HistoryEvent,
    HumanTask,
    HumanTaskState,
    InstanceStatus,
    OutboxMessage,
    OutboxStatus,
    ProcessInstance,
)
from tests.fixtures.app import login, on_postgresql
from tests.fixtures.integration import (
    ADDRESS,
    create_account,
    decide,
    drain_while_another_worker_runs,
    file_address_change,
    outbox,
    text,
)
from web import migrate
from web.accounts.models import User
from web.extensions import db
from web.scheduler import run_outbox, run_timers

pytestmark = pytest.mark.postgres

ROUNDS = 20


@pytest.fixture
def mailer(pg_app, app_factory, postgres_url, smtp_server):
    """A worker app on the same PostgreSQL database, whose outbox job talks to the test SMTP server."""
    application = app_factory(
        SQLALCHEMY_DATABASE_URI=postgres_url,
        MAIL_SERVER=smtp_server.host,
        MAIL_PORT=smtp_server.port,
        MAIL_SUPPRESS_SEND=False,
    )
    yield application
    with application.app_context():
        assert db.engine is not None
        db.engine.dispose()


@pytest.fixture
def pg_people(pg_app):
    return {
        "famille": create_account(pg_app, "famille", username="pg-famille", prenom="Camille", nom="Martin"),
        "accueil": create_account(pg_app, "agent", username="pg-accueil", groups=("Accueil",)),
        "accueil2": create_account(pg_app, "agent", username="pg-accueil2", groups=("Accueil",)),
    }


@pytest.mark.skipif(on_postgresql(), reason="contrasts the PostgreSQL app with the SQLite `app`")
def test_the_app_really_runs_on_postgresql(pg_app, app):
    with pg_app.app_context():
        assert db.engine is not None
        assert db.engine.dialect.name == "postgresql"
        assert db.session().get_bind().dialect.name == "postgresql"
    with app.app_context():  # the SQLite app of the other tests is not affected by the second app
        assert db.engine is not None
        assert db.engine.dialect.name == "sqlite"


@pytest.mark.parametrize("which", ["sqlite", "postgresql"])
def test_models_and_migrations_agree(which, app, pg_app):
    if which == "sqlite" and on_postgresql():
        pytest.skip("the `app` runs on PostgreSQL (GUICHET_TEST_DATABASE)")
    application = app if which == "sqlite" else pg_app
    with application.app_context():
        assert db.engine is not None
        assert db.engine.dialect.name == which
        migrate.check(db.engine)  # raises when the models need a migration that does not exist


def test_changement_adresse_end_to_end_on_postgresql(pg_app, pg_people, smtp_server, mailer):
    famille = pg_app.test_client()
    login(famille, pg_people["famille"])
    agent = pg_app.test_client()
    login(agent, pg_people["accueil"])

    filed = file_address_change(pg_app, famille)
    assert "En cours d'instruction" in text(famille.get("/mes-demandes"))
    assert filed.reference in text(agent.get("/agents/"))
    assert "Vélizy-Villacoublay" in text(agent.get(f"/taches/{filed.agent_task_id}", follow_redirects=True))
    response = decide(agent, filed.agent_task_id, "acceptee", "Adresse vérifiée.", "Appel au bailleur")
    assert response.status_code == 302

    page = text(famille.get(f"/mes-demandes/{filed.instance_id}"))
    assert "Statut : Acceptée" in page
    assert "Adresse vérifiée." in page
    assert "Appel au bailleur" not in page
    with pg_app.app_context():
        session = db.session()
        instance = session.get(ProcessInstance, filed.instance_id)
        assert (instance.status, instance.status_label) == (InstanceStatus.COMPLETED, "Acceptée")
        assert instance.next_timer_at is None
        account = session.get(User, pg_people["famille"].id)
        assert account.address_lines == [
            ADDRESS["adresse_ligne1"],
            ADDRESS["adresse_ligne2"],
            f"{ADDRESS['code_postal']} {ADDRESS['commune']}",
        ]

    assert run_outbox(mailer) == (1, 0)  # FOR UPDATE SKIP LOCKED path
    (message,) = smtp_server.messages
    assert message["Subject"] == f"Votre demande {filed.reference} est acceptée"
    assert outbox(pg_app)[0].status == OutboxStatus.SENT


def test_the_reminder_and_escalation_timers_fire_once_on_postgresql(pg_app, pg_people):
    famille = pg_app.test_client()
    login(famille, pg_people["famille"])
    filed = file_address_change(pg_app, famille)
    assert run_timers(pg_app) == 0
    with pg_app.app_context():
        instance = db.session.get(ProcessInstance, filed.instance_id)
        due, deadline = instance.next_timer_at, instance.deadline_at
    assert due == deadline - timedelta(days=6)  # the reminder first
    with time_machine.travel(due + timedelta(minutes=1)):
        assert run_timers(pg_app) == 1
        assert run_timers(pg_app) == 0
    with time_machine.travel(deadline + timedelta(minutes=1)):
        assert run_timers(pg_app) == 1
        assert run_timers(pg_app) == 0
    page = text(famille.get(f"/mes-demandes/{filed.instance_id}"))
    assert "Votre demande a pris du retard, elle reste traitée en priorité." in page
    assert "Clôturée" not in page
    with pg_app.app_context():
        task = db.session.get(HumanTask, filed.agent_task_id)
        assert task.state == HumanTaskState.OPEN  # never closed: the agents still decide
        assert task.reminded_at is not None
        assert task.escalated_at is not None
    subjects = [mail.subject for mail in outbox(pg_app)]
    assert any(s.startswith("Relance : la demande") for s in subjects)
    assert any(s.startswith("En retard") for s in subjects)


def test_two_outbox_workers_never_send_the_same_mail_on_postgresql(pg_app, pg_people, smtp_server, mailer):
    famille = pg_app.test_client()
    login(famille, pg_people["famille"])
    agent = pg_app.test_client()
    login(agent, pg_people["accueil"])
    filed = file_address_change(pg_app, famille)
    assert decide(agent, filed.agent_task_id, "acceptee").status_code == 302
    assert drain_while_another_worker_runs(mailer) == ((1, 0), (0, 0))
    assert len(smtp_server.messages) == 1


def test_two_agents_completing_the_same_task_at_once(pg_app, pg_people):
    """K rounds: two Accueil agents press « Enregistrer la décision » on the same task at the same time."""
    famille, agents = pg_people["famille"], (pg_people["accueil"], pg_people["accueil2"])
    instance_ids = []
    for round_number in range(ROUNDS):
        with pg_app.app_context():
            session = db.session()
            instance = api.start(session, "changement_adresse", famille)
            (own,) = api.tasks_for(session, famille)
            api.complete(session, own.id, famille, ADDRESS)
            session.commit()
            (task,) = api.queue_for(session, agents[0].groups)[0]
            task_id = task.id
            instance_ids.append(instance.id)
        barrier = threading.Barrier(2)
        outcomes: dict[int, str] = {}

        def decide_at_once(
            agent: User,
            task_id: int = task_id,
            outcomes: dict[int, str] = outcomes,
            barrier: threading.Barrier = barrier,
        ) -> None:
            with pg_app.app_context():
                session = db.new_session()
                try:
                    barrier.wait(30)
                    api.complete(
                        session, task_id, agent, {"decision": "acceptee"}, public_comment=agent.username
                    )
                    session.commit()
                    outcomes[agent.id] = "won"
                except Conflict:
                    session.rollback()
                    outcomes[agent.id] = "conflict"
                except Exception as exc:  # reported below with the round number
                    session.rollback()
                    outcomes[agent.id] = f"{type(exc).__name__}: {exc}"
                finally:
                    session.close()

        threads = [threading.Thread(target=decide_at_once, args=(agent,)) for agent in agents]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in threads)
        assert sorted(outcomes.values()) == ["conflict", "won"], (round_number, outcomes)

    with pg_app.app_context():
        session = db.session()
        completed = Counter(
            session.execute(
                select(HistoryEvent.instance_id).where(HistoryEvent.event_type == "task_completed")
            ).scalars()
        )
        assert completed == dict.fromkeys(instance_ids, 2)  # the family's and exactly one agent's
        messages = Counter(session.execute(select(OutboxMessage.instance_id)).scalars())
        assert messages == dict.fromkeys(instance_ids, 1)
        public_comments = Counter(
            session.execute(
                select(HistoryEvent.instance_id).where(HistoryEvent.label == "Message du service")
            ).scalars()
        )
        assert public_comments == dict.fromkeys(instance_ids, 1)  # the loser left no trace
        statuses = session.execute(
            select(ProcessInstance.status_label, func.count()).group_by(ProcessInstance.status_label)
        ).all()
        assert statuses == [("Acceptée", ROUNDS)]
        winners = Counter(
            session.execute(
                select(HumanTask.completed_by_id).where(
                    HumanTask.lane == "Accueil", HumanTask.state == HumanTaskState.COMPLETED
                )
            ).scalars()
        )
        assert sum(winners.values()) == ROUNDS
        assert set(winners) <= {agent.id for agent in agents}


def test_justificatif_and_ask_for_information_on_postgresql(pg_app, pg_people):
    """The document table (bytea) and the subprocess loop on PostgreSQL (branch h-adresse)."""
    from engine.documents import Document
    from tests.fixtures.integration import PDF

    famille = pg_app.test_client()
    login(famille, pg_people["famille"])
    agent = pg_app.test_client()
    login(agent, pg_people["accueil"])
    filed = file_address_change(pg_app, famille)
    with pg_app.app_context():
        (document,) = db.session().execute(select(Document)).scalars()
        assert document.content == PDF
        document_id = document.id
    download = famille.get(f"/documents/{document_id}")
    assert (download.status_code, download.data) == (200, PDF)

    assert decide(agent, filed.agent_task_id, "complement", "Précisez l'étage.").status_code == 302
    with pg_app.app_context():
        (task,) = (
            db.session().execute(select(HumanTask).where(HumanTask.state == HumanTaskState.OPEN)).scalars()
        )
        assert task.lane == "Famille"
        task_id = task.id
    from tests.fixtures.integration import post_form

    assert post_form(famille, f"/taches/{task_id}", {"reponse": "3e étage."}).status_code == 302
    assert "En cours d'instruction" in text(famille.get(f"/mes-demandes/{filed.instance_id}"))
