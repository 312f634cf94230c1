"""« Clôturer mon compte »: the confirmation, the erasure, the agent review, a closure sent twice, and
the canary test: strings typed at signup and in démarches are nowhere in the SQLite file and its WAL
after the closure and the retention job."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from engine.models import HumanTask, HumanTaskState, ProcessInstance
from forms.dates import today_in_france
from tests.fixtures.app import PASSWORD
from tests.fixtures.integration import ADDRESS, decide, post_form, start_demarche, text
from tests.integration.rgpd_world import (
    CLOSING_DAY,
    DURING,
    book,
    bookings_of_record,
    family_world,
    log_in,
    other_family,
    pay,
    signup,
)
from web.accounts.models import User
from web.coffre.models import StoredDocument
from web.core import personal_data
from web.core.audit import AuditEvent
from web.donnees.retention import run_retention
from web.extensions import db
from web.factures.models import Invoice, Payment
from web.famille.models import Child, FamilyRecord
from web.scheduler import run_outbox

CANARIES = {
    "prenom": "Zephyrinecanari",
    "nom": "Canariwskiqz",
    "username": "canari7q",
    "email": "canari7q@exemple.fr",
    "mobile": "06 71 82 93 04",  # stored as +33671829304 (checked too)
}
TYPED = "Residence Canarixyzzy"
FILE_NAME = "canarifichier"


@pytest.fixture
def mail_app(app, app_factory, smtp_server):
    return app_factory(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, MAIL_SUPPRESS_SEND=False)


@pytest.fixture(autouse=True)
def empty_store(app):
    yield
    folder = Path(app.instance_path, "coffre")
    if folder.exists():
        for path in folder.rglob("*"):
            if path.is_file():
                path.unlink()


def pdf_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 280), (90, 90, 200)).save(out, format="PDF")
    return out.getvalue()


def file_things(client):
    data = {"fichier": (io.BytesIO(pdf_bytes()), f"{FILE_NAME}.pdf"), "type_document": "Livret de famille"}
    assert post_form(client, "/mes-documents", data).status_code == 302
    task_id = start_demarche(client)
    data = {
        **ADDRESS,
        "adresse_ligne2": TYPED,
        "date_effet": f"{today_in_france()}",
        "justificatif_domicile": (io.BytesIO(pdf_bytes()[:-10] + b"\n%%EOF\n"), f"{FILE_NAME}-edf.pdf"),
    }
    assert post_form(client, f"/taches/{task_id}", data).status_code == 302


def confirm(client, password=PASSWORD):
    task_id = start_demarche(client, "cloture_compte")
    page = client.get(f"/taches/{task_id}")
    return (
        task_id,
        page,
        post_form(client, f"/taches/{task_id}", {"confirmation": "y", "mot_de_passe_actuel": password}),
    )


def database_bytes(app) -> bytes:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        pytest.skip("the canary reads the SQLite file and its WAL (make test-postgres runs the rest)")
    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))


def test_closure_erases_the_account_and_the_canaries_leave_the_database(
    app, mail_app, smtp_server, people, client_for, time_machine
):
    """From the real signup wizard (captcha solved, « clé espace citoyens ») to the retention job: the
    account books two weeks of an activity, pays one invoice online, files a démarche and stores a
    document; after the closure, reviewed because an invoice is unpaid, and the retention job, none of
    the strings it typed is left in the SQLite file or its WAL; the invoices and payments are kept, in
    the name of the household only, and the booking not begun has given its place to the waiting list."""
    time_machine.move_to(DURING, tick=True)
    world = family_world(app)
    other = people["autre_famille"]
    other_kid = other_family(app, other.id)
    client = app.test_client()
    signup(app, client, CANARIES, key=world.key)
    log_in(client, CANARIES["username"])
    book(client, world.activity_id, world.children[0], world.sessions)  # both weeks: places 1 and 1
    waiting = client_for(other)
    book(waiting, world.activity_id, other_kid, world.sessions[1:])  # week 2: waiting list
    pay(client, world.invoices[:1])
    store = Path(app.instance_path, "coffre")
    # Files an earlier test of the session left in the shared app's store are not this family's.
    others = {p for p in store.rglob("*") if p.is_file()}
    file_things(client)
    assert {p for p in store.rglob("*") if p.is_file()} - others  # the family's files are there
    with app.app_context():
        user_id = db.session.execute(
            select(User.id).where(User.username == CANARIES["username"])
        ).scalar_one()
        assert db.session.get(User, user_id).family_records[0].id == world.record_id  # the key linked it

    with app.app_context():
        mine = select(Invoice).where(Invoice.family_record_id == world.record_id).order_by(Invoice.id)
        invoices_before = [i.number for i in db.session.scalars(mine)]
    time_machine.move_to(CLOSING_DAY, tick=True)
    client = app.test_client()
    mistyped = post_form(client, "/connexion", {"username": CANARIES["username"], "password": "pas celui-ci"})
    assert mistyped.status_code == 200  # a failed login: its audit row's target is the name typed
    log_in(client, CANARIES["username"])
    task_id, page, wrong = confirm(client, password="pas le bon mot de passe")
    assert "annulées" in text(page)
    assert "Changement d'adresses postales" in text(page)  # the running request is listed
    assert "conservés 10 ans" in text(page)  # the invoices' period
    assert wrong.status_code == 400
    done = post_form(client, f"/taches/{task_id}", {"confirmation": "y", "mot_de_passe_actuel": PASSWORD})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(User, user_id).is_enabled  # an invoice is unpaid: an agent reviews first
        review = db.session.execute(
            select(HumanTask).where(
                HumanTask.form_key == "cloture_compte.revue", HumanTask.state == HumanTaskState.OPEN
            )
        ).scalar_one()
    accueil = client_for(people["accueil"])
    assert world.numbers[1] in text(accueil.get(f"/agents/dossiers/{review.instance_id}"))
    assert decide(accueil, review.id, "acceptee", "Facture réglée au guichet.").status_code == 302
    assert client.get("/mes-documents").status_code == 302  # the sessions are over
    with app.app_context():
        session = db.session()
        closed = session.get(User, user_id)
        assert closed.username.startswith("compte-clos-")
        assert closed.is_enabled is False
        assert session.execute(select(StoredDocument)).first() is None
        statuses = {i.status for i in session.execute(select(ProcessInstance)).scalars()}
        assert statuses <= {"cancelled", "completed", "running"}  # the other family's booking runs on
        kept = [i.number for i in session.scalars(mine)]
        assert kept[: len(invoices_before)] == invoices_before  # every invoice kept, paid and unpaid
        # The week not begun is no longer billed: the bookings' unpaid invoice is cancelled and replaced
        # by one of the week begun (web/activites/cancel_billing.py).
        replaced = [i for i in session.scalars(mine) if i.number not in invoices_before]
        assert [(len(i.lines), i.status) for i in replaced] == [(1, "à payer")]
        assert set(world.numbers) <= set(kept)
        assert [p.user_id for p in session.scalars(select(Payment))] == [None]
        assert [p.email for p in session.scalars(select(Payment))] == [None]
        # The security log keeps the account's events (its logins included), under the closed alias.
        logged = session.execute(select(AuditEvent).where(AuditEvent.actor_id == user_id)).scalars().all()
        assert logged
        assert {row.actor_name for row in logged} == {closed.username}
    week1, week2 = world.sessions
    rows = bookings_of_record(app, world.record_id)
    assert [(r[0], r[2], r[3], r[4]) for r in rows] == [
        (week1, "inscrit", None, None),  # begun: kept with the record, unlinked from the account
        (week2, "annule", None, None),  # not begun: cancelled
    ]
    assert [r[2] for r in bookings_of_record(app, other_family_record(app, other_kid))] == ["inscrit"]
    assert {p for p in store.rglob("*") if p.is_file()} == others  # the family's files are gone

    run_outbox(mail_app)
    (message,) = [m for m in smtp_server.messages if m["Subject"] == "Votre compte a été clôturé"]
    assert message["To"] == CANARIES["email"]
    body = message.get_body(("plain",)).get_content()
    assert "Changement d'adresses postales" in body
    assert "conservés 10 ans" in body
    assert run_retention(app)["comptes_clotures"] == 1
    assert run_retention(app)["comptes_clotures"] == 0

    contents = database_bytes(app)
    for value in [*CANARIES.values(), TYPED, FILE_NAME, "+33671829304"]:
        at = contents.find(value.encode())
        assert at < 0, (value, contents[max(at - 300, 0) : at + 100])
    for legal in (world.numbers[0], world.numbers[1], "HOULIER Famille"):  # kept: accounting obligation
        assert legal.encode() in contents


def other_family_record(app, child_id: int) -> int:
    with app.app_context():
        return db.session.get(Child, child_id).family_record_id


@pytest.mark.usefixtures("clock")
def test_a_closure_waiting_for_review_cannot_be_sent_twice(app, people, client_for):
    reason = "Une facture de cantine reste à payer."
    personal_data.register(
        personal_data.Provider(
            "essai_factures", "Factures", "Essai.", lambda s, u: [], needs_review=lambda s, u: reason
        )
    )
    try:
        famille = client_for(people["famille"])
        _, _, first = confirm(famille)
        assert first.status_code == 302
        with app.app_context():
            review = db.session.execute(
                select(HumanTask).where(
                    HumanTask.form_key == "cloture_compte.revue", HumanTask.state == HumanTaskState.OPEN
                )
            ).scalar_one()
        _, page, second = confirm(famille)
        assert "déjà en cours" in text(page)
        assert second.status_code == 400
        assert "déjà en cours" in text(second)
        with app.app_context():
            assert db.session.get(User, people["famille"].id).is_enabled  # nothing erased yet
        accueil = client_for(people["accueil"])
        assert reason in text(accueil.get(f"/agents/dossiers/{review.instance_id}"))
        assert decide(accueil, review.id, "acceptee", "Facture réglée au guichet.").status_code == 302
        with app.app_context():
            assert not db.session.get(User, people["famille"].id).is_enabled
    finally:
        personal_data.PROVIDERS.pop("essai_factures", None)


def test_the_review_rule_asks_an_agent_only_while_an_invoice_is_to_pay(app, people, clock):
    """The documented rule (guide-famille, « Clôturer mon compte »): unpaid → review, with the numbers;
    paid or cancelled → none. The other family's unpaid invoices never count."""
    from web.factures.models import InvoiceStatus

    clock.move_to(DURING, tick=True)
    mine = family_world(app, "ROUX Jules", code="CL-R1")
    theirs = family_world(app, "PETIT Tom", code="CL-R2")
    me = people["famille"]
    with app.app_context():
        session = db.session()
        user = session.get(User, me.id)
        user.family_records.append(session.get(FamilyRecord, mine.record_id))
        session.commit()
        personal_data.discover()
        assert personal_data.review_reasons(session, user) == [
            f"Facture(s) restant à payer : {mine.numbers[0]}, {mine.numbers[1]}."
        ]
        first, second = (session.get(Invoice, i) for i in mine.invoices)
        first.status, second.status = InvoiceStatus.PAYEE, InvoiceStatus.ANNULEE
        session.flush()
        assert personal_data.review_reasons(session, user) == []
        assert theirs.numbers  # still à payer, on another record
        kept = " ".join(personal_data.kept_after_closure(session, user))
        assert "conservés 10 ans" in kept
        app.config["INVOICE_RETENTION_YEARS"] = 6
        try:
            assert "conservés 6 ans" in " ".join(personal_data.kept_after_closure(session, user))
        finally:
            app.config["INVOICE_RETENTION_YEARS"] = 10
        session.rollback()
