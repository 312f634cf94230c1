"""Scenarios (b) and (c): the démarche through engine.api, then through the Flask app.

Each scenario has its own app on its own SQLite file in a temporary directory, built like the tests
build theirs: Alembic migrations to head, the agent groups, workflows/changement_adresse.bpmn deployed
(only that one: the benchmark needs nothing else), then two real accounts (a family, an Accueil
agent) made by `web.accounts.services.create_user`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine import api
from engine.models import HumanTask, HumanTaskState, InstanceStatus, ProcessInstance
from web import migrate
from web.accounts.models import Role, User
from web.accounts.services import create_user, get_or_create_group
from web.app import create_app, lint_context
from web.extensions import db

from .common import ADDRESS, BPMN_PATH, DECISION, DEMARCHE, Demarche, web_proof

GROUPS = ("Accueil", "Etat civil", "Enfance")
PASSWORD = "correct horse battery staple"
TASK_URL = re.compile(r"/taches/(\d+)$")
REQUEST_URL = re.compile(r"/mes-demandes/(\d+)$")


@dataclass
class Site:
    """A migrated app with its two accounts (detached, usable as engine actors)."""

    app: Flask
    famille: User
    agent: User


def make_site(tmp: Path, name: str, **overrides: Any) -> Site:
    """Create the app on tmp/<name>.sqlite3, migrate it, deploy the démarches and create the accounts."""
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / f'{name}.sqlite3'}",
        "SECRET_KEY": "benchmark-secret-key",
        "INSTANCE_PATH": str(tmp / "instance"),
        "BASE_URL": "http://guichet.test",
        "MAIL_SERVER": None,
        "SCHEDULER_ENABLED": False,
        "TOWN_NAME": "Ville de Test",
        "CONTACT_EMAIL": "contact@ville.test",
        **overrides,
    }
    app = create_app(config)
    with app.app_context():
        assert db.engine is not None
        migrate.upgrade(db.engine)
        session = db.session()
        for group in GROUPS:
            get_or_create_group(session, group)
        api.deploy(session, BPMN_PATH.read_bytes(), "benchmark", lint_context())
        famille = create_user(
            session,
            username="famille",
            password=PASSWORD,
            email="famille@example.test",
            role=Role.FAMILLE,
            prenom="Camille",
            nom="Martin",
        )
        agent = create_user(
            session,
            username="accueil",
            password=PASSWORD,
            email="accueil@example.test",
            role=Role.AGENT,
            groups=["Accueil"],
            prenom="Alex",
            nom="Durand",
        )
        session.commit()
        for user in (famille, agent):
            session.refresh(user)
            _ = user.groups  # loaded before the user leaves the session
            session.expunge(user)
        db.session.remove()
    return Site(app, famille, agent)


def close_site(site: Site) -> None:
    with site.app.app_context():
        db.session.remove()
        if db.engine is not None:
            db.engine.dispose()


def check_completed(site: Site, expected: int) -> None:
    """Every démarche run on the site ended accepted (outside the measures)."""
    with site.app.app_context():
        session = db.new_session()
        try:
            done = session.execute(
                select(func.count())
                .select_from(ProcessInstance)
                .where(
                    ProcessInstance.status == InstanceStatus.COMPLETED,
                    ProcessInstance.status_label == "Acceptée",
                )
            ).scalar_one()
            total = session.execute(select(func.count()).select_from(ProcessInstance)).scalar_one()
        finally:
            session.close()
    if done != expected or total != expected:
        raise RuntimeError(f"{done} of {total} démarches accepted, {expected} expected")


# (b) engine.api ----------------------------------------------------------------------------------


class ApiScenario:
    """start, complete (family), complete (agent): one session and one commit per step, as a request.

    Must run inside `site.app.app_context()`: the mail service task renders templates.
    """

    def __init__(self, site: Site) -> None:
        self.site = site
        self.stored_bytes: int | None = None

    def _step(self, action: Any) -> Any:
        session = db.new_session()
        try:
            result = action(session)
            session.commit()
            return result
        finally:
            session.close()

    def start(self, session: Any) -> int:
        instance = api.start(session, DEMARCHE, self.site.famille)
        return instance.id

    def submit(self, session: Any, instance_id: int) -> None:
        (task,) = [t for t in api.tasks_for(session, self.site.famille) if t.instance_id == instance_id]
        api.complete(session, task.id, self.site.famille, ADDRESS)

    def decide(self, session: Any) -> None:
        tasks, _ = api.queue_for(session, self.site.agent.groups, api.QueueFilters(per_page=1))
        api.complete(session, tasks[0].id, self.site.agent, DECISION)

    def one(self) -> float:
        begin = time.perf_counter()
        instance_id = self._step(self.start)
        self._step(lambda session: self.submit(session, instance_id))
        self._step(self.decide)
        elapsed = time.perf_counter() - begin
        if self.stored_bytes is None:
            self.stored_bytes = self._stored_size_after_submission()
        return elapsed

    def _stored_size_after_submission(self) -> int:
        """Size of a real stored instance waiting for the agent (one extra démarche, not measured)."""
        instance_id = self._step(self.start)
        self._step(lambda session: self.submit(session, instance_id))
        session = db.new_session()
        try:
            size = len(session.get(ProcessInstance, instance_id).serialization.encode("utf-8"))
        finally:
            session.close()
        self._step(self.decide)
        return size


def scenario_b(site: Site) -> ApiScenario:
    return ApiScenario(site)


# (c) the Flask app -------------------------------------------------------------------------------


def logged_in(site: Site, user: User) -> FlaskClient:
    """A test client logged in through the real login form (POST /connexion)."""
    client = site.app.test_client()
    response = client.post("/connexion", data={"username": user.username, "password": PASSWORD})
    if response.status_code != 302:
        raise RuntimeError(f"login of {user.username} failed ({response.status_code})")
    return client


def _location_id(response: Any, pattern: re.Pattern[str], what: str) -> int:
    match = pattern.search(response.headers.get("Location", "")) if response.status_code == 302 else None
    if match is None:
        raise RuntimeError(f"{what}: unexpected answer {response.status_code} {response.headers}")
    return int(match.group(1))


def _forget_flashes(client: FlaskClient) -> None:
    """Redirects are not followed, so drop the flash messages that would pile up in the cookie."""
    with client.session_transaction() as session:
        session.pop("_flashes", None)


def scenario_c(site: Site) -> Demarche:
    """Three POSTs per démarche; the agent's task id is looked up in SQL and flashes dropped, unmeasured."""
    famille = logged_in(site, site.famille)
    agent = logged_in(site, site.agent)

    def agent_task_id(instance_id: int) -> int:
        with site.app.app_context():
            session = db.new_session()
            try:
                return session.execute(
                    select(HumanTask.id).where(
                        HumanTask.instance_id == instance_id, HumanTask.state == HumanTaskState.OPEN
                    )
                ).scalar_one()
            finally:
                session.close()

    def one() -> float:
        begin = time.perf_counter()
        response = famille.post(f"/demarches/{DEMARCHE}/commencer")
        task_id = _location_id(response, TASK_URL, "start")
        response = famille.post(f"/taches/{task_id}", data={**ADDRESS, **web_proof()})
        instance_id = _location_id(response, REQUEST_URL, "family's form")
        measured = time.perf_counter() - begin

        agent_task = agent_task_id(instance_id)
        _forget_flashes(famille)

        begin = time.perf_counter()
        response = agent.post(f"/taches/{agent_task}", data=DECISION)
        if response.status_code != 302:
            raise RuntimeError(f"agent's decision: unexpected answer {response.status_code}")
        measured += time.perf_counter() - begin
        _forget_flashes(agent)
        return measured

    return one
