"""« Accusé de réception » (CRPA L112-11): mailed and shown when a family files a request."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from tests.fixtures.integration import html, outbox, post_form, start_demarche, text

FILED_AT = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)  # 10:30 in Paris

EXPECTED_BODY = """Bonjour Camille Martin,

Ville de Test accuse réception de votre demande « Changement de téléphones ».

  Référence : {reference}
  Reçue le : 07/12/2026 à 10:30
  Service chargé de votre demande : Service Accueil, Ville de Test (contact@ville.test)
  Durée maximum de traitement : 15 jours : une réponse vous sera donnée au plus tard le 22/12/2026

Rappelez la référence dans vos échanges avec la mairie. Vous pouvez suivre votre demande, et \
répondre si le service vous demande des compléments, dans « Mes demandes » :
http://guichet.test/mes-demandes/{instance_id}

--
Ville de Test — Guichet, votre espace citoyen : http://guichet.test/
Un problème ? Écrivez à contact@ville.test.
Ce courriel vous est envoyé automatiquement : merci de ne pas y répondre."""


def test_filing_a_request_mails_and_shows_the_acknowledgement(app, people, client_for):
    family = people["famille"]
    with time_machine.travel(FILED_AT, tick=False):
        famille = client_for(family)
        task_id = start_demarche(famille, "changement_telephone")
        response = post_form(famille, f"/taches/{task_id}", {"telephone": "", "mobile": "06 12 34 56 78"})
        assert response.status_code == 302
        request_page = famille.get(response.headers["Location"])
    instance_id = int(response.headers["Location"].rsplit("/", 1)[1])
    (mail,) = outbox(app, receipts=True)
    reference = mail.subject.rsplit(" ", 1)[1]
    assert reference.startswith("DEM-2026-")
    assert mail.subject == f"Accusé de réception de votre demande {reference}"
    assert mail.recipient == people["famille"].email
    assert mail.body_text == EXPECTED_BODY.format(reference=reference, instance_id=instance_id)
    assert reference in (mail.body_html or "")

    page = text(request_page)
    assert f"Votre demande {reference} est envoyée au Service Accueil." in page
    (receipt,) = html(request_page).xpath("//section[@data-receipt]")
    shown = " ".join(receipt.text_content().split())
    assert f"Ville de Test a reçu votre demande {reference} le 07/12/2026 à 10:30." in shown
    assert "Service chargé de votre demande : Service Accueil (contact@ville.test)." in shown
    assert "Durée maximum de traitement : 15 jours, soit une réponse au plus tard le 22/12/2026." in shown


def test_a_later_step_of_the_family_sends_no_second_acknowledgement(app, people, client_for):
    from tests.fixtures.integration import decide, file_address_change

    famille = client_for(people["famille"])
    filed = file_address_change(app, famille, keep_receipt=True)
    agent = client_for(people["accueil"])
    assert decide(agent, filed.agent_task_id, "complement", "Précisez l'étage.").status_code == 302
    receipts = [m for m in outbox(app, receipts=True) if m.subject.startswith("Accusé de réception")]
    assert len(receipts) == 1
