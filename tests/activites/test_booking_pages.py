"""The families' booking pages and the démarche behind them: places, waiting list, the fair window's
draw, cancellation and promotion, the service's validation; every bad input answered in French with
no place given."""

from __future__ import annotations

import html
import json
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from sqlalchemy import select

from engine import api
from tests.activites.helpers import OPENS, make_activity
from tests.fixtures.app import csrf_token, login
from web.accounts.models import User
from web.activites.draw import due_draws
from web.activites.models import ActivityBooking, ActivityDraw, BookingEvent, BookingStatus
from web.extensions import db
from web.famille.models import Child, FamilyRecord
from web.notifications.models import Notification

DURING = OPENS + timedelta(hours=1)


def family_with_children(app, make_user, name, births=(date(2018, 5, 1),), classes=("CE1",)):
    user = make_user("famille")
    with app.app_context():
        s = db.session()
        record = FamilyRecord(service="Enfance", name=name)
        s.add(record)
        s.flush()
        for n, (born, klass) in enumerate(zip(births, classes, strict=True)):
            s.add(
                Child(
                    family_record_id=record.id,
                    last_name=name,
                    first_name=f"{name.title()}{n + 1}",
                    birth_date=born,
                    class_name=klass,
                )
            )
        account = s.get(User, user.id)
        account.family_records.append(record)
        s.commit()
        kids = [c.id for c in record.children]
    return user, kids


def activity(app, code="CL-HIVER", **kwargs):
    with app.app_context():
        s = db.session()
        offer = make_activity(s, code, **kwargs)
        s.commit()
        return offer.activity_id, [x.id for x in offer.sessions]


def book(client, activity_id, child, sessions, follow_redirects=False, **extra):
    token = csrf_token(client, f"/activites/{activity_id}")
    data = {
        "csrf_token": token,
        "enfant": str(child),
        "sessions": [str(s) for s in sessions],
        "documents": "y",
    }
    return client.post(f"/activites/{activity_id}", data={**data, **extra}, follow_redirects=follow_redirects)


def bookings(app):
    with app.app_context():
        return [
            (b.child_id, b.session_id, b.status, b.place_no, b.price_cents)
            for b in db.session().scalars(select(ActivityBooking).order_by(ActivityBooking.id))
        ]


@pytest.fixture
def frozen():
    with time_machine.travel(DURING, tick=False) as traveller:
        yield traveller


def test_a_family_books_a_place_and_the_demarche_confirms_it(app, make_user, client, frozen):
    user, kids = family_with_children(app, make_user, "MARTIN")
    activity_id, sessions = activity(app, places=1, sessions=2, price_cents=1250, price_rule="par_jour")
    login(client, user)
    page = client.get(f"/activites/{activity_id}").get_data(as_text=True)
    assert "Semaine 1" in page
    assert "1 sur 1" in page
    response = book(client, activity_id, kids[0], sessions[:1], prix="1", price_cents="1")
    assert response.status_code == 302
    assert bookings(app) == [(kids[0], sessions[0], BookingStatus.PLACED, 1, 5 * 1250)]
    mine = client.get("/activites/mes-inscriptions").get_data(as_text=True)
    assert "Inscrit" in mine
    assert "62,50\u00a0€" in mine  # web.core.i18n.money: a no-break space, never wrapped
    with app.app_context():
        s = db.session()
        (request,) = api.instances_for(s, user.id)
        assert request.status_label == "Enregistrée"
        assert s.scalars(select(Notification.message)).one().startswith("Votre demande d'inscription")


