"""`guichet worker` on Celery with a real Redis: Redis down, a worker killed mid-job, two beats."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.models import OutboxMessage, OutboxStatus
from engine.outbox import enqueue_mail
from tests.fixtures.app import base_config
from tests.fixtures.integration import outbox
from web import migrate
from web.app import create_app
from web.core import transaction
from web.extensions import db

from .helpers import enqueue

pytestmark = [pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def sqlite_app(tmp_path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'celery.sqlite3'}"
    app = create_app(base_config(tmp_path, url))
    with app.app_context():
        migrate.upgrade(db.engine)
    return app


@pytest.fixture
def workers(
    tmp_path, sqlite_app, redis_server, smtp_server
) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(**extra: Any) -> subprocess.Popen[bytes]:
        n = len(started)
        env = {
            **os.environ,
            "GUICHET_SQLALCHEMY_DATABASE_URI": sqlite_app.config["SQLALCHEMY_DATABASE_URI"],
            "GUICHET_SECRET_KEY": "test-secret-key",
            "GUICHET_INSTANCE_PATH": str(tmp_path / f"worker-{n}"),
            "GUICHET_MAIL_SERVER": smtp_server.host,
            "GUICHET_MAIL_PORT": str(smtp_server.port),
            "GUICHET_CELERY_BROKER_URL": redis_server.url,
            "GUICHET_SCHEDULER_OUTBOX_INTERVAL": "1",
            "GUICHET_SCHEDULER_TIMERS_INTERVAL": "1",
            "GUICHET_DIGEST_ENABLED": "false",
            **{f"GUICHET_{key}": str(value) for key, value in extra.items()},
        }
        guichet = Path(sys.executable).parent / "guichet"
        with open(tmp_path / f"worker-{n}.log", "wb") as log:  # the child keeps its own descriptor
            process = subprocess.Popen(
                [str(guichet), "worker", "--concurrency", "2"],
                env=env,
                cwd=tmp_path,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # the embedded beat is a child process: signal the whole group
            )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(30)


def sent_count(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        session = db.new_session()
        try:
            query = select(func.count()).where(OutboxMessage.status == OutboxStatus.SENT)
            return int(session.execute(query).scalar_one())
        finally:
            session.close()


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 180) -> None:
    """Poll until the condition holds (a deadline against a hung test, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.2)


def each_once(app, smtp_server, count: int) -> None:  # type: ignore[no-untyped-def]
    rows = outbox(app)
    assert len(rows) == count
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    received = Counter(message["Message-ID"] for message in smtp_server.messages)
    assert set(received) == {row.message_id for row in rows}
    assert set(received.values()) == {1}


def test_mails_wait_while_redis_is_down_and_leave_when_it_is_back(
    sqlite_app, workers, redis_server, smtp_server
):
    worker = workers()
    enqueue(sqlite_app, 5)
    wait_until(lambda: sent_count(sqlite_app) == 5, "the first mails sent through Celery")
    redis_server.stop()
    enqueue(sqlite_app, 5)  # written while the broker is down: they wait in the database
    assert worker.poll() is None  # the worker keeps running without its broker
    redis_server.start()  # an empty Redis: beat and worker reconnect, nothing was kept in it
    wait_until(lambda: sent_count(sqlite_app) == 10, "the mails written during the outage sent")
    assert worker.poll() is None
    each_once(sqlite_app, smtp_server, 10)


