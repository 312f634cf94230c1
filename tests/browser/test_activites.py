"""« Activités » in the real browser, under a frozen (ticking) clock: a family books two children in two
activities, one with a fair opening window, sees « tirage au sort le … à … », then its outcome after
the draw job; an Enfance agent opens the activity's lists. axe on every page, no horizontal scroll at
375 and 320 px, screenshots at 1280 and 375 px (test-artifacts/activites-*.png)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from playwright.sync_api import expect

from tests.activites.helpers import OPENS, make_activity
from tests.browser.test_accessibility import Audit, log_in
from tests.browser.test_famille import PHONE, WIDE, both_widths
from web.accounts.models import User
from web.extensions import db
from web.famille.models import Child, FamilyRecord
from web.scheduler import run_draws

pytestmark = pytest.mark.browser


def _world(app: Any, make_user: Any) -> tuple[User, User, int, int]:
    family = make_user("famille", prenom="Camille", nom="Martin")
    agent = make_user("agent", groups=["Enfance"], prenom="Alex", nom="Durand")
    with app.app_context():
        s = db.session()
        record = FamilyRecord(service="Enfance", name="MARTIN Camille")
        s.add(record)
        s.flush()
        s.add_all(
            [
                Child(
                    family_record_id=record.id,
                    last_name="MARTIN",
                    first_name="Léa",
                    birth_date=date(2017, 3, 14),
                    class_name="CE2",
                ),
                Child(
                    family_record_id=record.id,
                    last_name="MARTIN",
                    first_name="Hugo",
                    birth_date=date(2019, 9, 2),
                    class_name="GS",
                ),
            ]
        )
        account = s.get(User, family.id)
        account.family_records.append(record)
        winter = make_activity(
            s,
            "CL-HIVER",
            places=10,
            sessions=2,
            fair=30,
            price_cents=1500,
            description="Accueil à la journée pendant les vacances d'hiver.",
        )
        winter.activity.name = "Centre de loisirs des vacances d'hiver"
        sport = make_activity(s, "SPORT-NAT", places=8, sessions=1, price_cents=9000)
        sport.activity.name = "École municipale de natation"
        s.commit()
        return family, agent, winter.activity_id, sport.activity_id


def _book(page: Any, activity: str, child: str, session: str) -> None:
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Activités").click()
    page.get_by_role("link", name=activity).click()
    page.get_by_role("radio", name=child).check()
    page.get_by_role("checkbox", name=session).check()
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page).to_have_url(re.compile(r"/activites/mes-inscriptions$"))


def test_a_family_books_two_children_and_sees_the_draw_result(app, make_user, browser, live_server):
    family, agent, winter_id, _sport_id = _world(app, make_user)
    context = browser.new_context(base_url=live_server, locale="fr-FR", viewport=WIDE)
    page = context.new_page()
    audit = Audit(page)
    with time_machine.travel(OPENS + timedelta(minutes=3)):
        log_in(page, family)
        page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Activités").click()
        audit.check("activites-01-liste")
        page.get_by_role("link", name="Centre de loisirs des vacances d'hiver").click()
        expect(page.get_by_text("tirage au sort le 11/01/2027 à 09:00")).to_be_visible()
        # A bad request first: no session ticked; the choice of child is kept.
        page.get_by_role("radio", name="Léa MARTIN").check()
        page.get_by_role("button", name="Envoyer ma demande").click()
        expect(page.get_by_role("alert")).to_contain_text("Choisissez au moins une session.")
        expect(page.get_by_role("radio", name="Léa MARTIN")).to_be_checked()
        audit.check("activites-02-activite-erreur")
        both_widths(page, "activites-02-activite-erreur")
        _book(page, "Centre de loisirs des vacances d'hiver", "Léa MARTIN", "Semaine 1")
        expect(page.get_by_role("status")).to_contain_text("tirage au sort le 11/01/2027 à 09:00")
        _book(page, "École municipale de natation", "Hugo MARTIN", "Semaine 1")
        cards = page.locator(".booking-list .card")
        expect(cards.filter(has_text="Hugo")).to_contain_text("Inscrit")
        expect(cards.filter(has_text="Léa")).to_contain_text("Tirage au sort le 11/01/2027 à 09:00")
        audit.check("activites-03-mes-inscriptions-tirage")
        both_widths(page, "activites-03-mes-inscriptions-tirage")
    with time_machine.travel(OPENS + timedelta(minutes=31)):
        assert run_draws(app) == 1
        assert run_draws(app) == 0  # idempotent
        page.reload()
        expect(page.locator(".booking-list .card").filter(has_text="Léa")).to_contain_text("Inscrit")
        expect(page.locator(".booking-list strong").filter(has_text="Tirage au sort le")).to_have_count(0)
        audit.check("activites-04-mes-inscriptions-resultat")
        both_widths(page, "activites-04-mes-inscriptions-resultat")
        page.goto(f"/activites/{winter_id}")
        page.get_by_role("link", name="Voir le résultat du tirage").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Tirage au sort")
        audit.check("activites-05-tirage")
        # The agent's side.
        agent_tab = browser.new_context(base_url=live_server, locale="fr-FR", viewport=WIDE).new_page()
        agent_audit = Audit(agent_tab)
        log_in(agent_tab, agent)
        agent_tab.get_by_role("navigation", name="Menu principal").get_by_role(
            "link", name="Activités"
        ).click()
        agent_tab.get_by_role("link", name="Centre de loisirs des vacances d'hiver").click()
        expect(agent_tab.get_by_text("graine")).to_be_visible()
        agent_audit.check("activites-10-agent-activite")
        both_widths(agent_tab, "activites-10-agent-activite")
        agent_tab.get_by_role("link", name="Semaine 1").first.click()
        expect(agent_tab.get_by_role("cell", name="Léa MARTIN", exact=True)).to_be_visible()
        agent_audit.check("activites-11-agent-session")
        both_widths(agent_tab, "activites-11-agent-session")
    context.close()
    assert not audit.found, "\n".join(audit.found)
    assert not agent_audit.found, "\n".join(agent_audit.found)
    assert PHONE["width"] == 375
