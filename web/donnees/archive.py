"""The ZIP of « Télécharger mes données »: one JSON and one CSV per provider, the files, a README."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from web.core.personal_data import Provider, discover
from web.core.presentation import date_fr

README_HEAD = """Vos données personnelles — {town}
Export du {when} (heure de Paris) pour le compte « {username} ».

Ce dossier contient tout ce que Guichet, l'espace citoyen de la ville, conserve sur votre compte
(articles 15 et 20 du RGPD : droit d'accès et droit à la portabilité). Chaque rubrique est
donnée deux fois : en JSON (lisible par un programme) et en CSV (ouvrable dans un tableur,
séparateur point-virgule, encodage UTF-8).

Les rubriques :
"""
README_TAIL = """
Les dates sont au format international (AAAA-MM-JJ, heures en temps universel UTC).
Une question sur vos données ? Écrivez à {contact}.
"""


def _cell(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, (dict, list)) else value


def _csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    if rows:
        columns = list(dict.fromkeys(key for row in rows for key in row))
        writer = csv.DictWriter(out, fieldnames=columns, delimiter=";", extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(v) for k, v in row.items()})
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def collect(session: Session, user: Any) -> dict[str, tuple[Provider, list[dict[str, Any]]]]:
    """Every provider's rows about the account, by provider name."""
    return {provider.name: (provider, provider.rows(session, user)) for provider in discover()}


def build_zip(session: Session, user: Any, *, town: str, contact: str, when: datetime) -> bytes:
    out = io.BytesIO()
    readme = [README_HEAD.format(town=town, when=date_fr(when), username=user.username)]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (provider, rows) in collect(session, user).items():
            body = json.dumps(rows, ensure_ascii=False, indent=2, default=str)
            archive.writestr(f"{name}.json", body)
            archive.writestr(f"{name}.csv", _csv(rows))
            readme.append(f"- {name}.json / {name}.csv — {provider.title} ({len(rows)} ligne(s)) : "
                          f"{provider.description}\n")  # fmt: skip
            for path, content in provider.files(session, user) if provider.files else []:
                archive.writestr(path, content)
        readme.append(README_TAIL.format(contact=contact))
        archive.writestr("LISEZ-MOI.txt", "".join(readme))
    return out.getvalue()
