"""The studio in English in Chromium (locale en-GB): the démarche page at 1280 px and 375 px without
horizontal scroll, and the bpmn-js editor whose texts come from the page (no French in the bundle)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.fixtures.app import PASSWORD
from tests.fixtures.axe import BLOCKING, axe_violations, describe
from tests.fixtures.browser import screenshot, watch
from web.accounts.models import User

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def english(browser: Any, live_server: str) -> Iterator[Any]:
    """A tab whose browser asks for English (it logs in through the French form, then asks for English)."""
    context = browser.new_context(base_url=live_server, locale="en-GB")
    tab = context.new_page()
    problems = watch(tab)
    try:
        yield tab
    finally:
        context.close()
    assert not problems, problems


def _log_in(tab: Any, user: User) -> None:
    """The login form of the English page (« Username », « Password », « Log in »)."""
    tab.goto("/connexion")
    box = tab.get_by_role("region", name="MY ACCOUNT")
    box.get_by_role("textbox", name="Username").fill(user.username)
    box.get_by_label("Password").fill(PASSWORD)
    box.get_by_role("button", name="Log in").click()
    expect(tab.get_by_role("status")).to_contain_text(user.display_name)


def test_the_demarche_page_in_english_at_1280_and_375(english: Any, make_user: Callable[..., User]) -> None:
    _log_in(english, make_user("analyste", prenom="Ana", nom="Lyste"))
    for width, height, name in ((1280, 900, "studio-demarche-en-1280"), (375, 812, "studio-demarche-en-375")):
        english.set_viewport_size({"width": width, "height": height})
        english.goto("/studio/changement_adresse")
        assert english.locator("html").get_attribute("lang") == "en"
        expect(english.get_by_role("heading", name="Published versions")).to_be_visible()
        expect(english.get_by_role("button", name="Upload")).to_be_visible()
        assert english.evaluate("() => document.documentElement.scrollWidth") <= width
        blocking = [v for v in axe_violations(english, [".djs-container"]) if v["impact"] in BLOCKING]
        assert not blocking, describe(blocking)
        screenshot(english, name)
    english.goto("/studio/")
    assert english.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(english, "studio-accueil-en-375")


def test_the_editor_speaks_english(english: Any, make_user: Callable[..., User]) -> None:
    _log_in(english, make_user("analyste", prenom="Ana", nom="Lyste"))
    english.set_viewport_size({"width": 1280, "height": 900})
    english.goto("/studio/changement_adresse/editeur")
    expect(english.locator("[data-studio-editor]")).to_have_attribute("data-ready", "true", timeout=20000)
    expect(english.locator("[data-studio-status]")).to_have_text("Diagram open.")
    expect(english.locator("[data-studio-problems]")).to_contain_text("No problems")
    english.locator(".djs-element[data-element-id='relance']").click()
    header = english.locator(".bio-properties-panel-group-header", has_text="Guichet").first
    if "open" not in (header.get_attribute("class") or ""):
        header.click()
    group = english.locator("[data-group-id='group-guichet']")
    expect(group).to_contain_text("Timer (Date, expression)")
    expect(group).to_contain_text("“P6D” = 6 days")
    english.locator(".djs-element[data-element-id='notifier_acceptation']").click()
    expect(english.get_by_role("button", name="Remove the parameter “motif”")).to_be_visible()
    english.get_by_role("button", name="Remove the parameter “motif”").click()
    expect(english.locator("[data-studio-status]")).to_have_text("Changes not saved.")
    # The diagram's names are the town's French content; the editor's own words are English.
    panel = english.locator("[data-studio-panel]").inner_text()
    for french in ("Opération Guichet", "Retirer le paramètre", "Nouveau paramètre", "Paramètre « "):
        assert french not in panel
    expect(english.get_by_label("New parameter: name")).to_be_visible()
    screenshot(english, "studio-editeur-en")
