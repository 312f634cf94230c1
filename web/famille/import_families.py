"""The families file of the CSV import (web/famille/importer.py): one row per child, checked then synced."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from engine.db import utcnow
from web.core.i18n import _, _l

from .csv_file import (
    CHILD_REQUIRED,
    FAMILY_COLUMNS,
    FAMILY_REQUIRED,
    ID,
    MEMBER_FIELDS,
    CsvImportError,
    _parse_date,
    _split,
)
from .import_report import Report, _diff
from .models import Activity, Child, ChildService, Enrolment, FamilyMember, FamilyRecord

CHILD_LABELS = {
    "last_name": _l("nom"),
    "first_name": _l("prénom"),
    "birth_date": _l("date de naissance"),
    "school": _l("école"),
    "class_name": _l("classe"),
}
MEMBER_LABELS = {
    "last_name": _l("nom"),
    "first_name": _l("prénom"),
    "email": _l("courriel"),
    "phone": _l("téléphone"),
}
RECORD_LABELS = {"name": _l("nom"), "address": _l("adresse")}


@dataclass
class _Household:
    line: int
    name: str
    address: str | None
    members: dict[int, dict[str, str | None]]
    children: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def _check_members(number: int, row: dict[str, str], errors: list[str]) -> dict[int, dict[str, str | None]]:
    """The row's responsables (1 and 2) that have any cell filled; their errors go to `errors`."""
    members = {
        n: {f: row.get(f"responsable{n}_{f}") or None for f in MEMBER_FIELDS}
        for n in (1, 2)
        if any(row.get(f"responsable{n}_{f}") for f in MEMBER_FIELDS)
    }
    for n, member in members.items():
        if not member["nom"] or not member["prenom"]:
            errors.append(
                _("Ligne %(line)s : le responsable %(n)s doit avoir un nom et un prénom.", line=number, n=n)
            )
        if member["courriel"] and "@" not in member["courriel"]:
            errors.append(
                _("Ligne %(line)s : le courriel du responsable %(n)s n'est pas valide.", line=number, n=n)
            )
    return members


def _check_household(
    number: int,
    row: dict[str, str],
    households: dict[str, _Household],
    errors: list[str],
) -> _Household:
    """The row's household (created at its first row; later rows must repeat the same cells)."""
    fid = row.get("famille_id", "")
    for column in FAMILY_REQUIRED:
        if not row.get(column):
            errors.append(
                _("Ligne %(line)s : la colonne « %(column)s » est vide.", line=number, column=column)
            )
    if fid and not ID.match(fid):
        errors.append(
            _("Ligne %(line)s : l'identifiant de famille « %(id)s » n'est pas valide.", line=number, id=fid)
        )
    members = _check_members(number, row, errors)
    household = households.get(fid)
    if household is None:
        household = _Household(number, row.get("famille_nom", ""), row.get("adresse") or None, members)
        households[fid] = household
    elif (household.name, household.address, household.members) != (
        row.get("famille_nom", ""),
        row.get("adresse") or None,
        members,
    ):
        errors.append(
            _(
                "Ligne %(line)s : la famille « %(id)s » figure déjà ligne %(first)s avec un nom, une "
                "adresse ou des responsables différents ; les lignes d'une même famille doivent "
                "être identiques.",
                line=number,
                id=fid,
                first=household.line,
            )
        )
    return household


def _check_birth(number: int, born: str, today: date, errors: list[str]) -> None:
    """A date of birth, when given, is a date (JJ/MM/AAAA) and not in the future."""
    if not born:
        return
    parsed = _parse_date(born)
    if parsed is None:
        errors.append(
            _(
                "Ligne %(line)s : la date de naissance « %(date)s » n'est pas une date (format JJ/MM/AAAA).",
                line=number,
                date=born,
            )
        )
    elif parsed > today:
        errors.append(
            _("Ligne %(line)s : la date de naissance « %(date)s » est dans le futur.", line=number, date=born)
        )


