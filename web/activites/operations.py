"""BPMN service operations of « Inscription à une activité » (workflows/inscription_activite.bpmn)."""

from __future__ import annotations

from typing import Any

from engine.api import ServiceContext, service

from .billing import invoice_lines
from .manage import refuse, validate

#: The démarches whose behaviour lives here (`git grep inscription_activite` finds this file).
DEMARCHES = ("inscription_activite",)


@service("activites_decider")
def decide(ctx: ServiceContext, demande: str, decision: str, motif: str | None = None) -> dict[str, Any]:
    """Applique la décision de l'agent aux places de la demande `demande` : validée, les places et rangs
    restent ; refusée, les places sont libérées et la liste d'attente promue (familles prévenues)."""
    if decision == "acceptee":
        validate(ctx.session, str(demande), by=f"démarche {ctx.reference}")
        return {"liberees": 0}
    return {"liberees": refuse(ctx.session, str(demande), str(motif or "refus du service"))}


@service("activites_a_facturer")
def to_invoice(ctx: ServiceContext, demande: str) -> dict[str, Any]:
    """What the request `demande` costs now: one line per session where the child holds a place and the
    price is above zero (the price the server computed at booking). The result feeds
    `factures_emettre` (« montant_centimes » = 0: nothing to invoice). Places still awaiting the draw
    or on the waiting list are not invoiced."""
    return invoice_lines(ctx.session, str(demande), ctx.requester_id)
