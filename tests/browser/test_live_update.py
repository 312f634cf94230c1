"""The family's request page follows the agent's decision without a reload (web/static/js/live.js)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from engine import api
from tests.browser.test_changement_adresse import ADDRESS, log_in
from tests.fixtures.browser import screenshot, watch
from web.accounts.models import User
from web.extensions import db

PUBLIC_MESSAGE = "Votre nouvelle adresse est enregistrée, merci."
INTERNAL_COMMENT = "Bail vérifié au guichet (note interne)."
POLL_MS = 5_000

pytestmark = pytest.mark.browser


@pytest.fixture
def agent_page(browser: Any, live_server: str) -> Iterator[Any]:
    """The agent's tab, in a SECOND browser context (its own cookies)."""
    context = browser.new_context(base_url=live_server, locale="fr-FR")
    tab = context.new_page()
    problems = watch(tab)
    try:
        yield tab
    finally:
        context.close()
    assert not problems, problems


def test_the_request_page_shows_the_decision_without_reload(
    app: Any, page: Any, agent_page: Any, make_user: Callable[..., User]
) -> None:
    family = make_user("famille", prenom="Camille", nom="Roux")
    agent = make_user("agent", groups=["Accueil"], prenom="Dominique", nom="Faure")
    with app.app_context():
        session = db.session()
        requester = session.get(User, family.id)
        instance = api.start(session, "changement_adresse", requester)
        (task,) = api.tasks_for(session, requester)
        api.complete(session, task.id, requester, ADDRESS)
        session.commit()
        instance_id = instance.id
        (agent_task,), _ = api.queue_for(session, agent.groups)
        agent_task_id = agent_task.id

    # The family's tab runs on Playwright's clock, so that the 5 s poll can be fast-forwarded.
    page.clock.install()
    log_in(page, family)
    page.goto(f"/mes-demandes/{instance_id}")
    status = page.locator("[data-live-status]")
    expect(status).to_have_text("En cours d'instruction")
    expect(page.get_by_role("button", name="Annuler ma demande")).to_be_visible()
    announce = page.locator("[aria-live='polite'][data-live-announce]")
    expect(announce).to_have_text("")
    page.evaluate("() => { window.pageNotReloaded = true; }")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/etat" in r.url else None)

    # A poll with nothing new changes nothing.
    page.clock.run_for(POLL_MS + 500)
    expect(status).to_have_text("En cours d'instruction")
    assert page.evaluate("() => window.pageNotReloaded") is True

    # The agent accepts in the other context.
    log_in(agent_page, agent)
    agent_page.goto(f"/taches/{agent_task_id}")
    agent_page.get_by_role("radio", name="Accepter la demande").check()
    agent_page.get_by_role("textbox", name="Message à la famille").fill(PUBLIC_MESSAGE)
    agent_page.get_by_role("textbox", name="Commentaire interne", exact=True).fill(INTERNAL_COMMENT)
    agent_page.get_by_role("button", name="Enregistrer la décision").click()
    expect(agent_page.get_by_role("status")).to_contain_text("enregistrée. Statut de la demande")

    # At the next poll the family's page shows the decision, without a reload.
    page.clock.run_for(POLL_MS + 500)
    expect(status).to_have_text("Acceptée", timeout=3_000)
    expect(announce).to_have_text("Statut mis à jour : Acceptée")
    accepted = page.locator(".timeline-item").filter(has_text="Statut : Acceptée")
    expect(accepted).to_have_count(1)
    expect(accepted).to_contain_text("— Service Accueil")
    expect(accepted.locator("time")).to_have_text(re.compile(r"\d{2}/\d{2}/\d{4} à \d{2}:\d{2}"))
    expect(page.locator(".timeline")).to_contain_text(PUBLIC_MESSAGE)
    expect(page.get_by_role("button", name="Annuler ma demande")).to_be_hidden()
    assert page.evaluate("() => window.pageNotReloaded") is True
    assert INTERNAL_COMMENT not in page.content()
    assert agent.display_name not in page.content()
    assert requests, "live.js never asked for the state"
    assert all(url.endswith(f"/mes-demandes/{instance_id}/etat") for url in requests), requests
    screenshot(page, "live-01-famille-decision-sans-recharger")
