"""The agents' settings form of an activity, read into and written from ActivityOffer (times in Paris)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from forms.activites import OfferForm
from web.core.i18n import SOURCE, _, current_language
from web.core.presentation import PARIS

from . import rules
from .models import ActivityOffer, PriceRule


def _local(value: datetime | None) -> datetime | None:
    return value.astimezone(PARIS).replace(tzinfo=None) if value else None


def offer_defaults(offer: ActivityOffer) -> dict[str, Any]:
    return {
        "description": offer.description, "min_age": offer.min_age, "max_age": offer.max_age,
        "classes": offer.classes, "price_rule": offer.price_rule,
        "price": _price_text(offer.price_cents or 0),
        "quotient_bands": offer.quotient_bands, "opens_at": _local(offer.opens_at),
        "closes_at": _local(offer.closes_at), "fair_minutes": offer.fair_minutes,
        "draw_criteria": offer.draw_criteria, "validation_required": offer.validation_required,
        "documents": offer.documents, "cancel_days": offer.cancel_days,
    }  # fmt: skip


def _price_text(cents: int) -> str:
    """« 12,50 » in French, « 12.50 » in English (the form reads both)."""
    text = f"{cents / 100:.2f}"
    return text.replace(".", ",") if current_language() == SOURCE else text


def _cents(form: OfferForm) -> int | None:
    try:
        value = Decimal((form.price.data or "0").replace(",", ".").replace("€", "").strip())
    except InvalidOperation:
        value = Decimal(-1)
    if value < 0 or value > 100000:
        form.price.errors.append(_("Indiquez un prix en euros, par exemple 12,50."))
        return None
    return int(value * 100)


def _check(form: OfferForm, service: str, validation_lanes: frozenset[str]) -> bool:
    ok = True
    if form.validation_required.data and service not in validation_lanes:
        lanes = ", ".join(sorted(validation_lanes)) or _("aucun")
        form.validation_required.errors.append(
            _(
                "La démarche « Inscription à une activité » n'a pas de couloir « %(service)s » : la tâche "
                "de validation ne pourrait pas arriver au service de cette activité (services prévus : "
                "%(lanes)s). Demandez à l'analyste d'ajouter ce couloir (voir le guide de l'agent), ou "
                "laissez la case décochée.",
                service=service,
                lanes=lanes,
            )
        )
        ok = False
    if (
        form.min_age.data is not None
        and form.max_age.data is not None
        and form.min_age.data > form.max_age.data
    ):
        form.max_age.errors.append(_("L'âge maximum est plus petit que l'âge minimum."))
        ok = False
    if form.opens_at.data and form.closes_at.data and form.closes_at.data <= form.opens_at.data:
        form.closes_at.errors.append(_("La clôture doit venir après l'ouverture des inscriptions."))
        ok = False
    if form.fair_minutes.data and not form.opens_at.data:
        form.fair_minutes.errors.append(_("Une ouverture équitable demande une date d'ouverture."))
        ok = False
    if form.price_rule.data == PriceRule.QUOTIENT:
        try:
            rules.parse_bands(form.quotient_bands.data)
        except ValueError:
            form.quotient_bands.errors.append(_("Écrivez les tranches comme « 600:350;1200:700;:1100 »."))
            ok = False
    return ok


def apply_offer(offer: ActivityOffer, form: OfferForm, validation_lanes: frozenset[str]) -> bool:
    """Write the form into the offer; False (errors added to the form, nothing written) if it is wrong.
    `validation_lanes`: the services the enrolment démarche can send its validation task to."""
    cents = _cents(form)
    if not _check(form, offer.activity.service, validation_lanes) or cents is None:
        return False
    offer.description = form.description.data or None
    offer.min_age, offer.max_age = form.min_age.data, form.max_age.data
    offer.classes = form.classes.data or None
    offer.price_rule, offer.price_cents = PriceRule(form.price_rule.data), cents
    offer.quotient_bands = form.quotient_bands.data or None
    offer.opens_at = form.opens_at.data.replace(tzinfo=PARIS) if form.opens_at.data else None
    offer.closes_at = form.closes_at.data.replace(tzinfo=PARIS) if form.closes_at.data else None
    offer.fair_minutes = form.fair_minutes.data or 0
    offer.draw_criteria = form.draw_criteria.data or None
    offer.validation_required = bool(form.validation_required.data)
    offer.documents = form.documents.data or None
    offer.cancel_days = form.cancel_days.data
    return True
