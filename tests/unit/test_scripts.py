"""The restricted script environment: deploy-time AST allowlist, run-time RestrictedPython, helpers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from engine.errors import ScriptError
from engine.scripts import (
    HELPERS,
    RestrictedEnvironment,
    ajouter_jours,
    aujourd_hui,
    check_expression,
    est_vide,
    maintenant,
    restricted_globals,
)

# Every message check_expression produces is French; the details in parentheses may quote Python.
FRENCH_PROBLEM = re.compile(r"interdite?|erreur de syntaxe|nombre trop grand|puissance limitée")

ESCAPES: list[tuple[str, str]] = [
    ("import os", "exec"),
    ("import os", "eval"),
    ("__import__('os')", "eval"),
    ("__import__('os').system('id')", "eval"),
    ("open('/etc/passwd')", "eval"),
    ("open('/etc/passwd').read()", "eval"),
    ("().__class__.__bases__[0].__subclasses__()", "eval"),
    ("object.__subclasses__()", "eval"),
    ("getattr(x, '__class__')", "eval"),
    ('"{0.__class__}".format(x)', "eval"),
    ("str.format('{0.__class__}', x)", "eval"),
    ("eval('1')", "eval"),
    ("exec('1')", "eval"),
    ("compile('1','','eval')", "eval"),
    ("globals()", "eval"),
    ("locals()", "eval"),
    ("vars()", "eval"),
    ("dir()", "eval"),
    ("help()", "eval"),
    ("sys.modules", "eval"),
    ("os.system('id')", "eval"),
    ("builtins", "eval"),
    ("type(x)", "eval"),
    ("super()", "eval"),
    ("memoryview(b'')", "eval"),
    ("lambda: 1", "eval"),
    ("(lambda: 1)()", "eval"),
    ("while True: pass", "exec"),
    ("def f(): pass", "exec"),
    ("async def f(): pass", "exec"),
    ("class A: pass", "exec"),
    ("10**10**9", "eval"),
    ("10**100", "eval"),
    ("2**x", "eval"),
    ("pow(10, 10**12)", "eval"),
    ("pow(2, x)", "eval"),
    ("x **= 1000", "exec"),
    ("10000000000000", "eval"),
    ("x.__dict__", "eval"),
    ("x._private", "eval"),
    ("_x", "eval"),
    ("f.__globals__", "eval"),
    ("est_vide.__globals__['__builtins__']", "eval"),
    ("[c for c in ().__class__.__mro__]", "eval"),
    ("x.mro()", "eval"),
    ("(i for i in x).gi_frame", "eval"),
    ("(i for i in x).gi_frame.f_back.f_globals", "eval"),
    ("from os import path", "exec"),
    ("print(1)", "eval"),
    ("breakpoint()", "eval"),
    ("exit()", "eval"),
    ("x.format_map({})", "eval"),
    ("with open('f') as f: pass", "exec"),
    ("try:\n pass\nexcept: pass", "exec"),
    ("raise SystemExit", "exec"),
    ("assert x", "exec"),
    ("del x", "exec"),
    ("global x", "exec"),
    ("(x := 1)", "eval"),
    ("x: int = 1", "exec"),
    ("yield 1", "exec"),
    ("match x:\n case 1: pass", "exec"),
    ("x << 1000000", "eval"),
    ("~x", "eval"),
    ("x ^ y", "eval"),
    ("x @ y", "eval"),
    ("max(*x)", "eval"),
    ("f(**x)", "eval"),
    ("x //= 2", "exec"),
    ("x %= 2", "exec"),
    ("x = 1", "eval"),
    ("x ==", "eval"),
]


@pytest.mark.parametrize(("source", "mode"), ESCAPES)
def test_check_expression_refuses_escape_payloads_in_french(source: str, mode: str) -> None:
    problems = check_expression(source, mode=mode)
    assert problems, f"{source!r} should be refused"
    for problem in problems:
        assert isinstance(problem, str)
        assert FRENCH_PROBLEM.search(problem), problem
    assert len(problems) == len(set(problems)), "problems are deduplicated"


@pytest.mark.parametrize(
    ("source", "mode", "expected"),
    [
        ("import os", "exec", "construction « Import » interdite"),
        ("from os import path", "exec", "construction « ImportFrom » interdite"),
        ("__import__('os')", "eval", "nom « __import__ » interdit"),
        ("open('/etc/passwd')", "eval", "nom « open » interdit"),
        ("getattr(x, '__class__')", "eval", "nom « getattr » interdit"),
        ("type(x)", "eval", "nom « type » interdit"),
        ("sys.modules", "eval", "nom « sys » interdit"),
        ("pow(2, 3)", "eval", "nom « pow » interdit"),
        ("x.__dict__", "eval", "attribut « __dict__ » interdit"),
        ("x._private", "eval", "attribut « _private » interdit"),
        ('"{0.__class__}".format(x)', "eval", "méthode « format » interdite"),
        ("x.format_map({})", "eval", "méthode « format_map » interdite"),
        ("x.mro()", "eval", "méthode « mro » interdite"),
        ("lambda: 1", "eval", "construction « Lambda » interdite"),
        ("while True: pass", "exec", "construction « While » interdite"),
        ("def f(): pass", "exec", "construction « FunctionDef » interdite"),
        ("class A: pass", "exec", "construction « ClassDef » interdite"),
        ("try:\n pass\nexcept: pass", "exec", "construction « Try » interdite"),
        ("with open('f') as f: pass", "exec", "construction « With » interdite"),
        ("10000000000000", "eval", "nombre trop grand"),
        ("10**10**9", "eval", "puissance limitée à un exposant constant inférieur à 64"),
        ("10**100", "eval", "puissance limitée à un exposant constant inférieur à 64"),
        ("2**x", "eval", "puissance limitée à un exposant constant inférieur à 64"),
        ("x **= 2", "exec", "affectation composée interdite (seuls +=, -=, *= et /= sont permis)"),
        ("max(*x)", "eval", "appel avec * ou ** interdit"),
        ("f(**x)", "eval", "appel avec * ou ** interdit"),
        ("x = 1", "eval", "erreur de syntaxe (invalid syntax)"),
    ],
)
def test_check_expression_names_the_problem(source: str, mode: str, expected: str) -> None:
    assert expected in check_expression(source, mode=mode)


def test_check_expression_reports_every_forbidden_attribute_once() -> None:
    problems = check_expression("().__class__.__bases__[0].__subclasses__() + x.__class__")
    assert sorted(problems) == sorted(
        [
            "attribut « __subclasses__ » interdit",
            "attribut « __bases__ » interdit",
            "attribut « __class__ » interdit",
        ]
    )


def test_check_expression_translates_restrictedpython_refusals() -> None:
    # gi_frame passes the AST allowlist; the RestrictedPython compiler refuses it.
    (problem,) = check_expression("(i for i in x).gi_frame")
    assert problem.startswith("interdite par l'environnement restreint (")
    assert "gi_frame" in problem


@pytest.mark.parametrize(
    "source",
    [
        "x ** 64",
        "1000000000000",
        "-1000000000000",
    ],
)
def test_check_expression_bounds_are_inclusive(source: str) -> None:
    assert check_expression(source) == []


@pytest.mark.parametrize("source", ["x ** 65", "1000000000001", "x ** 2.5"])
def test_check_expression_just_past_the_bounds(source: str) -> None:
    assert check_expression(source) != []


CONTEXT = {
    "decision": "acceptee",
    "montant": 20,
    "motif": "  ",
    "x": 1,
    "y": False,
    "z": 3,
    "items": [0, 1, 2, 3],
    "nom": "Dupont",
    "prenom": "Marie",
    "d": {"a": 1, "b": 2},
    "jour": date(2024, 2, 28),
}

LEGIT_EXPRESSIONS: list[tuple[str, object]] = [
    ('decision == "acceptee"', True),
    ('"P30D"', "P30D"),
    ("montant * 2 + 1", 41),
    ("est_vide(motif)", True),
    ("not est_vide(nom)", True),
    ("x if y else z", 3),
    ("[a for a in items if a > 1]", [2, 3]),
    ('f"{nom} {prenom}"', "Dupont Marie"),
    ("{k: v * 2 for k, v in d.items()}", {"a": 2, "b": 4}),
    ("{a % 2 for a in items}", {0, 1}),
    ("sum(a for a in items)", 6),
    ("len(items) >= 4 and montant < 100", True),
    ("montant ** 2", 400),
    ("montant // 3", 6),
    ("montant % 3", 2),
    ("-montant", -20),
    ("items[1:3]", [1, 2]),
    ("items[-1]", 3),
    ('d.get("c", 0)', 0),
    ('d["b"]', 2),
    ("decision in ('acceptee', 'refusee')", True),
    ("motif is None", False),
    ("sorted(items, reverse=True)", [3, 2, 1, 0]),
    ("max(items) - min(items)", 3),
    ("str(montant).zfill(4)", "0020"),
    ("nom.upper()", "DUPONT"),
    ("ajouter_jours(jour, 1)", date(2024, 2, 29)),
    ("(1, 2) + (3,)", (1, 2, 3)),
    ("[*items, 4]", [0, 1, 2, 3, 4]),
    ("{**d, 'c': 3}", {"a": 1, "b": 2, "c": 3}),
    ("'%s-%s' % (nom, prenom)", "Dupont-Marie"),
]


@pytest.mark.parametrize(("source", "expected"), LEGIT_EXPRESSIONS)
def test_legitimate_expressions_pass_the_check_and_evaluate(source: str, expected: object) -> None:
    assert check_expression(source) == []
    assert RestrictedEnvironment().evaluate(source, dict(CONTEXT)) == expected


LEGIT_SCRIPTS: list[tuple[str, dict[str, object], dict[str, object]]] = [
    ("total = 0\nfor i in range(3):\n    total += i", {}, {"total": 3, "i": 2}),
    ("x = 1\nif x:\n    y = 2\nelse:\n    y = 3", {}, {"x": 1, "y": 2}),
    (
        "n = 0\nfor i in range(5):\n    if i == 1:\n        continue\n"
        "    if i == 3:\n        break\n    n += 1",
        {},
        {"n": 2, "i": 3},
    ),
    ("a, b = 1, 2", {}, {"a": 1, "b": 2}),
    ("premier, *reste = items", {"items": [1, 2, 3]}, {"items": [1, 2, 3], "premier": 1, "reste": [2, 3]}),
    ("m -= 1\nm *= 4\nm /= 2", {"m": 5}, {"m": 8.0}),
    ("etiquettes = []\netiquettes.append('a')", {}, {"etiquettes": ["a"]}),
    ("o = {}\no['cle'] = 'valeur'", {}, {"o": {"cle": "valeur"}}),
    (
        "echeance = ajouter_jours(jour, 30)",
        {"jour": date(2024, 1, 1)},
        {"jour": date(2024, 1, 1), "echeance": date(2024, 1, 31)},
    ),
    ("vide = est_vide(motif)", {"motif": ""}, {"motif": "", "vide": True}),
    (
        "message = f'{nom} ({code})'",
        {"nom": "Ville", "code": 78},
        {"nom": "Ville", "code": 78, "message": "Ville (78)"},
    ),
]


@pytest.mark.parametrize(("script", "before", "after"), LEGIT_SCRIPTS)
def test_legitimate_scripts_pass_the_check_and_run(
    script: str, before: dict[str, object], after: dict[str, object]
) -> None:
    assert check_expression(script, mode="exec") == []
    context = dict(before)
    assert RestrictedEnvironment().execute(script, context) is True
    assert context == after


def test_check_expression_accepts_in_exec_mode_what_eval_mode_accepts() -> None:
    assert check_expression('decision == "acceptee"', mode="exec") == []


# --- Run time ----------------------------------------------------------------------------------


def test_evaluate_uses_the_context() -> None:
    env = RestrictedEnvironment()
    assert env.evaluate("a + b", {"a": 2, "b": 40}) == 42
    assert env.evaluate("a + b", {"a": "ab", "b": "cd"}) == "abcd"


def test_evaluate_uses_the_external_context_below_the_task_data() -> None:
    env = RestrictedEnvironment()
    assert env.evaluate("a + b", {"a": 1}, {"a": 100, "b": 10}) == 11


def test_evaluate_does_not_modify_the_context() -> None:
    context = {"a": 1}
    assert RestrictedEnvironment().evaluate("a * 3", context) == 3
    assert context == {"a": 1}


def test_evaluate_unknown_variable_raises_name_error() -> None:
    with pytest.raises(NameError, match="inconnue"):
        RestrictedEnvironment().evaluate("inconnue + 1", {})


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("().__class__", ScriptError),
        ("a.__class__", ScriptError),
        ("est_vide.__globals__", ScriptError),
        ("__import__('os')", ScriptError),
        ("__builtins__", ScriptError),
        ("_getattr_", ScriptError),
        ("(i for i in l).gi_frame", ScriptError),
        ("eval('1')", ScriptError),
        ("exec('1')", ScriptError),
        ("open('/etc/passwd')", NameError),
        ("getattr(a, 'real')", NameError),
        ("setattr(a, 'b', 1)", NameError),
        ("type(a)", NameError),
        ("compile('1', '', 'eval')", NameError),
        ("globals()", NameError),
        ("vars()", NameError),
        ("dir()", NameError),
        ("id(a)", NameError),
        ("hash(a)", NameError),
        ("pow(2, 3)", NameError),
        ("print(a)", NameError),
        ("input()", NameError),
        ("breakpoint()", ScriptError),
        ("sys.modules", NameError),
        ("'{0.__class__}'.format(a)", NotImplementedError),
        ("'{0}'.format_map({})", NotImplementedError),
    ],
)
def test_evaluate_refuses_payloads_at_run_time(source: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        RestrictedEnvironment().evaluate(source, {"a": 1, "l": [1, 2]})


def test_evaluate_refusal_is_a_french_script_error() -> None:
    with pytest.raises(ScriptError) as excinfo:
        RestrictedEnvironment().evaluate("().__class__", {})
    assert excinfo.value.message.startswith("Expression refusée : ")
    assert "__class__" in excinfo.value.message
    assert excinfo.value.status_code == 500


def test_evaluate_refuses_again_on_the_second_call() -> None:
    # The compiled code is cached; a refusal must not be.
    env = RestrictedEnvironment()
    for _ in range(2):
        with pytest.raises(ScriptError):
            env.evaluate("().__class__", {})


@pytest.mark.parametrize(
    ("script", "error", "message"),
    [
        ("import os", ImportError, "__import__"),
        ("from os import path", ImportError, "__import__"),
        ("class A:\n    pass", NameError, "__build_class__"),
        ("x = ().__class__", ScriptError, "Script refusé : "),
        ("x **= 2", ScriptError, "Opérateur **= interdit dans un script."),
        ("x //= 2", ScriptError, "Opérateur //= interdit dans un script."),
        ("x = open('/etc/passwd')", NameError, "open"),
    ],
)
def test_execute_refuses_payloads_at_run_time(script: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        RestrictedEnvironment().execute(script, {"x": 3})


def test_execute_updates_the_context_with_assigned_variables_only() -> None:
    context: dict[str, object] = {"montant": 10}
    RestrictedEnvironment().execute("double = montant * 2\nmontant += 1\nquand = aujourd_hui()", context)
    assert context == {"montant": 11, "double": 20, "quand": datetime.now(UTC).date()} or context == {
        "montant": 11,
        "double": 20,
        "quand": datetime.now(UTC).date() - timedelta(days=1),
    }


def test_execute_leaves_no_globals_helpers_or_functions_in_the_context() -> None:
    context: dict[str, object] = {"a": 1}
    RestrictedEnvironment().execute("def f():\n    return 7\nr = f() + a", context)
    assert context == {"a": 1, "r": 8}
    for name in ("__builtins__", "_getattr_", "_getitem_", "_getiter_", "_write_", "_inplacevar_", *HELPERS):
        assert name not in context


def test_execute_cleans_the_context_even_when_the_script_fails() -> None:
    context: dict[str, object] = {"a": 1}
    with pytest.raises(NameError):
        RestrictedEnvironment().execute("b = 2\nc = inconnue", context)
    assert context == {"a": 1, "b": 2}


def test_execute_refuses_task_data_that_hides_a_helper() -> None:
    with pytest.raises(ValueError, match="maintenant"):
        RestrictedEnvironment().execute("x = 1", {"maintenant": "hier"})


def test_restricted_globals_hide_dangerous_builtins_and_expose_helpers() -> None:
    scope = restricted_globals()
    builtins = scope["__builtins__"]
    for name in (
        "open",
        "__import__",
        "__build_class__",
        "getattr",
        "setattr",
        "delattr",
        "type",
        "eval",
        "exec",
        "compile",
        "globals",
        "locals",
        "vars",
        "dir",
        "id",
        "hash",
        "pow",
        "input",
        "print",
        "breakpoint",
        "memoryview",
        "object",
        "super",
    ):
        assert name not in builtins, name
    for name in ("len", "range", "str", "int", "list", "dict", "sorted", "sum", "min", "max", "any", "all"):
        assert name in builtins, name
    for name, func in HELPERS.items():
        assert scope[name] is func
    assert set(HELPERS) == {"maintenant", "aujourd_hui", "ajouter_jours", "est_vide", "avant_echeance"}


def test_restricted_globals_are_fresh_each_time() -> None:
    first = restricted_globals()
    first["__builtins__"]["open"] = open
    assert "open" not in restricted_globals()["__builtins__"]


# --- Canary: no payload may create a file --------------------------------------------------------

CANARY_PAYLOADS: list[tuple[str, str]] = [
    ("open({p!r}, 'w').write('x')", "eval"),
    ("__import__('os').system('touch ' + {p!r})", "eval"),
    ("__import__('pathlib').Path({p!r}).write_text('x')", "eval"),
    ("eval(\"open({p!r}, 'w')\")", "eval"),
    ("exec(\"open({p!r}, 'w')\")", "eval"),
    ("getattr(__builtins__, 'open')({p!r}, 'w')", "eval"),
    ("est_vide.__globals__['__builtins__']['open']({p!r}, 'w')", "eval"),
    ("ajouter_jours.__globals__['__builtins__']['__import__']('os').system('touch ' + {p!r})", "eval"),
    (
        "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'FileIO'][0]({p!r}, 'w')",
        "eval",
    ),
    ("(lambda: open({p!r}, 'w'))()", "eval"),
    ("import os\nos.system('touch ' + {p!r})", "exec"),
    ("import pathlib\npathlib.Path({p!r}).write_text('x')", "exec"),
    ("from pathlib import Path\nPath({p!r}).touch()", "exec"),
    ("with open({p!r}, 'w') as f:\n    f.write('x')", "exec"),
    ("def f():\n    return open({p!r}, 'w')\nf()", "exec"),
    ("class A:\n    f = open({p!r}, 'w')", "exec"),
    ("f = open\nf({p!r}, 'w')", "exec"),
    ("b = __builtins__\nb['open']({p!r}, 'w')", "exec"),
]


def _run(source: str, mode: str) -> None:
    env = RestrictedEnvironment()
    if mode == "eval":
        env.evaluate(source, {})
    else:
        env.execute(source, {})


@pytest.mark.parametrize(("template", "mode"), CANARY_PAYLOADS)
def test_canary_payload_never_writes_a_file(tmp_path: Path, template: str, mode: str) -> None:
    canary = tmp_path / "canari.txt"
    source = template.format(p=str(canary))
    assert check_expression(source, mode=mode) != []
    with pytest.raises(Exception):  # noqa: B017, PT011 - any refusal will do, as long as nothing runs
        _run(source, mode)
    assert not canary.exists()
    assert list(tmp_path.iterdir()) == []


def test_canary_control_plain_python_does_write_the_file(tmp_path: Path) -> None:
    # Proves the canary can fire: the same payload under plain exec creates the file.
    canary = tmp_path / "canari.txt"
    exec(f"with open({str(canary)!r}, 'w') as f:\n    f.write('x')", {})  # noqa: S102 - deliberate, tmp file
    assert canary.read_text() == "x"


# --- Helpers -----------------------------------------------------------------------------------


def test_maintenant_is_aware_utc_now() -> None:
    before = datetime.now(UTC)
    value = maintenant()
    after = datetime.now(UTC)
    assert value.tzinfo is not None
    assert value.utcoffset() == timedelta(0)
    assert before <= value <= after


def test_aujourd_hui_is_the_utc_date() -> None:
    before = datetime.now(UTC).date()
    value = aujourd_hui()
    after = datetime.now(UTC).date()
    assert type(value) is date
    assert value in {before, after}


@pytest.mark.parametrize(
    ("jour", "nombre", "expected"),
    [
        (date(2024, 2, 28), 1, date(2024, 2, 29)),
        (date(2023, 2, 28), 1, date(2023, 3, 1)),
        (date(2024, 12, 31), 1, date(2025, 1, 1)),
        (date(2024, 3, 1), -1, date(2024, 2, 29)),
        (date(2024, 1, 1), 0, date(2024, 1, 1)),
        (date(2024, 1, 1), 30, date(2024, 1, 31)),
        (date(2024, 1, 1), "3", date(2024, 1, 4)),
        (date(2024, 1, 1), 2.9, date(2024, 1, 3)),
        (datetime(2024, 1, 1, 12, tzinfo=UTC), 1, datetime(2024, 1, 2, 12, tzinfo=UTC)),
    ],
)
def test_ajouter_jours(jour: date, nombre: int, expected: date) -> None:
    assert ajouter_jours(jour, nombre) == expected


def test_ajouter_jours_refuses_a_non_number() -> None:
    with pytest.raises(ValueError, match="trois"):
        ajouter_jours(date(2024, 1, 1), "trois")  # type: ignore[arg-type]


@pytest.mark.parametrize("valeur", [None, "", " ", "  \t\n", [], {}, ()])
def test_est_vide_true(valeur: object) -> None:
    assert est_vide(valeur) is True


@pytest.mark.parametrize("valeur", ["a", " a ", 0, 0.0, False, [0], {"a": 1}, (None,), date(2024, 1, 1)])
def test_est_vide_false(valeur: object) -> None:
    assert est_vide(valeur) is False


def test_helpers_are_callable_from_expressions() -> None:
    env = RestrictedEnvironment()
    assert env.evaluate("ajouter_jours(jour, -1)", {"jour": date(2024, 1, 1)}) == date(2023, 12, 31)
    assert env.evaluate("est_vide(v)", {"v": "   "}) is True
    assert env.evaluate("aujourd_hui() <= maintenant().date()", {}) is True


# --- Resource exhaustion ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("((9 ** 64) ** 64) ** 64", "puissances imbriquées interdites"),
        ("'a' * 10 ** 12", "répétition limitée"),
        ("[0] * 1000000", "répétition limitée"),
        ("b'x' << n", "répétition limitée"),
    ],
)
def test_check_expression_refuses_obvious_exhaustion(source: str, expected: str) -> None:
    problems = check_expression(source)
    assert any(expected in problem for problem in problems), problems


def test_small_repetition_is_allowed() -> None:
    assert check_expression("'-' * 20") == []
    assert RestrictedEnvironment().evaluate("'-' * 20", {}) == "-" * 20


@pytest.mark.parametrize(
    "source",
    [
        "[0 for a in range(10 ** 12)]",
        "sum(1 for a in items for b in items)",
    ],
)
def test_run_time_iteration_budget_stops_long_loops(source: str) -> None:
    items = list(range(1000))  # 1000 x 1000 = 1,000,000 steps > MAX_ITERATIONS
    with pytest.raises(ScriptError):
        RestrictedEnvironment().evaluate(source, {"items": items})


def test_run_time_iteration_budget_stops_long_script_loops() -> None:
    context: dict[str, object] = {"items": list(range(1000))}
    with pytest.raises(ScriptError):
        RestrictedEnvironment().execute(
            "n = 0\nfor a in items:\n    for b in items:\n        n += 1", context
        )


def test_iteration_budget_allows_ordinary_loops() -> None:
    context: dict[str, object] = {"items": list(range(1000))}
    RestrictedEnvironment().execute("n = 0\nfor a in items:\n    n += a", context)
    assert context["n"] == sum(range(1000))
