"""The checks before publishing (engine/validation.py): files from other modelers and bad input.

Every file gets a list of French problems naming the element (with its id for the studio's markers)
or passes; none raises.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import DeployError
from engine.lint import LintContext
from engine.validation import Refused, check, check_size, checked_bundle
from forms.registry import load_all

DATA = Path(__file__).resolve().parents[1] / "data" / "studio"
CONTEXT = LintContext(form_keys=set(load_all()), lanes={"Accueil", "Etat civil", "Enfance"})
MINIMAL = (DATA / "guichet_minimal.bpmn").read_text(encoding="utf-8")


def problems(xml: str | bytes) -> list[tuple[str | None, str]]:
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    validation = check(data, CONTEXT)[0]
    return [(p.element_id, p.message) for p in validation.problems]


# --- corpus: shapes other modelers produce ------------------------------------------------------

EXPECTED = {
    "guichet_minimal.bpmn": [],
    "collaboration_pools.bpmn": [],
    "bpmnio_non_executable.bpmn": [("Process_1", "cochez « Executable »")],
    "signavio.bpmn": [("sid-7B1A", "cochez « Executable »")],
    "camunda7_brut.bpmn": [("Task_notifier", "aucune opération Guichet n'est choisie")],
    "camunda7_couloir_inconnu.bpmn": [
        ("Lane_urbanisme", "« Service Urbanisme » ne correspond à aucun groupe d'agents"),
        ("Activity_examen", "le couloir « Service Urbanisme »"),
    ],
    "camunda8_zeebe.bpmn": [
        ("Flow_non", "il n'a ni condition ni statut de flux par défaut"),
        ("tarif", "aucune opération Guichet n'est choisie"),
    ],
}


def test_every_corpus_file_is_listed_here() -> None:
    assert sorted(p.name for p in DATA.glob("*.bpmn")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_deploys_or_gets_its_list(name: str) -> None:
    found = problems((DATA / name).read_bytes())
    assert len(found) == len(EXPECTED[name]), found
    for (element, message), (want_element, want_text) in zip(found, EXPECTED[name], strict=True):
        assert element == want_element
        assert want_text in message
        assert message.endswith(".")
    if not EXPECTED[name]:
        _root, bundle = checked_bundle((DATA / name).read_bytes(), CONTEXT)
        assert bundle.process_id in {"essai_studio", "essai_pools"}


def test_camunda_attributes_are_notes_saying_what_replaces_them() -> None:
    validation = check((DATA / "camunda7_brut.bpmn").read_bytes(), CONTEXT)[0]
    notes = {(n.element_id, n.message) for n in validation.notes}
    assert any(
        e == "Task_valider" and "camunda:assignee" in m and "couloir du groupe d'agents" in m
        for e, m in notes
    )
    assert any(e == "Task_notifier" and "camunda:class" in m and "opération Guichet" in m for e, m in notes)
    assert all(not n.blocking for n in validation.notes)


def test_a_process_in_a_pool_is_marked_on_its_pool() -> None:
    xml = (DATA / "camunda7_couloir_inconnu.bpmn").read_text(encoding="utf-8")
    xml = xml.replace('<spiffworkflow:property name="dureeMaximale" value="P30D" />', "")
    found = problems(xml)
    assert (
        "Participant_travaux",
        "Processus (demande_travaux) : la propriété « dureeMaximale » (durée ISO 8601, "
        "par exemple P30D) est obligatoire.",
    ) in found


# --- bad input ----------------------------------------------------------------------------------


def test_malformed_xml() -> None:
    [(element, message)] = problems(MINIMAL[:-40])
    assert element is None
    assert message.startswith("Fichier illisible : XML invalide")


def test_not_bpmn() -> None:
    [(_element, message)] = problems('<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>')
    assert "n'est pas un diagramme BPMN 2.0" in message
    assert "« svg »" in message


def test_doctype_is_refused() -> None:
    xml = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        + MINIMAL.split("?>", 1)[1]
    )
    [(_, message)] = problems(xml)
    assert "DOCTYPE" in message


def test_fifty_megabytes_is_refused_before_parsing() -> None:
    size = 50 * 1024 * 1024
    assert check_size(size) == (
        "Le fichier fait 50.0 Mo : un diagramme BPMN ne peut pas dépasser 2048 Kio. "
        "Vérifiez que vous avez choisi le bon fichier."
    )
    [(_, message)] = problems(b" " * size)
    assert message.startswith("Le fichier fait 50.0 Mo")


def test_no_start_event() -> None:
    xml = MINIMAL.replace(
        '<bpmn:startEvent id="debut" name="Démarche ouverte">',
        '<bpmn:intermediateThrowEvent id="debut" name="Démarche ouverte">',
    ).replace("</bpmn:startEvent>", "</bpmn:intermediateThrowEvent>")
    found = problems(xml)
    assert ("essai_studio", "Le processus n'a pas d'événement de début.") in found


def test_unknown_form_key() -> None:
    found = problems(MINIMAL.replace("changement_telephone.instruction", "formulaire_inconnu"))
    assert found == [
        (
            "instruction",
            "Tâche « Instruire la demande » (instruction) : le formulaire « formulaire_inconnu » "
            "n'est pas enregistré.",
        )
    ]


def test_lane_naming_no_group_and_lane_without_name() -> None:
    found = problems(MINIMAL.replace('name="Accueil"', 'name="Voirie"'))
    assert found[0][0] == "Lane_Accueil"
    assert "« Voirie » ne correspond à aucun groupe d'agents" in found[0][1]
    found = problems(
        MINIMAL.replace('<bpmn:lane id="Lane_Accueil" name="Accueil">', '<bpmn:lane id="Lane_Accueil">')
    )
    assert found[0][0] == "Lane_Accueil"
    assert "il n'a pas de nom" in found[0][1]


def test_condition_with_a_syntax_error_or_a_forbidden_name() -> None:
    found = problems(MINIMAL.replace('decision == "acceptee"', 'decision == "acceptee" and ('))
    assert [e for e, _ in found] == ["f_accord"]
    assert "erreur de syntaxe" in found[0][1]
    found = problems(MINIMAL.replace('decision == "acceptee"', "__import__('os').system('x')"))
    assert [e for e, _ in found] == ["f_accord"]
    assert "refusée" in found[0][1]


def test_gateway_flow_without_condition_nor_default() -> None:
    found = problems(MINIMAL.replace(' default="f_refus"', ""))
    assert found == [
        (
            "f_refus",
            "Flux « Refusée » (f_refus) sortant de la passerelle « Décision ? » (decision) : il n'a ni "
            "condition ni statut de flux par défaut. Ajoutez une condition, ou faites-en le flux par défaut.",
        )
    ]


def test_a_path_that_reaches_no_end() -> None:
    xml = MINIMAL.replace(
        '<bpmn:sequenceFlow id="f_refus" name="Refusée" sourceRef="decision" targetRef="fin_refusee" />',
        '<bpmn:sequenceFlow id="f_refus" name="Refusée" sourceRef="decision" targetRef="impasse" />'
        '<bpmn:manualTask id="impasse" name="Attendre">'
        "<bpmn:incoming>f_refus</bpmn:incoming></bpmn:manualTask>",
    )
    found = problems(xml)
    assert (
        "impasse",
        "Élément « Attendre » (impasse) : aucun chemin ne mène de cet élément à un événement de fin.",
    ) in found


LOOP = (
    '<bpmn:sequenceFlow id="f_refus" name="Refusée" sourceRef="decision" targetRef="relance" />'
    '<bpmn:task id="relance" name="Relancer" />'
    '<bpmn:sequenceFlow id="f_fin" sourceRef="relance" targetRef="fin_refusee" />'
    '<bpmn:sequenceFlow id="f_encore" sourceRef="relance" targetRef="noter" />'
    '<bpmn:{kind} id="noter" name="Noter la relance"{body}'
    '<bpmn:sequenceFlow id="f_retour" sourceRef="noter" targetRef="relance" />'
)
REFUS = '<bpmn:sequenceFlow id="f_refus" name="Refusée" sourceRef="decision" targetRef="fin_refusee" />'


def test_a_loop_that_neither_waits_nor_evaluates_is_refused() -> None:
    # « Relancer » goes on to the end and, unconditionally, back round through « Noter la relance »:
    # nothing in the loop waits for anyone or evaluates anything, so the engine's count of
    # evaluations cannot stop it (docs/security.md).
    found = problems(MINIMAL.replace(REFUS, LOOP.format(kind="task", body=" />")))
    loops = [(element, message) for element, message in found if message.startswith("Boucle sans fin")]
    assert loops == [
        (
            "noter",
            "Boucle sans fin : les éléments « Noter la relance » (noter), « Relancer » (relance) "
            "s'enchaînent en boucle sans attendre personne et sans aucune condition. Ajoutez une "
            "condition de sortie sur une passerelle, ou une tâche humaine dans la boucle.",
        )
    ]


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("manualTask", " />"),  # someone confirms each round
        ("scriptTask", "><bpmn:script>relances = 1</bpmn:script></bpmn:scriptTask>"),  # counted by the engine
    ],
)
def test_a_loop_that_waits_or_evaluates_is_not_a_silent_loop(kind: str, body: str) -> None:
    found = problems(MINIMAL.replace(REFUS, LOOP.format(kind=kind, body=body)))
    assert not [message for _, message in found if message.startswith("Boucle sans fin")]


def test_call_activity_must_resolve() -> None:
    xml = MINIMAL.replace(
        '<bpmn:sequenceFlow id="f2" sourceRef="saisie" targetRef="instruction" />',
        '<bpmn:sequenceFlow id="f2" sourceRef="saisie" targetRef="appel" />'
        '<bpmn:callActivity id="appel" name="Vérifier le quotient" calledElement="quotient_familial">'
        "<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f2b</bpmn:outgoing></bpmn:callActivity>"
        '<bpmn:sequenceFlow id="f2b" sourceRef="appel" targetRef="instruction" />',
    )
    found = problems(xml)
    assert found[0][0] == "appel"
    assert "le processus appelé « quotient_familial » n'est pas dans ce fichier" in found[0][1]


def test_checked_bundle_raises_refused_with_the_located_list() -> None:
    with pytest.raises(Refused) as raised:
        checked_bundle(MINIMAL.replace(' default="f_refus"', "").encode(), CONTEXT)
    assert isinstance(raised.value, DeployError)
    assert raised.value.validation.problems[0].element_id == "f_refus"
