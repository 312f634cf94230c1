"""The agents' side of deadlines: « relancée » then « en retard » in the queue, the internal entries
of the timeline (reminder, escalation, notification delivery), and the family's public entry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from playwright.sync_api import expect

from engine import api
from tests.browser.test_changement_adresse import log_in
from tests.fixtures.browser import screenshot
from web.accounts.models import User
from web.delais.services import LATE_MESSAGE
from web.extensions import db
from web.scheduler import run_outbox, run_timers

pytestmark = pytest.mark.browser


def test_the_queue_and_timeline_show_reminder_and_escalation(
    app: Any, page: Any, browser: Any, live_server: str, make_user: Callable[..., User]
) -> None:
    family = make_user("famille", prenom="Lou", nom="Petit", mobile="+33612345678", contact_prefere="mobile")
    agent = make_user("agent", groups=["Accueil"], prenom="Alex", nom="Durand")
    with app.app_context():
        session = db.session()
        requester = session.get(User, family.id)
        instance = api.start(session, "changement_telephone", requester)
        (task,) = api.tasks_for(session, requester)
        api.complete(session, task.id, requester, {"telephone": None, "mobile": "+33612345678"})
        session.commit()
        instance_id, reference, deadline = instance.id, instance.reference, instance.deadline_at

    with time_machine.travel(deadline - timedelta(days=3) + timedelta(minutes=1)):
        assert run_timers(app) == 1
    log_in(page, agent)
    page.goto("/agents/")
    row = page.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text("Relancée")
    screenshot(page, "delais-03-agent-file-relancee")

    with time_machine.travel(deadline + timedelta(minutes=1)):
        assert run_timers(app) == 1
        run_outbox(app)  # the family's SMS, through the development backend
    page.goto("/agents/")
    expect(row).to_contain_text("En retard")
    expect(row).not_to_contain_text("Relancée")
    page.goto(f"/agents/demandes/{instance_id}")
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("Demande relancée : à traiter avant le")
    expect(timeline).to_contain_text("Demande en retard : durée maximale dépassée")
    expect(timeline).to_contain_text("Notification par SMS en attente d'envoi")
    expect(timeline).to_contain_text("Notification envoyée par SMS")
    expect(timeline).to_contain_text(LATE_MESSAGE)
    screenshot(page, "delais-04-agent-historique-en-retard")

    family_tab = browser.new_context(base_url=live_server, locale="fr-FR").new_page()
    log_in(family_tab, family)
    family_tab.goto(f"/mes-demandes/{instance_id}")
    expect(family_tab.locator(".timeline")).to_contain_text(LATE_MESSAGE)
    expect(family_tab.locator(".timeline")).not_to_contain_text("Notification")
    expect(family_tab.locator("[data-live-estimate]")).to_have_text(LATE_MESSAGE)
    screenshot(family_tab, "delais-05-famille-en-retard")
    family_tab.context.close()
