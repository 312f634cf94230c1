"""Demo data for a newcomer: one family, one agent, one analyst, one admin, the shipped démarches,
and two requests of the demo family (one accepted, one waiting in the Accueil queue)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import api
from engine.models import HumanTask, HumanTaskState

from .accounts.models import Role
from .accounts.services import create_user, find_by_login, get_or_create_group

DEMO_ACCOUNTS = [
    {
        "role": "famille",
        "username": "famille",
        "password": "demo-famille-2026",
        "email": "famille@demo.example",
        "prenom": "Camille",
        "nom": "Martin",
        "civilite": "Mme",
        "adresse_ligne1": "3 rue des Lilas",
        "code_postal": "78140",
        "commune": "Vélizy-Villacoublay",
        "groups": [],
    },
    {
        "role": "agent",
        "username": "agent",
        "password": "demo-agent-2026",
        "email": "agent@demo.example",
        "prenom": "Alex",
        "nom": "Durand",
        "groups": ["Accueil", "Enfance"],
    },
    {
        "role": "agent",
        "username": "communication",
        "password": "demo-communication-2026",
        "email": "communication@demo.example",
        "prenom": "Morgane",
        "nom": "Lefèvre",
        "groups": ["Communication"],
    },
    {
        "role": "analyste",
        "username": "analyste",
        "password": "demo-analyste-2026",
        "email": "analyste@demo.example",
        "prenom": "Sacha",
        "nom": "Leroy",
        "groups": [],
    },
    {
        "role": "admin",
        "username": "admin",
        "password": "demo-admin-2026",
        "email": "admin@demo.example",
        "prenom": "Dominique",
        "nom": "Petit",
        "groups": ["Accueil"],
    },
]
DEMO_GROUPS = ["Accueil", "Etat civil", "Enfance", "Communication"]


def load_demo(session: Session, workflows: Path) -> list[dict[str, str]]:
    """Create what is missing of the demo data; running it twice changes nothing."""
    from .app import lint_context

    for name in DEMO_GROUPS:
        get_or_create_group(session, name)
    for account in DEMO_ACCOUNTS:
        if find_by_login(session, account["username"]) is None:
            profile = {
                k: v
                for k, v in account.items()
                if k not in {"role", "username", "password", "email", "groups"}
            }
            create_user(
                session,
                username=account["username"],
                password=account["password"],
                email=account["email"],
                role=Role(account["role"]),
                groups=account["groups"],
                **profile,
            )
    for path in sorted(workflows.glob("*.bpmn")):
        api.deploy(session, path.read_bytes(), "demo", lint_context())
    _demo_requests(session)
    from .famille.demo import load_family_demo

    load_family_demo(session)
    return [{k: a[k] for k in ("role", "username", "password")} for a in DEMO_ACCOUNTS]


def _file_phone_change(session: Session, family: object, phones: dict[str, str]) -> HumanTask:
    """The family sends a « Changement de téléphones »; returns the Accueil task it opens."""
    instance = api.start(session, "changement_telephone", family)  # type: ignore[arg-type]
    (task,) = [t for t in api.tasks_for(session, family) if t.instance_id == instance.id]  # type: ignore[arg-type]
    api.complete(session, task.id, family, dict(phones))  # type: ignore[arg-type]
    return session.execute(
        select(HumanTask).where(
            HumanTask.instance_id == instance.id,
            HumanTask.lane == "Accueil",
            HumanTask.state == HumanTaskState.OPEN,
        )
    ).scalar_one()


def _demo_requests(session: Session) -> None:
    """So that « Mes demandes » and the agent's queue are not empty: only when the family has none."""
    family = find_by_login(session, "famille")
    agent = find_by_login(session, "agent")
    if family is None or agent is None or api.instances_for(session, family.id):
        return
    accepted = _file_phone_change(session, family, {"telephone": "+33139000000", "mobile": "+33612345678"})
    api.complete(
        session,
        accepted.id,
        agent,
        {"decision": "acceptee"},
        public_comment="Vos numéros sont enregistrés sur votre compte.",
    )
    _file_phone_change(session, family, {"telephone": "+33139000001", "mobile": "+33612345678"})
