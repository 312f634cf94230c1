"""The family's request page shows « Votre demande sera traitée vers le … » and live.js refreshes it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from engine import api
from tests.browser.test_changement_adresse import log_in
from tests.fixtures.browser import screenshot
from web.accounts.models import User
from web.core.presentation import date_fr
from web.extensions import db

POLL_MS = 5_000

pytestmark = pytest.mark.browser


def test_the_expected_date_is_shown_then_goes_when_the_service_decides(
    app: Any, page: Any, make_user: Callable[..., User]
) -> None:
    family = make_user("famille", prenom="Lou", nom="Petit")
    agent = make_user("agent", groups=["Accueil"])
    with app.app_context():
        session = db.session()
        requester = session.get(User, family.id)
        instance = api.start(session, "changement_telephone", requester)
        (task,) = api.tasks_for(session, requester)
        api.complete(session, task.id, requester, {"telephone": "+33123456789", "mobile": None})
        session.commit()
        instance_id = instance.id
        expected = date_fr(instance.created_at + timedelta(days=3), False)
        (agent_task,), _ = api.queue_for(session, agent.groups)
        agent_task_id = agent_task.id

    page.clock.install()
    log_in(page, family)
    page.goto(f"/mes-demandes/{instance_id}")
    estimate = page.locator("[data-live-estimate]")
    expect(estimate).to_have_text(f"Votre demande sera traitée vers le {expected}.")
    expect(estimate).to_be_visible()
    screenshot(page, "delais-01-famille-date-estimee")

    with app.app_context():
        session = db.session()
        api.complete(session, agent_task_id, session.get(User, agent.id), {"decision": "acceptee"})
        session.commit()
    page.clock.run_for(POLL_MS + 500)
    expect(page.locator("[data-live-status]")).to_have_text("Acceptée", timeout=3_000)
    expect(estimate).to_be_hidden()
    screenshot(page, "delais-02-famille-acceptee-sans-date")
