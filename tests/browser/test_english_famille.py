"""The demo family's dashboard in English in the real browser (locale en-GB): no sideways scrolling
at 375 and 320 px with the longer English words, axe clean; screenshot
test-artifacts/famille-en-dashboard-375.png."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import Audit
from tests.fixtures.browser import screenshot, watch

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("clock")]

PHONE = {"width": 375, "height": 740}


def test_the_dashboard_in_english_fits_a_phone(browser: Any, live_server: str, app) -> None:
    from web.cli import main

    assert app.test_cli_runner().invoke(main, ["demo"], catch_exceptions=False).exit_code == 0
    context = browser.new_context(base_url=live_server, locale="en-GB", viewport=PHONE)
    tab = context.new_page()
    problems = watch(tab)
    try:
        tab.goto("/connexion")
        expect(tab.locator("html")).to_have_attribute("lang", "en")
        tab.locator("input[name=username]").first.fill("famille")
        tab.locator("input[name=password]").first.fill("demo-famille-2026")
        tab.locator("input[name=password]").first.press("Enter")
        expect(tab.get_by_role("heading", level=1)).to_contain_text("Hello")
        expect(tab.get_by_role("heading", name="My children and their activities")).to_be_visible()
        expect(tab.get_by_role("heading", name="The town’s facilities")).to_be_visible()
        audit = Audit(tab)
        audit.check("famille-en-dashboard")
        assert not audit.found, "\n".join(audit.found)
        for size in (PHONE, {"width": 320, "height": 640}):
            tab.set_viewport_size(size)
            width = tab.evaluate("() => document.documentElement.scrollWidth")
            assert width <= size["width"], (size, width)
        tab.set_viewport_size(PHONE)
        screenshot(tab, "famille-en-dashboard-375")
    finally:
        context.close()
    assert not problems, problems
