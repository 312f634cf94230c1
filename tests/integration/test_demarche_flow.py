"""A family files « Changement d'adresses postales » and an Accueil agent decides, all through HTML forms."""

from __future__ import annotations

from datetime import datetime

from engine.db import utcnow
from engine.models import HumanTask, HumanTaskState, ProcessInstance
from tests.fixtures.integration import (
    ADDRESS,
    decide,
    file_address_change,
    html,
    post_form,
    proof,
    start_demarche,
    text,
)
from web.accounts.models import User
from web.core.presentation import date_fr
from web.extensions import db

PUBLIC_MESSAGE = "Justificatif conforme, votre adresse est à jour."
INTERNAL_COMMENT = "Vérifié par téléphone avec le bailleur"
POSTAL_CODE_ERROR = "Le code postal doit comporter 5 chiffres (par exemple 78140)."
REFUSAL_REASON_ERROR = "Indiquez le motif du refus : la famille le lira."


def timeline(response):
    """(date text, ISO datetime, label, comment) of every entry of the page's timeline."""
    entries = []
    for item in html(response).xpath("//ol[@class='timeline']/li"):
        (time,) = item.xpath(".//time")
        comment = item.xpath(".//blockquote[@class='timeline-comment']")
        entries.append(
            (
                time.text_content().strip(),
                time.get("datetime"),
                " ".join(item.xpath(".//p[@class='timeline-label']")[0].text_content().split()),
                comment[0].text_content().strip() if comment else None,
            )
        )
    return entries


def field_value(doc, name):
    (element,) = doc.xpath(f"//*[@name='{name}']")
    return element.get("value")


def test_family_files_and_accueil_accepts_through_the_forms(app, people, client_for):
    began = utcnow()
    famille = client_for(people["famille"])

    catalogue = famille.get("/demarches")
    assert catalogue.status_code == 200
    assert "Changement d'adresses postales" in text(catalogue)
    assert "Durée maximum de la démarche : 30 jours" in text(catalogue)
    assert 'action="/demarches/changement_adresse/commencer"' in catalogue.get_data(as_text=True)

    task_id = start_demarche(famille)
    form_page = famille.get(f"/taches/{task_id}")
    assert form_page.status_code == 200
    assert "Saisir la nouvelle adresse" in text(form_page)

    # A bad postal code: 400, the French message next to the field, the summary, the typed values kept.
    typed = {**ADDRESS, "code_postal": "7814"}
    refused = post_form(famille, f"/taches/{task_id}", {**typed, **proof()})
    assert refused.status_code == 400
    doc = html(refused)
    assert doc.xpath("//title")[0].text_content().startswith("Erreur – ")
    postal_code = doc.get_element_by_id("code_postal")
    assert postal_code.get("aria-invalid") == "true"
    assert "code_postal-erreur" in postal_code.get("aria-describedby").split()
    assert doc.get_element_by_id("code_postal-erreur").text_content().strip() == POSTAL_CODE_ERROR
    summary = doc.get_element_by_id("resume-erreurs")
    assert summary.get("role") == "alert"
    assert "Le formulaire contient 1 erreur" in summary.text_content()
    (link,) = summary.xpath(".//a")
    assert link.get("href") == "#code_postal"
    assert POSTAL_CODE_ERROR in link.text_content()
    for name, value in typed.items():
        assert field_value(doc, name) == value, name
    for valid in ("adresse_ligne1", "commune"):
        assert doc.get_element_by_id(valid).get("aria-invalid") is None
    with app.app_context():
        assert db.session.get(HumanTask, task_id).state == HumanTaskState.OPEN

    # Then correctly: the request goes to the Accueil service.
    sent = post_form(famille, f"/taches/{task_id}", {**ADDRESS, **proof()})
    assert sent.status_code == 302
    request_url = sent.headers["Location"]
    with app.app_context():
        instance = db.session.execute(
            ProcessInstance.__table__.select().where(ProcessInstance.requester_id == people["famille"].id)
        ).one()
        reference = instance.reference
    assert request_url == f"/mes-demandes/{instance.id}"
    request_page = famille.get(request_url)
    assert request_page.status_code == 200
    assert f"Votre demande {reference} est envoyée au Service Accueil." in text(request_page)
    assert reference in text(request_page)
    assert "En cours d'instruction" in text(request_page)
    listing = famille.get("/mes-demandes")
    (row,) = html(listing).xpath("//table/tbody/tr")
    assert reference in row.text_content()
    assert "En cours d'instruction" in row.text_content()
    assert "Compléter ma demande" not in row.text_content()  # nothing left for the family to do

    # The Accueil agent sees the task in the queue and opens it.
    agent = client_for(people["accueil"])
    queue = agent.get("/agents/")
    assert queue.status_code == 200
    (queued,) = html(queue).xpath("//table/tbody/tr")
    assert reference in queued.text_content()
    assert "Camille Martin" in queued.text_content()
    agent_task_url = queued.xpath(".//a")[0].get("href")
    task_page = agent.get(agent_task_url)
    assert task_page.status_code == 200
    assert agent_task_url.startswith(f"/agents/dossiers/{instance.id}?tache=")  # the dossier page
    details = " ".join(html(task_page).xpath("//dl[@data-dossier-data]")[0].text_content().split())
    for value in ADDRESS.values():
        assert value in details
    labels = [label for _, _, label, _ in timeline(task_page)]
    assert labels[0].startswith("Demande créée")
    assert "Statut : En cours d'instruction — Service Accueil" in labels

    # Refusing without a reason: 400 and the French message next to « Message à la famille ».
    no_reason = decide(agent, int(agent_task_url.split("tache=")[1]), "refusee")
    assert no_reason.status_code == 400
    doc = html(no_reason)
    assert doc.get_element_by_id("motif-erreur").text_content().strip() == REFUSAL_REASON_ERROR
    assert doc.get_element_by_id("motif").get("aria-invalid") == "true"
    assert REFUSAL_REASON_ERROR in doc.get_element_by_id("resume-erreurs").text_content()
    assert [i.get("value") for i in doc.xpath("//input[@name='decision'][@checked]")] == ["refusee"]

    # Accepting with a public message and an internal comment.
    accepted = decide(
        agent, int(agent_task_url.split("tache=")[1]), "acceptee", PUBLIC_MESSAGE, INTERNAL_COMMENT
    )
    assert accepted.status_code == 302
    assert accepted.headers["Location"] == "/agents/"
    assert "Aucune tâche à traiter" in text(agent.get("/agents/"))
    staff_view = agent.get(f"/agents/demandes/{instance.id}", follow_redirects=True)  # the dossier
    assert INTERNAL_COMMENT in text(staff_view)  # stored, and shown to agents

    # The family sees the dated status history and the public message, never the internal comment.
    ended = utcnow()
    page = famille.get(request_url)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert INTERNAL_COMMENT not in body
    assert "Commentaire interne" not in body
    assert "Interne" not in text(page)
    entries = timeline(page)
    statuses = [label for _, _, label, _ in entries if label.startswith("Statut : ")]
    assert statuses == [
        "Statut : En cours de saisie — Famille",
        "Statut : En cours d'instruction — Service Accueil",
        "Statut : Acceptée — Service Accueil",
    ]
    assert ("Message du service — Service Accueil", PUBLIC_MESSAGE) in [(e[2], e[3]) for e in entries]
    for shown, iso, _, _ in entries:
        moment = datetime.fromisoformat(iso)
        assert began.replace(microsecond=0) <= moment <= ended
        assert shown == date_fr(moment)
    assert (
        html(page).xpath("//dl[@class='details']//span[contains(@class, 'status')]")[0].text_content().strip()
        == "Acceptée"
    )
    assert INTERNAL_COMMENT not in famille.get("/mes-demandes").get_data(as_text=True)

    with app.app_context():
        account = db.session.get(User, people["famille"].id)
        assert account.address_lines == ["12 rue de la Mairie", "Bâtiment B", "78140 Vélizy-Villacoublay"]


