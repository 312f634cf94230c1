"""BPMN service operation: a démarche issues an invoice to the requester's family (a paid activity
enrolment, for instance). Data keys: docs/guide-analyste.md, « Émettre une facture (factures_emettre) »."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from engine.api import ServiceContext, service
from engine.db import utcnow
from web.core.presentation import PARIS
from web.famille.models import Activity, Child

from .models import Invoice, InvoiceSource
from .services import InvoiceError, LineInput, create_invoice

log = logging.getLogger(__name__)


class InvoiceOperationError(Exception):
    """The démarche's data cannot make an invoice (French message, shown to the agents)."""


@service("factures_emettre")
def issue_invoice(
    ctx: ServiceContext,
    enfant: Any,
    activite: str,
    quantite: Any = None,
    prix_unitaire_centimes: Any = None,
    libelle: str | None = None,
    echeance_jours: Any = None,
    lignes: Any = None,
) -> dict[str, Any]:
    """Émet une facture « à payer » au dossier famille de l'enfant (un enfant du demandeur) : une ligne
    `quantite` × `prix_unitaire_centimes` pour l'activité `activite` (son identifiant, par exemple
    « SEJ-NEIGE »), ou une ligne par élément de `lignes` ({"libelle", "quantite",
    "prix_unitaire_centimes"}). Une seule facture par demande : rejouée, l'opération rend la même."""
    from web.accounts.models import User

    session = ctx.session
    external_id = f"DEM-{ctx.reference or ctx.instance_id}"
    existing = session.scalars(select(Invoice).where(Invoice.external_id == external_id)).first()
    if existing is not None:
        return _result(existing)
    user = User.load_plain(session, ctx.requester_id)
    child = session.get(Child, _integer(enfant, "enfant"))
    if user is None or child is None or child.record not in user.family_records:
        raise InvoiceOperationError("L'enfant de la demande n'est pas dans le dossier famille du demandeur.")
    found = session.scalars(select(Activity).where(Activity.external_id == str(activite))).first()
    if found is None:
        raise InvoiceOperationError(f"L'activité « {activite} » est inconnue.")
    lines = _lines(child, found, lignes) or [
        LineInput(
            child,
            found,
            libelle or found.name,
            _integer(quantite, "quantite"),
            _integer(prix_unitaire_centimes, "prix_unitaire_centimes"),
        )
    ]
    today = utcnow().astimezone(PARIS).date()
    due = (
        today + timedelta(days=_integer(echeance_jours, "echeance_jours"))
        if echeance_jours not in (None, "")
        else None
    )
    try:
        invoice = create_invoice(
            session,
            child.record,
            lines,
            period_start=today,
            period_end=today,
            issued_on=today,
            due_on=due,
            source=InvoiceSource.DEMARCHE,
            external_id=external_id,
            actor=f"démarche {ctx.reference}",
        )
    except InvoiceError as error:
        raise InvoiceOperationError(str(error)) from error
    log.info("Invoice %s issued by instance %s", invoice.number, ctx.instance_id)
    return _result(invoice)


def _lines(child: Child, activity: Activity, lignes: Any) -> list[LineInput]:
    """The lines given as a list of {"libelle", "quantite", "prix_unitaire_centimes"} (none: [])."""
    if lignes in (None, "", []):
        return []
    if not isinstance(lignes, list) or not all(isinstance(line, dict) for line in lignes):
        raise InvoiceOperationError(
            "« lignes » doit être une liste de lignes {libelle, quantite, prix_unitaire_centimes}."
        )
    return [
        LineInput(
            child,
            activity,
            str(line.get("libelle") or activity.name)[:300],
            _integer(line.get("quantite", 1), "quantite"),
            _integer(line.get("prix_unitaire_centimes"), "prix_unitaire_centimes"),
        )
        for line in lignes
    ]


def _integer(value: Any, name: str) -> int:
    if isinstance(value, bool) or not str(value).strip().isdigit():
        raise InvoiceOperationError(
            f"« {name} » doit être un nombre entier positif ou nul (reçu : « {value} »)."
        )
    return int(str(value).strip())


def _result(invoice: Invoice) -> dict[str, Any]:
    return {
        "facture_id": invoice.id,
        "facture_numero": invoice.number,
        "facture_montant_centimes": invoice.total_cents,
    }
