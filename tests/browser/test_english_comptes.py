"""The accounts pages in English in Chromium (locale en-GB) at 375 px: logging in, « Edit my account »
(the busiest form of the area) without horizontal scrolling, and the session warning, whose texts
session.js reads from the page (no French in the script)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.fixtures.app import PASSWORD
from tests.fixtures.axe import BLOCKING, axe_violations, describe
from tests.fixtures.browser import screenshot, watch
from web.accounts.models import User

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 740}


def test_english_pages_at_375_px_and_the_session_warning(
    browser: Any, live_server: str, make_user: Callable[..., User]
) -> None:
    user = make_user("famille", prenom="Camille", nom="Martin")
    context = browser.new_context(base_url=live_server, locale="en-GB", viewport=PHONE)
    try:
        tab = context.new_page()
        problems = watch(tab)
        tab.clock.install()
        tab.goto("/connexion")
        box = tab.get_by_role("region", name="MY ACCOUNT")
        box.get_by_role("textbox", name="Username").fill(user.username)
        box.get_by_label("Password").fill(PASSWORD)
        box.get_by_role("button", name="Log in").click()
        expect(tab.get_by_role("status")).to_contain_text("Welcome, Camille Martin.")
        assert tab.locator("html").get_attribute("lang") == "en"

        for path, heading in [("/profil/espace", "Edit my account"), ("/profil", "Edit my profile")]:
            tab.goto(path)
            expect(tab.get_by_role("heading", level=1)).to_have_text(heading)
            width = tab.evaluate("() => document.documentElement.scrollWidth")
            assert width <= PHONE["width"], (path, width)  # no horizontal scrolling with longer words
            blocking = [v for v in axe_violations(tab) if v["impact"] in BLOCKING]
            assert not blocking, describe(blocking)
        tab.goto("/profil/espace")
        expect(tab.get_by_role("group", name="Contact details")).to_be_visible()
        screenshot(tab, "english-edit-my-account-375")

        tab.clock.fast_forward("28:30")
        dialog = tab.get_by_role("alertdialog", name="Your session is about to expire")
        expect(dialog).to_be_visible()
        expect(dialog.locator("[data-session-detail]")).to_have_text(
            "If you do nothing, you will be logged out. Choose “Stay logged in” to stay logged in."
        )
        with tab.expect_response("**/session/prolonger"):
            dialog.get_by_role("button", name="Stay logged in").click()
        expect(tab.locator("[data-session-announce]")).to_have_text("Your session has been extended.")
        assert not problems, problems
    finally:
        context.close()