def _check_child(
    number: int,
    row: dict[str, str],
    today: date,
    child_lines: dict[str, int],
    same_child: dict[tuple[str, str, str, str], int],
    errors: list[str],
) -> bool:
    """Whether the row describes a child to import; its errors go to `errors`."""
    child_cells = [c for c in FAMILY_COLUMNS if c.startswith("enfant_")]
    if not any(row.get(c) for c in child_cells):
        return False
    cid = row.get("enfant_id", "")
    if not cid:
        errors.append(
            _(
                "Ligne %(line)s : la colonne « enfant_id » est vide alors que la ligne décrit un enfant.",
                line=number,
            )
        )
        return False
    if not ID.match(cid):
        errors.append(
            _("Ligne %(line)s : l'identifiant d'enfant « %(id)s » n'est pas valide.", line=number, id=cid)
        )
    if cid in child_lines:
        errors.append(
            _(
                "Ligne %(line)s : l'enfant « %(id)s » figure déjà ligne %(first)s (enfant en double).",
                line=number,
                id=cid,
                first=child_lines[cid],
            )
        )
        return False
    child_lines[cid] = number
    for column in CHILD_REQUIRED:
        if not row.get(column):
            errors.append(
                _("Ligne %(line)s : la colonne « %(column)s » est vide.", line=number, column=column)
            )
    born = row.get("enfant_date_naissance", "")
    _check_birth(number, born, today, errors)
    fid = row.get("famille_id", "")
    identity = (fid, row.get("enfant_nom", "").lower(), row.get("enfant_prenom", "").lower(), born)
    if identity in same_child:
        errors.append(
            _(
                "Ligne %(line)s : l'enfant %(name)s figure déjà ligne %(first)s sous un autre identifiant "
                "(enfant en double).",
                line=number,
                name=" ".join([row.get("enfant_prenom", ""), row.get("enfant_nom", "")]),
                first=same_child[identity],
            )
        )
    same_child.setdefault(identity, number)
    return True


def _check_references(
    session: Session,
    rows: list[dict[str, str]],
    codes: set[str],
    child_lines: dict[str, int],
    errors: list[str],
) -> dict[str, Activity]:
    """The activities the rows name (each must exist); a known enfant_id must stay in its household."""
    activities = {
        a.external_id: a for a in session.scalars(select(Activity).where(Activity.external_id.in_(codes)))
    }
    for number, row in enumerate(rows, start=2):
        for code in _split(row.get("enfant_activites", "")):
            if code not in activities:
                errors.append(
                    _(
                        "Ligne %(line)s : l'activité « %(code)s » est inconnue : importez d'abord le "
                        "fichier des activités.",
                        line=number,
                        code=code,
                    )
                )
    # An enfant_id already known in another household is a duplicate too.
    if child_lines:
        known = select(Child).where(Child.external_id.in_(child_lines)).options(joinedload(Child.record))
        for child in session.scalars(known):
            record = child.record
            fid = rows[child_lines[child.external_id or ""] - 2]["famille_id"]
            if record.external_id != fid:
                errors.append(
                    _(
                        "Ligne %(line)s : l'enfant « %(id)s » est déjà dans le dossier de la famille "
                        "« %(family)s ».",
                        line=child_lines[child.external_id or ""],
                        id=child.external_id,
                        family=record.external_id or record.name,
                    )
                )
    return activities


def _check_families(
    session: Session, rows: list[dict[str, str]], today: date
) -> tuple[dict[str, _Household], dict[str, Activity]]:
    errors: list[str] = []
    households: dict[str, _Household] = {}
    child_lines: dict[str, int] = {}
    same_child: dict[tuple[str, str, str, str], int] = {}
    codes: set[str] = set()
    for number, row in enumerate(rows, start=2):
        household = _check_household(number, row, households, errors)
        if not _check_child(number, row, today, child_lines, same_child, errors):
            continue
        codes.update(_split(row.get("enfant_activites", "")))
        household.children.append((number, row))
    activities = _check_references(session, rows, codes, child_lines, errors)
    if errors:
        raise CsvImportError(errors)
    return households, activities


def _import_families(session: Session, rows: list[dict[str, str]], report: Report, today: date) -> None:
    households, activities = _check_families(session, rows, today)
    from .services import ENFANCE

    records = {
        r.external_id: r
        for r in session.scalars(
            select(FamilyRecord)
            .where(FamilyRecord.service == ENFANCE, FamilyRecord.external_id.in_(households))
            .options(selectinload(FamilyRecord.members))
        )
    }
    now = utcnow()
    child_ids = [row["enfant_id"] for h in households.values() for _n, row in h.children]
    known_children = {
        c.external_id: c for c in session.scalars(select(Child).where(Child.external_id.in_(child_ids)))
    }
    for fid, household in households.items():
        record = records.get(fid)
        if record is None:
            record = FamilyRecord(
                service=ENFANCE, external_id=fid, name=household.name, address=household.address
            )
            session.add(record)
            report.created.append(_("Dossier famille %(id)s « %(name)s »", id=fid, name=household.name))
            record_changes: list[str] = []
        else:
            record_changes = _diff(
                record, {"name": household.name, "address": household.address}, RECORD_LABELS
            )
        member_changes = _sync_members(record, household.members)
        if fid in records:
            record_changes += member_changes
        if record_changes:
            record.updated_at = now
            report.changed.append(
                _("Dossier famille %(id)s « %(name)s »", id=fid, name=record.name)
                + _(" :")
                + " "
                + " ; ".join(record_changes)
            )
        elif fid in records:
            report.unchanged += 1
        for _number, row in household.children:
            _sync_child(record, known_children.get(row["enfant_id"]), row, activities, report, now)


