"""The report of a CSV import (web/famille/importer.py, web/factures/importer.py): what was, or would be,
created or changed, in the page's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from web.core.i18n import _, _l, local_date

KIND_NAMES = {"familles": _l("familles"), "activités": _l("activités"), "factures": _l("factures")}


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

    @property
    def kind_text(self) -> str:
        """The kind of file in the page's language (the invoices' import uses this report too)."""
        return str(KIND_NAMES.get(self.kind, self.kind))

    def lines(self) -> list[str]:
        """The report in the page's language (`kind` is « familles » or « activités », a French msgid)."""
        head = [
            _(
                "Fichier de %(kind)s lu (%(encoding)s) : %(rows)s ligne(s).",
                kind=self.kind_text,
                encoding=self.encoding,
                rows=self.rows,
            ),
            _(
                "%(created)s création(s), %(changed)s modification(s), %(unchanged)s élément(s) inchangé(s).",
                created=len(self.created),
                changed=len(self.changed),
                unchanged=self.unchanged,
            ),
        ]
        if self.nothing_to_do:
            head.append(
                _("Rien ne changerait : le fichier a déjà été importé.")
                if self.dry_run
                else _("Rien n'a changé.")
            )
        if self.dry_run:
            created = [_("%(line)s (serait créé)", line=line) for line in self.created]
            changed = [_("%(line)s (serait modifié)", line=line) for line in self.changed]
        else:
            created = [_("%(line)s (a été créé)", line=line) for line in self.created]
            changed = [_("%(line)s (a été modifié)", line=line) for line in self.changed]
        return head + created + changed


def _diff(obj: object, values: dict[str, object], labels: dict[str, Any]) -> list[str]:
    """Set the attributes that differ; return « libellé : ancien → nouveau » for each."""
    changes = []
    for attr, new in values.items():
        old = getattr(obj, attr)
        if old != new:
            setattr(obj, attr, new)
            changes.append(
                _("%(label)s : « %(old)s » → « %(new)s »", label=labels[attr], old=_show(old), new=_show(new))
            )
    return changes


def _show(value: object) -> str:
    if value is None or value == "":
        return _("vide")
    if isinstance(value, date):
        return local_date(value, with_time=False)
    return str(value)
