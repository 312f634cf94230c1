"""« Activités » in the real browser: a family gives an activity's documents, one chosen in « Mes
documents », one uploaded; the Enfance agent sees them on the session page and edits the session.
axe on every page, no horizontal scroll at 375 and 320 px, screenshots at 1280 and 375 px."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from PIL import Image
from playwright.sync_api import expect

from forms.documents import CheckedFile
from tests.activites.helpers import OPENS, make_activity
from tests.browser.test_accessibility import Audit, log_in
from tests.browser.test_famille import WIDE, both_widths
from web.accounts.models import User
from web.extensions import db
from web.famille.models import Child, FamilyRecord

pytestmark = pytest.mark.browser


def _pdf() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 160), (20, 90, 200)).save(out, format="PDF")
    return out.getvalue()


def _world(app: Any, make_user: Any) -> tuple[User, User, int]:
    family = make_user("famille", prenom="Camille", nom="Martin")
    agent = make_user("agent", groups=["Enfance"], prenom="Alex", nom="Durand")
    with app.app_context():
        s = db.session()
        record = FamilyRecord(service="Enfance", name="MARTIN Camille")
        s.add(record)
        s.flush()
        s.add(Child(family_record_id=record.id, last_name="MARTIN", first_name="Léa",
                    birth_date=date(2017, 3, 14), class_name="CE2"))  # fmt: skip
        account = s.get(User, family.id)
        account.family_records.append(record)
        offer = make_activity(
            s, "CL-HIVER", places=10, sessions=1, price_cents=1500,
            documents="Fiche sanitaire de liaison\nAttestation d'assurance extrascolaire",
        )  # fmt: skip
        offer.activity.name = "Centre de loisirs des vacances d'hiver"
        from web.coffre import services as coffre

        coffre.add(s, family.id, CheckedFile("fiche-sanitaire.pdf", "application/pdf", _pdf()),
                   name="Fiche sanitaire Léa", kind="Autre document")  # fmt: skip
        s.commit()
        return family, agent, offer.activity_id


def test_documents_chosen_or_uploaded_reach_the_agent(app, make_user, browser, live_server, tmp_path):
    family, agent, activity_id = _world(app, make_user)
    upload = tmp_path / "assurance.pdf"
    upload.write_bytes(_pdf())
    context = browser.new_context(base_url=live_server, locale="fr-FR", viewport=WIDE)
    page = context.new_page()
    audit = Audit(page)
    with time_machine.travel(OPENS + timedelta(hours=1)):
        log_in(page, family)
        page.goto(f"/activites/{activity_id}")
        page.get_by_role("radio", name="Léa MARTIN").check()
        page.get_by_role("checkbox", name="Semaine 1").check()
        page.get_by_role("button", name="Envoyer ma demande").click()
        expect(page.get_by_role("alert")).to_contain_text("Confirmez que vous fournirez les documents")
        audit.check("activites-06-documents-erreur")
        both_widths(page, "activites-06-documents-erreur")
        page.get_by_role("checkbox", name="Semaine 1").check()
        fiche = page.get_by_role("group", name="Fiche sanitaire de liaison")
        fiche.get_by_label("Choisir dans mes documents").select_option(
            label="Fiche sanitaire Léa — Autre document"
        )
        page.get_by_role("group", name="Attestation d'assurance extrascolaire").locator(
            "input[type=file]"
        ).set_input_files(str(upload))
        page.get_by_role("button", name="Envoyer ma demande").click()
        expect(page.get_by_role("status")).to_contain_text("est enregistrée")
        agent_tab = browser.new_context(base_url=live_server, locale="fr-FR", viewport=WIDE).new_page()
        agent_audit = Audit(agent_tab)
        log_in(agent_tab, agent)
        agent_tab.goto(f"/agents/activites/{activity_id}")
        agent_tab.get_by_role("link", name="Semaine 1").first.click()
        expect(agent_tab.get_by_role("link", name="Fiche sanitaire de liaison")).to_be_visible()
        expect(agent_tab.get_by_role("link", name="Attestation d'assurance extrascolaire")).to_be_visible()
        agent_audit.check("activites-12-agent-session-documents")
        both_widths(agent_tab, "activites-12-agent-session-documents")
        agent_tab.get_by_label("Places").fill("0")
        agent_tab.get_by_role("button", name="Enregistrer la session").click()
        expect(agent_tab.get_by_text("indiquez au moins 1 place,").first).to_be_visible()
        agent_audit.check("activites-13-agent-session-erreur")
        agent_tab.get_by_role("button", name="Supprimer la session").click()
        expect(agent_tab.get_by_text("ne peut pas être supprimée").first).to_be_visible()
    context.close()
    assert not audit.found, "\n".join(audit.found)
    assert not agent_audit.found, "\n".join(agent_audit.found)
