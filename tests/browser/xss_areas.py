"""The second round's free-text fields for tests/browser/test_xss_payloads.py, each filled with every
payload through the real forms, and the pages that show them back.

Each builder takes the payloads, fills the field (batched to its maximum length, as `chunks` does) and
records in a `Sink`: how many payloads went into each field, the pages (client, URL) that show them,
and the answers to refused submissions (a form re-rendered with what was typed, never lost).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image
from sqlalchemy import select

from tests.fixtures.app import csrf_token
from tests.fixtures.integration import post_form
from tests.integration.test_formulaires import MODEL
from tests.integration.test_studio_scenarios import IMPOSSIBLE
from web.coffre.models import StoredDocument
from web.coffre.services import has_bad_characters
from web.extensions import db
from web.famille.models import Activity, ActivityKind

Chunks = Callable[..., list[str]]


@dataclass
class Sink:
    tried: dict[str, int] = field(default_factory=dict)
    views: dict[str, list[tuple[Any, str]]] = field(default_factory=dict)
    answers: list[tuple[str, str]] = field(default_factory=list)  # (field, HTML of a re-rendered form)


def _png(n: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (n * 7 % 256, 30, 90)).save(out, format="PNG")
    return out.getvalue()


def stored_documents(app, famille, payloads: list[str], chunks: Chunks, sink: Sink) -> None:
    """« Mes documents »: a document's name (150). Names with « / », « \\ » or a control character are
    refused (the form comes back with them); the others are stored and listed."""
    plain = [p for p in payloads if not has_bad_characters(p)]
    refused = [p for p in payloads if has_bad_characters(p)]
    for n, name in enumerate(chunks(150, plain) + chunks(150, refused)):
        data = {
            "fichier": (io.BytesIO(_png(n)), f"piece-{n}.png"),
            "type_document": "Justificatif de domicile",
        }
        answer = post_form(famille, "/mes-documents", {**data, "nom": name})
        if has_bad_characters(name):
            assert answer.status_code == 422, answer.status_code
            sink.answers.append(("nom du document (refusé)", answer.get_data(as_text=True)))
        else:
            assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    with app.app_context():
        ids = db.session.execute(select(StoredDocument.id).order_by(StoredDocument.id)).scalars().all()
    sink.tried["nom d'un document (Mes documents)"] = len(payloads)
    sink.views["mes documents"] = [(famille, "/mes-documents")]
    sink.views["un document"] = [(famille, f"/mes-documents/{i}") for i in ids]


def invoices(famille, finances, payloads: list[str], chunks: Chunks, sink: Sink) -> None:
    """« Nouvelle facture » (4 lines, label 300) for F-IDOR, then « Annuler la facture » (reason 1000)."""
    labels, reasons = chunks(300, payloads), chunks(1000, payloads)
    created = []
    for n in range(max(-(-len(labels) // 4), len(reasons))):
        data = {"famille": "F-IDOR", "debut": "01/02/2026", "fin": "28/02/2026"}
        for line, label in enumerate(labels[n * 4 : n * 4 + 4] or ["Ligne ordinaire"], start=1):
            data |= {f"libelle_{line}": label, f"quantite_{line}": "1", f"prix_{line}": "10,00"}
        answer = post_form(finances, "/agents/factures/nouvelle", data)
        assert answer.status_code == 302, answer.get_data(as_text=True)[:800]
        invoice_id = int(answer.headers["Location"].rsplit("/", 1)[1])
        created.append(invoice_id)
        if n < len(reasons):
            page = f"/agents/factures/{invoice_id}"
            cancelled = post_form(finances, page, {"motif": reasons[n]})
            assert cancelled.status_code == 302, cancelled.get_data(as_text=True)[:800]
    sink.tried["libellé d'une ligne de facture"] = sink.tried["motif d'annulation de facture"] = len(payloads)
    sink.views["facture (famille)"] = [(famille, f"/factures/{i}") for i in created]
    sink.views["facture (Finances)"] = [(finances, f"/agents/factures/{i}") for i in created]


def activities(app, famille, sports, first: int, payloads: list[str], chunks: Chunks, sink: Sink) -> None:
    """An activity's settings: presentation and documents to provide (2000 each, one activity per batch),
    and its sessions' names (200), as the family sees them at booking."""
    texts = chunks(2000, payloads)
    ids = [first]
    with app.app_context():
        for n in range(1, len(texts)):
            extra = Activity(
                external_id=f"XSS-{n}", name=f"Atelier {n}", kind=ActivityKind.SPORT, service="Sports"
            )
            db.session.add(extra)
            db.session.flush()
            ids.append(extra.id)
        db.session.commit()
    for activity_id, text in zip(ids, texts, strict=True):
        page = f"/agents/activites/{activity_id}"
        settings = {"description": text, "documents": text, "price_rule": "forfait", "price": "45"}
        saved = post_form(sports, page, {**settings, "cancel_days": "7", "fair_minutes": "0"})
        assert saved.status_code == 302, saved.get_data(as_text=True)[:800]
    for label in chunks(200, payloads):
        session = {"s-label": label, "s-starts_on": "2026-05-04", "s-ends_on": "2026-05-08", "s-places": "8"}
        added = post_form(
            sports,
            f"/agents/activites/{first}",
            {**session, "s-weekdays": ["0", "2"]},
            action=f"/agents/activites/{first}/sessions",
        )
        assert added.status_code == 302, added.get_data(as_text=True)[:800]
    sink.tried["présentation d'une activité"] = sink.tried["documents à fournir"] = len(payloads)
    sink.tried["nom d'une session"] = len(payloads)
    sink.views["activité (agents)"] = [(sports, f"/agents/activites/{i}") for i in ids]
    sink.views["activité (famille)"] = [(famille, f"/activites/{i}") for i in ids]


