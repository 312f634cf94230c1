"""« Nouvelle facture »: an agent of the finance service issues an invoice by hand (family record, period,
due date and up to four lines); every mistake is a French message next to its field, nothing typed lost."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from web.core.i18n import _
from web.extensions import db
from web.famille.models import Activity, Child, FamilyRecord

from . import bp
from .agents import finances_required
from .money import parse_cents
from .services import InvoiceError, LineInput, create_invoice
from .views import today


def _lines(form: Any, record: FamilyRecord | None) -> list[LineInput]:
    from forms.factures import LINES

    session = db.session()
    lines = []
    for n in range(1, LINES + 1):
        cells = {k: form[f"{k}_{n}"] for k in ("enfant", "activite", "libelle", "quantite", "prix")}
        if not any(field.data for field in cells.values()):
            continue
        child = activity = None
        if cells["enfant"].data:
            child = session.scalars(select(Child).where(Child.external_id == cells["enfant"].data)).first()
            if child is None or (record is not None and child.family_record_id != record.id):
                cells["enfant"].errors.append(_("Cet enfant n'est pas un enfant de ce dossier famille."))
        if cells["activite"].data:
            activity = session.scalars(
                select(Activity).where(Activity.external_id == cells["activite"].data)
            ).first()
            if activity is None:
                cells["activite"].errors.append(_("Cette activité est inconnue."))
        if not cells["libelle"].data and activity is None and not cells["activite"].errors:
            cells["libelle"].errors.append(_("Indiquez un libellé ou une activité."))
        quantity = cells["quantite"].data or ""
        if not quantity.isdigit() or not 0 < int(quantity) <= 10_000:
            cells["quantite"].errors.append(_("La quantité doit être un nombre entier de 1 à 10 000."))
        try:
            price = parse_cents(cells["prix"].data or "")
        except ValueError as error:
            cells["prix"].errors.append(_("Montant refusé : %(reason)s.", reason=error))
            price = 0
        if not any(field.errors for field in cells.values()):
            lines.append(LineInput(child, activity, cells["libelle"].data or "", int(quantity), price))
    return lines


@bp.route("/agents/factures/nouvelle", methods=["GET", "POST"])
@finances_required
def new_invoice() -> Any:
    from forms.factures import LINES, NewInvoiceForm

    form = NewInvoiceForm()
    if form.validate_on_submit():
        session = db.session()
        record = session.scalars(
            select(FamilyRecord).where(FamilyRecord.external_id == form.famille.data)
        ).first()
        if record is None:
            form.famille.errors.append(
                _("Ce dossier famille est inconnu (numéro du logiciel, par exemple F-0001).")
            )
        lines = _lines(form, record)
        problems = any(field.errors for field in form)
        if not lines and not problems:
            form.libelle_1.errors.append(_("Une facture doit avoir au moins une ligne."))
        elif record is not None and not problems:
            try:
                invoice = create_invoice(
                    session,
                    record,
                    lines,
                    period_start=form.debut.data,
                    period_end=form.fin.data,
                    issued_on=today(),
                    due_on=form.echeance.data,
                    actor=current_user.display_name,
                )
            except InvoiceError as error:
                form.fin.errors.append(str(error))
            else:
                flash(
                    _("Facture %(number)s émise pour %(family)s.", number=invoice.number, family=record.name),
                    "success",
                )
                return redirect(url_for("factures.agent_invoice", invoice_id=invoice.id))
    status = 400 if any(field.errors for field in form) else 200
    return render_template("factures/agents/nouvelle.html", form=form, lines=range(1, LINES + 1)), status
