"""Deploy-time checks of the timer values of the reminder/escalation pattern (engine/deadlines.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine import runtime
from engine.deadlines import before_deadline
from engine.errors import ScriptError
from engine.lint import LintContext, lint
from engine.runtime import ServiceOperation, build_bundle, parse_xml

TELEPHONE = Path(__file__).resolve().parents[2] / "workflows" / "changement_telephone.bpmn"
CONTEXT = LintContext(
    form_keys={"changement_telephone.saisie", "changement_telephone.instruction"}, lanes={"Accueil"}
)
OPERATIONS = ("compte_mettre_a_jour_telephones", "famille_notifier", "tache_relancer", "demande_escalader")
REMINDER = 'avant_echeance(date_limite, "P3D")'


@pytest.fixture(autouse=True)
def services(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OPERATIONS:
        monkeypatch.setitem(runtime.SERVICES, name, ServiceOperation(name, lambda ctx, **p: None, name))


def lint_xml(xml: str) -> list[str]:
    root = parse_xml(xml.encode("utf-8"))
    return lint(root, build_bundle(root), CONTEXT)


@pytest.fixture(scope="module")
def xml() -> str:
    source = TELEPHONE.read_text(encoding="utf-8")
    assert source.count(REMINDER) == 1
    return source


def test_the_shipped_pattern_is_accepted(xml: str) -> None:
    assert lint_xml(xml) == []
    assert 'cancelActivity="false"' in xml  # both timers are non-interrupting


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ('avant_echeance(date_limite, "3 jours")', "« 3 jours » n'est pas une durée ISO 8601"),
        ('avant_echeance(date_limite, "P3X")', "« P3X » n'est pas une durée ISO 8601"),
        ("avant_echeance(date_limite)", "avant_echeance attend deux arguments"),
        ('"demain"', "« demain » n'est pas une date ISO 8601"),
    ],
)
def test_malformed_time_dates_are_refused(xml: str, expression: str, problem: str) -> None:
    errors = lint_xml(xml.replace(REMINDER, expression))
    assert len(errors) == 1, errors
    assert errors[0].startswith("Minuterie « 3 jours avant la durée maximale » (relance) : " + problem)


@pytest.mark.parametrize("duration", ["15 jours", "P15", "PT", "15D"])
def test_malformed_durations_are_refused(xml: str, duration: str) -> None:
    timer = "<bpmn:timeDate>date_limite</bpmn:timeDate>"
    assert xml.count(timer) == 1
    errors = lint_xml(xml.replace(timer, f'<bpmn:timeDuration>"{duration}"</bpmn:timeDuration>'))
    assert errors == [
        f"Minuterie « Durée maximale atteinte » (echeance) : « {duration} » n'est pas une durée ISO 8601 "
        "(par exemple P3D ou PT48H)"
    ]


def test_a_well_formed_literal_duration_is_accepted(xml: str) -> None:
    timer = "<bpmn:timeDate>date_limite</bpmn:timeDate>"
    assert lint_xml(xml.replace(timer, '<bpmn:timeDuration>"P15D"</bpmn:timeDuration>')) == []


def test_before_deadline() -> None:
    deadline = datetime(2027, 3, 15, 10, 0, tzinfo=UTC)
    assert before_deadline(deadline.isoformat(), "P3D") == (deadline - timedelta(days=3)).isoformat()
    assert before_deadline(deadline.isoformat(), "PT36H") == (deadline - timedelta(hours=36)).isoformat()
    # Months count back by calendar: one month before 15 March is 15 February.
    assert (
        before_deadline(deadline.isoformat(), "P1M") == datetime(2027, 2, 15, 10, 0, tzinfo=UTC).isoformat()
    )
    with pytest.raises(ScriptError):
        before_deadline(deadline.isoformat(), "trois jours")