def scenario_cases(analyst, payloads: list[str], chunks: Chunks, sink: Sink) -> None:
    """The studio's scenario cases of « changement_adresse »: a case's name (150)."""
    key = "changement_adresse"
    page = f"/studio/{key}/scenarios/nouveau"
    for name in chunks(150, payloads):
        data = {**IMPOSSIBLE, "nom": name, "csrf_token": csrf_token(analyst, page)}
        saved = analyst.post(f"/studio/{key}/scenarios/enregistrer", data=data)
        assert saved.status_code == 302, saved.get_data(as_text=True)[:800]
    sink.tried["nom d'un cas de test (studio)"] = len(payloads)
    sink.views["cas de test"] = [(analyst, f"/studio/{key}/scenarios")]


def form_fields(analyst, payloads: list[str], chunks: Chunks, sink: Sink) -> None:
    """The form editor of a new démarche: a field's label (200) and help (1000), in the editor, a
    field's page and the preview exactly as the family sees it."""
    made = post_form(analyst, "/studio/nouvelle-demarche", MODEL)
    assert made.status_code == 302, made.get_data(as_text=True)[:800]
    editor = f"/studio/{MODEL['key']}/formulaires/saisie"
    labels, helps = chunks(200, payloads), chunks(1000, payloads)
    for n in range(max(len(labels), len(helps))):
        page = f"{editor}/champs/nouveau?type=text"
        label = labels[n] if n < len(labels) else f"Question {n}"
        data = {
            "label": label,
            "name": f"champ_{n}",
            "help": helps[n] if n < len(helps) else "",
            "type": "text",
        }
        added = analyst.post(page, data={**data, "csrf_token": csrf_token(analyst, page)})
        assert added.status_code == 302, added.get_data(as_text=True)[:800]
    sink.tried["libellé d'un champ (éditeur de formulaires)"] = len(payloads)
    sink.tried["aide d'un champ (éditeur de formulaires)"] = len(payloads)
    sink.views["éditeur de formulaire"] = [(analyst, editor)]
    sink.views["aperçu du formulaire"] = [(analyst, f"{editor}/apercu")]
    sink.views["un champ"] = [(analyst, f"{editor}/champs/{n}") for n in range(len(labels))]
