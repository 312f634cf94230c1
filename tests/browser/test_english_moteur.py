"""The agents' dossier of a request « en erreur », in English, on a 375 px screen: the engine's
technical message (stored in French) is shown in English and nothing overflows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.fixtures.app import PASSWORD
from tests.fixtures.browser import screenshot, watch
from tests.integration.test_english_moteur import _failed_decision

pytestmark = pytest.mark.browser


def test_the_error_of_a_request_in_english_at_375_px(app, people, client_for, browser, live_server) -> None:
    _famille, _agent, instance_id = _failed_decision(app, people, client_for)
    context = browser.new_context(
        base_url=live_server, locale="en-GB", viewport={"width": 375, "height": 800}
    )
    tab = context.new_page()
    problems = watch(tab)
    try:
        tab.goto("/connexion")
        tab.locator("input[name=username]").first.fill(people["accueil"].username)
        tab.locator("input[name=password]").first.fill(PASSWORD)
        tab.locator("input[name=password]").first.press("Enter")
        tab.wait_for_load_state()
        tab.goto(f"/agents/dossiers/{instance_id}")
        expect(tab.locator("html")).to_have_attribute("lang", "en")
        expect(tab.get_by_text("Error in the procedure's diagram: the request is in error")).to_be_visible()
        expect(tab.get_by_text("Loop too long: more than", exact=False)).to_be_visible()
        width = tab.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], width
        screenshot(tab, "english-moteur-dossier-375")
    finally:
        context.close()
    # The test's diagram has a script task without a drawn shape: bpmn-js says so, nothing else may.
    assert [p for p in problems if "failed to import" not in p] == [], problems
