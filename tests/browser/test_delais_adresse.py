"""« Changement d'adresses postales » past its deadline while the family has a question to answer:
the family reads the question and the delay, answers, the agent's task comes back « relancée » and
« en retard »; the question and the refusal reason are in the mails (development outbox page), the
internal comment nowhere."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from playwright.sync_api import expect

from engine import api
from forms.dates import today_in_france
from tests.browser.test_changement_adresse import log_in
from tests.fixtures.browser import screenshot
from web.accounts.models import User
from web.delais.services import LATE_MESSAGE
from web.extensions import db
from web.scheduler import run_timers

pytestmark = pytest.mark.browser

ADDRESS = {
    "adresse_ligne1": "12 rue de la Mairie",
    "adresse_ligne2": "",
    "code_postal": "78140",
    "commune": "Vélizy-Villacoublay",
    "date_effet": today_in_france(),
}
QUESTION = "Précisez l'étage et le nom sur la boîte aux lettres."
INTERNAL = "Vérifier auprès du bailleur (note interne)"
REASON = "Le logement indiqué n'existe pas à cette adresse."


def test_deadline_while_the_family_answers_then_refusal_with_its_reason(
    app: Any, page: Any, browser: Any, live_server: str, make_user: Callable[..., User]
) -> None:
    family = make_user("famille", prenom="Lou", nom="Petit")
    agent = make_user("agent", groups=["Accueil"], prenom="Alex", nom="Durand")
    with app.app_context():
        session = db.session()
        requester = session.get(User, family.id)
        instance = api.start(session, "changement_adresse", requester)
        (task,) = api.tasks_for(session, requester)
        api.complete(session, task.id, requester, dict(ADDRESS))
        (agent_task,), _ = api.queue_for(session, frozenset({"Accueil"}))
        api.complete(
            session,
            agent_task.id,
            session.get(User, agent.id),
            {"decision": "complement", "motif": QUESTION},
            public_comment=QUESTION,
            internal_comment=INTERNAL,
        )
        session.commit()
        instance_id, reference, deadline = instance.id, instance.reference, instance.deadline_at

    with time_machine.travel(deadline - timedelta(days=6) + timedelta(minutes=1)):
        assert run_timers(app) == 1
    with time_machine.travel(deadline + timedelta(minutes=1)):
        assert run_timers(app) == 1

    # The family: the question in its mail, the delay in its timeline; it answers.
    family_tab = browser.new_context(base_url=live_server, locale="fr-FR").new_page()
    log_in(family_tab, family)
    family_tab.goto("/dev/courriels/")
    family_tab.get_by_role("link", name=f"Votre demande {reference} : des compléments sont demandés").click()
    expect(family_tab.locator(".mail-body")).to_contain_text(QUESTION)
    expect(family_tab.locator(".mail-body")).not_to_contain_text(INTERNAL)
    screenshot(family_tab, "delais-adresse-01-courriel-question")
    family_tab.goto(f"/mes-demandes/{instance_id}")
    expect(family_tab.locator(".timeline")).to_contain_text(LATE_MESSAGE)
    expect(family_tab.locator(".details").first).to_contain_text("En attente de compléments")
    screenshot(family_tab, "delais-adresse-02-famille-en-retard")
    family_tab.goto("/mes-demandes")
    family_tab.get_by_role("row").filter(has_text=reference).get_by_role(
        "link", name="Compléter ma demande"
    ).click()
    family_tab.get_by_role("textbox", name="Votre réponse").fill("3e étage, boîte « Petit ».")
    family_tab.get_by_role("button", name="Envoyer mes compléments").click()
    expect(family_tab).to_have_url(re.compile(r"/mes-demandes/\d+$"))

    # The agent: the task is back, already « en retard »; refuses with a reason.
    log_in(page, agent)
    page.goto("/agents/")
    row = page.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text("En retard")
    screenshot(page, "delais-adresse-03-agent-file-en-retard")
    row.get_by_role("link", name=reference).click()
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("En attente des compléments de la famille")
    page.get_by_role("radio", name="Refuser la demande").check()
    page.get_by_role("textbox", name="Message à la famille").fill(REASON)
    page.get_by_role("textbox", name="Commentaire interne", exact=True).fill(INTERNAL)
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.get_by_role("status")).to_contain_text("enregistrée. Statut de la demande")

    family_tab.goto("/dev/courriels/")
    family_tab.get_by_role("link", name=f"Votre demande {reference} n'a pas été acceptée").click()
    expect(family_tab.locator(".mail-body")).to_contain_text(REASON)
    expect(family_tab.locator(".mail-body")).not_to_contain_text(INTERNAL)
    screenshot(family_tab, "delais-adresse-04-courriel-refus-motif")
    family_tab.context.close()
