"""The « Prolonger » warning before the session times out (RGAA 13.1; static/js/session.js).

The live server keeps its real 30-minute idle limit; the browser's clock is Playwright's fake clock,
moved with fast_forward, so the dialog is reached without waiting. Locators go by role and
accessible name: they check what assistive technologies announce.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from playwright.sync_api import expect

from tests.fixtures.app import PASSWORD
from tests.fixtures.browser import screenshot
from web.accounts.models import User

pytestmark = pytest.mark.browser

TITLE = "Votre session va expirer"


def log_in(tab: Any, user: User) -> None:
    tab.goto("/connexion")
    box = tab.get_by_role("region", name="MON ESPACE PERSO")
    box.get_by_role("textbox", name="Nom d'utilisateur").fill(user.username)
    box.get_by_label("Mot de passe").fill(PASSWORD)
    box.get_by_role("button", name="Connexion").click()
    expect(tab.get_by_role("status")).to_contain_text(f"Bienvenue, {user.display_name}.")


def test_prolonger_is_announced_keyboard_reachable_and_extends_the_session(
    page: Any, make_user: Callable[..., User]
) -> None:
    user = make_user("famille")
    page.clock.install()
    log_in(page, user)
    page.goto("/mes-demandes")
    dialog = page.get_by_role("alertdialog", name=TITLE)
    expect(dialog).to_be_hidden()

    page.clock.fast_forward("27:30")
    expect(dialog).to_be_hidden()  # the warning comes 2 minutes before the end, at 28:00
    page.clock.fast_forward("01:00")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(dialog).to_have_accessible_description("Votre session va expirer dans 2 minutes.")
    expect(dialog.locator("[aria-live=assertive]")).to_have_text("Votre session va expirer dans 2 minutes.")
    extend = dialog.get_by_role("button", name="Prolonger")
    expect(extend).to_be_focused()
    screenshot(page, "session-prolonger")

    # Keyboard only: Tab reaches « Fermer », Shift+Tab comes back, Enter presses « Prolonger ».
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Fermer")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(extend).to_be_focused()
    with page.expect_response("**/session/prolonger") as answer:
        page.keyboard.press("Enter")
    response = answer.value
    assert response.request.method == "POST"
    assert response.request.headers["x-csrftoken"]
    assert response.status == 200
    assert response.json()["expires_in"] == 1800
    assert response.json()["limit"] == "idle"
    expect(dialog).to_be_hidden()
    expect(page.locator("[data-session-announce]")).to_have_text("Votre session est prolongée.")

    # The new deadline counts from the extension: no warning before 28 minutes more.
    page.clock.fast_forward("27:00")
    expect(dialog).to_be_hidden()
    page.clock.fast_forward("01:30")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")  # dismissed without extending
    expect(dialog).to_be_hidden()

    # At the end the dialog says so and offers to log in again (what is typed is not thrown away).
    page.clock.fast_forward("02:00")
    expect(dialog).to_be_visible()
    expect(dialog.locator("[aria-live=assertive]")).to_have_text("Votre session a expiré : reconnectez-vous.")
    expect(dialog.get_by_role("button", name="Prolonger")).to_be_hidden()
    relogin = dialog.get_by_role("link", name="Se reconnecter")
    expect(relogin).to_be_focused()
    assert relogin.get_attribute("href") == "/connexion?next=/mes-demandes"


def test_near_the_absolute_limit_the_dialog_cannot_extend(page: Any, make_user: Callable[..., User]) -> None:
    user = make_user("famille")
    page.clock.install()
    log_in(page, user)
    # The server's clock (same process) moves on by 25 minutes at a time, with a request each time so
    # that the idle limit does not end the session, up to 11 h 45 after the login.
    with time_machine.travel(datetime.now(UTC), tick=True) as traveller:
        for _ in range(28):
            traveller.shift(timedelta(minutes=25))
            assert page.request.get("/mes-demandes", max_redirects=0).status == 200
        traveller.shift(timedelta(minutes=5))
        page.goto("/mes-demandes")
        expect(page.locator("body")).to_have_attribute("data-session-limit", "absolute")
        dialog = page.get_by_role("alertdialog", name=TITLE)
        page.clock.fast_forward("13:30")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("ne peut plus être prolongée")
        expect(dialog.get_by_role("button", name="Prolonger")).to_be_hidden()
        expect(dialog.get_by_role("button", name="Fermer")).to_be_focused()
        page.keyboard.press("Enter")
        expect(dialog).to_be_hidden()
