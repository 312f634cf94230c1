"""An enrolment makes its invoice (the BPMN's `activites_a_facturer` then `factures_emettre`, once) and
the famille Enrolment rows follow the places given (« Ma famille », the news audiences)."""

from __future__ import annotations

import html
from datetime import date, timedelta

from sqlalchemy import func, select

from engine import api
from tests.activites.test_booking_pages import activity, book, family_with_children, frozen  # noqa: F401
from tests.fixtures.app import csrf_token, login
from web.activites.models import ActivityBooking, BookingStatus
from web.extensions import db
from web.factures.models import Invoice
from web.factures.operations import issue_invoice
from web.famille.models import Enrolment
from web.famille.services import audience_of


def _invoices(app):
    with app.app_context():
        return [
            (i.total_cents, [(line.child_name, line.label, line.amount_cents) for line in i.lines])
            for i in db.session().scalars(select(Invoice).order_by(Invoice.id))
        ]


def _enrolled(app):
    with app.app_context():
        return sorted((e.child_id, e.activity_id) for e in db.session().scalars(select(Enrolment)))


def test_a_paid_booking_makes_one_invoice_naming_the_child_and_sessions(app, make_user, client, frozen):  # noqa: F811
    user, (kid,) = family_with_children(app, make_user, "FACTURE")
    activity_id, sessions = activity(app, sessions=2, price_cents=1250, price_rule="par_jour")
    login(client, user)
    assert book(client, activity_id, kid, sessions).status_code == 302
    ((total, lines),) = _invoices(app)
    assert total == 2 * 5 * 1250
    assert [(name, label.split(" (")[0], cents) for name, label, cents in lines] == [
        ("Facture1 FACTURE", "Activité CL-HIVER — Semaine 1", 6250),
        ("Facture1 FACTURE", "Activité CL-HIVER — Semaine 2", 6250),
    ]
    page = html.unescape(client.get("/factures").get_data(as_text=True))
    assert "125,00" in page
    # The step run again (a replay): the same invoice, not a second one.
    with app.app_context():
        s = db.session()
        (request,) = api.instances_for(s, user.id)
        ref = s.scalars(select(ActivityBooking.request_ref)).first()
        from web.activites.operations import to_invoice

        ctx = api.service_context(s, api.get_instance(s, request.id, user))
        due = to_invoice(ctx, ref)
        again = issue_invoice(ctx, due["enfant"], due["activite"], lignes=due["lignes"])
        s.commit()
        assert again["facture_montant_centimes"] == 12500
        assert s.scalars(select(Invoice)).one().id == again["facture_id"]
    # Enrolled in « Ma famille », and in the news audience of the activity.
    assert _enrolled(app) == [(kid, activity_id)]
    assert "Activité CL-HIVER" in html.unescape(client.get("/ma-famille").get_data(as_text=True))
    with app.app_context():
        from web.accounts.models import User

        activities, _ = audience_of(db.session(), db.session().get(User, user.id))
        assert activity_id in activities


def test_a_free_booking_or_a_waiting_list_makes_no_invoice(app, make_user, frozen):  # noqa: F811
    first, (a, c) = family_with_children(
        app, make_user, "GRATUIT", births=(date(2018, 5, 1), date(2017, 3, 2)), classes=("CE1", "CE2")
    )
    second, (b,) = family_with_children(app, make_user, "ATTEND")
    free_id, (free_session,) = activity(app, "GRATUIT", price_cents=0)
    paid_id, (paid_session,) = activity(app, "PAYANT", places=1, price_cents=3000)
    one, two = app.test_client(), app.test_client()
    login(one, first)
    login(two, second)
    assert book(one, free_id, c, [free_session]).status_code == 302
    assert _invoices(app) == []
    assert book(one, paid_id, a, [paid_session]).status_code == 302
    assert book(two, paid_id, b, [paid_session]).status_code == 302  # waiting list: nothing due yet
    assert [total for total, _ in _invoices(app)] == [3000]
    assert _enrolled(app) == sorted([(a, paid_id), (c, free_id)])
    # The family cancels: its enrolment goes, the promoted child is enrolled.
    with app.app_context():
        booking_id = db.session().scalar(
            select(ActivityBooking.id).where(
                ActivityBooking.child_id == a, ActivityBooking.activity_id == paid_id
            )
        )
    token = csrf_token(one, "/activites/mes-inscriptions")
    assert (
        one.post(f"/activites/mes-inscriptions/{booking_id}/annuler", data={"csrf_token": token}).status_code
        == 302
    )
    assert _enrolled(app) == sorted([(b, paid_id), (c, free_id)])


def test_validation_invoices_after_acceptance_and_a_refusal_unenrols(app, make_user, frozen):  # noqa: F811
    first, (a,) = family_with_children(app, make_user, "ACCEPTE")
    second, (b,) = family_with_children(app, make_user, "REFUSE")
    agent = make_user("agent", groups=["Enfance"])
    activity_id, (sid,) = activity(app, places=5, validation_required=True, price_cents=4000)
    for user, kid in ((first, a), (second, b)):
        client = app.test_client()
        login(client, user)
        assert book(client, activity_id, kid, [sid]).status_code == 302
    assert _invoices(app) == []  # nothing before the service's decision
    assert _enrolled(app) == [(a, activity_id), (b, activity_id)]
    with app.app_context():
        s = db.session()
        tasks, _ = api.queue_for(s, agent.groups)
        for user, decision in ((first, "acceptee"), (second, "refusee")):
            (request,) = api.instances_for(s, user.id)
            task = next(t for t in tasks if t.instance_id == request.id)
            api.complete(s, task.id, agent, {"decision": decision, "motif": "Dossier incomplet"})
            s.commit()
        (accepted,) = api.instances_for(s, first.id)
        assert accepted.status_label == "Validée"
    ((total, ((child_name, _, _),)),) = _invoices(app)
    assert total == 4000
    assert child_name == "Accepte1 ACCEPTE"
    assert _enrolled(app) == [(a, activity_id)]
    rows = {row.child_id: row.status for row in _rows(app)}
    assert rows[b] == BookingStatus.REFUSED


