"""Import of family records and activities from the town's management software (CSV).

Two kinds of file, told apart by their columns (docs/operator-guide.md, « Import des dossiers famille »):

- activities: ``activite_id;nom;type;service;lieu`` (and optionally ``structure``, a facility's name)
- families: one row per child (a household without children: one row with the ``enfant_*`` cells
  empty), the household's cells repeated on each of its rows.

Everything is checked before anything is written, and the whole file is written in the caller's one
transaction: either every row is imported or none. Re-importing the same file changes nothing (rows
are keyed by the software's ids). A dry run reports the same changes and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import utcnow
from web.core.i18n import _, _l
from web.structures.models import Facility
from web.structures.services import fold

from .csv_file import (
    ACTIVITY_COLUMNS,
    ACTIVITY_REQUIRED,
    FAMILY_COLUMNS,
    FAMILY_REQUIRED,
    ID,
    MAX_BYTES,
    CsvImportError,
    _check_cells,
    _check_header,
    decode,
    read_rows,
)
from .import_families import _import_families
from .import_report import Report, _diff
from .models import Activity, ActivityKind

__all__ = ["MAX_BYTES", "CsvImportError", "Report", "decode", "read_rows", "run"]


def run(session: Session, raw: bytes, *, dry_run: bool, today: date | None = None) -> Report:
    """Check the whole file, then apply it (flush only). A dry run applies it in a savepoint rolled back."""
    text, encoding = decode(raw)
    header, rows = read_rows(text)
    if "activite_id" in header:
        _check_header(header, ACTIVITY_COLUMNS, ACTIVITY_REQUIRED)
        kind, apply = "activités", _import_activities
    else:
        _check_header(header, FAMILY_COLUMNS, FAMILY_REQUIRED)
        kind, apply = "familles", _import_families
    errors = _check_cells(rows)
    if errors:
        raise CsvImportError(errors)
    report = Report(kind=kind, encoding=encoding, rows=len(rows), dry_run=dry_run)
    try:
        with session.begin_nested():  # a savepoint: released on success, rolled back on any error
            with session.no_autoflush:  # one flush at the end, not one per row
                apply(session, rows, report, today or utcnow().date())
            session.flush()
            if apply is _import_families:
                for hook in AFTER_FAMILIES:
                    hook(session)
            if dry_run:
                raise _DryRun  # the same run, rolled back: nothing of a dry run stays
    except _DryRun:
        pass
    return report


#: Run after a families file is applied, in its savepoint. web/activites registers the one that keeps
#: enrolled the children holding a place booked on the portal: the software's file replaces the
#: children's activities and does not know those places yet (they reach it later, or never).
AFTER_FAMILIES: list[Callable[[Session], object]] = []


class _DryRun(Exception):
    """Ends a dry run inside its savepoint, so that the savepoint is rolled back."""


ACTIVITY_LABELS = {"name": _l("nom"), "kind": _l("type"), "service": _l("service"), "place": _l("lieu")}


def _import_activities(session: Session, rows: list[dict[str, str]], report: Report, today: date) -> None:
    kinds = {kind.value: kind for kind in ActivityKind}
    seen, errors = _check_activities(rows, kinds)
    facilities, facility_errors = _facilities_named(session, rows)
    errors += facility_errors
    if errors:
        raise CsvImportError(errors)
    existing = {
        a.external_id: a for a in session.scalars(select(Activity).where(Activity.external_id.in_(seen)))
    }
    for row in rows:
        values = {
            "name": row["nom"],
            "kind": kinds[row["type"].lower()],
            "service": row["service"],
            "place": row.get("lieu") or None,
        }
        # No « structure » column: the links already made are kept; an empty cell removes the link.
        facility = facilities.get(fold(row["structure"])) if "structure" in row else None
        activity = existing.get(row["activite_id"])
        if activity is None:
            session.add(Activity(external_id=row["activite_id"], facility=facility, **values))
            report.created.append(
                _("Activité %(code)s « %(name)s »", code=row["activite_id"], name=row["nom"])
            )
            continue
        changes = _diff(activity, values, ACTIVITY_LABELS)
        if "structure" in row and activity.facility is not facility:
            changes.append(
                _("structure : « %(old)s » → « %(new)s »", old=_name(activity.facility), new=_name(facility))
            )
            activity.facility = facility
        if changes:
            report.changed.append(
                _("Activité %(code)s « %(name)s »", code=activity.external_id, name=activity.name)
                + _(" :")
                + " "
                + " ; ".join(changes)
            )
        else:
            report.unchanged += 1


def _check_activities(
    rows: list[dict[str, str]], kinds: dict[str, ActivityKind]
) -> tuple[dict[str, int], list[str]]:
    errors = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        for column in ACTIVITY_REQUIRED:
            if not row.get(column):
                errors.append(
                    _("Ligne %(line)s : la colonne « %(column)s » est vide.", line=number, column=column)
                )
        code = row.get("activite_id", "")
        if code and not ID.match(code):
            errors.append(
                _(
                    "Ligne %(line)s : l'identifiant d'activité « %(code)s » n'est pas valide.",
                    line=number,
                    code=code,
                )
            )
        if code in seen:
            errors.append(
                _(
                    "Ligne %(line)s : l'activité « %(code)s » figure déjà ligne %(first)s.",
                    line=number,
                    code=code,
                    first=seen[code],
                )
            )
        seen.setdefault(code, number)
        if row.get("type") and row["type"].lower() not in kinds:
            errors.append(
                _(
                    "Ligne %(line)s : type « %(kind)s » inconnu. Types possibles : %(kinds)s.",
                    line=number,
                    kind=row["type"],
                    kinds=", ".join(kinds),
                )
            )
    return seen, errors


def _facilities_named(session: Session, rows: list[dict[str, str]]) -> tuple[dict[str, Facility], list[str]]:
    """The facilities the « structure » cells name (by folded name: accents and case ignored)."""
    wanted = {fold(row["structure"]) for row in rows if row.get("structure")}
    found = (
        {f.search_name: f for f in session.scalars(select(Facility).where(Facility.search_name.in_(wanted)))}
        if wanted
        else {}
    )
    errors = [
        _(
            "Ligne %(line)s : colonne « structure », la structure « %(name)s » est inconnue "
            "(nom exact d'une structure de la page « Structures »).",
            line=number,
            name=row["structure"],
        )
        for number, row in enumerate(rows, start=2)
        if row.get("structure") and fold(row["structure"]) not in found
    ]
    return found, errors


def _name(facility: Facility | None) -> str:
    return facility.name if facility is not None else _("vide")
