"""The family record as the services know it (record, responsible adults, children, enrolments).

The record belongs to the service's management software (it is imported from it): at closure the
account is only unlinked from it (web/accounts/personal_data.py empties `family_records`); the service
keeps its record under its own rules.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from web.core.i18n import _, _l
from web.core.personal_data import Provider, register

from .services import children_of, records_of


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def record_rows(session: Session, user: Any) -> list[dict[str, Any]]:
    rows = []
    for record in records_of(user):
        members = "; ".join(
            " ".join(filter(None, [m.first_name, m.last_name, m.email, m.phone])) for m in record.members
        )
        rows.append(
            {
                "dossier": record.external_id or record.id,
                "service": record.service,
                "nom": record.name,
                "adresse": record.address or "",
                "responsables": members,
                "mis_a_jour_le": _plain(record.updated_at),
            }
        )
    return rows


def child_rows(session: Session, user: Any) -> list[dict[str, Any]]:
    return [
        {
            "prenom": child.first_name,
            "nom": child.last_name,
            "date_naissance": _plain(child.birth_date),
            "ecole": child.school or "",
            "classe": child.class_name or "",
            "activites": "; ".join(e.activity.name for e in child.enrolments),
        }
        for child in children_of(session, user)
    ]


def kept() -> str:
    return _(
        "Le dossier famille du service Enfance reste dans le logiciel du service, selon ses propres "
        "règles : votre compte en est seulement détaché."
    )


register(
    Provider(
        "dossier_famille",
        _l("Dossier famille"),
        _l("Le dossier de votre foyer tel que le service Enfance le connaît (adresse, responsables)."),
        record_rows,
        kept=kept,
        order=20,
    )
)
register(
    Provider(
        "enfants",
        _l("Enfants"),
        _l("Vos enfants connus des services : identité, école, classe, activités."),
        child_rows,
        order=21,
    )
)
