"""Scenario cases of a démarche: the shipped ones (workflows/<key>.scenarios.json), the analysts' ones
(engine table scenario_case), and the family a case files its request for (made inside the savepoint)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from engine import api
from engine.db import utcnow
from engine.errors import DeployError
from web.accounts.models import Role, User
from web.core.i18n import _

#: Never a valid hash: nobody can log in as the scenario family.
NO_PASSWORD = "!"  # noqa: S105 (not a password: an impossible hash)
#: The shipped démarches' cases, next to their BPMN.
WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


def scenario_family(session: Session) -> User:
    """A family account that exists only inside the scenario's throwaway transaction."""
    token = secrets.token_hex(6)
    user = User(
        username=f"scenario-{token}",
        email=f"scenario-{token}@exemple.invalid",
        password_hash=NO_PASSWORD,
        role=Role.FAMILLE,
        prenom="Camille",
        nom="Essai",
        civilite="Madame",
        activated_at=utcnow(),
        adresse_ligne1="1 place de la Mairie",
        code_postal="78140",
        commune="Vélizy-Villacoublay",
    )
    session.add(user)
    session.flush()
    return user


def shipped_cases(key: str) -> list[api.Case]:
    path = WORKFLOWS / f"{key}.scenarios.json"
    if not path.is_file():
        return []
    return api.cases_from_file(path.read_text(encoding="utf-8"))


def all_cases(session: Session, key: str) -> list[api.Case]:
    return [*shipped_cases(key), *api.stored_cases(session, key)]


def run_all(session: Session, key: str, xml: str) -> list[api.Result]:
    """Every case of the démarche played on `xml`; nothing is left behind, no mail is sent."""
    return api.run_cases(session, xml, all_cases(session, key), scenario_family)


def cases_of_file(session: Session, key: str, path: Path) -> list[api.Case]:
    """The cases `guichet deploy` plays for a file: the shipped ones of its key, those written beside
    it (`<key>.scenarios.json` next to an operator's own file) and the analysts' ones."""
    cases = shipped_cases(key)
    beside = path.with_name(f"{key}.scenarios.json")
    if path.resolve().parent != WORKFLOWS and beside.is_file():
        cases += api.cases_from_file(beside.read_text(encoding="utf-8"))
    return [*cases, *api.stored_cases(session, key)]


def report_lines(failures: list[api.Result]) -> list[str]:
    """One French line per problem of each failing case (the shell's report)."""
    return [f"cas « {r.name} » : {problem}" for r in failures for problem in r.problems or ("échec",)]


def play_cases_of_file(session: Session, path: Path, ctx: Any) -> None:
    """`guichet deploy`: play the file's cases (rolled back); raise DeployError with the report if one
    fails. A file the validation refuses is left to api.deploy, which lists its problems."""
    data = path.read_bytes()
    validation = api.validate_bpmn(data, ctx)
    if not validation.ok or not validation.process_id:
        return
    key = validation.process_id
    results = api.run_cases(session, data.decode("utf-8"), cases_of_file(session, key, path), scenario_family)
    failures = failing(results)
    if failures:
        raise DeployError(
            [
                f"{len(failures)} cas de test sur {len(results)} échouent (rien n'est déployé pour ce "
                "fichier ; l'option --sans-cas est réservée aux urgences) :",
                *report_lines(failures),
            ]
        )


def failing(results: list[api.Result]) -> list[api.Result]:
    return [r for r in results if not r.ok]


def parse_steps(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The editor's « étapes » box: one line per task, `tache: champ = valeur ; champ = valeur`.

    Values are read as JSON when they are JSON (numbers, true/false, "texte", [listes]), else kept as
    text: digits meant as text (a postal code) go between quotes, "78140". Returns the steps and the
    French errors (line numbers)."""
    import json

    steps: list[dict[str, Any]] = []
    errors: list[str] = []
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        task, sep, rest = line.partition(":")
        if not sep or not task.strip():
            errors.append(
                _(
                    "Ligne %(n)s : écrivez l'identifiant de la tâche suivi de « : » "
                    "(exemple : saisie: motif = Déménagement).",
                    n=n,
                )
            )
            continue
        data: dict[str, Any] = {}
        for pair in filter(None, (p.strip() for p in rest.split(";"))):
            name, eq, value = pair.partition("=")
            if not eq or not name.strip():
                errors.append(_("Ligne %(n)s : « %(pair)s » doit s'écrire champ = valeur.", n=n, pair=pair))
                continue
            value = value.strip()
            try:
                data[name.strip()] = json.loads(value)
            except ValueError:
                data[name.strip()] = value
        steps.append({"tache": task.strip(), "donnees": data})
    return steps, errors


def steps_text(case: api.Case) -> str:
    import json

    lines = []
    for step in case.steps:
        pairs = " ; ".join(
            f"{k} = {v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}"
            for k, v in step.data.items()
        )
        lines.append(f"{step.task}: {pairs}".strip())
    return "\n".join(lines)


def load_demo_case(session: Session) -> None:
    """`guichet demo`: one case written by the analyst for « Changement de téléphones » (once)."""
    if api.stored_cases(session, "changement_telephone"):
        return
    case = api.case_from_dict(
        {
            "nom": "Mobile seul, accepté",
            "etapes": [
                {"tache": "saisie", "donnees": {"telephone": "", "mobile": "+33698765432"}},
                {"tache": "instruction", "donnees": {"decision": "acceptee", "motif": ""}},
            ],
            "parcours": ["saisie", "instruction", "maj_telephones", "notifier_acceptation"],
            "statut_final": "completed",
            "libelle_final": "Acceptée",
            "courriels": ["est acceptée"],
        }
    )
    api.save_case(session, "changement_telephone", case, author="analyste")
