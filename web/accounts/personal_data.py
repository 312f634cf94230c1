"""What the account itself holds (profile, login history) for the export, and its erasure at closure."""

from __future__ import annotations

import json
import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from web.core.audit import AuditEvent
from web.core.i18n import _l
from web.core.personal_data import Provider, register

from .models import AccountToken, LoginAttempt, ServiceKey, User

PROFILE_FIELDS = (
    "username", "email", "civilite", "nom", "nom_naissance", "prenom", "date_naissance", "pays_naissance",
    "departement_naissance", "commune_naissance", "telephone", "mobile", "fax", "contact_prefere",
    "adresse_ligne1", "adresse_ligne2", "code_postal", "commune", "adresse_date_effet", "created_at",
    "activated_at", "last_login_at", "password_changed_at",
)  # fmt: skip
ERASED_FIELDS = (
    "civilite", "nom_naissance", "date_naissance", "pays_naissance", "departement_naissance",
    "commune_naissance", "photo", "photo_mime", "telephone", "mobile", "fax", "adresse_ligne1",
    "adresse_ligne2", "code_postal", "commune", "adresse_date_effet", "last_login_at",
)  # fmt: skip


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def profile_rows(session: Session, user: User) -> list[dict[str, Any]]:
    row = {field: _plain(getattr(user, field)) for field in PROFILE_FIELDS}
    row["photo"] = "oui" if user.photo else "non"
    return [row]


def login_rows(session: Session, user: User) -> list[dict[str, Any]]:
    attempts = session.execute(
        select(LoginAttempt).where(LoginAttempt.user_id == user.id).order_by(LoginAttempt.id)
    ).scalars()
    return [
        {"date": _plain(a.created_at), "type": a.kind, "adresse_ip": a.ip, "reussie": a.succeeded}
        for a in attempts
    ]


def _pseudonymise_audit(session: Session, user: User) -> None:
    """The security log keeps a closed account's events until AUDIT_RETENTION_DAYS (security is why
    it exists), but no longer says who it was: its user name and address become the closed account's
    alias, and no e-mail address stays in the details."""
    alias = f"compte-clos-{user.id}"
    names = [name for name in (user.username, user.email) if name]
    rows = session.scalars(
        select(AuditEvent).where(
            or_(
                AuditEvent.actor_id == user.id,
                # a failed login's target is what was typed, quoted: « "lea.durand" »
                *(AuditEvent.target.contains(name, autoescape=True) for name in names),
            )
        )
    )
    for row in rows:
        if row.actor_id == user.id:
            row.actor_name = alias
        details = json.loads(row.details or "{}")
        if isinstance(details, dict):
            details = {k: v for k, v in details.items() if "@" not in str(v)}
        text = json.dumps(details, ensure_ascii=False)
        for name in names:
            row.target = row.target.replace(name, alias)
            text = text.replace(name, alias)
        row.details = text


def erase_account(session: Session, user: User) -> None:
    """Anonymise the account: identity and contact emptied, password and sessions invalidated."""
    _pseudonymise_audit(session, user)
    for field in ERASED_FIELDS:
        setattr(user, field, None)
    user.nom = user.prenom = ""
    user.username = f"compte-clos-{user.id}"
    user.email = f"compte-clos-{user.id}@invalid"
    user.password_hash = "!" + secrets.token_hex(16)  # matches no password
    user.session_nonce = secrets.token_hex(16)  # ends every session
    user.is_enabled = False
    user.family_records = []
    session.execute(delete(AccountToken).where(AccountToken.user_id == user.id))
    session.execute(delete(LoginAttempt).where(LoginAttempt.user_id == user.id))
    session.execute(delete(ServiceKey).where(ServiceKey.used_by_id == user.id))


register(
    Provider(
        "profil",
        _l("Profil"),
        _l(
            "Votre compte : identifiant, courriel, identité, moyens de contact, adresse, dates de "
            "création, d'activation et de dernière connexion (jamais le mot de passe : seule son "
            "empreinte est gardée)."
        ),
        profile_rows,
        erase=erase_account,
        order=90,  # last: the other erasures still read the account's addresses
    )
)
register(
    Provider(
        "connexions",
        _l("Historique des connexions"),
        _l("Les tentatives de connexion à votre compte : date, adresse IP, réussie ou non."),
        login_rows,
        order=10,
    )
)