def test_a_full_session_gives_a_rank_and_a_cancellation_promotes_it(app, make_user, frozen):
    first, (a,) = family_with_children(app, make_user, "PREMIER")
    second, (b,) = family_with_children(app, make_user, "SECOND")
    activity_id, (sid,) = activity(app, places=1)
    one, two = app.test_client(), app.test_client()
    login(one, first)
    login(two, second)
    book(one, activity_id, a, [sid])
    response = book(two, activity_id, b, [sid], follow_redirects=True)
    assert "liste d'attente, rang 1" in html.unescape(response.get_data(as_text=True))
    mine = one.get("/activites/mes-inscriptions").get_data(as_text=True)
    (booking_id,) = _ids(app, a)
    token = csrf_token(one, "/activites/mes-inscriptions")
    assert "Annuler cette inscription" in mine
    assert (
        one.post(f"/activites/mes-inscriptions/{booking_id}/annuler", data={"csrf_token": token}).status_code
        == 302
    )
    rows = {row[0]: row for row in bookings(app)}
    assert rows[a][2] == BookingStatus.CANCELLED
    assert rows[b][2:4] == (BookingStatus.PLACED, 1)
    with app.app_context():
        s = db.session()
        messages = [
            n.message for n in s.scalars(select(Notification).where(Notification.user_id == second.id))
        ]
        assert any(m.startswith("Bonne nouvelle : une place s'est libérée") for m in messages)
        (promoted,) = api.instances_for(s, second.id)
        labels = [e.label for e in api.history(s, SimpleNamespace(id=promoted.id))]
        assert any(label.startswith("Place attribuée depuis la liste d'attente") for label in labels), labels
        texts = [e.text for e in s.scalars(select(BookingEvent))]
        assert "Place attribuée depuis la liste d'attente (une place s'est libérée)." in texts
    # The other family cannot cancel someone else's booking.
    other = _ids(app, b)[0]
    assert (
        one.post(f"/activites/mes-inscriptions/{other}/annuler", data={"csrf_token": token}).status_code
        == 404
    )


def _ids(app, child):
    with app.app_context():
        return list(db.session().scalars(select(ActivityBooking.id).where(ActivityBooking.child_id == child)))


def test_bad_input_is_answered_in_french_and_gives_no_place(app, make_user, client, frozen):
    user, (kid, young) = family_with_children(
        app, make_user, "DURAND", births=(date(2018, 5, 1), date(2024, 1, 1)), classes=("CE1", "PS")
    )
    _, (stranger,) = family_with_children(app, make_user, "AUTRE")
    activity_id, sessions = activity(app, places=5, sessions=2, min_age=6, documents="Fiche sanitaire")
    other_id, other_sessions = activity(app, "SPORT", places=5)
    later_id, later_sessions = activity(app, "PLUS-TARD", opens_at=OPENS + timedelta(days=2))
    login(client, user)

    def refused(response, text):
        assert response.status_code == 422, response.status_code
        assert text in html.unescape(response.get_data(as_text=True))

    refused(
        book(client, activity_id, stranger, sessions[:1]), "Choisissez un enfant de votre dossier famille."
    )
    refused(book(client, activity_id, kid, other_sessions), "Une des sessions choisies n'existe pas")
    refused(book(client, activity_id, kid, ["99999"]), "Une des sessions choisies n'existe pas")
    refused(book(client, activity_id, young, sessions[:1]), "n'a pas l'âge requis (6 ans au moins)")
    refused(book(client, activity_id, kid, []), "Choisissez au moins une session.")
    refused(
        book(client, activity_id, kid, sessions[:1], documents=""),
        "Confirmez que vous fournirez les documents",
    )
    token = csrf_token(client, f"/activites/{activity_id}")
    response = client.post(
        f"/activites/{later_id}", data={"csrf_token": token, "enfant": kid, "sessions": later_sessions}
    )
    refused(response, "ne sont pas encore ouvertes : elles ouvrent le 13/01/2027 à 08:30")
    assert bookings(app) == []
    # Overlap with a session of another activity (same week), then the same request twice.
    assert book(client, other_id, kid, other_sessions).status_code == 302
    refused(book(client, activity_id, kid, sessions[:1]), "a lieu les mêmes jours que « Semaine 1 »")
    assert book(client, activity_id, kid, sessions[1:]).status_code == 302
    refused(book(client, activity_id, kid, sessions[1:]), "est déjà inscrit(e) à « Semaine 2 »")
    assert len(bookings(app)) == 2


def test_a_closed_session_and_a_closed_activity_refuse(app, make_user, client, frozen):
    user, (kid,) = family_with_children(app, make_user, "CLOS")
    activity_id, sessions = activity(app, sessions=2)
    with app.app_context():
        from web.activites.models import ActivitySession

        db.session().get(ActivitySession, sessions[0]).closed = True
        db.session().commit()
    login(client, user)
    response = book(client, activity_id, kid, sessions[:1])
    assert response.status_code == 422
    assert "La session « Semaine 1 » est close" in response.get_data(as_text=True)


