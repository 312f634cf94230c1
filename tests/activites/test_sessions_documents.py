"""Agents edit, close and delete a session (never below the places given, never one with bookings);
validation only for a service the démarche has a lane for; the documents an activity asks for are
chosen in « Mes documents » or uploaded, and the agents see them."""

from __future__ import annotations

import html
import io
from datetime import timedelta

import pytest
import time_machine
from PIL import Image

from engine import api
from forms.documents import CheckedFile
from tests.activites.helpers import OPENS
from tests.activites.test_booking_pages import activity, book, bookings, family_with_children
from tests.fixtures.app import csrf_token, login
from web.activites.models import ActivitySession, BookingStatus
from web.extensions import db
from web.famille.models import Activity

NOW = OPENS + timedelta(hours=2)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _pdf() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 160), (20, 90, 200)).save(out, format="PDF")
    return out.getvalue()


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _session_form(label, places, start="2027-02-15", end="2027-02-19"):
    return {
        "s-label": label,
        "s-starts_on": start,
        "s-ends_on": end,
        "s-weekdays": ["0", "1", "2", "3", "4"],
        "s-places": str(places),
    }


def test_agents_edit_close_and_delete_sessions(app, make_user, frozen):
    agent = make_user("agent", groups=["Enfance"])
    first, (a,) = family_with_children(app, make_user, "PREMIER")
    second, (b,) = family_with_children(app, make_user, "SECOND")
    activity_id, (sid, empty) = activity(app, places=1, sessions=2)
    for user, kid in ((first, a), (second, b)):
        family = app.test_client()
        login(family, user)
        assert book(family, activity_id, kid, [sid]).status_code == 302
    client = app.test_client()
    login(client, agent)
    page_url = f"/agents/activites/{activity_id}/sessions/{sid}"
    page = _text(client.get(page_url))
    assert "Modifier la session" in page
    assert 'value="Semaine 1"' in page
    token = csrf_token(client, page_url)
    base = f"/agents/activites/{activity_id}/sessions"
    refused = client.post(
        f"{base}/{sid}/modifier", data={"csrf_token": token, **_session_form("Semaine 1", 0)}
    )
    assert refused.status_code == 422
    assert "La session a déjà 1 place attribuée : indiquez au moins 1 place" in _text(refused)
    changed = client.post(
        f"{base}/{sid}/modifier", data={"csrf_token": token, **_session_form("Semaine bleue", 2)}
    )
    assert changed.status_code == 302
    assert "1 enfant de la liste d'attente a reçu une place" in _text(client.get(page_url))
    assert sorted(row[2] for row in bookings(app)) == [BookingStatus.PLACED, BookingStatus.PLACED]
    # A session with bookings cannot be deleted; an empty one can.
    kept = client.post(f"{base}/{sid}/supprimer", data={"csrf_token": token}, follow_redirects=True)
    assert "La session « Semaine bleue » ne peut pas être supprimée : elle a 2 inscriptions" in _text(kept)
    gone = client.post(f"{base}/{empty}/supprimer", data={"csrf_token": token})
    assert gone.status_code == 302
    # Closing: no more requests, the bookings stay.
    assert client.post(f"{base}/{sid}/cloturer", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        s = db.session()
        assert s.get(ActivitySession, empty) is None
        found = s.get(ActivitySession, sid)
        assert (found.label, found.places, found.closed) == ("Semaine bleue", 2, True)
    third, (c,) = family_with_children(app, make_user, "TROISIEME")
    family = app.test_client()
    login(family, third)
    late = book(family, activity_id, c, [sid])
    assert late.status_code == 422
    assert "La session « Semaine bleue » est close" in _text(late)
    # Another service's agent cannot touch it.
    outsider = app.test_client()
    login(outsider, make_user("agent", groups=["Sports"]))
    token = csrf_token(outsider, "/agents")
    assert outsider.post(f"{base}/{sid}/supprimer", data={"csrf_token": token}).status_code == 404


def test_validation_needs_a_lane_for_the_activitys_service(app, make_user, frozen):
    activity_id, _ = activity(app, "NATATION")
    with app.app_context():
        db.session().get(Activity, activity_id).service = "Sports"
        db.session().commit()
    agent = make_user("agent", groups=["Sports"])
    client = app.test_client()
    login(client, agent)
    token = csrf_token(client, f"/agents/activites/{activity_id}")
    data = {
        "csrf_token": token,
        "price_rule": "forfait",
        "price": "10",
        "cancel_days": "7",
        "fair_minutes": "0",
    }
    refused = client.post(f"/agents/activites/{activity_id}", data={**data, "validation_required": "y"})
    assert refused.status_code == 422
    assert "n'a pas de couloir « Sports » : la tâche de validation ne pourrait pas arriver" in _text(refused)
    assert "(services prévus : Enfance)" in _text(refused)
    assert client.post(f"/agents/activites/{activity_id}", data=data).status_code == 302


def test_documents_come_from_my_documents_or_an_upload_and_agents_see_them(app, make_user, frozen):
    agent = make_user("agent", groups=["Enfance"])
    user, (kid, other) = family_with_children(
        app, make_user, "PIECES", births=(date_(2018), date_(2017)), classes=("CE1", "CE2")
    )
    docs = "Fiche sanitaire de liaison\nAttestation d'assurance"
    activity_id, (sid,) = activity(app, places=5, documents=docs, validation_required=True)
    with app.app_context():
        from web.coffre import services as coffre

        stored = coffre.add(
            db.session(), user.id, CheckedFile("fiche.pdf", "application/pdf", _pdf()), kind="Autre document"
        ).id
        db.session().commit()
    family = app.test_client()
    login(family, user)
    page = _text(family.get(f"/activites/{activity_id}"))
    assert 'enctype="multipart/form-data"' in page
    assert "Choisir dans mes documents" in page
    assert "fiche.pdf" in page
    # Nothing given, nothing promised: refused in French, no place.
    refused = book(family, activity_id, kid, [sid], documents="")
    assert refused.status_code == 422
    assert "Confirmez que vous fournirez les documents qui manquent" in _text(refused)
    assert bookings(app) == []
    # One chosen in « Mes documents », one uploaded: no promise needed.
    token = csrf_token(family, f"/activites/{activity_id}")
    response = family.post(
        f"/activites/{activity_id}",
        data={
            "csrf_token": token,
            "enfant": str(kid),
            "sessions": [str(sid)],
            "piece_1-coffre": str(stored),
            "piece_2": (io.BytesIO(_pdf()), "assurance.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, _text(response)
    # A document missing but promised: accepted too.
    assert book(family, activity_id, other, [sid], documents="y").status_code == 302
    with app.app_context():
        s = db.session()
        requests = {r.reference: r for r in api.instances_for(s, user.id)}
        given = {ref: sorted(d.field for d in api.documents_of(s, r.id)) for ref, r in requests.items()}
        assert sorted(given.values()) == [[], ["piece_1", "piece_2"]]
    client = app.test_client()
    login(client, agent)
    session_page = _text(client.get(f"/agents/activites/{activity_id}/sessions/{sid}"))
    assert "Fiche sanitaire de liaison" in session_page
    assert "Attestation d'assurance" in session_page
    assert "Documents à fournir au service" in session_page
    with app.app_context():
        s = db.session()
        (with_docs,) = [r for r in api.instances_for(s, user.id) if api.documents_of(s, r.id)]
        document_id = api.documents_of(s, with_docs.id)[0].id
    download = client.get(f"/documents/{document_id}")
    assert download.status_code == 200
    assert download.data.startswith(b"%PDF")


def date_(year):
    from datetime import date

    return date(year, 5, 1)
