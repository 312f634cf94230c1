"""The engine's messages in the reader's language: a diagram's problems shown to the analyst, the
technical message of a request « en erreur » (stored in French, translated where it is shown), a data
form's error, and French still without an English browser."""

from __future__ import annotations

from sqlalchemy import select

from engine import api
from engine.form_definitions import empty
from engine.models import HumanTask, HumanTaskState, ProcessInstance
from engine.stored_messages import translate_stored
from forms.data_forms import form_class
from tests.fixtures.integration import decide, html, post_form, start_demarche, text
from tests.fixtures.runaway import LONG_LOOP, SOURCE, deploy, with_script
from web.app import lint_context
from web.extensions import db

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def _problems(app, bpmn: bytes, headers: dict[str, str] | None = None) -> list[str]:
    with app.test_request_context(headers=headers or {}):
        return [p.message for p in api.validate_bpmn(bpmn, lint_context()).problems]


def test_a_diagrams_problems_are_in_the_analysts_language(app) -> None:
    unnamed_lane = SOURCE.replace('name="Accueil"', 'name="Guichet unique"', 1).encode()
    assert unnamed_lane != SOURCE.encode()
    english = " ".join(_problems(app, unnamed_lane, ENGLISH))
    assert "« Guichet unique » matches no agent group" in english
    assert "In the studio, select the lane" in english
    assert "ne correspond à aucun groupe" not in english
    french = " ".join(_problems(app, unnamed_lane))
    assert "« Guichet unique » ne correspond à aucun groupe d'agents" in french
    assert "matches no agent group" not in french

    no_process = b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"/>'
    assert _problems(app, no_process, ENGLISH) == [
        "The file contains no BPMN process (bpmn:process element)."
    ]
    assert _problems(app, no_process) == [
        "Le fichier ne contient aucun processus BPMN (élément bpmn:process)."
    ]


def _failed_decision(app, people, client_for):
    """The agents' decision runs a script that loops until the engine's budget stops it."""
    deploy(app, with_script("flux_instruction_decision", LONG_LOOP))
    famille = client_for(people["famille"])
    task_id = start_demarche(famille, "changement_telephone")
    assert (
        post_form(famille, f"/taches/{task_id}", {"telephone": "01 23 45 67 89", "mobile": ""}).status_code
        == 302
    )
    with app.app_context():
        task = db.session.execute(
            select(HumanTask).where(HumanTask.lane == "Accueil", HumanTask.state == HumanTaskState.OPEN)
        ).scalar_one()
        task_id, instance_id = task.id, task.instance_id
    agent = client_for(people["accueil"])
    assert decide(agent, task_id, "acceptee").status_code == 500
    return famille, agent, instance_id


def test_a_runaway_expression_is_reported_in_the_readers_language(app, people, client_for) -> None:
    famille, agent, instance_id = _failed_decision(app, people, client_for)
    with app.app_context():
        assert db.session.get(ProcessInstance, instance_id).status == "error"

    english = text(agent.get(f"/agents/dossiers/{instance_id}", headers=ENGLISH))
    assert "Error in the procedure's diagram: the request is in error" in english
    assert "Error in element « Calcul » (calcul): «" in english
    assert "failed. Loop too long: more than" in english
    assert "turns in an expression." in english
    assert "Boucle trop longue" not in english
    assert "Erreur dans l'élément" not in english

    french = text(agent.get(f"/agents/dossiers/{instance_id}"))
    assert "Erreur dans le diagramme de la démarche : la demande est en erreur" in french
    assert "Erreur dans l'élément « Calcul » (calcul) : «" in french
    assert "Boucle trop longue : plus de" in french
    assert "Loop too long" not in french

    family_english = text(famille.get(f"/mes-demandes/{instance_id}", headers=ENGLISH))
    assert "Technical error: the request cannot move on for now. The service has been told." in family_english
    assert "Loop too long" not in family_english  # the technical message is for the agents
    family_french = text(famille.get(f"/mes-demandes/{instance_id}"))
    assert "Erreur technique : la demande ne peut pas avancer pour le moment." in family_french


def test_stored_messages_are_read_back_and_translated(app) -> None:
    stored = (
        "Erreur dans l'élément « Calcul » (calcul) : « n = n * n » a échoué. "
        "Nombre trop grand : plus de 4096 bits."
    )
    with app.test_request_context(headers=ENGLISH):
        assert translate_stored(stored) == (
            "Error in element « Calcul » (calcul): « n = n * n » failed. "
            "Number too large: more than 4096 bits."
        )
        assert translate_stored("Document ajouté : Justificatif (facture.pdf)") == (
            "Document added: Justificatif (facture.pdf)"
        )
        assert translate_stored("Statut écrit par l'analyste") == "Statut écrit par l'analyste"
    with app.test_request_context():
        assert translate_stored(stored) == stored


def _errors(app, headers: dict[str, str] | None = None) -> list[str]:
    definition = {
        "kind": "saisie",
        "fields": [
            {"name": "nom", "type": "text", "label": "Nom de l'enfant", "required": True},
            {"name": "age", "type": "number", "label": "Âge", "min": 3, "max": 11},
        ],
    }
    data = {"nom": "", "age": "deux"}
    with app.test_request_context("/", method="POST", data=data, headers=headers or {}):
        form = form_class(definition)(meta={"csrf": False})
        assert not form.validate()
        return [str(error) for errors in form.errors.values() for error in errors]


def test_a_data_forms_errors_are_in_the_familys_language(app) -> None:
    english = _errors(app, ENGLISH)
    assert "Fill in « Nom de l'enfant »: this field is required." in english
    assert "Enter a number, for example 2 or 2.5." in english
    french = _errors(app)
    assert "Renseignez « Nom de l'enfant » : ce champ est obligatoire." in french
    assert "Indiquez un nombre, par exemple 2 ou 2,5." in french


def test_the_engines_default_labels_follow_the_reader_while_the_analyst_keeps_them(app) -> None:
    definition = empty("decision")
    definition["outcomes"][1]["label"] = "Refuser (dossier incomplet)"  # the analyst's own words
    with app.test_request_context(headers=ENGLISH):
        form = form_class(definition)(meta={"csrf": False})
        labels = [str(choice.label) for choice in form.decision.choices]
        assert labels == [
            "Accept the request",
            "Refuser (dossier incomplet)",
            "Ask the family for more information",
        ]
        assert str(form.submit_label) == "Save the decision"
    with app.test_request_context():
        form = form_class(definition)(meta={"csrf": False})
        assert str(form.decision.choices[0].label) == "Accepter la demande"


def test_the_diagram_as_text_is_in_the_readers_language_and_walked_once_per_language(
    app, people, client_for, monkeypatch
) -> None:
    from engine import describe as describe_module
    from tests.fixtures.integration import file_requests

    calls = []
    walk = describe_module.describe
    monkeypatch.setattr(describe_module, "_described", {})
    monkeypatch.setattr(describe_module, "describe", lambda *args: calls.append(1) or walk(*args))
    (task_id,) = file_requests(app, people["famille"])
    with app.app_context():
        instance_id = db.session.get(HumanTask, task_id).instance_id
    agent = client_for(people["accueil"])
    page = f"/agents/dossiers/{instance_id}"
    for headers, kind, other in ((None, "Début", "Start"), (ENGLISH, "Start", "Début")) * 2:
        steps = " ".join(
            html(agent.get(page, headers=headers or {})).xpath("//*[@id='diagramme-texte']")[0].itertext()
        )
        assert kind in steps, steps[:300]
        assert other not in steps, steps[:300]
    assert len(calls) == 2  # once in French, once in English: the other two pages reuse the steps
