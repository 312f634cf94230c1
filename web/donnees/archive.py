"""The ZIP of « Télécharger mes données »: one JSON and one CSV per provider, the files, a README."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from web.core.i18n import _, _l, current_language, in_language, ngettext
from web.core.personal_data import Provider, discover
from web.core.presentation import date_fr

#: The README of the export, in the family's language (the keys of JSON and CSV stay French codes).
README_HEAD = _l(
    """Vos données personnelles — %(town)s
Export du %(when)s (heure de Paris) pour le compte « %(username)s ».

Ce dossier contient tout ce que Guichet, l'espace citoyen de la ville, conserve sur votre compte
(articles 15 et 20 du RGPD : droit d'accès et droit à la portabilité). Chaque rubrique est
donnée deux fois : en JSON (lisible par un programme) et en CSV (ouvrable dans un tableur,
séparateur point-virgule, encodage UTF-8).

Les rubriques :
"""
)
README_TAIL = _l(
    """
Les dates sont au format international (AAAA-MM-JJ, heures en temps universel UTC).
Une question sur vos données ? Écrivez à %(contact)s.
"""
)


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
    """The ZIP; its README in the account's language (else the page's: the export built at once)."""
    with in_language(getattr(user, "langue", None) or current_language()):
        return _build_zip(session, user, town=town, contact=contact, when=when)


def _build_zip(session: Session, user: Any, *, town: str, contact: str, when: datetime) -> bytes:
    out = io.BytesIO()
    readme = [str(README_HEAD) % {"town": town, "when": date_fr(when), "username": user.username}]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (provider, rows) in collect(session, user).items():
            body = json.dumps(rows, ensure_ascii=False, indent=2, default=str)
            archive.writestr(f"{name}.json", body)
            archive.writestr(f"{name}.csv", _csv(rows))
            lines = ngettext("%(num)d ligne", "%(num)d lignes", len(rows))
            readme.append(
                f"- {name}.json / {name}.csv — {provider.title} ({lines}){_(' :')} {provider.description}\n"
            )
            for path, content in provider.files(session, user) if provider.files else []:
                archive.writestr(path, content)
        readme.append(str(README_TAIL) % {"contact": contact})
        archive.writestr(_("LISEZ-MOI.txt"), "".join(readme))
    return out.getvalue()
