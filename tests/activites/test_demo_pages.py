"""The demo data of « Activités » is reachable: the demo family sees the three activities, its
children's bookings (a place, a waiting rank after the draw, a request awaiting validation); the demo
Enfance agent sees the activities, the draw and the lists."""

from __future__ import annotations

import html

from sqlalchemy import select

from web.accounts.services import find_by_login
from web.activites.models import ActivityOffer
from web.cli import main
from web.extensions import db


def _login(client, username, password):
    from tests.fixtures.app import csrf_token

    token = csrf_token(client, "/connexion")
    answer = client.post("/connexion", data={"username": username, "password": password, "csrf_token": token})
    assert answer.status_code == 302


def test_the_demo_family_and_agent_see_the_activities(app):
    runner = app.test_cli_runner()
    assert runner.invoke(main, ["demo"], catch_exceptions=False).exit_code == 0
    with app.app_context():
        assert find_by_login(db.session(), "famille") is not None
        offers = db.session().scalars(select(ActivityOffer)).all()
        assert len(offers) == 3
        winter = next(o.activity_id for o in offers if o.fair_minutes)
    family = app.test_client()
    _login(family, "famille", "demo-famille-2026")
    listing = html.unescape(family.get("/activites").get_data(as_text=True))
    for name in (
        "Centre de loisirs des vacances d'hiver",
        "Éveil musical (4-6 ans)",
        "École municipale de natation",
    ):
        assert name in listing
    mine = html.unescape(family.get("/activites/mes-inscriptions").get_data(as_text=True))
    assert "Liste d'attente, rang 1" in mine
    assert "Inscrit" in mine
    assert family.get(f"/activites/{winter}/tirage").status_code == 200
    agent = app.test_client()
    _login(agent, "agent", "demo-agent-2026")
    page = html.unescape(agent.get(f"/agents/activites/{winter}").get_data(as_text=True))
    assert "demo-hiver-2027" in page
    assert "Activités" in agent.get("/agents/activites").get_data(as_text=True)


def test_the_demo_shows_an_enrolment_invoice_an_enrolment_and_a_document(app):
    runner = app.test_cli_runner()
    for _ in range(2):  # idempotent
        assert runner.invoke(main, ["demo"], catch_exceptions=False).exit_code == 0
    family = app.test_client()
    _login(family, "famille", "demo-famille-2026")
    invoices = html.unescape(family.get("/factures").get_data(as_text=True))
    with app.app_context():
        from web.factures.models import Invoice

        (swimming,) = db.session().scalars(select(Invoice).where(Invoice.external_id.like("DEM-%"))).all()
        assert swimming.lines[0].label.startswith("École municipale de natation — Samedi 9 h")
        assert swimming.lines[0].child_name.startswith("Léa")
        number = swimming.number
    assert number in invoices
    famille = html.unescape(family.get("/ma-famille").get_data(as_text=True))
    assert "Centre de loisirs des vacances d'hiver" in famille
    assert "École municipale de natation" in famille
    agent = app.test_client()
    _login(agent, "agent", "demo-agent-2026")
    with app.app_context():
        eveil = next(
            o.activity_id for o in db.session().scalars(select(ActivityOffer)) if o.validation_required
        )
        sid = db.session().get(ActivityOffer, eveil).sessions[0].id
    page = html.unescape(agent.get(f"/agents/activites/{eveil}/sessions/{sid}").get_data(as_text=True))
    assert "Justificatif de domicile de moins de trois mois" in page
