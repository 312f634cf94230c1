"""The agent's case page in English at 375 px: no horizontal scroll from the longer English words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.fixtures.app import login
from tests.fixtures.browser import screenshot, watch
from tests.fixtures.integration import file_address_change
from web.accounts.models import User

pytestmark = pytest.mark.browser


def test_the_case_in_english_at_375_px(
    app: Any, browser: Any, live_server: str, make_user: Callable[..., User]
) -> None:
    family = make_user("famille", prenom="Camille", nom="Lefèvre", telephone="+33130000000")
    agent = make_user("agent", groups=["Accueil"], prenom="Dominique", nom="Garnier")
    client = app.test_client()
    login(client, family)
    filed = file_address_change(app, client)
    agent_client = app.test_client()
    login(agent_client, agent)
    session_cookie = agent_client.get_cookie("session")
    assert session_cookie is not None

    context = browser.new_context(
        base_url=live_server, locale="en-GB", viewport={"width": 375, "height": 800}
    )
    host = live_server.split("//", 1)[1].split(":")[0]
    context.add_cookies([
        {"name": "session", "value": session_cookie.value, "domain": host, "path": "/"},
        {"name": "langue", "value": "en", "domain": host, "path": "/"},
    ])  # fmt: skip
    tab = context.new_page()
    problems = watch(tab)
    try:
        tab.goto(f"/agents/dossiers/{filed.instance_id}")
        expect(tab.locator("html")).to_have_attribute("lang", "en")
        expect(tab.get_by_role("heading", level=1)).to_contain_text("Change of postal address")
        expect(tab.get_by_role("heading", name="Request data")).to_be_visible()
        expect(tab.get_by_role("button", name="Save the decision")).to_be_visible()
        tab.get_by_role("button", name="Save the decision").click()  # no decision: the errors
        expect(tab.locator(".error-summary")).to_contain_text("Choose a decision.")
        overflow = tab.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, overflow
        screenshot(tab, "english-case-375")
        tab.goto("/agents/")  # the queue: its rows become cards, each cell labelled
        cell = tab.locator("td[data-label]:not([data-label=''])").first
        label = cell.get_attribute("data-label")
        style = "td => getComputedStyle(td, '::before').content"
        before = cell.evaluate(style)
        assert before == f'"{label}: "', before  # no space before an English colon
        empty = tab.locator("td[data-label='']").first.evaluate(style)
        assert empty == "none", empty
    finally:
        context.close()
    assert not problems, problems
