"""« Mes factures » in English in the real browser (locale en-GB): axe, no sideways scroll at 375 and
320 px with the longer English words, screenshots at 1280 and 375 px
(test-artifacts/factures-en-*.png)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from playwright.sync_api import expect

from tests.browser.test_accessibility import Audit
from tests.browser.test_famille import WIDE, both_widths
from tests.fixtures.app import PASSWORD
from tests.fixtures.browser import watch
from tests.integration.factures_world import NOW, invoices  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


@pytest.fixture
def tab(browser: Any, live_server: str) -> Iterator[Any]:
    with time_machine.travel(NOW, tick=True):
        context = browser.new_context(base_url=live_server, locale="en-GB", viewport=WIDE)
        page = context.new_page()
        problems = watch(page)
        try:
            yield page
        finally:
            context.close()
    assert not problems, problems


def log_in(page: Any, user: Any) -> None:
    """The login form by its field names (its wording belongs to the accounts' translation)."""
    page.goto("/connexion")
    page.locator("main input[name='username']").fill(user.username)
    page.locator("main input[name='password']").fill(PASSWORD)
    page.locator("main form[action^='/connexion'] button.button").click()
    expect(page.get_by_role("status")).to_be_visible()


def test_my_invoices_in_english_fit_a_phone(tab, people, invoices):  # noqa: F811
    page = tab
    audit = Audit(page)
    log_in(page, people["famille"])
    page.goto("/factures")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1, name="My invoices")).to_be_visible()
    expect(page.get_by_role("cell", name="Overdue")).to_be_visible()
    expect(page.get_by_text("2 invoices to pay, for a total of €145.00.")).to_be_visible()
    expect(page.get_by_role("button", name="Pay the ticked invoices")).to_be_visible()
    audit.check("factures-en-mes-factures")
    both_widths(page, "factures-en-mes-factures")
    page.get_by_role("link", name="FAC-2026-000001", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Invoice FAC-2026-000001")).to_be_visible()
    audit.check("factures-en-facture")
    both_widths(page, "factures-en-facture")
    audit.done(2)
