"""What the catalogue shows of each published démarche, read from its BPMN process properties.

Process properties (`spiffworkflow:property` in the `bpmn:process`'s own extensionElements):
- `description`: one or two sentences under the title;
- `dureeMaximale`: ISO 8601 duration (required, checked by lint);
- `rubrique`: the catalogue heading the démarche is listed under (« Coordonnées »);
- `ordre`: its position inside the rubrique (whole number, smaller first; then by title);
- `piecesAFournir`: the documents to provide, one per line;
- `aideSaisie`: the « Aide à la saisie » page, plain text, paragraphs separated by a blank line;
  without it, the process's `bpmn:documentation` is used;
- `catalogue="non"`: not listed (signup, forgotten password).
A démarche deployed later by an analyst appears with no code change.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree
from sqlalchemy.orm import Session

from .definitions import latest_definition
from .i18n import N_, _
from .models import ProcessDefinition, ProcessInstance
from .runtime import NS, bundle_for, find_process, parse_xml

OTHER_RUBRIQUE = N_("Autres démarches")  # translated by `rubriques`
#: A rubrique: a capital letter, then letters, digits, spaces, apostrophes, hyphens, commas; 60 at most.
RUBRIQUE = re.compile(r"^[A-ZÀ-ÖØ-Þ][\w' ’,-]{0,59}$")
MAX_PIECES = 20
MAX_PIECE_CHARS = 200
MAX_HELP_CHARS = 10_000


@dataclass(frozen=True)
class Entry:
    """One démarche as the catalogue presents it."""

    key: str
    title: str
    description: str
    max_duration: str | None
    rubrique: str
    order: int
    pieces: tuple[str, ...]
    help_paragraphs: tuple[str, ...]
    listed: bool
    #: Followed as a request (« Mes demandes », the agents' démarche filter): every démarche but the
    #: account's own steps that erase their data at the end (signup, forgotten password).
    followed: bool = True


@dataclass(frozen=True)
class Rubrique:
    title: str
    entries: tuple[Entry, ...]

    @property
    def anchor(self) -> str:
        """An ASCII id for the page's links: « Coordonnées » → rubrique-coordonnees."""
        ascii_title = unicodedata.normalize("NFKD", self.title).encode("ascii", "ignore").decode()
        return "rubrique-" + (re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-") or "autres")


def split_pieces(value: str | None) -> tuple[str, ...]:
    """`piecesAFournir`: one document per line, blank lines ignored."""
    return tuple(line.strip() for line in (value or "").splitlines() if line.strip())


def split_paragraphs(value: str | None) -> tuple[str, ...]:
    """Plain text → paragraphs (separated by a blank line); lines inside a paragraph are joined."""
    blocks = re.split(r"\n\s*\n", (value or "").replace("\r\n", "\n").strip())
    return tuple(
        " ".join(line.strip() for line in block.splitlines() if line.strip())
        for block in blocks
        if block.strip()
    )


def process_documentation(root: etree._Element, process_id: str) -> str:
    """The text of the process's own `bpmn:documentation` (not its elements')."""
    process = find_process(root, process_id)
    if process is None:
        return ""
    node = process.find("bpmn:documentation", NS)
    return (node.text or "") if node is not None else ""


_entries: dict[tuple[int, str], Entry] = {}


def describe(definition: ProcessDefinition) -> Entry:
    """The catalogue entry of a stored definition; cached, definitions are immutable."""
    cache_key = (definition.id, definition.sha256)
    entry = _entries.get(cache_key)
    if entry is not None:
        return entry
    props = bundle_for(definition.id, definition.sha256, definition.bpmn_xml).props(definition.key)
    help_text = props.get("aideSaisie") or process_documentation(
        parse_xml(definition.bpmn_xml.encode("utf-8")), definition.key
    )
    order = props.get("ordre", "")
    entry = Entry(
        key=definition.key,
        title=definition.title,
        description=definition.description,
        max_duration=definition.max_duration,
        rubrique=props.get("rubrique", "").strip() or OTHER_RUBRIQUE,
        order=int(order) if order.strip().isdigit() else 1000,
        pieces=split_pieces(props.get("piecesAFournir")),
        help_paragraphs=split_paragraphs(help_text),
        listed=props.get("catalogue") != "non",
        followed=props.get("effacerDonneesALaFin") != "oui",
    )
    _entries[cache_key] = entry
    return entry


def rubriques(definitions: Sequence[ProcessDefinition]) -> list[Rubrique]:
    """Group listed démarches by rubrique (alphabetical, « Autres démarches » last), by order then title."""
    groups: dict[str, list[Entry]] = {}
    for definition in definitions:
        entry = describe(definition)
        if entry.listed:
            groups.setdefault(entry.rubrique, []).append(entry)
    names = sorted(groups, key=lambda name: (name == OTHER_RUBRIQUE, name.casefold()))
    return [
        Rubrique(_(name) if name == OTHER_RUBRIQUE else name, tuple(sorted(groups[name], key=_position)))
        for name in names
    ]


def _position(entry: Entry) -> tuple[int, str]:
    return entry.order, entry.title.casefold()


def entry_for(session: Session, key: str) -> Entry | None:
    """The entry of the latest published version of a démarche (listed or not), if any."""
    definition = latest_definition(session, key)
    return describe(definition) if definition is not None else None


def lint_properties(props: dict[str, str], process_id: str) -> list[str]:
    """Deploy-time checks of the catalogue properties, French messages (called by engine.lint)."""
    where = _("Processus (%(id)s)", id=process_id)
    errors = []
    rubrique = props.get("rubrique")
    if rubrique is not None and not RUBRIQUE.match(rubrique.strip()):
        errors.append(
            _(
                "%(where)s : la rubrique « %(rubrique)s » n'est pas valable (une majuscule puis des "
                "lettres, chiffres, espaces, apostrophes ou tirets ; 60 caractères au plus, par exemple "
                "« Coordonnées »)",
                where=where,
                rubrique=rubrique[:80],
            )
        )
    order = props.get("ordre")
    if order is not None and not order.strip().isdigit():
        errors.append(
            _(
                "%(where)s : « ordre » doit être un nombre entier positif (par exemple 1)",
                where=where,
            )
        )
    pieces = split_pieces(props.get("piecesAFournir"))
    if len(pieces) > MAX_PIECES:
        errors.append(
            _("%(where)s : « piecesAFournir » compte plus de %(max)s lignes", where=where, max=MAX_PIECES)
        )
    for piece in pieces:
        if len(piece) > MAX_PIECE_CHARS:
            errors.append(
                _(
                    "%(where)s : une ligne de « piecesAFournir » dépasse %(max)s caractères "
                    "(« %(start)s… ») ; une pièce par ligne",
                    where=where,
                    max=MAX_PIECE_CHARS,
                    start=piece[:40],
                )
            )
    if len(props.get("aideSaisie", "")) > MAX_HELP_CHARS:
        errors.append(
            _(
                "%(where)s : « aideSaisie » dépasse %(max)s caractères",
                where=where,
                max=MAX_HELP_CHARS,
            )
        )
    catalogue = props.get("catalogue")
    if catalogue is not None and catalogue not in {"oui", "non"}:
        errors.append(_("%(where)s : « catalogue » vaut « oui » ou « non »", where=where))
    return errors


def entry_by_identity(session: Session, definition_id: int, digest: str) -> Entry:
    """The catalogue entry of a stored version known by its id and sha256: from the cache, the
    definition (and its BPMN text) read only on a miss."""
    entry = _entries.get((definition_id, digest))
    if entry is not None:
        return entry
    definition = session.get(ProcessDefinition, definition_id)
    if definition is None:
        raise LookupError(f"process definition {definition_id} not found")
    return describe(definition)


def entry_of_instance(session: Session, instance_id: int) -> Entry | None:
    """The catalogue entry of the démarche version a request runs on (for the family's task pages)."""
    instance = session.get(ProcessInstance, instance_id)
    return describe(instance.definition) if instance is not None else None
