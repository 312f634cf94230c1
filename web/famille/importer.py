"""Import of family records and activities from the town's management software (CSV).

Two kinds of file, told apart by their columns (docs/operator-guide.md, « Import des dossiers famille »):

- activities: ``activite_id;nom;type;service;lieu``
- families: one row per child (a household without children: one row with the ``enfant_*`` cells
  empty), the household's cells repeated on each of its rows.

Everything is checked before anything is written, and the whole file is written in the caller's one
transaction: either every row is imported or none. Re-importing the same file changes nothing (rows
are keyed by the software's ids). A dry run reports the same changes and writes nothing.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from engine.db import utcnow

from .models import Activity, ActivityKind, Child, ChildService, Enrolment, FamilyMember, FamilyRecord

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000

ACTIVITY_COLUMNS = ("activite_id", "nom", "type", "service", "lieu")
ACTIVITY_REQUIRED = ("activite_id", "nom", "type", "service")
MEMBER_FIELDS = ("nom", "prenom", "courriel", "telephone")
FAMILY_COLUMNS = (
    "famille_id",
    "famille_nom",
    "adresse",
    *(f"responsable{n}_{f}" for n in (1, 2) for f in MEMBER_FIELDS),
    "enfant_id",
    "enfant_nom",
    "enfant_prenom",
    "enfant_date_naissance",
    "enfant_ecole",
    "enfant_classe",
    "enfant_services",
    "enfant_activites",
)
FAMILY_REQUIRED = ("famille_id", "famille_nom")
CHILD_REQUIRED = ("enfant_nom", "enfant_prenom")

# A cell that a spreadsheet would run as a formula (CSV injection): refused, never written.
# A leading + or - is kept only for a plain number (a phone number such as +33 6 12 34 56 78).
FORMULA = re.compile(r"^[=@\t\r]")
SIGNED_NUMBER = re.compile(r"^[+\-][\d\s().]+$")
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,49}$")


class CsvImportError(Exception):
    """The file cannot be imported; `errors` are French sentences naming the line and the column."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class Report:
    kind: str  # "familles" or "activités"
    encoding: str
    rows: int = 0
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    dry_run: bool = True

    @property
    def nothing_to_do(self) -> bool:
        return not self.created and not self.changed

    def lines(self) -> list[str]:
        verb = "serait" if self.dry_run else "a été"
        head = [
            f"Fichier de {self.kind} lu ({self.encoding}) : {self.rows} ligne(s).",
            f"{len(self.created)} création(s), {len(self.changed)} modification(s), "
            f"{self.unchanged} élément(s) inchangé(s).",
        ]
        if self.nothing_to_do:
            head.append(
                "Rien ne changerait : le fichier a déjà été importé." if self.dry_run else "Rien n'a changé."
            )
        created = [f"{line} ({verb} créé)" for line in self.created]
        return head + created + [f"{line} ({verb} modifié)" for line in self.changed]


# --- Reading -------------------------------------------------------------------------------------


