"""A place the family gives back is not billed: its invoice is cancelled, or replaced by one of the
places still held, or — already paid — flagged for a refund (web/activites/cancel_billing.py)."""

from __future__ import annotations

from sqlalchemy import select

from tests.activites.test_booking_pages import activity, book, family_with_children, frozen  # noqa: F401
from tests.fixtures.app import csrf_token, login
from web.activites.models import ActivityBooking, BookingEvent
from web.extensions import db
from web.factures.models import Invoice, InvoiceStatus


def _invoices(app) -> list[tuple[str, int, str | None, list[int]]]:
    with app.app_context():
        return [
            (i.status, i.total_cents, i.external_id, [line.amount_cents for line in i.lines])
            for i in db.session().scalars(select(Invoice).order_by(Invoice.id))
        ]


def _cancel(app, client, session_id: int) -> None:
    with app.app_context():
        booking_id = db.session().scalar(
            select(ActivityBooking.id).where(ActivityBooking.session_id == session_id)
        )
    token = csrf_token(client, "/activites/mes-inscriptions")
    response = client.post(f"/activites/mes-inscriptions/{booking_id}/annuler", data={"csrf_token": token})
    assert response.status_code == 302


def test_cancelling_one_of_two_places_replaces_the_invoice_then_the_last_cancels_it(
    app,
    make_user,
    client,
    frozen,  # noqa: F811
) -> None:
    user, (kid,) = family_with_children(app, make_user, "RENDU")
    activity_id, sessions = activity(app, sessions=2, price_cents=3000)
    login(client, user)
    assert book(client, activity_id, kid, sessions).status_code == 302
    ((status, total, external, lines),) = _invoices(app)
    assert (status, total, lines) == (InvoiceStatus.A_PAYER, 6000, [3000, 3000])

    _cancel(app, client, sessions[0])
    first, second = _invoices(app)
    assert first[:2] == (InvoiceStatus.ANNULEE, 6000)
    assert second[0] == InvoiceStatus.A_PAYER
    assert second[1:] == (3000, f"{external}-R{_id_of(app, external)}", [3000])
    with app.app_context():
        old = db.session().scalars(select(Invoice).where(Invoice.external_id == external)).one()
        new = db.session().scalars(select(Invoice).where(Invoice.status == InvoiceStatus.A_PAYER)).one()
        assert new.number in old.cancel_reason
        assert any(old.number in event.text for event in new.events)
        assert new.due_on >= old.due_on

    _cancel(app, client, sessions[1])
    assert [status for status, *_ in _invoices(app)] == [InvoiceStatus.ANNULEE, InvoiceStatus.ANNULEE]


def _id_of(app, external: str) -> int:
    with app.app_context():
        return db.session().scalars(select(Invoice.id).where(Invoice.external_id == external)).one()


def test_a_paid_place_given_back_is_flagged_for_a_refund_not_cancelled(
    app,
    make_user,
    client,
    frozen,  # noqa: F811
) -> None:
    user, (kid,) = family_with_children(app, make_user, "PAYE")
    activity_id, sessions = activity(app, sessions=1, price_cents=4500)
    login(client, user)
    assert book(client, activity_id, kid, sessions).status_code == 302
    with app.app_context():
        s = db.session()
        invoice = s.scalars(select(Invoice)).one()
        invoice.status = InvoiceStatus.PAYEE  # settled (the payment flow is tested in tests/integration)
        s.commit()
    _cancel(app, client, sessions[0])
    ((status, total, _, _),) = _invoices(app)
    assert (status, total) == (InvoiceStatus.PAYEE, 4500)
    with app.app_context():
        s = db.session()
        invoice = s.scalars(select(Invoice)).one()
        assert "à rembourser" in invoice.events[-1].text
        booking_events = [e.text for e in s.scalars(select(BookingEvent).order_by(BookingEvent.id))]
        assert any("à rembourser" in text for text in booking_events)
