"""Run-time budget of every evaluation: steps, CPU time and the size of what it builds.

Each runaway is stopped by a French ScriptError before it allocates or loops for long; the counts of
steps are asserted, never the time taken.
"""

from __future__ import annotations

import pytest

from engine import scripts
from engine.errors import ScriptError
from engine.scripts import LIMITS, RestrictedEnvironment

RUNAWAY_EXPRESSIONS = [
    ("10 ** 10 ** 9", "Nombre trop grand"),
    ("x ** x", "Nombre trop grand"),
    ("x << x", "Nombre trop grand"),
    ("(x ** 4000) * (x ** 4000)", "Nombre trop grand"),
    ("('a' * 10000) * 10000", "Valeur trop grande"),
    ("'a' * x * x", "Valeur trop grande"),
    ("[0] * x * x", "Valeur trop grande"),
    ("'a'.ljust(10 ** 9)", "Valeur trop grande"),
    ("'a'.center(10 ** 9)", "Valeur trop grande"),
    ("'a'.zfill(10 ** 9)", "Valeur trop grande"),
    ("('a\\t' * 1000).expandtabs(10 ** 6)", "Valeur trop grande"),
    ("('a' * 10000).replace('a', 'b' * 10000)", "Valeur trop grande"),
    ("('x' * 10000).join(['y' * 10000] * 1000)", "Valeur trop grande"),
    ("'%099999999d' % 1", "Formatage refusé"),
    ("sum([[1] * 1000] * 1000, [])", "n'additionne que des nombres"),
    ("[0 for a in range(10 ** 12)]", "range() limité"),
    ("[s + s for s in ['a' * 100000] * 200]", "Mémoire dépassée"),
]


@pytest.mark.parametrize(("source", "message"), RUNAWAY_EXPRESSIONS)
def test_runaway_expressions_are_stopped_in_french(source: str, message: str) -> None:
    with pytest.raises(ScriptError) as excinfo:
        RestrictedEnvironment().evaluate(source, {"x": 10**6})
    assert message in excinfo.value.message


RUNAWAY_SCRIPTS = [
    ("while True:\n    pass", "Boucle trop longue"),
    ("n = 0\nwhile n >= 0:\n    n += 1", "Boucle trop longue"),
    ("s = 'a'\nfor i in range(100):\n    s = s + s", "Valeur trop grande"),
    ("s = 'a'\nfor i in range(100):\n    s += s", "Valeur trop grande"),
    ("l = [1]\nfor i in range(100):\n    l.extend(l)", "Valeur trop grande"),
    ("l = [1]\nwhile True:\n    l *= 2", "Valeur trop grande"),
    ("x = 3\nwhile True:\n    x = x * x", "Nombre trop grand"),
]


@pytest.mark.parametrize(("script", "message"), RUNAWAY_SCRIPTS)
def test_runaway_scripts_are_stopped_in_french(script: str, message: str) -> None:
    with pytest.raises(ScriptError) as excinfo:
        RestrictedEnvironment().execute(script, {})
    assert message in excinfo.value.message


def test_the_cpu_deadline_stops_expensive_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each turn sorts 100,000 numbers: the step budget alone would allow about a minute of it.
    monkeypatch.setattr(LIMITS, "cpu_seconds", 0.2)
    turns: list[int] = []
    with pytest.raises(ScriptError, match="Calcul trop long"):
        RestrictedEnvironment().execute(
            "while True:\n    y = sorted(x)\n    tours.append(1)", {"x": list(range(100_000)), "tours": turns}
        )
    assert 64 <= len(turns) < LIMITS.max_iterations


def test_recursion_is_stopped() -> None:
    with pytest.raises(RecursionError):
        RestrictedEnvironment().execute("def f(n):\n    return f(n)\nf(1)", {})


def test_function_calls_take_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LIMITS, "max_iterations", 50)
    script = "def f():\n    return 1\nfor i in range(10):\n    f()\n    f()\n    f()\n    f()\n    f()"
    with pytest.raises(ScriptError, match="Boucle trop longue"):
        RestrictedEnvironment().execute(script, {})


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("'-' * 20", "-" * 20),
        ("[0] * 3", [0, 0, 0]),
        ("2 ** 64", 2**64),
        ("1 << 10", 1024),
        ("montant * 2 + 1", 41),
        ("'a' + 'b'", "ab"),
        ("'%s-%d' % ('a', 3)", "a-3"),
        ("f'{montant:>5}'", "   20"),
        ("f'{montant:.2f}'", "20.00"),
        ("f'{montant!r:>4}'", "  20"),
        ("' '.join(['a', 'b'])", "a b"),
        ("'ab'.replace('a', 'xy')", "xyb"),
        ("sum([1, 2, 3])", 6),
        ("(lambda: 3)()", 3),
    ],
)
def test_ordinary_values_still_work(source: str, expected: object) -> None:
    assert RestrictedEnvironment().evaluate(source, {"montant": 20}) == expected


def test_the_budget_is_per_evaluation() -> None:
    environment = RestrictedEnvironment()
    for _ in range(3):  # each call may take 60,000 steps: three would exceed one budget
        environment.execute("n = 0\nfor i in range(60000):\n    n += 1", {})


@pytest.mark.parametrize(
    "name", ["_getattr_", "_getiter_", "_getitem_", "_write_", "_inplacevar_", "_step_", "_guarded_mul_"]
)
def test_task_data_cannot_hide_the_sandbox_names_in_expressions(name: str) -> None:
    def hijack(*args: object) -> object:
        raise AssertionError("the sandbox used the task data's function")

    source = {
        "_getattr_": "'a'.upper()",
        "_getiter_": "[a for a in [1]]",
        "_getitem_": "[1][0]",
        "_write_": "[1]",
        "_inplacevar_": "1",
        "_step_": "(lambda: 1)()",
        "_guarded_mul_": "2 * 3",
    }[name]
    RestrictedEnvironment().evaluate(source, {name: hijack})


def test_task_data_cannot_replace_the_builtins() -> None:
    value = RestrictedEnvironment().evaluate("len('ab')", {"__builtins__": {"len": lambda s: 99}})
    assert value == 2


def test_data_objects_cannot_hide_the_sandbox_names_in_scripts() -> None:
    def hijack(*args: object) -> object:
        raise AssertionError("the sandbox used the data object's function")

    context: dict[str, object] = {}
    RestrictedEnvironment().execute("x = 'a'.upper()", context, {"_getattr_": hijack})
    assert context["x"] == "A"


def test_protected_name_covers_sandbox_helpers_and_builtins() -> None:
    for name in ("_x", "__builtins__", "maintenant", "len", "sum", "range"):
        assert scripts.protected_name(name), name
    for name in ("resultat", "decision", "notification"):
        assert not scripts.protected_name(name), name
