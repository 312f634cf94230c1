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
from web.accounts.models import User
from web.coffre.models import StoredDocument
from web.core import personal_data
from web.core.audit import AuditEvent
from web.donnees.retention import run_retention
from web.extensions import db
from web.scheduler import run_outbox

pytestmark = pytest.mark.usefixtures("clock")

CANARIES = {
    "prenom": "Zephyrinecanari",
    "nom": "Canariwskiqz",
    "username": "canari7q",
    "email": "canari7q@exemple.test",
    "telephone": "+33123450987",
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


def test_closure_erases_the_account_and_the_canaries_leave_the_database(
    app, mail_app, smtp_server, make_user, client_for
):
    user = make_user("famille", **CANARIES)
    client = client_for(user)
    file_things(client)
    task_id, page, wrong = confirm(client, password="pas le bon mot de passe")
    assert "annulées" in text(page)
    assert "Changement d'adresses postales" in text(page)  # the running request is listed
    assert wrong.status_code == 400
    done = post_form(client, f"/taches/{task_id}", {"confirmation": "y", "mot_de_passe_actuel": PASSWORD})
    assert done.status_code == 302
    assert client.get("/mes-documents").status_code == 302  # the sessions are over
    with app.app_context():
        session = db.session()
        closed = session.get(User, user.id)
        assert closed.username.startswith("compte-clos-")
        assert closed.is_enabled is False
        assert session.execute(select(StoredDocument)).first() is None
        statuses = {i.status for i in session.execute(select(ProcessInstance)).scalars()}
        assert statuses == {"cancelled", "completed"}
        # The security log keeps the account's events (its login included), under the closed alias.
        kept = session.execute(select(AuditEvent).where(AuditEvent.actor_id == user.id)).scalars().all()
        assert kept
        assert {row.actor_name for row in kept} == {closed.username}
    assert not [p for p in Path(app.instance_path, "coffre").rglob("*") if p.is_file()]

    run_outbox(mail_app)
    (message,) = [m for m in smtp_server.messages if m["Subject"] == "Votre compte a été clôturé"]
    assert message["To"] == CANARIES["email"]
    assert "Changement d'adresses postales" in message.get_body(("plain",)).get_content()
    assert run_retention(app)["comptes_clotures"] == 1
    assert run_retention(app)["comptes_clotures"] == 0

    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    contents = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    for value in [*CANARIES.values(), TYPED, FILE_NAME]:
        at = contents.find(value.encode())
        assert at < 0, (value, contents[max(at - 300, 0) : at + 100])


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
