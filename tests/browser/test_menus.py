"""The header menu in a real Chromium: at 1280 px the role's pages in one line and the account's apart;
at 375 px folded behind « Menu », which opens and closes with JavaScript disabled, without horizontal
scrolling. Screenshots: test-artifacts/menu-*.png; with GUICHET_DOC_SCREENSHOTS=1 docs/images/menu-*.png."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.guide_screens import doc_screenshot
from tests.fixtures.axe import BLOCKING, axe_violations, describe
from tests.fixtures.browser import screenshot
from web.accounts.models import User

from .test_changement_adresse import log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}


def test_the_family_menu_folds_at_375_px_without_javascript(
    browser: Any, live_server: str, make_user: Callable[..., User]
) -> None:
    family = make_user("famille", prenom="Camille", nom="Martin")
    context = browser.new_context(
        base_url=live_server,
        locale="fr-FR",
        viewport={"width": 1280, "height": 800},
        java_script_enabled=False,
    )
    try:
        page = context.new_page()
        log_in(page, family)
        menu = page.get_by_role("navigation", name="Menu principal")
        expect(menu).to_be_visible()
        expect(page.get_by_role("link", name="Menu", exact=True)).to_be_hidden()
        expect(menu.get_by_role("link", name="Mes données")).to_have_count(0)
        # One line of pages at 1280 px: every entry of the main list on the same row.
        tops = page.locator(".nav-main > li").evaluate_all(
            "items => items.map(i => i.getBoundingClientRect().top)"
        )
        assert len(tops) == 9, tops
        assert len(set(tops)) == 1, tops
        screenshot(page, "menu-famille-1280")

        page.set_viewport_size(PHONE)
        page.goto("/")
        expect(menu).to_be_hidden()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "menu-famille-375-ferme")
        page.get_by_role("link", name="Menu", exact=True).click()
        expect(menu).to_be_visible()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "menu-famille-375-ouvert")
        doc_screenshot(page, "menu-famille-375")
        menu.get_by_role("link", name="Mes factures").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Mes factures")
        expect(menu).to_be_hidden()  # a new page: the menu is folded again

        page.get_by_role("link", name="Menu", exact=True).click()
        menu.get_by_role("link", name="Fermer le menu").click()
        expect(menu).to_be_hidden()
    finally:
        context.close()
    # axe needs JavaScript: the same open menu, in a tab that runs scripts.
    context = browser.new_context(base_url=live_server, locale="fr-FR", viewport=PHONE)
    try:
        page = context.new_page()
        log_in(page, family)
        page.goto("/#menu")
        expect(page.get_by_role("navigation", name="Menu principal")).to_be_visible()
        found = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
        assert not found, describe(found)
    finally:
        context.close()
