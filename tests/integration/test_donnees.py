"""« Télécharger mes données » (every row of the family, none of another) and the retention jobs."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from engine.db import utcnow
from engine.documents import Document
from engine.models import InstanceStatus, OutboxMessage, ProcessInstance
from forms.dates import today_in_france
from tests.fixtures.integration import ADDRESS, html, post_form, start_demarche, text
from tests.integration.rgpd_world import DURING, book, family_world, pay
from web.accounts.models import AccountToken, CaptchaChallenge, LoginAttempt, TokenPurpose, User
from web.activites.models import ActivityBooking, BookingEvent
from web.coffre.models import StoredDocument
from web.core.audit import LABELS, AuditEvent, Event
from web.donnees.models import DataExport, ExportStatus
from web.donnees.retention import run_exports, run_retention
from web.extensions import db
from web.factures.models import Invoice, InvoiceLine, Payment
from web.famille.models import FamilyRecord

pytestmark = pytest.mark.usefixtures("clock")


def pdf_bytes(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 280), colour).save(out, format="PDF")
    return out.getvalue()


@pytest.fixture(autouse=True)
def empty_store(app):
    yield
    folder = Path(app.instance_path, "coffre")
    if folder.exists():
        for path in folder.rglob("*"):
            if path.is_file():
                path.unlink()


def fill(client, colour, name):
    """A stored document and a filed address change with its justificatif."""
    data = {"fichier": (io.BytesIO(pdf_bytes(colour)), f"{name}.pdf"), "type_document": "Livret de famille"}
    assert post_form(client, "/mes-documents", data).status_code == 302
    task_id = start_demarche(client)
    data = {
        **ADDRESS,
        "adresse_ligne2": f"Résidence {name}",
        "date_effet": f"{today_in_france()}",
        "justificatif_domicile": (io.BytesIO(pdf_bytes(colour[::-1])), f"edf-{name}.pdf"),
    }
    assert post_form(client, f"/taches/{task_id}", data).status_code == 302


def export_zip(client) -> zipfile.ZipFile:
    response = post_form(client, "/mes-donnees", {}, action="/mes-donnees/export")
    assert response.status_code == 302
    page = client.get("/mes-donnees")
    (action,) = html(page).xpath("//form[starts-with(@action, '/mes-donnees/export/')]/@action")
    download = post_form(client, "/mes-donnees", {}, action=action)
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert post_form(client, "/mes-donnees", {}, action=action).status_code == 404  # once only
    return zipfile.ZipFile(io.BytesIO(download.data))


def test_the_export_holds_every_row_of_the_family_and_none_of_another(app, people, client_for, clock):
    """Requests, documents, mails, and across areas: invoices (and their PDF), lines, payments (and the
    receipt), activity bookings with the waiting rank, the bookings' journal, the family quotient and
    the security log; nothing of the other family, which has the same kinds of rows."""
    me, other = people["famille"], people["autre_famille"]
    clock.move_to(DURING, tick=True)
    mine = family_world(app, "MARTIN Camille", places=1, code="CL-A")
    theirs = family_world(app, "BERNARD Louise", places=1, code="CL-B")
    link(app, me.id, mine.record_id)
    link(app, other.id, theirs.record_id)
    famille, autre = client_for(me), client_for(other)
    fill(famille, (10, 20, 200), "Martin")
    fill(autre, (200, 20, 10), "Bernard")
    book(famille, mine.activity_id, mine.children[0], mine.sessions)
    book(famille, mine.activity_id, mine.children[1], mine.sessions[:1])  # full: waiting list, rang 1
    book(autre, theirs.activity_id, theirs.children[0], theirs.sessions)
    pay(famille, mine.invoices[:1])
    pay(autre, theirs.invoices[:1])
    archive = export_zip(famille)
    names = set(archive.namelist())
    assert "LISEZ-MOI.txt" in names
    readme = archive.read("LISEZ-MOI.txt").decode()
    for stem in (
        "profil",
        "connexions",
        "demandes",
        "historique_des_demandes",
        "mes_documents",
        "courriels_et_sms",
        "factures",
        "lignes_de_factures",
        "paiements",
        "inscriptions_activites",
        "journal_des_inscriptions",
        "quotient_familial",
        "journal_de_securite",
    ):
        assert f"{stem}.json" in names
        assert f"{stem}.csv" in names
        assert f"{stem}.json" in readme
    rows = {name[:-5]: json.loads(archive.read(name)) for name in names if name.endswith(".json")}
    with app.app_context():
        session = db.session()
        instances = set(
            session.scalars(select(ProcessInstance.id).where(ProcessInstance.requester_id == me.id))
        )
        stored = set(session.scalars(select(StoredDocument.id).where(StoredDocument.user_id == me.id)))
        attached = set(
            session.scalars(
                select(Document.id).join(ProcessInstance).where(ProcessInstance.requester_id == me.id)
            )
        )
        mails = set(session.scalars(select(OutboxMessage.id).where(OutboxMessage.recipient == me.email)))
        logins = set(session.scalars(select(LoginAttempt.id).where(LoginAttempt.user_id == me.id)))
        numbers = set(
            session.scalars(select(Invoice.number).where(Invoice.family_record_id == mine.record_id))
        )
        lines = session.scalar(
            select(func.count())
            .select_from(InvoiceLine)
            .join(Invoice)
            .where(Invoice.family_record_id == mine.record_id)
        )
        payments = set(
            session.scalars(select(Payment.reference).where(Payment.family_record_id == mine.record_id))
        )
        bookings = session.scalars(
            select(ActivityBooking).where(ActivityBooking.family_record_id == mine.record_id)
        ).all()
        journal = session.scalar(
            select(func.count())
            .select_from(BookingEvent)
            .where(BookingEvent.booking_id.in_([b.id for b in bookings]))
        )
        audited = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.actor_id == me.id)
        )
    assert rows["profil"][0]["email"] == me.email
    assert {r["id"] for r in rows["demandes"]} == instances
    assert {r["id"] for r in rows["mes_documents"]} == stored
    assert {r["id"] for r in rows["documents_des_demandes"]} == attached
    assert mails <= {r["id"] for r in rows["courriels_et_sms"]}
    assert len(rows["connexions"]) == len(logins) >= 1
    assert {r["demande_id"] for r in rows["historique_des_demandes"]} == instances
    assert {r["numero"] for r in rows["factures"]} == numbers >= set(mine.numbers)  # + the bookings'
    assert len(rows["lignes_de_factures"]) == lines >= 2
    assert {r["reference"] for r in rows["paiements"]} == payments != set()
    assert [r["statut"] for r in rows["factures"]].count("payée") == 1
    assert len(rows["inscriptions_activites"]) == len(bookings) == 3
    assert sorted(str(r["rang_liste_attente"]) for r in rows["inscriptions_activites"]) == ["", "", "1"]
    assert len(rows["journal_des_inscriptions"]) == journal >= 3
    assert rows["quotient_familial"] == [
        {"dossier_famille": "MARTIN Camille", "quotient_familial": 742, "reside_dans_la_commune": "oui"}
    ]
    # The login and the payment; the export (asked, downloaded) is logged after the ZIP is written.
    assert [r["evenement"] for r in rows["journal_de_securite"]] == ["Connexion", LABELS[Event.PAYMENT]]
    assert audited == 4
    for row in rows["mes_documents"] + rows["documents_des_demandes"] + rows["factures"]:
        assert row["fichier"] in names
    receipts = [r["recu"] for r in rows["paiements"] if r["recu"]]
    assert len(receipts) == 1
    assert receipts[0] in names
    assert archive.read(receipts[0]).startswith(b"%PDF")
    everything = b"".join(archive.read(name) for name in names)
    foreign = [other.email, "Bernard", "edf-Bernard", "BERNARD", *theirs.numbers, "CL-B"]
    for value in foreign:
        assert value.encode() not in everything, value
    assert "Résidence Martin".encode() in everything


def link(app, user_id: int, record_id: int) -> None:
    with app.app_context():
        session = db.session()
        user = session.get(User, user_id)
        user.family_records.append(session.get(FamilyRecord, record_id))
        session.commit()


def test_a_large_account_gets_its_export_from_the_job_and_a_mail(app, people, client_for):
    famille = client_for(people["famille"])
    app.config["EXPORT_INLINE_MAX_BYTES"] = -1
    try:
        post_form(famille, "/mes-donnees", {}, action="/mes-donnees/export")
    finally:
        app.config["EXPORT_INLINE_MAX_BYTES"] = 5 * 1024 * 1024
    assert "en préparation" in text(famille.get("/mes-donnees"))
    assert run_exports(app) == 1
    assert run_exports(app) == 0  # idempotent
    with app.app_context():
        (mail,) = db.session.execute(
            select(OutboxMessage).where(OutboxMessage.subject == "Vos données sont prêtes à télécharger")
        ).scalars()
        assert "/mes-donnees" in mail.body_text
    assert "Télécharger mes données (ZIP)" in text(famille.get("/mes-donnees"))


def test_an_export_not_downloaded_in_time_expires_and_its_file_goes(app, people, client_for, clock):
    famille = client_for(people["famille"])
    post_form(famille, "/mes-donnees", {}, action="/mes-donnees/export")
    with app.app_context():
        export = db.session.execute(select(DataExport)).scalar_one()
        path = Path(app.instance_path, "coffre", "exports", export.path)
    assert path.exists()
    clock.move_to(utcnow() + timedelta(hours=49), tick=True)
    famille = client_for(people["famille"])  # the session has timed out meanwhile
    assert (
        post_form(famille, "/mes-donnees", {}, action=f"/mes-donnees/export/{export.id}").status_code == 404
    )
    assert run_retention(app)["exports"] == 1
    assert run_retention(app)["exports"] == 0
    assert not path.exists()
    with app.app_context():
        assert db.session.execute(select(DataExport.status)).scalar_one() == ExportStatus.EXPIRED


def test_retention_forgets_what_its_period_has_passed_and_is_idempotent(
    app, people, make_user, client_for, clock
):
    famille = client_for(people["famille"])
    fill(famille, (10, 200, 20), "Martin")
    dormant = make_user("famille", username="dormant", email="dormant@example.test")
    with app.app_context():
        session = db.session()
        user = session.get(User, dormant.id)
        user.activated_at = None
        session.add(AccountToken(user_id=user.id, purpose=TokenPurpose.ACTIVATION, token_hash="h" * 64,
                                 expires_at=utcnow() + timedelta(days=2)))  # fmt: skip
        session.add(
            CaptchaChallenge(id="c" * 43, answer_hash="x", expires_at=utcnow() + timedelta(minutes=10))
        )
        instance = session.execute(
            select(ProcessInstance).where(ProcessInstance.requester_id == people["famille"].id)
        ).scalar_one()
        instance.status, instance.completed_at = InstanceStatus.COMPLETED, utcnow()
        session.commit()
    first = run_retention(app)
    assert first["comptes_non_actives"] == 0  # too early for everything
    assert first["documents_des_demandes_closes"] == 0
    clock.move_to(utcnow() + timedelta(days=366), tick=True)
    later = run_retention(app)
    assert later["comptes_non_actives"] == 1
    assert later["jetons_et_captchas"] == 1  # the captcha (the token went with its account)
    assert later["documents_des_demandes_closes"] == 1
    again = run_retention(app)
    assert (
        again["comptes_non_actives"]
        == again["jetons_et_captchas"]
        == again["documents_des_demandes_closes"]
        == 0
    )
    with app.app_context():
        assert db.session.get(User, dormant.id) is None
        assert db.session.execute(select(Document)).first() is None
        assert db.session.get(User, people["famille"].id) is not None


def test_a_stale_draft_is_announced_then_deleted(app, people, client_for, clock):
    famille = client_for(people["famille"])
    start_demarche(famille)
    clock.move_to(utcnow() + timedelta(days=80), tick=True)
    assert run_retention(app)["brouillons"] == (1, 0)
    assert run_retention(app)["brouillons"] == (0, 0)
    with app.app_context():
        subjects = list(db.session.execute(select(OutboxMessage.subject)).scalars())
        assert any("sera bientôt supprimé" in s for s in subjects)
    clock.move_to(utcnow() + timedelta(days=15), tick=True)
    assert run_retention(app)["brouillons"] == (0, 1)
    with app.app_context():
        assert db.session.execute(select(ProcessInstance)).first() is None


def test_the_register_page_is_public_and_linked_in_the_footer(client):
    page = client.get("/donnees-personnelles")
    assert page.status_code == 200
    assert "Combien de temps" in text(page)
    assert "Factures, paiements en ligne et reçus" in text(page)
    assert "10 ans, même après la clôture du compte" in text(page)  # INVOICE_RETENTION_YEARS
    assert 'href="/donnees-personnelles"' in client.get("/").get_data(as_text=True)


def test_the_scheduler_and_celery_run_the_exports_and_the_retention(app_factory):
    from apscheduler.schedulers.background import BackgroundScheduler

    from web import scheduler
    from web.celery_app import make_celery

    configured = scheduler._configure(BackgroundScheduler(), app_factory(RETENTION_HOUR=4))
    assert configured.get_job("exports") is not None
    assert "hour='4'" in str(configured.get_job("retention").trigger)
    celery = make_celery(app_factory(CELERY_BROKER_URL="memory://", RETENTION_HOUR=4))
    assert {"guichet.exports", "guichet.retention"} <= set(celery.tasks)
    assert celery.conf.beat_schedule["conservation"]["task"] == "guichet.retention"
