"""The accessibility statement and the contact page in English at 375 px: axe, no horizontal scroll."""

from __future__ import annotations

import pytest

from tests.fixtures.axe import BLOCKING, axe_violations, describe
from tests.fixtures.browser import screenshot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("path", "heading"),
    [("/accessibilite", "Accessibility statement"), ("/contact", "Who to contact if something goes wrong?")],
)
def test_english_pages_fit_a_phone(browser, live_server, path, heading):
    context = browser.new_context(
        base_url=live_server, locale="en-GB", viewport={"width": 375, "height": 800}
    )
    try:
        page = context.new_page()
        page.goto(path)
        assert page.get_attribute("html", "lang") == "en"
        assert page.locator("h1").inner_text() == heading
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        violations = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
        assert not violations, describe(violations)
        screenshot(page, f"english-courriels{path.replace('/', '-')}-375")
    finally:
        context.close()