def test_fair_window_requests_wait_for_the_draw_then_see_their_outcome(app, make_user):
    families = [family_with_children(app, make_user, f"TIRAGE{n}") for n in range(3)]
    activity_id, (sid,) = activity(app, places=2, fair=30)
    with time_machine.travel(OPENS + timedelta(minutes=5), tick=False):
        for user, (kid,) in families:
            client = app.test_client()
            login(client, user)
            assert book(client, activity_id, kid, [sid]).status_code == 302
        page = client.get("/activites/mes-inscriptions").get_data(as_text=True)
        assert "Tirage au sort le 11/01/2027 à 09:00" in page
        with app.app_context():
            assert due_draws(db.session()) == []  # the window is not over
    with time_machine.travel(OPENS + timedelta(minutes=31), tick=False), app.app_context():
        s = db.session()
        (_draw,) = due_draws(s)
        s.commit()
        assert due_draws(s) == []  # idempotent
        s.commit()
    statuses = sorted(row[2] for row in bookings(app))
    assert statuses == [BookingStatus.WAITING, BookingStatus.PLACED, BookingStatus.PLACED]
    with app.app_context():
        draws = db.session().scalars(select(ActivityDraw)).all()
        assert len(draws) == 1
        assert len(draws[0].seed) == 32
        messages = db.session().scalars(select(Notification.message)).all()
        assert sum(m.startswith("Tirage au sort de") for m in messages) == 3
    with time_machine.travel(OPENS + timedelta(minutes=40), tick=False):
        login(client, families[-1][0])
        page = client.get("/activites/mes-inscriptions").get_data(as_text=True)
        assert "Tirage au sort le" not in page
        assert client.get(f"/activites/{activity_id}/tirage").status_code == 200


def test_the_service_validates_or_refuses_and_a_refusal_frees_the_place(app, make_user, frozen):
    first, (a,) = family_with_children(app, make_user, "VALIDE")
    second, (b,) = family_with_children(app, make_user, "ATTENTE")
    agent = make_user("agent", groups=["Enfance"])
    activity_id, (sid,) = activity(app, places=1, validation_required=True)
    for user, kid in ((first, a), (second, b)):
        client = app.test_client()
        login(client, user)
        assert book(client, activity_id, kid, [sid]).status_code == 302
    with app.app_context():
        s = db.session()
        tasks, total = api.queue_for(s, agent.groups)
        assert total == 2
        (request,) = api.instances_for(s, first.id)
        mine = next(t for t in tasks if t.instance_id == request.id)
        api.complete(s, mine.id, agent, {"decision": "refusee", "motif": "Dossier incomplet"})
        s.commit()
    rows = {row[0]: row for row in bookings(app)}
    assert rows[a][2] == BookingStatus.REFUSED
    assert rows[b][2:4] == (BookingStatus.PLACED, 1)


def test_a_request_after_the_window_but_before_the_draw_comes_after_the_drawn_ones(app, make_user):
    early, (a,) = family_with_children(app, make_user, "TOT")
    late, (b,) = family_with_children(app, make_user, "TARD")
    after, (c,) = family_with_children(app, make_user, "APRES")
    activity_id, (sid,) = activity(app, places=1, fair=30)
    for user, kid, minutes in ((early, a, 10), (late, b, 35)):
        with time_machine.travel(OPENS + timedelta(minutes=minutes), tick=False):
            client = app.test_client()
            login(client, user)
            assert book(client, activity_id, kid, [sid]).status_code == 302
    assert [row[2] for row in bookings(app)] == [BookingStatus.DRAW, BookingStatus.DRAW]
    with time_machine.travel(OPENS + timedelta(minutes=36), tick=False), app.app_context():
        s = db.session()
        (draw,) = due_draws(s)
        s.commit()
        assert len(json.loads(draw.result)) == 1  # only the window's request is drawn
    rows = {row[0]: row for row in bookings(app)}
    assert rows[a][2] == BookingStatus.PLACED
    assert rows[b][2] == BookingStatus.WAITING  # swept after the draw, first come first served
    with time_machine.travel(OPENS + timedelta(minutes=40), tick=False):
        client = app.test_client()
        login(client, after)
        response = book(client, activity_id, c, [sid], follow_redirects=True)
        assert "liste d'attente, rang 2" in html.unescape(response.get_data(as_text=True))
