"""Demo data for a newcomer: one family, two agents, one analyst, one admin, the shipped démarches,
two requests of the demo family (one accepted, one waiting in the Accueil queue), the town's
facilities (managed by the agent `quartiers`) and the demo family's invoices (agent `finances`)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from engine import api

from .accounts.models import Role
from .accounts.services import create_user, find_by_login, get_or_create_group
from .structures.demo import load_demo_facilities

DEMO_ACCOUNTS = [
    {
        "role": "famille",
        "username": "famille",
        "password": "demo-famille-2026",
        "email": "famille@demo.example",
        "prenom": "Camille",
        "nom": "Martin",
        "civilite": "Madame",
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
    {
        "role": "agent",
        "username": "finances",
        "password": "demo-finances-2026",
        "email": "finances@demo.example",
        "prenom": "Inès",
        "nom": "Garnier",
        "groups": ["Finances"],
    },
    {
        "role": "agent",
        "username": "quartiers",
        "password": "demo-quartiers-2026",
        "email": "quartiers@demo.example",
        "prenom": "Nora",
        "nom": "Benali",
        "groups": ["Vie des quartiers"],
    },
    {
        "role": "agent",
        "username": "stationnement",
        "password": "demo-stationnement-2026",
        "email": "stationnement@demo.example",
        "prenom": "Lina",
        "nom": "Roux",
        "groups": ["Stationnement"],
    },
]
DEMO_GROUPS = ["Accueil", "Etat civil", "Enfance", "Vie des quartiers", "Communication", "Finances"]
#: The group of the démarche built in the studio by the demo (web/studio/demo.py), not a shipped one.
STUDIO_DEMO_GROUPS = ["Stationnement"]


def load_demo(session: Session, workflows: Path) -> list[dict[str, str]]:
    """Create what is missing of the demo data; running it twice changes nothing."""
    from .app import lint_context

    for name in (*DEMO_GROUPS, *STUDIO_DEMO_GROUPS):
        get_or_create_group(session, name)
    for account in DEMO_ACCOUNTS:
        existing = find_by_login(session, account["username"])
        if existing is not None and account.get("civilite") and existing.civilite != account["civilite"]:
            existing.civilite = account["civilite"]  # demo databases made when it said « Mme »
        if existing is None:
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
    _demo_studio_draft(session, workflows)
    from .studio.scenario_services import load_demo_case

    load_demo_case(session)
    _demo_parking(session)
    _demo_parking_request(session)
    load_demo_facilities(session)
    from .famille.demo import load_family_demo

    load_family_demo(session)
    from .factures.demo import load_invoices_demo

    load_invoices_demo(session)
    from .actualites.demo import load_news_demo

    load_news_demo(session)
    from .activites.demo import load_activities_demo

    load_activities_demo(session)
    from .admin.audit_page import load_audit_demo

    load_audit_demo(session)
    _demo_store(session)
    return [{k: a[k] for k in ("role", "username", "password")} for a in DEMO_ACCOUNTS]


def _demo_store(session: Session) -> None:
    """« Mes documents » of the demo family (web/coffre/demo.py)."""
    from forms.dates import today_in_france

    from .coffre.demo import load_store_demo

    family = find_by_login(session, "famille")
    if family is not None:
        load_store_demo(session, family.id, today_in_france())


def _file_phone_change(session: Session, family: object, phones: dict[str, str]) -> api.InboxTask:
    """The family sends a « Changement de téléphones »; returns the Accueil task it opens."""
    instance = api.start(session, "changement_telephone", family)  # type: ignore[arg-type]
    (task,) = [t for t in api.tasks_for(session, family) if t.instance_id == instance.id]  # type: ignore[arg-type]
    api.complete(session, task.id, family, dict(phones))  # type: ignore[arg-type]
    (accueil,) = api.open_tasks_in_lane(session, instance, "Accueil")
    return accueil


def _demo_studio_draft(session: Session, workflows: Path) -> None:
    """The analyst's studio shows a draft in progress (never published): only when they have none."""
    from .studio import services as studio

    analyst = find_by_login(session, "analyste")
    path = workflows / "changement_telephone.bpmn"
    latest = api.latest_definition(session, "changement_telephone")
    if analyst is None or latest is None or not path.exists() or studio.drafts_of(session, analyst.id):
        return
    xml = path.read_text(encoding="utf-8").replace(
        'value="En cours d\'instruction"', 'value="En cours de vérification"'
    )
    studio.save_draft(session, analyst.id, "changement_telephone", xml, latest.version)


def _demo_parking(session: Session) -> None:
    """« Demande de carte de stationnement résident »: built in the studio by the analyst (no BPMN file)."""
    from .studio.demo import load_parking_demo

    analyst = find_by_login(session, "analyste")
    if analyst is not None:
        load_parking_demo(session, analyst.id, analyst.username)


def _demo_parking_request(session: Session) -> None:
    """A resident parking card request waiting for the Stationnement service (demo agent
    `stationnement`), sent with its carte grise: only when the family has none."""
    from .coffre.demo import demo_pdf
    from .studio.demo import KEY

    family = find_by_login(session, "famille")
    if family is None or any(i.demarche_key == KEY for i in api.instances_for(session, family.id)):
        return
    instance = api.start(session, KEY, family)
    (task,) = [t for t in api.tasks_for(session, family) if t.instance_id == instance.id]
    lines = ["CERTIFICAT D'IMMATRICULATION (spécimen)", "A. AB-123-CD", "C.1 MARTIN Camille", "D.1 RENAULT"]
    card = api.add_document(
        session,
        instance.id,
        step=task.title,
        field="carte_grise",
        actor=family,
        role=api.lane_label(task.lane),
        filename="carte-grise.pdf",
        mime="application/pdf",
        content=demo_pdf(lines, (0, 70, 140)),
        label="Carte grise",
    )
    data = {"immatriculation": "AB-123-CD", "type_vehicule": "voiture", "a_votre_nom": "oui"}
    api.complete(session, task.id, family, {**data, "titulaire": None, "carte_grise": api.metadata(card)})


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
