"""« File d'envoi » (admin) during an SMTP outage: axe, 1280 and 375 px without horizontal scrolling."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from engine import api
from engine.outbox import ServerUnavailable
from tests.fixtures.axe import BLOCKING, axe_violations, describe
from tests.fixtures.browser import screenshot
from tests.scale.helpers import enqueue
from web.extensions import db

from .test_accessibility import log_in

pytestmark = pytest.mark.browser


def refuse(message: Any) -> None:
    raise ServerUnavailable("serveur de courriel injoignable : [Errno 111] Connection refused")


@pytest.mark.parametrize("width", [1280, 375])
def test_the_outbox_page_shows_the_outage_and_the_backlog(browser, live_server, app, make_user, width):
    admin = make_user("admin")
    enqueue(app, 3)
    with app.app_context():
        session = db.new_session()
        api.send_outbox(session, refuse, policy=api.RetryPolicy())
        session.close()
    context = browser.new_context(
        base_url=live_server, locale="fr-FR", viewport={"width": width, "height": 800}
    )
    try:
        page = context.new_page()
        log_in(page, admin)
        page.goto("/admin/agents")
        page.get_by_role("navigation", name="Administration").get_by_role("link", name="File d'envoi").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("File d'envoi")
        expect(page.get_by_role("alert")).to_contain_text("le serveur d'envoi ne répond pas depuis le")
        expect(page.get_by_role("region", name="Courriels")).to_contain_text("En attente")
        screenshot(page, f"admin-file-envoi-{width}")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
        assert not blocking, describe(blocking)
    finally:
        context.close()
