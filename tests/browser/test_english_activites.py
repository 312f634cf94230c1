"""« Activités » in English in the real browser (locale en-GB): a family's activities, an activity's
booking form with a refused request, its bookings; no horizontal scroll at 375 and 320 px, axe on each
page, screenshots at 1280 and 375 px (test-artifacts/activites-en-*.png)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from playwright.sync_api import expect

from tests.activites.helpers import OPENS
from tests.browser.test_accessibility import Audit
from tests.browser.test_activites import _world
from tests.browser.test_famille import WIDE, both_widths
from tests.fixtures.app import PASSWORD
from tests.fixtures.browser import screenshot

pytestmark = pytest.mark.browser


def _log_in(page: Any, username: str) -> None:
    """The login form by its fields' names (its words are another area's, in either language)."""
    page.goto("/connexion")
    form = page.locator("main form").filter(has=page.locator("input[name=username]")).first
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button.button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/connexion"))


def test_a_family_books_in_english_on_a_phone(app, make_user, browser, live_server) -> None:
    family, _agent, _winter_id, _sport_id = _world(app, make_user)
    context = browser.new_context(base_url=live_server, locale="en-GB", viewport=WIDE)
    page = context.new_page()
    audit = Audit(page)
    with time_machine.travel(OPENS + timedelta(minutes=3)):
        _log_in(page, family.username)
        page.goto("/activites")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", level=1)).to_have_text("Activities")
        expect(page.get_by_text("Fair opening: requests received until 11 Jan 2027, 09:00")).to_be_visible()
        audit.check("activites-en-01-liste")
        both_widths(page, "activites-en-01-liste")
        page.get_by_role("link", name="Centre de loisirs des vacances d'hiver").click()
        page.get_by_role("radio", name="Léa MARTIN").check()
        page.get_by_role("button", name="Send my request").click()
        expect(page.get_by_role("alert")).to_contain_text("Choose at least one session.")
        expect(page.get_by_role("alert")).to_contain_text("The request has not been saved")
        audit.check("activites-en-02-activite-erreur")
        both_widths(page, "activites-en-02-activite-erreur")
        page.get_by_role("checkbox", name="Semaine 1").check()
        page.get_by_role("button", name="Send my request").click()
        expect(page).to_have_url(re.compile(r"/activites/mes-inscriptions$"))
        expect(page.get_by_role("status")).to_contain_text("Semaine 1: draw on 11 Jan 2027, 09:00")
        page.set_viewport_size({"width": 375, "height": 740})
        screenshot(page, "activites-en-03-mes-inscriptions-375")
        page.set_viewport_size(WIDE)
        audit.check("activites-en-03-mes-inscriptions")
        both_widths(page, "activites-en-03-mes-inscriptions")
    context.close()
    assert not audit.found, "\n".join(audit.found)


def test_the_agent_s_activity_pages_in_english_fit_a_phone(app, make_user, browser, live_server) -> None:
    _family, agent, winter_id, _sport_id = _world(app, make_user)
    context = browser.new_context(base_url=live_server, locale="en-GB", viewport=WIDE)
    page = context.new_page()
    audit = Audit(page)
    with time_machine.travel(OPENS + timedelta(minutes=3)):
        _log_in(page, agent.username)
        page.goto(f"/agents/activites/{winter_id}")
        expect(page.get_by_role("heading", name="Booking settings")).to_be_visible()
        expect(page.get_by_text("Draw planned on 11 Jan 2027, 09:00")).to_be_visible()
        audit.check("activites-en-10-agent-activite")
        both_widths(page, "activites-en-10-agent-activite")
        page.get_by_role("link", name="Semaine 1").first.click()
        expect(page.get_by_role("heading", name="Edit the session")).to_be_visible()
        audit.check("activites-en-11-agent-session")
        both_widths(page, "activites-en-11-agent-session")
    context.close()
    assert not audit.found, "\n".join(audit.found)