def decode(raw: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM), or Windows-1252 when every non-ASCII character reads as French text."""
    if len(raw) > MAX_BYTES:
        raise CsvImportError([f"Le fichier dépasse {MAX_BYTES // (1024 * 1024)} Mo : découpez-le."])
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(_french_char(ch) for ch in text):
        return text, "Windows-1252"
    raise CsvImportError(
        [
            "Le fichier n'est ni en UTF-8 ni en Windows-1252 : enregistrez-le au format "
            "« CSV UTF-8 » depuis votre logiciel ou votre tableur, puis importez-le de nouveau."
        ]
    )


def _french_char(ch: str) -> bool:
    """Printable ASCII, a letter (é, ç, œ...) or French punctuation: what a French CSV holds."""
    if ch in "\r\n\t":
        return True
    return ch.isprintable() and (ch.isascii() or ch.isalpha() or ch in "«»’‘“”–—…€°\xa0")


def _normalise_header(name: str) -> str:
    name = unicodedata.normalize("NFKD", name.strip().lower())
    return "".join(ch for ch in name if not unicodedata.combining(ch)).replace(" ", "_")


def read_rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows (cells stripped); the delimiter is `;` (French spreadsheets) or `,`."""
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        lines = list(reader)
    except csv.Error as error:
        raise CsvImportError(
            [f"Le fichier CSV est mal formé (ligne {reader.line_num}) : vérifiez les guillemets."]
        ) from error
    lines = [line for line in lines if any(cell.strip() for cell in line)]
    if not lines:
        raise CsvImportError(["Le fichier est vide : il doit commencer par une ligne d'en-tête."])
    if len(lines) > MAX_ROWS + 1:
        raise CsvImportError([f"Le fichier a plus de {MAX_ROWS} lignes : découpez-le."])
    header = [_normalise_header(h) for h in lines[0]]
    errors = []
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if len(line) != len(header):
            errors.append(
                f"Ligne {number} : {len(line)} colonne(s) au lieu de {len(header)} comme l'en-tête "
                "(un séparateur en trop ou des guillemets mal fermés ?)."
            )
            continue
        rows.append({h: cell.strip() for h, cell in zip(header, line, strict=True)})
    if errors:
        raise CsvImportError(errors)
    return header, rows


def _check_header(header: list[str], known: tuple[str, ...], required: tuple[str, ...]) -> None:
    errors = []
    unknown = [h for h in header if h not in known]
    if unknown:
        errors.append(
            "Colonne(s) inconnue(s) : "
            + ", ".join(f"« {h} »" for h in unknown)
            + ". Colonnes possibles : "
            + ", ".join(known)
            + "."
        )
    missing = [h for h in required if h not in header]
    if missing:
        errors.append(
            "Colonne(s) obligatoire(s) absente(s) : " + ", ".join(f"« {h} »" for h in missing) + "."
        )
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        errors.append("Colonne(s) en double : " + ", ".join(f"« {h} »" for h in duplicated) + ".")
    if errors:
        raise CsvImportError(errors)


def _check_cells(rows: list[dict[str, str]]) -> list[str]:
    errors = []
    for number, row in enumerate(rows, start=2):
        for column, value in row.items():
            if FORMULA.match(value) or (value[:1] in "+-" and value and not SIGNED_NUMBER.match(value)):
                errors.append(
                    f"Ligne {number}, colonne « {column} » : la cellule commence par « {value[:1]} » "
                    "comme une formule de tableur ; elle est refusée. Retirez ce caractère."
                )
            elif len(value) > 300:
                errors.append(f"Ligne {number}, colonne « {column} » : plus de 300 caractères.")
    return errors


def _parse_date(value: str) -> date | None:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, pattern).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split("|") if part.strip()]


# --- Import --------------------------------------------------------------------------------------


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
            if dry_run:
                raise _DryRun  # the same run, rolled back: nothing of a dry run stays
    except _DryRun:
        pass
    return report


class _DryRun(Exception):
    """Ends a dry run inside its savepoint, so that the savepoint is rolled back."""


def _diff(obj: object, values: dict[str, object], labels: dict[str, str]) -> list[str]:
    """Set the attributes that differ; return « libellé : ancien → nouveau » for each."""
    changes = []
    for attr, new in values.items():
        old = getattr(obj, attr)
        if old != new:
            setattr(obj, attr, new)
            changes.append(f"{labels[attr]} : « {_show(old)} » → « {_show(new)} »")
    return changes


def _show(value: object) -> str:
    if value is None or value == "":
        return "vide"
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


ACTIVITY_LABELS = {"name": "nom", "kind": "type", "service": "service", "place": "lieu"}


