"""Deploy-time lint of a démarche's BPMN: each problem is a French message naming the element."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import runtime
from engine.lint import LintContext, lint
from engine.runtime import ServiceOperation, build_bundle, parse_xml

REAL_BPMN = Path(__file__).resolve().parents[2] / "workflows" / "changement_adresse.bpmn"
FORM_KEYS = {"changement_adresse.saisie", "changement_adresse.instruction", "changement_adresse.complement"}
CONTEXT = LintContext(form_keys=FORM_KEYS, lanes={"Accueil"})
OPERATIONS = ("compte_mettre_a_jour_adresse", "famille_notifier", "tache_relancer", "demande_escalader")
DANGER = "__import__('os').system('x')"


def _noop(ctx: object, **params: object) -> None:
    return None


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> dict[str, ServiceOperation]:
    for name in OPERATIONS:
        monkeypatch.setitem(runtime.SERVICES, name, ServiceOperation(name, _noop, f"test {name}"))
    return runtime.SERVICES


@pytest.fixture(scope="module")
def real_xml() -> str:
    return REAL_BPMN.read_text(encoding="utf-8")


def lint_xml(xml: str, ctx: LintContext = CONTEXT) -> list[str]:
    root = parse_xml(xml.encode("utf-8"))
    return lint(root, build_bundle(root), ctx)


def mutate(xml: str, old: str, new: str, count: int = 1) -> str:
    """Replace `old` by `new`, after checking it occurs exactly `count` times (no silent no-op)."""
    assert xml.count(old) == count, f"{old!r} occurs {xml.count(old)} times"
    return xml.replace(old, new)


def test_services_fixture_registers_and_restores() -> None:
    before = dict(runtime.SERVICES)
    with pytest.MonkeyPatch.context() as mp:
        for name in OPERATIONS:
            mp.setitem(runtime.SERVICES, name, ServiceOperation(name, _noop, ""))
        assert runtime.SERVICES["famille_notifier"].func is _noop
    assert before == runtime.SERVICES


def test_real_file_is_clean(services, real_xml: str) -> None:
    assert lint_xml(real_xml) == []


def test_unregistered_operations_are_reported(monkeypatch: pytest.MonkeyPatch, real_xml: str) -> None:
    for name in OPERATIONS:
        monkeypatch.delitem(runtime.SERVICES, name, raising=False)
    errors = lint_xml(real_xml)
    assert sorted(errors) == sorted(
        [
            "Tâche « Mettre à jour l'adresse du compte » (maj_adresse) : "
            "l'opération de service « compte_mettre_a_jour_adresse » n'existe pas",
            "Tâche « Informer la famille de l'acceptation » (notifier_acceptation) : "
            "l'opération de service « famille_notifier » n'existe pas",
            "Tâche « Informer la famille du refus » (notifier_refus) : "
            "l'opération de service « famille_notifier » n'existe pas",
            "Tâche « Informer la famille de la demande de compléments » (notifier_complement) : "
            "l'opération de service « famille_notifier » n'existe pas",
            "Tâche « Prévenir la famille du retard » (prevenir_retard) : "
            "l'opération de service « famille_notifier » n'existe pas",
            "Tâche « Relancer les agents » (relancer_agents) : "
            "l'opération de service « tache_relancer » n'existe pas",
            "Tâche « Signaler la demande en retard » (signaler_retard) : "
            "l'opération de service « demande_escalader » n'existe pas",
        ]
    )


def test_the_deadline_pattern_is_on_the_examination_and_never_closes(real_xml: str) -> None:
    root = parse_xml(real_xml.encode("utf-8"))
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    timers = {
        event.get("id"): (event.get("attachedToRef"), event.get("cancelActivity"))
        for event in root.iterfind(".//bpmn:boundaryEvent", ns)
    }
    assert timers == {"relance": ("examen", "false"), "echeance": ("examen", "false")}


def test_a_malformed_reminder_duration_is_refused(services, real_xml: str) -> None:
    xml = mutate(real_xml, 'avant_echeance(date_limite, "P6D")', 'avant_echeance(date_limite, "6 jours")')
    assert lint_xml(xml) == [
        "Minuterie « 6 jours avant la durée maximale » (relance) : "
        "« 6 jours » n'est pas une durée ISO 8601 (par exemple P3D ou PT48H)"
    ]


def test_unknown_lane(services, real_xml: str) -> None:
    xml = mutate(real_xml, 'name="Accueil"', 'name="Inconnu"')
    assert lint_xml(xml) == [
        "Tâche « Instruire la demande » (instruction) : le couloir « Inconnu » ne correspond à aucun "
        "groupe d'agents (connus : Accueil, Famille)"
    ]


def test_lane_unknown_to_this_site(services, real_xml: str) -> None:
    errors = lint_xml(real_xml, LintContext(form_keys=FORM_KEYS, lanes={"Etat civil"}))
    assert len(errors) == 1
    assert errors[0].startswith("Tâche « Instruire la demande » (instruction) : le couloir « Accueil »")
    assert "(connus : Etat civil, Famille)" in errors[0]


def test_requester_lane_is_always_known(services, real_xml: str) -> None:
    # "Famille" holds the saisie task; it needs no agent group.
    assert lint_xml(real_xml, LintContext(form_keys=FORM_KEYS, lanes={"Accueil"})) == []
    errors = lint_xml(mutate(real_xml, 'name="Famille"', 'name="Familles"'))
    assert len(errors) == 2  # the saisie and « Compléter ma demande »
    assert "(saisie)" in errors[0]
    assert "(complement)" in errors[1]
    assert all("« Familles »" in error for error in errors)


def test_missing_form_key(services, real_xml: str) -> None:
    xml = mutate(real_xml, '<spiffworkflow:property name="formKey" value="changement_adresse.saisie" />', "")
    assert lint_xml(xml) == [
        "Tâche « Saisir la nouvelle adresse » (saisie) : la propriété « formKey » est obligatoire"
    ]


def test_empty_form_key(services, real_xml: str) -> None:
    xml = mutate(real_xml, 'value="changement_adresse.instruction"', 'value=""')
    assert lint_xml(xml) == [
        "Tâche « Instruire la demande » (instruction) : la propriété « formKey » est obligatoire"
    ]


def test_unregistered_form_key(services, real_xml: str) -> None:
    xml = mutate(real_xml, 'value="changement_adresse.saisie"', 'value="changement_adresse.autre"')
    assert lint_xml(xml) == [
        "Tâche « Saisir la nouvelle adresse » (saisie) : "
        "le formulaire « changement_adresse.autre » n'est pas enregistré"
    ]


def test_form_key_unknown_to_this_site(services, real_xml: str) -> None:
    known = {"changement_adresse.saisie", "changement_adresse.complement"}
    errors = lint_xml(real_xml, LintContext(form_keys=known, lanes={"Accueil"}))
    assert errors == [
        "Tâche « Instruire la demande » (instruction) : "
        "le formulaire « changement_adresse.instruction » n'est pas enregistré"
    ]


def test_unknown_service_operation(services, real_xml: str) -> None:
    xml = mutate(real_xml, 'id="compte_mettre_a_jour_adresse"', 'id="operation_inexistante"')
    assert lint_xml(xml) == [
        "Tâche « Mettre à jour l'adresse du compte » (maj_adresse) : "
        "l'opération de service « operation_inexistante » n'existe pas"
    ]


def test_missing_max_duration(services, real_xml: str) -> None:
    xml = mutate(real_xml, '<spiffworkflow:property name="dureeMaximale" value="P30D" />', "")
    assert lint_xml(xml) == [
        "Processus (changement_adresse) : la propriété « dureeMaximale » (durée ISO 8601, "
        "par exemple P30D) est obligatoire"
    ]


def test_empty_max_duration(services, real_xml: str) -> None:
    xml = mutate(real_xml, 'name="dureeMaximale" value="P30D"', 'name="dureeMaximale" value=""')
    errors = lint_xml(xml)
    assert len(errors) == 1
    assert errors[0].startswith("Processus (changement_adresse) : la propriété « dureeMaximale »")


@pytest.mark.parametrize(
    "value", ["trente jours", "30", "-P1D", "P30DT", "P30D P1D", "P", "30D", "PT", "P1.5D"]
)
def test_invalid_max_duration(services, real_xml: str, value: str) -> None:
    xml = mutate(real_xml, 'name="dureeMaximale" value="P30D"', f'name="dureeMaximale" value="{value}"')
    assert lint_xml(xml) == [
        "Processus (changement_adresse) : « dureeMaximale » n'est pas une durée ISO 8601"
    ]


@pytest.mark.parametrize("value", ["P30D", "PT12H", "P1Y2M", "P2W", "P1DT12H"])
def test_valid_max_duration(services, real_xml: str, value: str) -> None:
    xml = mutate(real_xml, 'name="dureeMaximale" value="P30D"', f'name="dureeMaximale" value="{value}"')
    assert lint_xml(xml) == []


def test_process_without_name(services, real_xml: str) -> None:
    xml = mutate(
        real_xml,
        '<bpmn:process id="changement_adresse" name="Changement d\'adresses postales"',
        ('<bpmn:process id="changement_adresse"'),
    )
    assert lint_xml(xml) == ["Processus (changement_adresse) : un nom (titre de la démarche) est obligatoire"]


def test_dangerous_condition_expression(services, real_xml: str) -> None:
    xml = mutate(real_xml, 'decision == "acceptee"', DANGER)
    assert lint_xml(xml) == [
        f"Élément « Acceptée » (flux_acceptation) : expression « {DANGER} » refusée, "
        "nom « __import__ » interdit"
    ]


def test_condition_expression_with_syntax_error(services, real_xml: str) -> None:
    xml = mutate(real_xml, 'decision == "acceptee"', "decision ==")
    errors = lint_xml(xml)
    assert len(errors) == 1
    assert errors[0].startswith(
        "Élément « Acceptée » (flux_acceptation) : expression « decision == » refusée"
    )
    assert "erreur de syntaxe" in errors[0]


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("open('/etc/passwd').read()", "nom « open » interdit"),
        (DANGER, "nom « __import__ » interdit"),
        (
            "&quot;P&quot; + str(10**100) + &quot;D&quot;",
            "puissance limitée à un exposant constant inférieur à 64",
        ),
    ],
)
def test_dangerous_timer_expression(services, real_xml: str, expression: str, problem: str) -> None:
    xml = mutate(
        real_xml,
        "<bpmn:timeDate>date_limite</bpmn:timeDate>",
        f"<bpmn:timeDate>{expression}</bpmn:timeDate>",
    )
    errors = lint_xml(xml)
    assert len(errors) == 1
    assert errors[0].startswith("Élément (echeance_timer) : expression « ")
    assert errors[0].endswith(f"refusée, {problem}")


def test_dangerous_service_parameter_names_the_service_task(services, real_xml: str) -> None:
    xml = mutate(real_xml, 'value="commune" />', f'value="{DANGER}" />')
    assert lint_xml(xml) == [
        f"Élément « Mettre à jour l'adresse du compte » (maj_adresse) : expression « {DANGER} » refusée, "
        "nom « __import__ » interdit"
    ]


def test_dangerous_parameter_of_a_mail_task(services, real_xml: str) -> None:
    xml = mutate(real_xml, 'value="&quot;demarche_refusee&quot;"', 'value="modele.__class__"')
    assert lint_xml(xml) == [
        "Élément « Informer la famille du refus » (notifier_refus) : "
        "expression « modele.__class__ » refusée, attribut « __class__ » interdit"
    ]


def test_dangerous_pre_script(services, real_xml: str) -> None:
    pre_script = "<spiffworkflow:preScript>import os\nos.system('x')</spiffworkflow:preScript>"
    xml = mutate(
        real_xml,
        '<spiffworkflow:property name="statusLabel" value="En cours de saisie" />\n        '
        "</spiffworkflow:properties>",
        '<spiffworkflow:property name="statusLabel" value="En cours de saisie" />\n        '
        f"</spiffworkflow:properties>\n        {pre_script}",
    )
    errors = lint_xml(xml)
    assert errors
    assert all(
        e.startswith("Élément « Saisir la nouvelle adresse » (saisie) : expression « import os")
        for e in errors
    )
    assert any(e.endswith("construction « Import » interdite") for e in errors)


def test_user_task_outside_any_lane(services, real_xml: str) -> None:
    xml = mutate(real_xml, "<bpmn:flowNodeRef>instruction</bpmn:flowNodeRef>", "")
    assert lint_xml(xml) == [
        "Tâche « Instruire la demande » (instruction) : "
        "une tâche utilisateur doit être placée dans un couloir (lane)"
    ]


def test_every_problem_is_reported_at_once(services, real_xml: str) -> None:
    xml = mutate(real_xml, 'name="Accueil"', 'name="Inconnu"')
    xml = mutate(xml, 'value="changement_adresse.saisie"', 'value="changement_adresse.autre"')
    xml = mutate(xml, 'id="compte_mettre_a_jour_adresse"', 'id="operation_inexistante"')
    xml = mutate(xml, 'name="dureeMaximale" value="P30D"', 'name="dureeMaximale" value="bientot"')
    xml = mutate(xml, 'decision == "acceptee"', DANGER)
    errors = lint_xml(xml)
    assert len(errors) == 5
    for fragment in (
        "(instruction)",
        "(saisie)",
        "(maj_adresse)",
        "(changement_adresse)",
        "(flux_acceptation)",
    ):
        assert sum(fragment in e for e in errors) == 1, fragment
