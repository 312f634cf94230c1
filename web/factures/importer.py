"""Import of invoices from the town's management software (CSV), with the helpers of the family import
(web/famille/csv_file.py: encoding, delimiter, header, formula cells refused) and its report.

One row per invoice line; the invoice's cells are repeated on each of its lines (docs/operator-guide.md,
« Import des factures »). Everything is checked before anything is written, in the caller's one
transaction: every invoice or none. Re-importing the same file changes nothing (keyed by the invoice
number); an invoice already imported with other content is refused: cancel it and issue a new one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.core.i18n import _
from web.famille.csv_file import (
    ID,
    MAX_BYTES,
    CsvImportError,
    _check_cells,
    _check_header,
    _parse_date,
    decode,
    read_rows,
)
from web.famille.import_report import Report
from web.famille.models import Activity, Child, FamilyRecord

from .models import Invoice, InvoiceSource
from .money import euros, parse_cents
from .services import InvoiceError, LineInput, create_invoice

__all__ = ["MAX_BYTES", "CsvImportError", "Report", "run"]

COLUMNS = (
    "facture_numero",
    "famille_id",
    "periode_debut",
    "periode_fin",
    "emission",
    "echeance",
    "enfant_id",
    "activite_id",
    "libelle",
    "quantite",
    "prix_unitaire",
)
REQUIRED = (
    "facture_numero",
    "famille_id",
    "periode_debut",
    "periode_fin",
    "emission",
    "quantite",
    "prix_unitaire",
)
INVOICE_CELLS = ("famille_id", "periode_debut", "periode_fin", "emission", "echeance")


@dataclass
class _Draft:
    number: str
    first_line: int
    cells: dict[str, str]
    lines: list[tuple[int, dict[str, str]]] = field(default_factory=list)


class _DryRun(Exception):
    pass


def run(session: Session, raw: bytes, *, dry_run: bool, actor: str) -> Report:
    text, encoding = decode(raw)
    header, rows = read_rows(text)
    _check_header(header, COLUMNS, REQUIRED)
    errors = _check_cells(rows)
    if errors:
        raise CsvImportError(errors)
    drafts, errors = _group(rows)
    report = Report(kind="factures", encoding=encoding, rows=len(rows), dry_run=dry_run)
    try:
        with session.begin_nested():
            _apply(session, drafts, errors, report, actor)
            session.flush()
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


def _group(rows: list[dict[str, str]]) -> tuple[dict[str, _Draft], list[str]]:
    drafts: dict[str, _Draft] = {}
    errors: list[str] = []
    for number, row in enumerate(rows, start=2):
        for column in REQUIRED:
            if not row.get(column):
                errors.append(
                    _("Ligne %(line)s : la colonne « %(column)s » est vide.", line=number, column=column)
                )
        code = row.get("facture_numero", "")
        if code and not ID.match(code):
            errors.append(
                _(
                    "Ligne %(line)s : le numéro de facture « %(code)s » n'est pas valable.",
                    line=number,
                    code=code,
                )
            )
        draft = drafts.setdefault(code, _Draft(code, number, {c: row.get(c, "") for c in INVOICE_CELLS}))
        differing = [c for c in INVOICE_CELLS if row.get(c, "") != draft.cells[c]]
        if differing:
            errors.append(
                _(
                    "Ligne %(line)s : la facture « %(code)s » a déjà une autre valeur ligne %(first)s "
                    "pour %(columns)s.",
                    line=number,
                    code=code,
                    first=draft.first_line,
                    columns=", ".join(f"« {c} »" for c in differing),
                )
            )
        draft.lines.append((number, row))
    return drafts, errors


def _apply(
    session: Session, drafts: dict[str, _Draft], errors: list[str], report: Report, actor: str
) -> None:
    records = _by_external_id(session, FamilyRecord, {d.cells["famille_id"] for d in drafts.values()})
    children = _by_external_id(
        session, Child, {r.get("enfant_id", "") for d in drafts.values() for _, r in d.lines}
    )
    activities = _by_external_id(
        session, Activity, {r.get("activite_id", "") for d in drafts.values() for _, r in d.lines}
    )
    existing = {
        i.external_id: i
        for i in session.scalars(select(Invoice).where(Invoice.external_id.in_(list(drafts))))
    }
    ready = []
    for draft in drafts.values():
        built = _build(draft, records, children, activities, errors)
        if built is not None:
            ready.append((draft, *built))
    if errors:
        raise CsvImportError(errors)
    for draft, record, lines, dates in ready:
        old = existing.get(draft.number)
        if old is not None:
            if _same(old, record, lines, dates):
                report.unchanged += 1
            else:
                errors.append(_changed(draft))
            continue
        try:
            invoice = create_invoice(
                session,
                record,
                lines,
                source=InvoiceSource.IMPORT,
                number=draft.number,
                external_id=draft.number,
                actor=actor,
                **dates,
            )
        except InvoiceError as error:
            errors.append(
                _(
                    "Ligne %(line)s : facture %(number)s : %(error)s",
                    line=draft.first_line,
                    number=draft.number,
                    error=error,
                )
            )
            continue
        report.created.append(
            _(
                "Facture %(number)s de %(family)s : %(amount)s",
                number=invoice.number,
                family=record.name,
                amount=euros(invoice.total_cents),
            )
        )
    if errors:
        raise CsvImportError(errors)


def _changed(draft: _Draft) -> str:
    return _(
        "Ligne %(line)s : la facture %(number)s a déjà été importée avec un autre contenu. "
        "Une facture émise ne se modifie pas : annulez-la, "
        "puis importez-la sous un autre numéro.",
        line=draft.first_line,
        number=draft.number,
    )


def _by_external_id(session: Session, model: type, ids: set[str]) -> dict[str, object]:
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    return {o.external_id: o for o in session.scalars(select(model).where(model.external_id.in_(wanted)))}  # type: ignore[attr-defined]


def _build(
    draft: _Draft, records: dict, children: dict, activities: dict, errors: list[str]
) -> tuple[FamilyRecord, list[LineInput], dict[str, date | None]] | None:
    count = len(errors)
    at = draft.first_line
    record = records.get(draft.cells["famille_id"])
    if record is None and draft.cells["famille_id"]:
        errors.append(
            _(
                "Ligne %(line)s : le dossier famille « %(record)s » est inconnu "
                "(importez d'abord les familles).",
                line=at,
                record=draft.cells["famille_id"],
            )
        )
    dates: dict[str, date | None] = {}
    for column, key in (
        ("periode_debut", "period_start"),
        ("periode_fin", "period_end"),
        ("emission", "issued_on"),
        ("echeance", "due_on"),
    ):
        value = draft.cells[column]
        dates[key] = _parse_date(value) if value else None
        if value and dates[key] is None:
            errors.append(
                _(
                    "Ligne %(line)s : colonne « %(column)s », « %(value)s » n'est pas une date (jj/mm/aaaa).",
                    line=at,
                    column=column,
                    value=value,
                )
            )
    lines = []
    for number, row in draft.lines:
        line = _line(number, row, record, children, activities, errors)
        if line is not None:
            lines.append(line)
    if len(errors) > count or record is None:
        return None
    return record, lines, dates


def _line(
    number: int,
    row: dict[str, str],
    record: FamilyRecord | None,
    children: dict,
    activities: dict,
    errors: list[str],
) -> LineInput | None:
    child = children.get(row.get("enfant_id", ""))
    activity = activities.get(row.get("activite_id", ""))
    ok = True
    if row.get("enfant_id") and (
        child is None or (record is not None and child.family_record_id != record.id)
    ):
        errors.append(
            _(
                "Ligne %(line)s : l'enfant « %(child)s » n'est pas un enfant de ce dossier famille.",
                line=number,
                child=row["enfant_id"],
            )
        )
        ok = False
    if row.get("activite_id") and activity is None:
        errors.append(
            _(
                "Ligne %(line)s : l'activité « %(activity)s » est inconnue.",
                line=number,
                activity=row["activite_id"],
            )
        )
        ok = False
    if not row.get("libelle") and activity is None:
        errors.append(_("Ligne %(line)s : indiquez un « libelle » ou une « activite_id ».", line=number))
        ok = False
    quantity_text = row.get("quantite", "")
    if quantity_text and (
        not quantity_text.isdigit() or int(quantity_text) == 0 or int(quantity_text) > 10_000
    ):
        errors.append(
            _(
                "Ligne %(line)s : colonne « quantite », « %(value)s » n'est pas un nombre entier positif.",
                line=number,
                value=quantity_text,
            )
        )
        ok = False
    try:
        price = parse_cents(row.get("prix_unitaire", ""), english=False) if row.get("prix_unitaire") else 0
    except ValueError as error:
        errors.append(_("Ligne %(line)s : colonne « prix_unitaire », %(error)s.", line=number, error=error))
        ok = False
    if not ok or not quantity_text:
        return None
    return LineInput(child, activity, row.get("libelle") or "", int(quantity_text), price)


def _same(old: Invoice, record: FamilyRecord, lines: list[LineInput], dates: dict[str, date | None]) -> bool:
    mine = [(x.child_id, x.activity_id, x.quantity, x.unit_price_cents) for x in old.lines]
    theirs = [
        (
            x.child.id if x.child else None,
            x.activity.id if x.activity else None,
            x.quantity,
            x.unit_price_cents,
        )
        for x in lines
    ]
    return old.family_record_id == record.id and mine == theirs and old.period_start == dates["period_start"]
