"""The French report of a CSV import (web/famille/importer.py): what was, or would be, created or changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


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
