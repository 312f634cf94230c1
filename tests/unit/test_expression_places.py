"""Every place SpiffWorkflow evaluates Python is found by the linter, and nothing else is evaluated.

One BPMN file per place (tests/fixtures/expression_places.py): a dangerous expression there is
refused at deploy with a French message naming the element; a harmless one passes; and when the
diagram runs, every expression the engine evaluates is one the linter enumerated.
"""

from __future__ import annotations

from typing import Any

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine import runtime
from engine.expressions import places
from engine.lint import LintContext, lint
from engine.runtime import GuichetScriptEngine, ServiceOperation, build_bundle, parse_xml
from engine.scripts import RestrictedEnvironment
from tests.fixtures.expression_places import HARMLESS, MODES, SAMPLES, sample

CONTEXT = LintContext(form_keys=set(), lanes=set())
ESCAPE = "().__class__.__bases__[0].__subclasses__()"
#: What the linter must say about each sample's element.
ELEMENT = {name: "(element)" for name in SAMPLES}
ELEMENT.update({"exclusive_condition": "« Autre » (f3)", "inclusive_condition": "« Autre » (f3)"})
ELEMENT["error_payload"] = "(rattrape)"


@pytest.fixture(autouse=True)
def essai_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        runtime.SERVICES, "essai_service", ServiceOperation("essai_service", lambda ctx, **p: p, "")
    )


def lint_sample(name: str, expression: str) -> list[str]:
    root = parse_xml(sample(name, expression).encode("utf-8"))
    return lint(root, build_bundle(root), CONTEXT)


def test_there_is_a_sample_for_every_expression_attribute() -> None:
    from engine.expressions import EXPRESSION_ATTRIBUTES

    found = set()
    for name in SAMPLES:
        bundle = build_bundle(parse_xml(sample(name, HARMLESS[name]).encode()))
        specs = [bundle.spec, *bundle.subprocess_specs.values()]
        found |= {p.attribute.split(".")[-1].split("[")[0] for p in places(specs)}
    assert set(EXPRESSION_ATTRIBUTES) <= found


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_a_harmless_expression_passes_in_every_place(name: str) -> None:
    assert lint_sample(name, HARMLESS[name]) == []


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_an_escape_is_refused_in_every_place_naming_the_element(name: str) -> None:
    errors = lint_sample(name, ESCAPE)
    assert errors, name
    assert all(ESCAPE in error for error in errors), errors
    assert any(
        error.startswith("Élément ") and ELEMENT[name] in error.split(" : ", 1)[0] for error in errors
    ), errors
    assert any("attribut « __subclasses__ » interdit" in error for error in errors)


@pytest.mark.parametrize("name", sorted(SAMPLES))
@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("('a' * 10000) * 10000", "valeur trop grande : ces constantes construiraient 100000000"),
        ("10 ** 10 ** 9", "puissance limitée"),
        ("[0] * 1000 * 1000", "valeur trop grande"),
        ("'%099999d' % 1", "formatage « % »"),
    ],
)
def test_constant_blow_ups_are_refused_in_every_place(name: str, expression: str, problem: str) -> None:
    errors = lint_sample(name, expression)
    assert any(problem in error and error.startswith("Élément ") for error in errors), errors


class RecordingEnvironment(RestrictedEnvironment):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        self.seen.append(expression)
        return super().evaluate(expression, context, external_context)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        self.seen.append(script)
        return super().execute(script, context, external_context)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_the_engine_evaluates_only_what_the_linter_found(name: str) -> None:
    bundle = build_bundle(parse_xml(sample(name, HARMLESS[name]).encode()))
    environment = RecordingEnvironment()
    engine = GuichetScriptEngine()
    engine.environment = environment
    workflow = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=engine)
    workflow.get_tasks()[0].data["n"] = 1
    for _ in range(5):
        workflow.refresh_waiting_tasks()
        workflow.do_engine_steps()
        for task in workflow.get_tasks(state=TaskState.READY, manual=True):
            task.run()
    enumerated = {p.source for p in places([bundle.spec, *bundle.subprocess_specs.values()])}
    assert environment.seen, "the sample evaluated nothing: it tests nothing"
    assert set(environment.seen) <= enumerated
    if name != "process_correlation":  # evaluated when a message is caught, not when thrown
        assert HARMLESS[name] in environment.seen


def test_the_modes_match_the_engine() -> None:
    for name, mode in MODES.items():
        bundle = build_bundle(parse_xml(sample(name, HARMLESS[name]).encode()))
        specs = [bundle.spec, *bundle.subprocess_specs.values()]
        kinds = {p.kind for p in places(specs) if p.source == HARMLESS[name]}
        assert kinds == {mode}, name


def test_an_unreviewed_string_attribute_refuses_the_diagram() -> None:
    root = parse_xml(sample("script", "n = 1").encode())
    bundle = build_bundle(root)
    bundle.spec.task_specs["element"].nouvelle_expression = "n + 1"  # what a new SpiffWorkflow might add
    errors = lint(root, bundle, CONTEXT)
    assert errors == [
        "Élément « Calcul » (element) : attribut « nouvelle_expression » (« n + 1 ») "
        "n'est pas pris en charge par Guichet"
    ]


@pytest.mark.parametrize("variable", ["_getattr_", "__builtins__", "maintenant", "sum", "1abc", "class"])
def test_result_variable_names_are_checked(variable: str) -> None:
    xml = sample("service_parameter", "1").replace(
        'resultVariable="resultat"', f'resultVariable="{variable}"'
    )
    errors = lint(parse_xml(xml.encode()), build_bundle(parse_xml(xml.encode())), CONTEXT)
    assert len(errors) == 1
    assert errors[0].startswith(f"Élément « Service » (element) : le nom « {variable} » (nom de variable) ")


def test_a_standard_loop_needs_a_small_maximum() -> None:
    for maximum, ok in (("2", True), ("100", True), ("101", False), (None, False)):
        xml = sample("loop_condition", "n > 5")
        xml = xml.replace(' loopMaximum="2"', "" if maximum is None else f' loopMaximum="{maximum}"')
        errors = lint(parse_xml(xml.encode()), build_bundle(parse_xml(xml.encode())), CONTEXT)
        expected = [] if ok else ["Élément « Boucle » (element) : une boucle doit avoir un nombre maximal"]
        assert [e[: len(expected[0])] for e in errors] == expected if expected else errors == []


def test_a_constant_cardinality_is_bounded() -> None:
    assert lint_sample("loop_cardinality", "100") == []
    assert lint_sample("loop_cardinality", "101") == [
        "Élément « Plusieurs fois » (element) : au plus 100 instances (loopCardinality)"
    ]