def test_a_worker_killed_mid_send_is_replaced_after_the_lease_nothing_lost_or_doubled(
    sqlite_app, workers, smtp_server
):
    entered, released = threading.Event(), threading.Event()
    first = [True]

    async def handle_rcpt(server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if first[0]:  # the first conversation hangs until the worker talking has been killed
            first[0] = False
            entered.set()
            while not released.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Essayez plus tard"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    smtp_server.inbox.handle_RCPT = handle_rcpt
    enqueue(sqlite_app, 3)
    doomed = workers(OUTBOX_LEASE_SECONDS=3)
    assert entered.wait(180), "the first worker never started sending"
    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.wait(30)
    released.set()
    rows = outbox(sqlite_app)
    assert {row.status for row in rows} == {OutboxStatus.PENDING}  # nothing recorded by the dead worker
    assert all(row.claim_token is not None for row in rows)  # still claimed: its lease runs
    workers(OUTBOX_LEASE_SECONDS=3)
    wait_until(lambda: sent_count(sqlite_app) == 3, "the dead worker's mails sent by the other one")
    each_once(sqlite_app, smtp_server, 3)
    assert {row.attempts for row in outbox(sqlite_app)} == {1}


def test_two_workers_with_two_beats_send_each_mail_once(sqlite_app, workers, smtp_server):
    enqueue(sqlite_app, 1000)
    workers(OUTBOX_BATCH_SIZE=20)
    workers(OUTBOX_BATCH_SIZE=20)  # a second beat: every job is scheduled twice
    wait_until(lambda: sent_count(sqlite_app) == 1000, "1,000 mails sent")
    each_once(sqlite_app, smtp_server, 1000)


def test_two_workers_with_two_beats_fire_each_of_1000_timers_once(sqlite_app, workers):
    from engine.models import InstanceStatus, ProcessInstance
    from engine.passages import ElementPassage

    from .test_timer_workers import TIMERS, start_instances

    start_instances(sqlite_app, TIMERS)  # every timer due before the workers start
    workers()
    workers()  # a second beat: the timer job is scheduled twice every second

    def finished() -> int:
        with sqlite_app.app_context():
            session = db.new_session()
            try:
                query = select(func.count()).where(ProcessInstance.status == InstanceStatus.COMPLETED)
                return int(session.execute(query).scalar_one())
            finally:
                session.close()

    wait_until(lambda: finished() == TIMERS, "1,000 timers fired", seconds=600)
    with sqlite_app.app_context():
        session = db.new_session()
        # The script after the timer runs once per firing: a timer fired twice would run it twice.
        runs = session.execute(
            select(ElementPassage.instance_id, func.count())
            .where(ElementPassage.element_id == "compter")
            .group_by(ElementPassage.instance_id)
        ).all()
        session.close()
    assert len(runs) == TIMERS
    assert {count for _, count in runs} == {1}


def test_a_web_commit_that_wrote_mail_wakes_the_outbox_job_at_once(
    tmp_path, sqlite_app, workers, redis_server, smtp_server
):
    """Beat sends the outbox job once an hour here: the mail leaves because the web process's commit
    sent the job through Redis (web/celery_app.py::install_outbox_waker), not because of beat."""
    workers(SCHEDULER_OUTBOX_INTERVAL=3600)
    web_app = create_app(
        {
            **base_config(tmp_path, sqlite_app.config["SQLALCHEMY_DATABASE_URI"]),
            "CELERY_BROKER_URL": redis_server.url,
        }
    )
    with web_app.app_context(), transaction.separate_unit_of_work() as session:
        enqueue_mail(session, to="famille@example.test", subject="Votre demande", body_text="Bonjour.")
    wait_until(lambda: sent_count(sqlite_app) == 1, "the mail sent after the web commit", seconds=120)
    each_once(sqlite_app, smtp_server, 1)


def test_a_web_commit_while_redis_is_down_still_commits_and_the_mail_leaves_later(
    tmp_path, sqlite_app, workers, redis_server, smtp_server
):
    web_app = create_app(
        {
            **base_config(tmp_path, sqlite_app.config["SQLALCHEMY_DATABASE_URI"]),
            "CELERY_BROKER_URL": redis_server.url,
        }
    )
    redis_server.stop()
    with web_app.app_context(), transaction.separate_unit_of_work() as session:
        enqueue_mail(session, to="famille@example.test", subject="Votre demande", body_text="Bonjour.")
    assert len(outbox(sqlite_app)) == 1  # committed although the wake-up could not be sent
    # Another app of the process (no broker) is not concerned by this app's waker: its commits
    # never try the dead broker (they once hung in kombu's endless reconnection).
    with sqlite_app.app_context(), transaction.separate_unit_of_work() as session:
        enqueue_mail(session, to="autre@example.test", subject="Autre", body_text="Bonjour.")
    assert len(outbox(sqlite_app)) == 2
    redis_server.start()
    workers()  # beat every second: the mail waits for it, then leaves once
    wait_until(lambda: sent_count(sqlite_app) == 2, "the mails written while Redis was down sent")
    each_once(sqlite_app, smtp_server, 2)