def _import_activities(session: Session, rows: list[dict[str, str]], report: Report, today: date) -> None:
    errors = []
    seen: dict[str, int] = {}
    kinds = {kind.value: kind for kind in ActivityKind}
    for number, row in enumerate(rows, start=2):
        for column in ACTIVITY_REQUIRED:
            if not row.get(column):
                errors.append(f"Ligne {number} : la colonne « {column} » est vide.")
        code = row.get("activite_id", "")
        if code and not ID.match(code):
            errors.append(f"Ligne {number} : l'identifiant d'activité « {code} » n'est pas valide.")
        if code in seen:
            errors.append(f"Ligne {number} : l'activité « {code} » figure déjà ligne {seen[code]}.")
        seen.setdefault(code, number)
        if row.get("type") and row["type"].lower() not in kinds:
            errors.append(
                f"Ligne {number} : type « {row['type']} » inconnu. Types possibles : "
                + ", ".join(kinds)
                + "."
            )
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
        activity = existing.get(row["activite_id"])
        if activity is None:
            session.add(Activity(external_id=row["activite_id"], **values))
            report.created.append(f"Activité {row['activite_id']} « {row['nom']} »")
            continue
        changes = _diff(activity, values, ACTIVITY_LABELS)
        if changes:
            report.changed.append(
                f"Activité {activity.external_id} « {activity.name} » : " + " ; ".join(changes)
            )
        else:
            report.unchanged += 1


CHILD_LABELS = {
    "last_name": "nom",
    "first_name": "prénom",
    "birth_date": "date de naissance",
    "school": "école",
    "class_name": "classe",
}
MEMBER_LABELS = {"last_name": "nom", "first_name": "prénom", "email": "courriel", "phone": "téléphone"}
RECORD_LABELS = {"name": "nom", "address": "adresse"}