def _phone(raw: str | None) -> str | None:
    """A valid number in E.164 (+33612345678), as the agents' correction form stores it, so that an
    import and a correction agree; a number that is not valid is kept as written."""
    import phonenumbers

    if not raw:
        return raw
    try:
        number = phonenumbers.parse(raw, "FR")
    except phonenumbers.NumberParseException:
        return raw
    if not phonenumbers.is_valid_number(number):
        return raw
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _sync_members(record: FamilyRecord, members: dict[int, dict[str, str | None]]) -> list[str]:
    changes = []
    by_position = {m.position: m for m in record.members}
    for position, cells in members.items():
        values = {
            "last_name": cells["nom"] or "",
            "first_name": cells["prenom"] or "",
            "email": cells["courriel"],
            "phone": _phone(cells["telephone"]),
        }
        member = by_position.get(position)
        if member is None:
            record.members.append(FamilyMember(position=position, **values))
            changes.append(
                _(
                    "responsable %(n)s ajouté : %(name)s",
                    n=position,
                    name=" ".join([str(values["first_name"]), str(values["last_name"])]),
                )
            )
        else:
            changes += [
                _("responsable %(n)s, %(change)s", n=position, change=c)
                for c in _diff(member, values, MEMBER_LABELS)
            ]
    for position, member in by_position.items():
        if position not in members:
            record.members.remove(member)
            changes.append(_("responsable %(n)s retiré : %(name)s", n=position, name=member.full_name))
    return changes


def _sync_child(
    record: FamilyRecord,
    child: Child | None,
    row: dict[str, str],
    activities: dict[str, Activity],
    report: Report,
    now: datetime,
) -> None:
    values: dict[str, object] = {
        "last_name": row["enfant_nom"],
        "first_name": row["enfant_prenom"],
        "birth_date": _parse_date(row.get("enfant_date_naissance", "")),
        "school": row.get("enfant_ecole") or None,
        "class_name": row.get("enfant_classe") or None,
    }
    cid = row["enfant_id"]
    label = _("Enfant %(id)s « %(name)s »", id=cid, name=" ".join([row["enfant_prenom"], row["enfant_nom"]]))
    if child is None:
        child = Child(external_id=cid, **values)
        record.children.append(child)
        report.created.append(label)
        changes: list[str] = []
        created = True
    else:
        changes = _diff(child, values, CHILD_LABELS)
        created = False
    wanted_services = sorted(set(_split(row.get("enfant_services", ""))))
    if child.services != wanted_services:
        if not created:
            changes.append(
                _(
                    "services : « %(old)s » → « %(new)s »",
                    old=", ".join(child.services) or _("aucun"),
                    new=", ".join(wanted_services) or _("aucun"),
                )
            )
        child.service_links[:] = [
            next((link for link in child.service_links if link.service == s), None) or ChildService(service=s)
            for s in wanted_services
        ]
    wanted = [activities[code] for code in dict.fromkeys(_split(row.get("enfant_activites", "")))]
    have = {e.activity.external_id: e for e in child.enrolments}
    for activity in wanted:
        if activity.external_id not in have:
            child.enrolments.append(Enrolment(activity=activity))
            if not created:
                changes.append(_("inscrit à « %(name)s »", name=activity.name))
    for code, enrolment in have.items():
        if code not in {a.external_id for a in wanted}:
            child.enrolments.remove(enrolment)
            changes.append(_("désinscrit de « %(name)s »", name=enrolment.activity.name))
    if changes:
        child.updated_at = now
        report.changed.append(label + _(" :") + " " + " ; ".join(changes))
    elif not created:
        report.unchanged += 1
