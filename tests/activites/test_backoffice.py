"""The agents' pages of « Activités »: settings, sessions, lists, attendance PDF/CSV/ODS, moving a child,
closing; other services and families are kept out."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import time_machine
from sqlalchemy import select

from tests.activites.helpers import OPENS
from tests.activites.test_booking_pages import activity, book, bookings, family_with_children
from tests.fixtures.app import csrf_token, login
from web.activites.models import ActivityOffer, ActivitySession, BookingStatus
from web.extensions import db

NOW = OPENS + timedelta(hours=2)


def test_agents_manage_an_activity_and_export_its_lists(app, make_user):
    agent = make_user("agent", groups=["Enfance"])
    user, (kid,) = family_with_children(app, make_user, "LISTE")
    activity_id, (first, second) = activity(app, places=3, sessions=2)
    with time_machine.travel(NOW, tick=False):
        family = app.test_client()
        login(family, user)
        assert book(family, activity_id, kid, [first]).status_code == 302
        client = app.test_client()
        login(client, agent)
        assert "Activités" in client.get("/agents/activites").get_data(as_text=True)
        page = client.get(f"/agents/activites/{activity_id}").get_data(as_text=True)
        assert "Semaine 1" in page
        pdf = client.get(f"/agents/activites/{activity_id}/sessions/{first}/presence.pdf")
        assert pdf.status_code == 200
        assert pdf.data.startswith(b"%PDF")
        csv = client.get(f"/agents/activites/{activity_id}/sessions/{first}/presence.csv").get_data(
            as_text=True
        )
        assert csv.startswith("\ufeffPlace;Nom;Prénom")
        assert "LISTE;Liste1" in csv
        ods = client.get(f"/agents/activites/{activity_id}/sessions/{first}/presence.ods").data
        assert "content.xml" in zipfile.ZipFile(io.BytesIO(ods)).namelist()
        # Move the child to the second session, then close the activity.
        token = csrf_token(client, f"/agents/activites/{activity_id}/sessions/{first}")
        (booking,) = [row for row in bookings(app)]
        with app.app_context():
            from web.activites.models import ActivityBooking

            booking_id = db.session().scalars(select(ActivityBooking.id)).one()
        moved = client.post(
            f"/agents/activites/{activity_id}/deplacer",
            data={"csrf_token": token, "inscription": booking_id, "session": second, "depuis": first},
        )
        assert moved.status_code == 302
        rows = bookings(app)
        assert [(r[1], r[2]) for r in rows] == [
            (first, BookingStatus.CANCELLED),
            (second, BookingStatus.PLACED),
        ]
        assert booking[1] == first
        closed = client.post(f"/agents/activites/{activity_id}/cloturer", data={"csrf_token": token})
        assert closed.status_code == 302
        with app.app_context():
            assert db.session().get(ActivityOffer, activity_id).closed_at is not None
        refused = book(family, activity_id, kid, [first])
        assert refused.status_code == 422
        assert "Les inscriptions à cette activité sont closes." in refused.get_data(as_text=True)


def test_settings_and_sessions_are_checked_in_french(app, make_user):
    agent = make_user("agent", groups=["Enfance"])
    activity_id, _ = activity(app)
    client = app.test_client()
    login(client, agent)
    token = csrf_token(client, f"/agents/activites/{activity_id}")
    bad = client.post(
        f"/agents/activites/{activity_id}",
        data={
            "csrf_token": token,
            "min_age": "8",
            "max_age": "6",
            "price_rule": "quotient",
            "price": "douze",
            "quotient_bands": "n'importe quoi",
            "cancel_days": "7",
            "fair_minutes": "0",
        },
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "L&#39;âge maximum est plus petit que l&#39;âge minimum." in text
    assert "Indiquez un prix en euros, par exemple 12,50." in text
    good = client.post(
        f"/agents/activites/{activity_id}",
        data={
            "csrf_token": token,
            "min_age": "3",
            "max_age": "11",
            "price_rule": "quotient",
            "price": "0",
            "quotient_bands": "600:450;:900",
            "cancel_days": "5",
            "fair_minutes": "30",
            "opens_at": "2027-01-11T08:30",
            "closes_at": "2027-02-01T18:00",
        },
    )
    assert good.status_code == 302
    with app.app_context():
        offer = db.session().get(ActivityOffer, activity_id)
        assert offer.opens_at == OPENS
        assert offer.fair_minutes == 30
    wrong = client.post(
        f"/agents/activites/{activity_id}/sessions",
        data={
            "csrf_token": token,
            "s-label": "Semaine 3",
            "s-starts_on": "2027-03-05",
            "s-ends_on": "2027-03-01",
            "s-weekdays": ["0", "2"],
            "s-places": "10",
        },
    )
    assert wrong.status_code == 422
    assert "Le dernier jour est avant le premier jour." in wrong.get_data(as_text=True)
    added = client.post(
        f"/agents/activites/{activity_id}/sessions",
        data={
            "csrf_token": token,
            "s-label": "Semaine 3",
            "s-starts_on": "2027-03-01",
            "s-ends_on": "2027-03-05",
            "s-weekdays": ["0", "2"],
            "s-places": "10",
        },
    )
    assert added.status_code == 302
    with app.app_context():
        labels = db.session().scalars(select(ActivitySession.label)).all()
        assert "Semaine 3" in labels


def test_other_services_get_404_and_families_403(app, make_user):
    other = make_user("agent", groups=["Accueil"])
    user, _ = family_with_children(app, make_user, "INTRUS")
    activity_id, (sid,) = activity(app)
    client = app.test_client()
    login(client, other)
    assert client.get(f"/agents/activites/{activity_id}").status_code == 404
    assert client.get(f"/agents/activites/{activity_id}/sessions/{sid}/presence.pdf").status_code == 404
    header = client.get("/agents/activites").get_data(as_text=True).split("<main")[0]
    assert 'href="/agents/activites"' not in header  # no menu link (the language switch names the page)
    family = app.test_client()
    login(family, user)
    assert family.get(f"/agents/activites/{activity_id}").status_code == 403


def test_an_activity_without_settings_opens_empty_and_a_get_writes_nothing(app, make_user):
    from web.famille.models import Activity, ActivityKind

    agent = make_user("agent", groups=["Enfance"])
    with app.app_context():
        s = db.session()
        activity = Activity(
            external_id="NEUVE", name="Activité neuve", kind=ActivityKind.SPORT, service="Enfance"
        )
        s.add(activity)
        s.commit()
        activity_id = activity.id
    client = app.test_client()
    login(client, agent)
    page = client.get(f"/agents/activites/{activity_id}")
    assert page.status_code == 200
    assert "Aucune session : ajoutez-en une ci-dessous." in page.get_data(as_text=True)
    with app.app_context():
        assert db.session().get(ActivityOffer, activity_id) is None


def test_moving_to_a_full_session_is_refused_in_french_and_changes_nothing(app, make_user):
    agent = make_user("agent", groups=["Enfance"])
    one, (a,) = family_with_children(app, make_user, "UN")
    two, (b,) = family_with_children(app, make_user, "DEUX")
    activity_id, (first, second) = activity(app, places=1, sessions=2)
    with time_machine.travel(NOW, tick=False):
        for user, kid, sid in ((one, a, first), (two, b, second)):
            family = app.test_client()
            login(family, user)
            assert book(family, activity_id, kid, [sid]).status_code == 302
        client = app.test_client()
        login(client, agent)
        token = csrf_token(client, f"/agents/activites/{activity_id}/sessions/{first}")
        before = bookings(app)
        with app.app_context():
            from web.activites.models import ActivityBooking

            booking_id = (
                db.session().scalars(select(ActivityBooking.id).where(ActivityBooking.child_id == a)).one()
            )
        moved = client.post(
            f"/agents/activites/{activity_id}/deplacer",
            data={"csrf_token": token, "inscription": booking_id, "session": second, "depuis": first},
            follow_redirects=True,
        )
        assert "La session « Semaine 2 » est complète : le déplacement n&#39;est pas fait." in moved.get_data(
            as_text=True
        )
        assert bookings(app) == before
