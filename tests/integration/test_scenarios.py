"""Scenario tests of the démarches (issue 17, point 4): the shipped cases pass, nothing is left behind,
no mail leaves, and a case that cannot happen gets a French report."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from engine import api
from engine.models import HistoryEvent, HumanTask, OutboxMessage, ProcessDefinition, ProcessInstance
from web.accounts.models import User
from web.studio.scenario_services import WORKFLOWS, run_all, scenario_family, shipped_cases

SHIPPED = sorted(p.name.removesuffix(".scenarios.json") for p in WORKFLOWS.glob("*.scenarios.json"))
COUNTED = (ProcessDefinition, ProcessInstance, HumanTask, HistoryEvent, OutboxMessage, User)


def _counts(session) -> dict[str, int]:
    return {m.__name__: session.execute(select(func.count()).select_from(m)).scalar_one() for m in COUNTED}


def test_the_shipped_demarches_come_with_their_cases():
    # inscription is the one without: its steps need the captcha and the password, secrets no case gives.
    bpmn = {p.stem for p in WORKFLOWS.glob("*.bpmn")}
    assert bpmn - set(SHIPPED) == {"inscription"}


@pytest.mark.parametrize("key", SHIPPED)
def test_the_shipped_cases_pass_and_leave_nothing_behind(app, session, key):
    xml = (WORKFLOWS / f"{key}.bpmn").read_text(encoding="utf-8")
    before = _counts(session)
    with app.app_context():
        results = run_all(session, key, xml)
    assert results, key
    for result in results:
        assert result.ok, (result.name, result.problems)
    assert _counts(session) == before
    session.commit()  # what a request would do after the run: still nothing
    # No outbox row survives: mails leave only through the outbox after a commit.
    assert _counts(session) == before


def _case(**extra):
    base = {
        "nom": "Refus",
        "etapes": [
            {"tache": "saisie", "donnees": {"correction": "Prénom"}},
            {"tache": "instruction", "donnees": {"decision": "refusee", "motif": "Non"}},
        ],
    }
    return api.case_from_dict({**base, **extra})


def _run(session, *cases):
    xml = (WORKFLOWS / "correction_famille.bpmn").read_text(encoding="utf-8")
    return api.run_cases(session, xml, list(cases), scenario_family)


def test_an_impossible_path_is_reported_in_french(app, session):
    (result,) = _run(
        session,
        _case(
            parcours=["saisie", "notifier_acceptation"], statut_final="completed", courriels=["est acceptée"]
        ),
    )
    assert not result.ok
    assert result.problems[0].startswith(
        "Le parcours attendu passe par « notifier_acceptation », mais la demande n'y est pas passée"
    )
    assert (
        "parcours réel : debut → saisie → instruction → decision_prise → notifier_refus" in result.problems[0]
    )
    assert result.problems[1].startswith("Courriel attendu « est acceptée » non écrit")


def test_an_unknown_element_a_wrong_task_and_a_wrong_status_are_named(app, session):
    wrong_task = api.case_from_dict(
        {
            "nom": "Mauvaise tâche",
            "etapes": [{"tache": "instruction", "donnees": {}}],
            "statut_final": "running",
        }
    )
    results = _run(
        session,
        _case(parcours=["saisie", "valider_par_le_maire"], statut_final="running", libelle_final="Acceptée"),
        wrong_task,
    )
    problems = results[0].problems
    assert (
        "L'élément « valider_par_le_maire » du parcours attendu n'existe pas dans le diagramme." in problems
    )
    assert "Statut final attendu : en cours ; obtenu : terminée." in problems
    assert "Libellé final attendu : « Acceptée » ; obtenu : « Refusée »." in problems
    assert results[1].problems == (
        "Étape 1 : la demande attend « Décrire la correction » (saisie), et non « instruction ».",
    )


def test_a_script_error_in_the_draft_is_a_failing_case(app, session):
    xml = (WORKFLOWS / "correction_famille.bpmn").read_text(encoding="utf-8")
    broken = xml.replace('decision == "acceptee"', "decision == inconnue", 1)
    (result,) = api.run_cases(session, broken, [_case()], scenario_family)
    assert not result.ok
    assert result.problems[0].startswith("La démarche s'est arrêtée sur une erreur : Erreur dans l'élément")


def test_bad_cases_are_refused_in_french():
    with pytest.raises(api.BadCase, match=r"Donnez un nom au cas\."):
        api.case_from_dict({"etapes": []})
    with pytest.raises(api.BadCase, match="l'étape 1 ne dit pas quelle tâche"):
        api.case_from_dict({"nom": "x", "etapes": [{"donnees": {}}]})
    with pytest.raises(api.BadCase, match=r"statut final inconnu « fini »"):
        api.case_from_dict({"nom": "x", "statut_final": "fini"})


def test_shipped_files_round_trip():
    for key in SHIPPED:
        text = (WORKFLOWS / f"{key}.scenarios.json").read_text(encoding="utf-8")
        cases = api.cases_from_file(text)
        assert [api.case_to_dict(c) for c in cases] == json.loads(text)["cas"]
        assert all(c.source == "fichier" for c in cases)


def test_shipped_cases_are_found_by_key(app):
    with app.app_context():
        assert [c.name for c in shipped_cases("signaler_probleme")] == ["Problème résolu par l'accueil"]
        assert shipped_cases("inconnue") == []


def test_the_demo_case_passes_and_is_written_once(app, session):
    from web.studio.scenario_services import load_demo_case

    load_demo_case(session)
    load_demo_case(session)  # `guichet demo` twice
    (case,) = api.stored_cases(session, "changement_telephone")
    xml = (WORKFLOWS / "changement_telephone.bpmn").read_text(encoding="utf-8")
    (result,) = api.run_cases(session, xml, [case], scenario_family)
    assert result.ok, result.problems