def test_refusal_keeps_the_address_and_shows_the_reason(app, people, client_for):
    famille = client_for(people["famille"])
    filed = file_address_change(app, famille)
    agent = client_for(people["accueil"])
    response = decide(agent, filed.agent_task_id, "refusee", "Adresse hors de la commune.")
    assert response.status_code == 302
    page = text(famille.get(f"/mes-demandes/{filed.instance_id}"))
    assert "Statut : Refusée" in page
    assert "Adresse hors de la commune." in page
    with app.app_context():
        assert db.session.get(User, people["famille"].id).address_lines == []


def test_markup_typed_by_a_family_is_shown_escaped_to_the_agent(app, people, client_for):
    famille = client_for(people["famille"])
    hostile = {**ADDRESS, "adresse_ligne2": '<script>alert("x")</script><img src=x onerror=alert(1)>'}
    filed = file_address_change(app, famille, hostile)
    page = client_for(people["accueil"]).get(f"/taches/{filed.agent_task_id}", follow_redirects=True)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "<script>alert" not in body
    assert "<img src=x" not in body
    assert "&lt;script&gt;alert(" in body
    # The portal's own scripts (/static/js/session.js …) are the only <script> elements of the page, and
    # the previews of the request's documents (/documents/<id>/apercu.png) its only images.
    assert not html(page).xpath(
        "//script[not(starts-with(@src, '/static/'))] | //img[not(starts-with(@src, '/documents/'))]"
    )


def test_a_document_that_cannot_be_drawn_gets_the_unavailable_preview_not_a_broken_image(
    app, people, client_for
):
    """The justificatif filed by file_address_change is a minimal PDF that PDFium cannot draw: its
    preview is the « Document non affichable ici » image (a PNG), while a drawable one is its page."""
    from web.core.previews import unavailable_png

    filed = file_address_change(app, client_for(people["famille"]))
    agent = client_for(people["accueil"])
    dossier = html(agent.get(f"/taches/{filed.agent_task_id}", follow_redirects=True))
    (src,) = dossier.xpath("//img[starts-with(@src, '/documents/')]/@src")
    preview = agent.get(src)
    assert preview.status_code == 200
    assert preview.mimetype == "image/png"
    assert preview.data == unavailable_png()
    assert preview.headers["Cache-Control"] == "no-store"
