"""« Changement d'adresses postales » through the HTML forms: bad input, the justificatif de domicile,
downloads and who may make them, and the back-and-forth between the service and the family."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from engine.documents import Document
from engine.models import HumanTask, HumanTaskState, ProcessInstance
from forms.dates import add_months, today_in_france
from tests.fixtures.integration import (
    ADDRESS,
    PDF,
    decide,
    file_address_change,
    html,
    outbox,
    post_form,
    proof,
    start_demarche,
    text,
)
from web.accounts.models import User
from web.extensions import db

pytestmark = pytest.mark.usefixtures("clock")  # dates d'effet around « today »

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format=kind)
    return out.getvalue()


def error_of(response, name):
    element = html(response).get_element_by_id(f"{name}-erreur", None)
    return None if element is None else " ".join(element.text_content().split())


def value_of(response, name):
    (element,) = html(response).xpath(f"//*[@name='{name}']")
    return element.get("value")


@pytest.fixture
def famille(people, client_for):
    return client_for(people["famille"])


def send_address(famille, **changes):
    """Open a new address form and send it with `changes` (None removes a field)."""
    task_id = start_demarche(famille)
    data = {**ADDRESS, **proof()}
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    return task_id, post_form(famille, f"/taches/{task_id}", data)


def open_task(app, task_id):
    with app.app_context():
        return db.session.get(HumanTask, task_id).state == HumanTaskState.OPEN


# --- Address, postal code and date d'effet ---------------------------------------------------------


def test_a_commune_that_the_postal_code_does_not_serve_is_refused_with_the_right_communes(app, famille):
    task_id, response = send_address(famille, commune="Versailles")
    assert response.status_code == 400
    assert error_of(response, "commune") == (
        "Cette commune ne correspond pas au code postal. "
        "Le code postal 78140 correspond à : Vélizy-Villacoublay."
    )
    assert value_of(response, "commune") == "Versailles"
    assert value_of(response, "adresse_ligne1") == ADDRESS["adresse_ligne1"]
    assert value_of(response, "adresse_ligne2") == ADDRESS["adresse_ligne2"]
    assert value_of(response, "code_postal") == "78140"
    assert value_of(response, "date_effet") == proof()["date_effet"]
    # The justificatif was fine: it cannot be refilled, and the page says so next to the field.
    assert "choisissez-le à nouveau" in text(response)
    assert "facture-energie.pdf" in text(response)
    assert "Le formulaire contient 1 erreur" in text(response)
    assert open_task(app, task_id)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("78A40", "Le code postal doit comporter 5 chiffres (par exemple 78140)."),
        ("7814", "Le code postal doit comporter 5 chiffres (par exemple 78140)."),
        ("781400", "Le code postal doit comporter 5 chiffres (par exemple 78140)."),
        ("78999", "Le code postal 78999 n'existe pas. Vérifiez-le sur un courrier reçu à cette adresse."),
    ],
)
def test_bad_postal_codes_get_their_message_and_nothing_typed_is_lost(app, famille, code, message):
    task_id, response = send_address(famille, code_postal=code)
    assert response.status_code == 400
    assert error_of(response, "code_postal") == message
    assert error_of(response, "commune") is None  # one message, on the field that is wrong
    assert value_of(response, "code_postal") == code
    assert value_of(response, "commune") == ADDRESS["commune"]
    assert open_task(app, task_id)


@pytest.mark.parametrize(
    ("code", "typed", "stored"),
    [
        ("78470", "st remy les chevreuse", "Saint-Rémy-lès-Chevreuse"),
        ("78140", "VELIZY VILLACOUBLAY", "Vélizy-Villacoublay"),
        ("97133", "Saint Barthelemy", "Saint-Barthélemy"),
        ("98714", "papeete", "Papeete"),
        ("20000", "Ajaccio", "Ajaccio"),
    ],
)
def test_tolerant_matching_stores_the_official_name(app, people, famille, code, typed, stored):
    filed = file_address_change(app, famille, {**ADDRESS, "code_postal": code, "commune": typed})
    page = text(client_for_agent(app, people).get(f"/taches/{filed.agent_task_id}", follow_redirects=True))
    assert stored in page


def client_for_agent(app, people):
    from tests.fixtures.app import login

    client = app.test_client()
    login(client, people["accueil"])
    return client


@pytest.mark.parametrize(
    ("when", "message_start"),
    [
        (lambda today: add_months(today, 3) + timedelta(days=1), "La date d'effet doit être comprise entre"),
        (
            lambda today: add_months(today, -12) - timedelta(days=1),
            "La date d'effet doit être comprise entre",
        ),
        (lambda today: "31/02/2026", "Cette date n'est pas valable."),
        (lambda today: "", "Indiquez la date de votre emménagement à cette adresse."),
    ],
)
def test_date_d_effet_out_of_bounds_or_unreadable(app, famille, when, message_start):
    value = when(today_in_france())
    typed = value if isinstance(value, str) else value.isoformat()
    task_id, response = send_address(famille, date_effet=typed)
    assert response.status_code == 400
    assert error_of(response, "date_effet").startswith(message_start)
    assert value_of(response, "adresse_ligne1") == ADDRESS["adresse_ligne1"]
    assert open_task(app, task_id)


def test_the_bounds_of_the_date_d_effet_are_accepted(app, people, client_for):
    today = today_in_france()
    for day in (add_months(today, 3), add_months(today, -12)):
        famille = client_for(people["famille"])
        _, response = send_address(famille, date_effet=day.isoformat())
        assert response.status_code == 302, error_of(response, "date_effet")


# --- The justificatif de domicile ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "content", "message_part"),
    [
        ("facture.pdf", EXE, "n'est ni un PDF, ni une image JPEG ou PNG"),
        (
            "photo.png",
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "ni un PDF",
        ),
        ("page.pdf", b"<html><body>%PDF-1.4</body></html>", "ni un PDF"),
        ("vide.pdf", b"", "est vide"),
        ("coupe.pdf", PDF[:40], "semble endommagé ou incomplet : il ne se lit pas comme un PDF"),
        ("faux.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "il ne se lit pas comme un image PNG"),
    ],
)
def test_a_file_that_is_not_what_it_claims_is_refused(app, famille, filename, content, message_part):
    task_id, response = send_address(famille, justificatif_domicile=(io.BytesIO(content), filename))
    assert response.status_code == 400
    message = error_of(response, "justificatif_domicile")
    assert f"« {filename} »" in message
    assert message_part in message
    assert value_of(response, "commune") == ADDRESS["commune"]
    assert open_task(app, task_id)
    with app.app_context():
        assert db.session.execute(select(Document)).first() is None


def test_a_missing_justificatif_is_asked_for(app, famille):
    _, response = send_address(famille, justificatif_domicile=None)
    assert response.status_code == 400
    assert error_of(response, "justificatif_domicile") == (
        "Joignez un justificatif de domicile de moins de 3 mois (PDF, JPEG ou PNG)."
    )


def test_a_file_above_the_configured_size_is_refused_next_to_the_field(app, famille, monkeypatch):
    # Below the test client's 500 KB in-memory limit, so that no temporary file is left open.
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 100 * 1024)
    big = PDF[:-6] + b"%" + b"0" * (150 * 1024) + b"\n%%EOF\n"
    _, response = send_address(famille, justificatif_domicile=(io.BytesIO(big), "scan.pdf"))
    assert response.status_code == 400
    assert error_of(response, "justificatif_domicile") == (
        "Le fichier « scan.pdf » dépasse la taille maximale de 100 Ko. Réduisez-le (par exemple en le "
        "numérisant en noir et blanc) et choisissez-le à nouveau."
    )
    assert value_of(response, "adresse_ligne1") == ADDRESS["adresse_ligne1"]


def test_a_request_above_max_content_length_gets_the_french_413_page(app, famille, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 16 * 1024)
    big = PDF + b"0" * (32 * 1024)  # small enough for the test client to keep the body in memory
    task_id, response = send_address(famille, justificatif_domicile=(io.BytesIO(big), "scan.pdf"))
    assert response.status_code == 413
    assert "Fichier trop volumineux" in text(response)
    assert open_task(app, task_id)


def test_images_are_accepted_and_the_file_name_is_cleaned(app, people, famille):
    data = {**ADDRESS, **proof("../../Quittance été 2026!.jpeg", image("JPEG"))}
    task_id = start_demarche(famille)
    assert post_form(famille, f"/taches/{task_id}", data).status_code == 302
    with app.app_context():
        (document,) = db.session.execute(select(Document)).scalars()
        assert document.filename == "Quittance ete 2026.jpg"
        assert document.mime == "image/jpeg"
        assert document.role == "Famille"
        assert document.step == "Saisir la nouvelle adresse"
        assert document.uploaded_by_id == people["famille"].id


def test_the_workflow_keeps_only_the_document_metadata(app, people, famille):
    marker = b"%MARQUEUR-UNIQUE-DU-JUSTIFICATIF%"
    content = PDF.replace(b"trailer", marker + b"\ntrailer")
    filed = file_address_change(app, famille)
    with app.app_context():
        session = db.session()
        document = session.execute(select(Document)).scalar_one()
        assert document.content == PDF
        assert document.size == len(PDF)
        assert len(document.sha256) == 64
    # A second request with a marker: the bytes are in the document table only.
    task_id = start_demarche(famille)
    assert post_form(famille, f"/taches/{task_id}", {**ADDRESS, **proof("m.pdf", content)}).status_code == 302
    with app.app_context():
        session = db.session()
        for instance in session.execute(select(ProcessInstance)).scalars():
            assert marker.decode() not in instance.serialization
            assert "JVBER" not in instance.serialization  # no base64 PDF either
        task = session.get(HumanTask, filed.agent_task_id)
        data = json.loads(task.instance.serialization)
        assert '"justificatif_domicile"' in json.dumps(data)


# --- Downloads ----------------------------------------------------------------------------------------


def test_downloads_by_the_family_and_the_agents_of_the_instance_only(app, people, client_for, famille):
    filed = file_address_change(app, famille)
    with app.app_context():
        document_id = db.session.execute(select(Document.id)).scalar_one()
    url = f"/documents/{document_id}"

    for client in (famille, client_for(people["accueil"])):
        response = client.get(url)
        assert response.status_code == 200
        assert response.data == PDF
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"] == "attachment; filename=facture-energie.pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response.headers["Cache-Control"]

    for who in ("autre_famille", "etat_civil"):
        client = client_for(people[who])
        client.get("/")  # shows, and so removes, the « Bienvenue » message of the login
        response = client.get(url)
        assert response.status_code == 404, who
        assert text(response) == text(client.get("/documents/999999"))  # the same answer as a missing id
        assert PDF not in response.get_data()
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/connexion?next=")

    # The family's request page and the agents' dossier and request pages list it with a download link.
    agent = client_for(people["accueil"])
    for client, page in (
        (famille, f"/mes-demandes/{filed.instance_id}"),
        (agent, f"/taches/{filed.agent_task_id}"),  # leads to the dossier
        (agent, f"/agents/demandes/{filed.instance_id}"),
    ):
        response = client.get(page, follow_redirects=True)
        links = html(response).xpath(f"//a[@href='{url}']")
        assert [link.text_content() for link in links] == ["facture-energie.pdf"], page
        assert "Vélizy-Villacoublay" in text(response), page


def test_the_family_request_page_shows_what_was_submitted(app, famille):
    filed = file_address_change(app, famille)
    response = famille.get(f"/mes-demandes/{filed.instance_id}")
    page = text(response)
    rows = {
        dt.text_content().strip(): dt.getnext().text_content().strip()
        for dt in html(response).xpath("//h2[.='Ma demande']/following-sibling::dl[1]/dt")
    }
    assert rows == {
        "Numéro et libellé de la voie": ADDRESS["adresse_ligne1"],
        "Complément d'adresse": ADDRESS["adresse_ligne2"],
        "Code postal": ADDRESS["code_postal"],
        "Commune": ADDRESS["commune"],
        "Date d'effet": f"{today_in_france():%d/%m/%Y}",
    }
    assert "Documents de la demande" in page
    assert "facture-energie.pdf (PDF, 89 octets)" in page
    assert "Document ajouté : Justificatif de domicile (facture-energie.pdf)" in page


# --- Asking the family for more information ---------------------------------------------------------


def test_asking_for_information_then_the_family_completes_with_a_file(app, people, client_for, famille):
    filed = file_address_change(app, famille)
    agent = client_for(people["accueil"])

    refused = decide(agent, filed.agent_task_id, "complement", "", "interne")
    assert refused.status_code == 400
    assert error_of(refused, "motif") == (
        "Indiquez les informations ou les documents attendus : la famille lira ce message."
    )
    assert value_of(refused, "commentaire_interne") is None  # a textarea: its text is its content
    assert "interne" in html(refused).get_element_by_id("commentaire_interne").text_content()

    question = "Le justificatif est au nom d'une autre personne : envoyez une attestation d'hébergement."
    internal = "Nom différent sur la facture, vérifier le bail"
    assert decide(agent, filed.agent_task_id, "complement", question, internal).status_code == 302
    (mail,) = outbox(app)
    assert mail.recipient == people["famille"].email
    assert mail.subject == f"Votre demande {filed.reference} : des compléments sont demandés"
    assert f"/mes-demandes/{filed.instance_id}" in mail.body_text

    listing = html(famille.get("/mes-demandes"))
    (row,) = listing.xpath("//table/tbody/tr")
    assert "En attente de compléments" in row.text_content()
    (action,) = row.xpath(".//a[contains(@class, 'button')]")
    assert action.text_content().strip() == "Compléter ma demande"
    task_page = famille.get(action.get("href"))
    assert task_page.status_code == 200
    assert question in text(task_page)
    assert internal not in task_page.get_data(as_text=True)
    form = html(task_page).xpath("//form[@enctype='multipart/form-data']")
    assert form, "the answer form must send files"

    no_answer = post_form(famille, action.get("href"), {"reponse": ""})
    assert no_answer.status_code == 400
    assert error_of(no_answer, "reponse") == "Écrivez votre réponse au service."

    bad = post_form(
        famille,
        action.get("href"),
        {"reponse": "Voici l'attestation.", "pieces": [(io.BytesIO(EXE), "a.pdf")]},
    )
    assert bad.status_code == 400
    assert "n'est ni un PDF" in error_of(bad, "pieces")
    assert "Voici l'attestation." in html(bad).get_element_by_id("reponse").text_content()

    sent = post_form(
        famille,
        action.get("href"),
        {
            "reponse": "Voici l'attestation.",
            "pieces": [(io.BytesIO(image("PNG")), "attestation.png"), (io.BytesIO(PDF), "bail.pdf")],
        },
    )
    assert sent.status_code == 302
    page = text(famille.get(f"/mes-demandes/{filed.instance_id}"))
    assert "Statut : En cours d'instruction" in page
    assert question in page
    assert "Message de la famille" in page
    assert "Voici l'attestation." in page
    assert "Document ajouté : Documents (attestation.png)" in page
    assert internal not in page
    state = famille.get(f"/mes-demandes/{filed.instance_id}/etat").get_data(as_text=True)
    assert internal not in state

    with app.app_context():
        session = db.session()
        documents = session.execute(select(Document).order_by(Document.id)).scalars().all()
        assert [(d.filename, d.mime, d.step) for d in documents] == [
            ("facture-energie.pdf", "application/pdf", "Saisir la nouvelle adresse"),
            ("attestation.png", "image/png", "Compléter ma demande"),
            ("bail.pdf", "application/pdf", "Compléter ma demande"),
        ]
        (next_task,) = session.execute(
            select(HumanTask).where(HumanTask.state == HumanTaskState.OPEN)
        ).scalars()
        assert next_task.lane == "Accueil"
        next_task_id = next_task.id

    agent_page = agent.get(f"/taches/{next_task_id}", follow_redirects=True)  # the dossier
    body = text(agent_page)
    for name in ("facture-energie.pdf", "attestation.png", "bail.pdf"):
        assert name in body
    assert internal in body  # agents see their internal comments
    doc = html(agent_page)
    assert not doc.xpath("//input[@name='decision'][@checked]")  # a fresh decision each round
    assert doc.get_element_by_id("motif").text_content().strip() == ""

    assert decide(agent, next_task_id, "acceptee", "Attestation conforme.").status_code == 302
    final = text(famille.get(f"/mes-demandes/{filed.instance_id}"))
    assert "Statut : Acceptée" in final
    with app.app_context():
        account = db.session.get(User, people["famille"].id)
        assert account.commune == "Vélizy-Villacoublay"
        assert account.adresse_date_effet == today_in_france()


def test_the_family_cannot_open_another_family_s_complement_task(app, people, client_for, famille):
    filed = file_address_change(app, famille)
    agent = client_for(people["accueil"])
    assert decide(agent, filed.agent_task_id, "complement", "Précisez l'étage.").status_code == 302
    with app.app_context():
        (task,) = db.session.execute(
            select(HumanTask).where(HumanTask.state == HumanTaskState.OPEN)
        ).scalars()
        task_id = task.id
    assert client_for(people["autre_famille"]).get(f"/taches/{task_id}").status_code == 404
    assert agent.get(f"/taches/{task_id}").status_code == 404