def _rows(app):
    with app.app_context():
        return list(db.session().scalars(select(ActivityBooking)))


def test_places_given_later_by_the_draw_or_a_promotion_are_invoiced_once(app, make_user):
    import time_machine

    from tests.activites.helpers import OPENS
    from web.activites.draw import due_draws

    families = [family_with_children(app, make_user, f"TIRE{n}") for n in range(3)]
    activity_id, (sid,) = activity(app, places=2, fair=30, price_cents=2000)
    with time_machine.travel(OPENS + timedelta(minutes=5), tick=False):
        for user, (kid,) in families:
            client = app.test_client()
            login(client, user)
            assert book(client, activity_id, kid, [sid]).status_code == 302
    assert _invoices(app) == []  # nobody holds a place before the draw
    with time_machine.travel(OPENS + timedelta(minutes=31), tick=False), app.app_context():
        due_draws(db.session())
        db.session().commit()
        assert due_draws(db.session()) == []
        db.session().commit()
    assert [total for total, _ in _invoices(app)] == [2000, 2000]
    with app.app_context():
        s = db.session()
        placed = s.scalars(
            select(ActivityBooking).where(ActivityBooking.status == BookingStatus.PLACED)
        ).all()
        waiting = s.scalars(
            select(ActivityBooking).where(ActivityBooking.status == BookingStatus.WAITING)
        ).one()
        leaving = next(i for i, (u, _) in enumerate(families) if u.id == placed[0].user_id)
        booking_id, waiting_user = placed[0].id, waiting.user_id
    with time_machine.travel(OPENS + timedelta(minutes=40), tick=False):
        client = app.test_client()
        login(client, families[leaving][0])
        token = csrf_token(client, "/activites/mes-inscriptions")
        assert (
            client.post(
                f"/activites/mes-inscriptions/{booking_id}/annuler", data={"csrf_token": token}
            ).status_code
            == 302
        )
    with app.app_context():
        s = db.session()
        names = s.scalars(select(Invoice.external_id).order_by(Invoice.id)).all()
        assert len(names) == 3
        assert all(n.startswith("INS-") for n in names)
        promoted = s.scalars(select(ActivityBooking).where(ActivityBooking.user_id == waiting_user)).one()
        assert promoted.status == BookingStatus.PLACED
        assert f"INS-{promoted.id}" in names
        # Run again: the same invoice.
        from web.activites.billing import invoice_late_place

        assert invoice_late_place(s, promoted).external_id == f"INS-{promoted.id}"
        s.flush()
        assert s.scalar(select(func.count()).select_from(Invoice)) == 3
        s.rollback()


def test_a_promotion_before_the_services_decision_is_invoiced_at_acceptance(app, make_user, frozen):  # noqa: F811
    first, (a,) = family_with_children(app, make_user, "PREMIERE")
    second, (b,) = family_with_children(app, make_user, "PROMUE")
    agent = make_user("agent", groups=["Enfance"])
    activity_id, (sid,) = activity(app, places=1, validation_required=True, price_cents=3000)
    one, two = app.test_client(), app.test_client()
    login(one, first)
    login(two, second)
    assert book(one, activity_id, a, [sid]).status_code == 302
    assert book(two, activity_id, b, [sid]).status_code == 302
    with app.app_context():
        booking_id = db.session().scalar(select(ActivityBooking.id).where(ActivityBooking.child_id == a))
    token = csrf_token(one, "/activites/mes-inscriptions")
    assert (
        one.post(f"/activites/mes-inscriptions/{booking_id}/annuler", data={"csrf_token": token}).status_code
        == 302
    )
    assert _invoices(app) == []  # promoted, but the service has not decided yet
    with app.app_context():
        s = db.session()
        tasks, _ = api.queue_for(s, agent.groups)
        (request,) = api.instances_for(s, second.id)
        task = next(t for t in tasks if t.instance_id == request.id)
        api.complete(s, task.id, agent, {"decision": "acceptee", "motif": ""})
        s.commit()
        (invoice,) = s.scalars(select(Invoice)).all()
        assert invoice.external_id.startswith("DEM-")
        assert invoice.total_cents == 3000


def test_an_import_of_the_services_file_keeps_the_places_booked_on_the_portal(app, make_user, client, frozen):  # noqa: F811
    """The software's families file lists the child without the activity booked on the portal (it does
    not know the booking yet): the child stays enrolled, in the dry run's report and after it."""
    from web.famille.importer import run
    from web.famille.models import Child, FamilyRecord

    user, (kid,) = family_with_children(app, make_user, "IMPORT")
    activity_id, sessions = activity(app, price_cents=0)
    login(client, user)
    assert book(client, activity_id, kid, sessions).status_code == 302
    assert _enrolled(app) == [(kid, activity_id)]
    with app.app_context():
        s = db.session()
        child = s.get(Child, kid)
        child.external_id = "E-IMPORT-1"
        s.get(FamilyRecord, child.family_record_id).external_id = "F-IMPORT"
        s.commit()
    csv = (
        b"famille_id;famille_nom;enfant_id;enfant_nom;enfant_prenom;enfant_services;enfant_activites\n"
        b"F-IMPORT;IMPORT;E-IMPORT-1;IMPORT;Import1;Enfance;\n"
    )
    with app.app_context():
        s = db.session()
        run(s, csv, dry_run=False)
        s.commit()
    assert _enrolled(app) == [(kid, activity_id)]
