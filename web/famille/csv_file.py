"""Reading and checking a CSV file from the town's management software (web/famille/importer.py).

The encoding is guessed (UTF-8 or Windows-1252), the delimiter too (`;` or `,`); the header must name
known columns, and no cell may look like a spreadsheet formula. Errors are French sentences naming the
line and the column, raised together in one CsvImportError.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import date, datetime

from web.core.i18n import _

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000

ACTIVITY_COLUMNS = ("activite_id", "nom", "type", "service", "lieu", "structure")
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


def decode(raw: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM), or Windows-1252 when every non-ASCII character reads as French text."""
    if len(raw) > MAX_BYTES:
        raise CsvImportError(
            [_("Le fichier dépasse %(size)s Mo : découpez-le.", size=MAX_BYTES // (1024 * 1024))]
        )
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
            _(
                "Le fichier n'est ni en UTF-8 ni en Windows-1252 : enregistrez-le au format "
                "« CSV UTF-8 » depuis votre logiciel ou votre tableur, puis importez-le de nouveau."
            )
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
            [
                _(
                    "Le fichier CSV est mal formé (ligne %(line)s) : vérifiez les guillemets.",
                    line=reader.line_num,
                )
            ]
        ) from error
    lines = [line for line in lines if any(cell.strip() for cell in line)]
    if not lines:
        raise CsvImportError([_("Le fichier est vide : il doit commencer par une ligne d'en-tête.")])
    if len(lines) > MAX_ROWS + 1:
        raise CsvImportError([_("Le fichier a plus de %(rows)s lignes : découpez-le.", rows=MAX_ROWS)])
    header = [_normalise_header(h) for h in lines[0]]
    errors = []
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if len(line) != len(header):
            errors.append(
                _(
                    "Ligne %(line)s : %(count)s colonne(s) au lieu de %(expected)s comme l'en-tête "
                    "(un séparateur en trop ou des guillemets mal fermés ?).",
                    line=number,
                    count=len(line),
                    expected=len(header),
                )
            )
            continue
        rows.append({h: cell.strip() for h, cell in zip(header, line, strict=True)})
    if errors:
        raise CsvImportError(errors)
    return header, rows


def _quoted(names: list[str]) -> str:
    """« a », « b » (“a”, “b” in English)."""
    return ", ".join(_("« %(name)s »", name=name) for name in names)


def _check_header(header: list[str], known: tuple[str, ...], required: tuple[str, ...]) -> None:
    errors = []
    unknown = [h for h in header if h not in known]
    if unknown:
        errors.append(
            _(
                "Colonne(s) inconnue(s) : %(unknown)s. Colonnes possibles : %(known)s.",
                unknown=_quoted(unknown),
                known=", ".join(known),
            )
        )
    missing = [h for h in required if h not in header]
    if missing:
        errors.append(
            _(
                "Colonne(s) obligatoire(s) absente(s) : %(columns)s.",
                columns=_quoted(missing),
            )
        )
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        errors.append(_("Colonne(s) en double : %(columns)s.", columns=_quoted(duplicated)))
    if errors:
        raise CsvImportError(errors)


def _check_cells(rows: list[dict[str, str]]) -> list[str]:
    errors = []
    for number, row in enumerate(rows, start=2):
        for column, value in row.items():
            if FORMULA.match(value) or (value[:1] in "+-" and value and not SIGNED_NUMBER.match(value)):
                errors.append(
                    _(
                        "Ligne %(line)s, colonne « %(column)s » : la cellule commence par « %(char)s » "
                        "comme une formule de tableur ; elle est refusée. Retirez ce caractère.",
                        line=number,
                        column=column,
                        char=value[:1],
                    )
                )
            elif len(value) > 300:
                errors.append(
                    _(
                        "Ligne %(line)s, colonne « %(column)s » : plus de 300 caractères.",
                        line=number,
                        column=column,
                    )
                )
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
