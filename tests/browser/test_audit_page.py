"""« Journal de sécurité » in Chromium: reached from the admin menu, filtered, accessible (axe), and
readable at 1280 and 375 px (rows become cards, no horizontal scroll). Screenshots:
test-artifacts/journal-*.png."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from engine.db import utcnow
from tests.browser.test_agent_page import log_in
from tests.fixtures.axe import assert_accessible
from tests.fixtures.browser import screenshot
from web.core.audit import AuditEvent
from web.extensions import db

pytestmark = pytest.mark.browser


def test_the_admin_finds_a_failed_login_in_the_journal(app: Any, page: Any, make_user: Any) -> None:
    admin = make_user("admin", prenom="Alix", nom="Martin")
    with app.app_context():
        now = utcnow()
        for n in range(12):
            db.session.add(
                AuditEvent(
                    created_at=now - timedelta(hours=n),
                    event="login_failed" if n % 3 == 0 else "login",
                    actor_name="" if n % 3 == 0 else f"camille.durand{n}",
                    target='"camille.durand"' if n % 3 == 0 else f"camille.durand{n}",
                    details='{"refus": "mot de passe"}' if n % 3 == 0 else "{}",
                    ip="203.0.113.7",
                )
            )
        db.session.commit()
    log_in(page, admin)
    page.goto("/admin/agents")
    page.get_by_role("navigation", name="Administration").get_by_role(
        "link", name="Journal de sécurité"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Journal de sécurité")
    page.get_by_label("Événement").select_option(label="Échec de connexion")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_role("status").filter(has_text="événements")).to_contain_text("4 événements.")
    expect(page.locator("tbody tr")).to_have_count(4)
    assert_accessible(page)
    screenshot(page, "journal-1280")
    page.set_viewport_size({"width": 375, "height": 800})
    screenshot(page, "journal-375")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    assert_accessible(page)
