"""`guichet deploy` plays the démarches' scenario cases first (issue 17): a failing case refuses the file
with the French report and nothing is deployed; `--sans-cas` (emergencies) deploys anyway."""

from __future__ import annotations

import json

from sqlalchemy import select

from engine.models import ProcessDefinition
from web.cli import main
from web.extensions import db
from web.studio.scenario_services import WORKFLOWS


def _versions(app, key: str) -> list[int]:
    with app.app_context():
        return list(
            db.session.execute(
                select(ProcessDefinition.version)
                .where(ProcessDefinition.key == key)
                .order_by(ProcessDefinition.version)
            ).scalars()
        )


def _refused_label(tmp_path):
    """correction_famille whose refusal ends « Rejetée »: its shipped case expects « Refusée »."""
    changed = tmp_path / "correction_famille.bpmn"
    text = (WORKFLOWS / "correction_famille.bpmn").read_text(encoding="utf-8")
    changed.write_text(text.replace('value="Refusée"', 'value="Rejetée"'), encoding="utf-8")
    return changed


def test_a_failing_shipped_case_refuses_the_deploy_with_its_report(app, tmp_path):
    before = _versions(app, "correction_famille")
    result = app.test_cli_runner().invoke(main, ["deploy", str(_refused_label(tmp_path))])
    assert result.exit_code == 1
    assert "correction_famille.bpmn refusé :" in result.output
    assert "1 cas de test sur 1 échouent" in result.output
    assert (
        "cas « Correction refusée » : Libellé final attendu : « Refusée » ; obtenu : « Rejetée »."
        in result.output
    )
    assert _versions(app, "correction_famille") == before


def test_sans_cas_deploys_anyway_and_says_so(app, tmp_path):
    before = _versions(app, "correction_famille")
    result = app.test_cli_runner().invoke(main, ["deploy", "--sans-cas", str(_refused_label(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "cas de test non joués (--sans-cas)" in result.output
    assert _versions(app, "correction_famille") == [*before, before[-1] + 1]


def test_cases_beside_an_operators_file_are_played_and_passing_cases_let_it_deploy(app, tmp_path):
    changed = tmp_path / "correction_famille.bpmn"
    text = (WORKFLOWS / "correction_famille.bpmn").read_text(encoding="utf-8")
    changed.write_text(text.replace('value="En cours d\'instruction"', 'value="À l’étude"'), encoding="utf-8")
    before = _versions(app, "correction_famille")
    runner = app.test_cli_runner()
    result = runner.invoke(main, ["deploy", str(changed)])  # the shipped case (a refusal) still passes
    assert result.exit_code == 0, result.output
    beside = {
        "cas": [
            {
                "nom": "Refus annoncé par SMS",
                "etapes": [
                    {"tache": "saisie", "donnees": {"correction": "Prénom : Léa."}},
                    {"tache": "instruction", "donnees": {"decision": "refusee", "motif": "Acte manquant"}},
                ],
                "libelle_final": "Refusée",
                "courriels": ["SMS envoyé"],
            }
        ]
    }
    (tmp_path / "correction_famille.scenarios.json").write_text(json.dumps(beside), encoding="utf-8")
    changed.write_text(text.replace('value="En cours d\'instruction"', 'value="En examen"'), encoding="utf-8")
    result = runner.invoke(main, ["deploy", str(changed)])
    assert result.exit_code == 1
    assert "1 cas de test sur 2 échouent" in result.output
    assert "cas « Refus annoncé par SMS » : Courriel attendu « SMS envoyé » non écrit" in result.output
    assert _versions(app, "correction_famille") == [*before, before[-1] + 1]
