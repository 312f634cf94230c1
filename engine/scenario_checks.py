"""What a scenario's run is checked against: the expected path, final status, label and mails."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .i18n import N_, _
from .models import InstanceStatus

if TYPE_CHECKING:
    from .scenarios import Case

#: Translate where shown: `_(STATUS_LABELS[status])`.
STATUS_LABELS = {
    InstanceStatus.COMPLETED.value: N_("terminée"),
    InstanceStatus.RUNNING.value: N_("en cours"),
    InstanceStatus.CANCELLED.value: N_("annulée"),
    InstanceStatus.ERROR.value: N_("en erreur"),
}


def check_path(expected: tuple[str, ...], actual: tuple[str, ...], elements: set[str]) -> list[str]:
    position = 0
    for element in expected:
        if element not in elements:
            continue
        try:
            position = actual.index(element, position) + 1
        except ValueError:
            where = " → ".join(actual) or _("aucun élément")
            return [
                _(
                    "Le parcours attendu passe par « %(element)s », mais la demande n'y est pas passée à "
                    "ce moment (parcours réel : %(where)s).",
                    element=element,
                    where=where,
                )
            ]
    return []


def status_label(status: str) -> str:
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def check_end(case: Case, status: str, label: str, mails: tuple[str, ...]) -> list[str]:
    problems = []
    if case.final_status and status != case.final_status:
        problems.append(
            _(
                "Statut final attendu : %(expected)s ; obtenu : %(found)s.",
                expected=status_label(case.final_status),
                found=status_label(status),
            )
        )
    if case.final_label and label != case.final_label:
        problems.append(
            _(
                "Libellé final attendu : « %(expected)s » ; obtenu : « %(found)s ».",
                expected=case.final_label,
                found=label or _("(aucun)"),
            )
        )
    for expected in case.mails:
        if not any(expected.lower() in subject.lower() for subject in mails):
            sent = " ; ".join(f"« {s} »" for s in mails) or _("aucun")
            problems.append(
                _(
                    "Courriel attendu « %(expected)s » non écrit (courriels écrits : %(sent)s).",
                    expected=expected,
                    sent=sent,
                )
            )
    return problems