@dataclass
class _Household:
    line: int
    name: str
    address: str | None
    members: dict[int, dict[str, str | None]]
    children: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def _check_families(
    session: Session, rows: list[dict[str, str]], today: date
) -> tuple[dict[str, _Household], dict[str, Activity]]:
    errors: list[str] = []
    households: dict[str, _Household] = {}
    child_lines: dict[str, int] = {}
    same_child: dict[tuple[str, str, str, str], int] = {}
    codes: set[str] = set()
    for number, row in enumerate(rows, start=2):
        fid = row.get("famille_id", "")
        for column in FAMILY_REQUIRED:
            if not row.get(column):
                errors.append(f"Ligne {number} : la colonne « {column} » est vide.")
        if fid and not ID.match(fid):
            errors.append(f"Ligne {number} : l'identifiant de famille « {fid} » n'est pas valide.")
        members = {
            n: {f: row.get(f"responsable{n}_{f}") or None for f in MEMBER_FIELDS}
            for n in (1, 2)
            if any(row.get(f"responsable{n}_{f}") for f in MEMBER_FIELDS)
        }
        for n, member in members.items():
            if not member["nom"] or not member["prenom"]:
                errors.append(f"Ligne {number} : le responsable {n} doit avoir un nom et un prénom.")
            if member["courriel"] and "@" not in member["courriel"]:
                errors.append(f"Ligne {number} : le courriel du responsable {n} n'est pas valide.")
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
                f"Ligne {number} : la famille « {fid} » figure déjà ligne {household.line} avec un nom, une "
                "adresse ou des responsables différents ; les lignes d'une même famille doivent "
                "être identiques."
            )
        child_cells = [c for c in FAMILY_COLUMNS if c.startswith("enfant_")]
        if not any(row.get(c) for c in child_cells):
            continue
        cid = row.get("enfant_id", "")
        if not cid:
            errors.append(
                f"Ligne {number} : la colonne « enfant_id » est vide alors que la ligne décrit un enfant."
            )
            continue
        if not ID.match(cid):
            errors.append(f"Ligne {number} : l'identifiant d'enfant « {cid} » n'est pas valide.")
        if cid in child_lines:
            errors.append(
                f"Ligne {number} : l'enfant « {cid} » figure déjà ligne {child_lines[cid]} "
                "(enfant en double)."
            )
            continue
        child_lines[cid] = number
        for column in CHILD_REQUIRED:
            if not row.get(column):
                errors.append(f"Ligne {number} : la colonne « {column} » est vide.")
        born = row.get("enfant_date_naissance", "")
        if born:
            parsed = _parse_date(born)
            if parsed is None:
                errors.append(
                    f"Ligne {number} : la date de naissance « {born} » n'est pas une date "
                    "(format JJ/MM/AAAA)."
                )
            elif parsed > today:
                errors.append(f"Ligne {number} : la date de naissance « {born} » est dans le futur.")
        identity = (fid, row.get("enfant_nom", "").lower(), row.get("enfant_prenom", "").lower(), born)
        if identity in same_child:
            errors.append(
                f"Ligne {number} : l'enfant {row.get('enfant_prenom')} {row.get('enfant_nom')} figure déjà "
                f"ligne {same_child[identity]} sous un autre identifiant (enfant en double)."
            )
        same_child.setdefault(identity, number)
        codes.update(_split(row.get("enfant_activites", "")))
        household.children.append((number, row))
    activities = {
        a.external_id: a for a in session.scalars(select(Activity).where(Activity.external_id.in_(codes)))
    }
    for number, row in enumerate(rows, start=2):
        for code in _split(row.get("enfant_activites", "")):
            if code not in activities:
                errors.append(
                    f"Ligne {number} : l'activité « {code} » est inconnue : importez d'abord le "
                    "fichier des activités."
                )
    # An enfant_id already known in another household is a duplicate too.
    if child_lines:
        known = select(Child).where(Child.external_id.in_(child_lines)).options(joinedload(Child.record))
        for child in session.scalars(known):
            record = child.record
            fid = rows[child_lines[child.external_id or ""] - 2]["famille_id"]
            if record.external_id != fid:
                errors.append(
                    f"Ligne {child_lines[child.external_id or '']} : l'enfant « {child.external_id} » "
                    "est déjà "
                    f"dans le dossier de la famille « {record.external_id or record.name} »."
                )
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
            report.created.append(f"Dossier famille {fid} « {household.name} »")
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
            report.changed.append(f"Dossier famille {fid} « {record.name} » : " + " ; ".join(record_changes))
        elif fid in records:
            report.unchanged += 1
        for _number, row in household.children:
            _sync_child(record, known_children.get(row["enfant_id"]), row, activities, report, now)


def _sync_members(record: FamilyRecord, members: dict[int, dict[str, str | None]]) -> list[str]:
    changes = []
    by_position = {m.position: m for m in record.members}
    for position, cells in members.items():
        values = {
            "last_name": cells["nom"] or "",
            "first_name": cells["prenom"] or "",
            "email": cells["courriel"],
            "phone": cells["telephone"],
        }
        member = by_position.get(position)
        if member is None:
            record.members.append(FamilyMember(position=position, **values))
            changes.append(f"responsable {position} ajouté : {values['first_name']} {values['last_name']}")
        else:
            changes += [f"responsable {position}, {c}" for c in _diff(member, values, MEMBER_LABELS)]
    for position, member in by_position.items():
        if position not in members:
            record.members.remove(member)
            changes.append(f"responsable {position} retiré : {member.full_name}")
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
    label = f"Enfant {cid} « {row['enfant_prenom']} {row['enfant_nom']} »"
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
                f"services : « {', '.join(child.services) or 'aucun'} » → "
                f"« {', '.join(wanted_services) or 'aucun'} »"
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
                changes.append(f"inscrit à « {activity.name} »")
    for code, enrolment in have.items():
        if code not in {a.external_id for a in wanted}:
            child.enrolments.remove(enrolment)
            changes.append(f"désinscrit de « {enrolment.activity.name} »")
    if changes:
        child.updated_at = now
        report.changed.append(f"{label} : " + " ; ".join(changes))
    elif not created:
        report.unchanged += 1
