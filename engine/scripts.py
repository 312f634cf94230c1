"""The restricted script environment for BPMN expressions and scripts, and its allowlisted helpers.

SpiffWorkflow runs every expression with plain ``eval``/``exec``. Guichet checks each expression
twice: an AST allowlist when a diagram is deployed (:func:`check_expression`), and RestrictedPython
with its guards when it runs (:class:`RestrictedEnvironment`).
"""

from __future__ import annotations

import ast
import contextvars
import functools
import operator
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from RestrictedPython import (
    RestrictingNodeTransformer,
    compile_restricted_eval,
    compile_restricted_exec,
    safe_builtins,
)
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment

from .deadlines import before_deadline
from .errors import ScriptError


def maintenant() -> datetime:
    """Renvoie la date et l'heure courantes (UTC)."""
    return datetime.now(UTC)


def aujourd_hui() -> date:
    """Renvoie la date du jour."""
    return datetime.now(UTC).date()


def ajouter_jours(jour: date, nombre: int) -> date:
    """Renvoie la date `jour` décalée de `nombre` jours (négatif pour reculer)."""
    return jour + timedelta(days=int(nombre))


def est_vide(valeur: object) -> bool:
    """Vrai si la valeur est absente, vide ou faite seulement d'espaces."""
    return valeur is None or (isinstance(valeur, str) and not valeur.strip()) or valeur in ([], {}, ())


def avant_echeance(date_limite: str, duree: str) -> str:
    """Renvoie la date (ISO 8601) située `duree` (durée ISO 8601, ex. "P3D") avant `date_limite`."""
    return before_deadline(date_limite, duree)


HELPERS: dict[str, Callable[..., Any]] = {
    "maintenant": maintenant,
    "avant_echeance": avant_echeance,
    "aujourd_hui": aujourd_hui,
    "ajouter_jours": ajouter_jours,
    "est_vide": est_vide,
}

_EXTRA_BUILTINS: dict[str, Any] = {
    "list": list,
    "dict": dict,
    "set": set,
    "min": min,
    "max": max,
    "sum": sum,
    "any": any,
    "all": all,
    "enumerate": enumerate,
    "sorted": sorted,
    "tuple": tuple,
}
_UNSAFE_BUILTINS = {"setattr", "delattr", "__build_class__", "_getattr_", "id", "hash", "pow"}


# --- Run-time budget: steps, CPU time and the size of what an evaluation builds ------------------


@dataclass
class ScriptLimits:
    """The budget of one evaluation (an expression or a script); the web layer sets it from its config."""

    #: Loop turns, comprehension items and function calls one evaluation may take.
    max_iterations: int = 100_000
    #: CPU seconds one evaluation may use (checked by the step guard, every 64 steps).
    cpu_seconds: float = 1.0
    #: Longest str, bytes, list or tuple one operation may build (characters or items).
    max_sequence: int = 1_000_000
    #: Largest integer one operation may build, in bits (about 30,000 decimal digits).
    max_int_bits: int = 100_000
    #: Characters or items all the guarded operations of one evaluation may build together.
    max_allocated: int = 10_000_000


LIMITS = ScriptLimits()
# Kept for the callers and tests that read it.
MAX_ITERATIONS = LIMITS.max_iterations


class _Budget:
    """What one evaluation may still use: steps, the CPU deadline, elements to build."""

    __slots__ = ("allocated", "deadline", "steps")

    def __init__(self) -> None:
        self.steps = LIMITS.max_iterations
        self.deadline = time.thread_time() + LIMITS.cpu_seconds
        self.allocated = LIMITS.max_allocated


_budget: contextvars.ContextVar[_Budget] = contextvars.ContextVar("guichet_budget")


def _spend(budget: _Budget) -> None:
    """One loop turn or call: counted, and every 16 steps the CPU deadline is checked."""
    budget.steps -= 1
    if budget.steps & 15 == 0 or budget.steps < 0:
        _spend_check(budget)


def _step() -> None:
    budget = _budget.get(None)
    if budget is not None:
        _spend(budget)


def _charge(size: int, what: str) -> None:
    """Refuse, before it is built, a value bigger than the limits; count it against the budget."""
    if size > LIMITS.max_sequence:
        raise ScriptError(f"Valeur trop grande : {what} de {size} éléments (au plus {LIMITS.max_sequence}).")
    budget = _budget.get(None)
    if budget is not None:
        budget.allocated -= size
        if budget.allocated < 0:
            raise ScriptError(
                f"Mémoire dépassée : l'expression a construit plus de {LIMITS.max_allocated} éléments."
            )


def _int_bits(value: Any) -> int | None:
    return value.bit_length() if isinstance(value, int) and not isinstance(value, bool) else None


def _check_bits(bits: int) -> None:
    if bits > LIMITS.max_int_bits:
        raise ScriptError(f"Nombre trop grand : plus de {LIMITS.max_int_bits} bits.")


_SEQUENCES = (str, bytes, list, tuple)
_NUMBERS = frozenset({int, float})


def _guarded_mul(left: Any, right: Any) -> Any:
    if type(left) is float or type(right) is float:
        return left * right
    if type(left) is int and type(right) is int:
        if left.bit_length() + right.bit_length() > LIMITS.max_int_bits:
            _check_bits(left.bit_length() + right.bit_length())
        return left * right
    seq, count = (left, right) if isinstance(left, _SEQUENCES) else (right, left)
    if isinstance(seq, _SEQUENCES) and _int_bits(count) is not None:
        _charge(len(seq) * max(count, 0), "répétition")
    elif _int_bits(left) is not None and _int_bits(right) is not None:
        _check_bits(left.bit_length() + right.bit_length())
    return left * right


def _guarded_pow(left: Any, right: Any) -> Any:
    if _int_bits(left) is not None and _int_bits(right) is not None and right > 0:
        _check_bits(max(left.bit_length() - 1, 1) * right if abs(left) > 1 else 1)
    return left**right


def _guarded_lshift(left: Any, right: Any) -> Any:
    if _int_bits(left) is not None and _int_bits(right) is not None:
        _check_bits(left.bit_length() + max(right, 0))
    return left << right


def _guarded_add(left: Any, right: Any) -> Any:
    if type(left) in _NUMBERS and type(right) in _NUMBERS:
        return left + right
    if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        _charge(len(left) + len(right), "concaténation")
    return left + right


_PRINTF_WIDTH = re.compile(r"%[^a-zA-Z%]*(\*|\d{4,})")


def _guarded_mod(left: Any, right: Any) -> Any:
    if type(left) in _NUMBERS:
        return left % right
    if isinstance(left, (str, bytes)):
        text = left if isinstance(left, str) else left.decode("latin-1")
        if _PRINTF_WIDTH.search(text):
            raise ScriptError("Formatage refusé : largeur « % » trop grande ou variable.")
    return left % right


_BINOP_GUARDS: dict[type[ast.operator], tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Mult: ("_guarded_mul_", _guarded_mul),
    ast.Pow: ("_guarded_pow_", _guarded_pow),
    ast.LShift: ("_guarded_lshift_", _guarded_lshift),
    ast.Add: ("_guarded_add_", _guarded_add),
    ast.Mod: ("_guarded_mod_", _guarded_mod),
}


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    ops = {"+=": _guarded_add, "-=": operator.isub, "*=": _guarded_mul, "/=": operator.itruediv}
    if op not in ops:
        raise ScriptError(f"Opérateur {op} interdit dans un script.")
    return ops[op](x, y)


def _sized(method: Callable[..., Any], size: Callable[..., int], what: str) -> Callable[..., Any]:
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _charge(size(*args, **kwargs), what)
        return method(*args, **kwargs)

    return guarded


def _width(width: Any = 0, *_: Any) -> int:
    return int(width) if isinstance(width, int) else 0


def _guarded_str_method(value: str | bytes, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    if name in {"ljust", "rjust", "center", "zfill"}:
        return _sized(method, _width, name)
    if name == "expandtabs":
        return _sized(method, lambda tabsize=8: len(value) * max(_width(tabsize), 1), name)
    if name == "replace":

        def replaced_size(old: Any = "", new: Any = "", count: Any = -1) -> int:
            hits = value.count(old) if old else len(value) + 1
            if isinstance(count, int) and count >= 0:
                hits = min(hits, count)
            return len(value) + hits * max(len(new) - len(old), 0)

        return _sized(method, replaced_size, "remplacement")
    if name == "join":

        def join(items: Any) -> Any:
            items = list(items)
            _charge(sum(len(item) for item in items if isinstance(item, _SEQUENCES)), "assemblage")
            _charge(len(value) * max(len(items) - 1, 0), "assemblage")
            return method(items)

        return join
    return method


def _guarded_list_method(value: list[Any], name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    if name == "extend":

        def extend(items: Any) -> None:
            items = list(items)
            _charge(len(value) + len(items), "liste")
            method(items)

        return extend
    return method


def _guarded_getattr(obj: Any, name: str, *default: Any) -> Any:
    value = safer_getattr(obj, name, *default)
    if isinstance(obj, (str, bytes)) and callable(value):
        return _guarded_str_method(obj, name, value)
    if isinstance(obj, list) and callable(value):
        return _guarded_list_method(obj, name, value)
    return value


def _guarded_sum(iterable: Any, start: Any = 0) -> Any:
    if not isinstance(start, (int, float, Decimal)):
        raise ScriptError("sum() n'additionne que des nombres.")
    return sum(iterable, start)


def _budgeted(iterator: Any, budget: _Budget) -> Any:
    for item in iterator:
        budget.steps -= 1
        if budget.steps & 15 == 0 or budget.steps < 0:
            _spend_check(budget)
        yield item


def _spend_check(budget: _Budget) -> None:
    if budget.steps < 0:
        raise ScriptError(f"Boucle trop longue : plus de {LIMITS.max_iterations} tours dans une expression.")
    if time.thread_time() > budget.deadline:
        raise ScriptError(
            f"Calcul trop long : l'expression a dépassé {LIMITS.cpu_seconds:g} s de temps de calcul."
        )


def _guarded_iter(obj: Any) -> Any:
    iterator = default_guarded_getiter(obj)
    budget = _budget.get(None)
    return iterator if budget is None else _budgeted(iterator, budget)


def _bounded_range(*args: int) -> range:
    values = range(*args)
    if len(values) > LIMITS.max_iterations:
        raise ScriptError(f"range() limité à {LIMITS.max_iterations} valeurs.")
    return values


def _guarded_format(value: Any, spec: str) -> str:
    problem = format_spec_problem(spec)
    if problem:
        raise ScriptError(f"Format refusé : {problem}.")
    return format(value, spec)


#: Names the restricted code reaches through: task data and data objects can never hide them.
PROTECTED_GLOBALS: dict[str, Any] = {
    "_getattr_": _guarded_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": _guarded_iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
    "_step_": _step,
    "_format_": _guarded_format,
    **{name: func for name, func in _BINOP_GUARDS.values()},
}


def restricted_globals() -> dict[str, Any]:
    """Build the globals every expression and script runs with."""
    builtins = {k: v for k, v in safe_builtins.items() if k not in _UNSAFE_BUILTINS}
    builtins.update(_EXTRA_BUILTINS)
    builtins["range"] = _bounded_range
    builtins["sum"] = _guarded_sum
    return {"__builtins__": builtins, **PROTECTED_GLOBALS, **HELPERS}


def protected_name(name: str) -> bool:
    """True for a name task data may not use: the sandbox's own names, helpers and builtins."""
    return name.startswith("_") or name in HELPERS or name in _EXTRA_BUILTINS or name in safe_builtins


_FORMAT_SPEC = re.compile(r"^[^{}]?[<>=^]?[+\- ]?#?0?(\d{0,3})[,_]?(\.\d{1,2})?[bcdeEfFgGnosxX%]?$")


def format_spec_problem(spec: str) -> str | None:
    """Why an f-string format specification is refused (a width of 1000 or more, nested fields), if so."""
    if not _FORMAT_SPEC.match(spec):
        return f"spécification de format « {spec} » non permise (largeur limitée à 999)"
    return None


def _located(new: ast.AST, old: ast.AST) -> Any:
    for node in ast.walk(new):
        if "lineno" in node._attributes and not hasattr(node, "lineno"):
            ast.copy_location(node, old)
    return new


def _call(name: str, args: list[ast.expr], old: ast.AST) -> ast.Call:
    return _located(ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=args, keywords=[]), old)


class GuardingTransformer(RestrictingNodeTransformer):  # type: ignore[misc]
    """RestrictedPython's checks, plus run-time guards it does not have.

    `*`, `**`, `<<`, `+` and `%` become calls that bound the size of their result before computing it;
    every `while` turn and every call of a function defined in the script takes a step of the
    budget (loops over iterables already do, through `_getiter_`); f-string formats are checked.
    The guard names start with `_`, which the source itself may never use.
    """

    def visit_BinOp(self, node: ast.BinOp) -> Any:  # noqa: N802 - the NodeTransformer's names
        node = self.node_contents_visit(node)
        guard = _BINOP_GUARDS.get(type(node.op))
        if guard is None:
            return node
        return _call(guard[0], [node.left, node.right], node)

    def _stepping(self, body: list[ast.stmt], old: ast.AST) -> list[ast.stmt]:
        return [_located(ast.Expr(value=_call("_step_", [], old)), old), *body]

    def visit_While(self, node: ast.While) -> Any:  # noqa: N802 - the NodeTransformer's names
        node = self.node_contents_visit(node)
        node.body = self._stepping(node.body, node)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:  # noqa: N802 - the NodeTransformer's names
        node = super().visit_FunctionDef(node)
        node.body = self._stepping(node.body, node)
        return node

    def visit_Lambda(self, node: ast.Lambda) -> Any:  # noqa: N802 - the NodeTransformer's names
        node = super().visit_Lambda(node)
        node.body = _located(ast.BoolOp(op=ast.Or(), values=[_call("_step_", [], node), node.body]), node)
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:  # noqa: N802 - the NodeTransformer's names
        node = self.node_contents_visit(node)
        spec = node.format_spec
        if spec is None:
            return node
        if not (
            isinstance(spec, ast.JoinedStr) and all(isinstance(part, ast.Constant) for part in spec.values)
        ):
            self.error(node, "spécification de format imbriquée interdite")
            return node
        text = "".join(str(part.value) for part in spec.values)  # type: ignore[attr-defined]
        problem = format_spec_problem(text)
        if problem:
            self.error(node, problem)
            return node
        value = node.value
        if node.conversion != -1:
            builtin = {115: "str", 114: "repr", 97: "ascii"}[node.conversion]
            value = _call(builtin, [value], node)
        formatted = _call("_format_", [value, _located(ast.Constant(value=text), node)], node)
        return _located(ast.FormattedValue(value=formatted, conversion=-1, format_spec=None), node)


def compile_guarded(source: str, mode: str) -> Any:
    """Compile with RestrictedPython's policy and the guards (a CompileResult: code, errors)."""
    if mode == "eval":
        return compile_restricted_eval(source, policy=GuardingTransformer)
    return compile_restricted_exec(source, policy=GuardingTransformer)


@functools.lru_cache(maxsize=4096)
def _compile_eval(expression: str) -> Any:
    result = compile_guarded(expression, "eval")
    if result.errors:
        raise ScriptError("Expression refusée : " + " ; ".join(result.errors))
    return result.code


@functools.lru_cache(maxsize=1024)
def _compile_exec(script: str) -> Any:
    result = compile_guarded(script, "exec")
    if result.errors:
        raise ScriptError("Script refusé : " + " ; ".join(result.errors))
    return result.code


class RestrictedEnvironment(TaskDataEnvironment):  # type: ignore[misc]
    """A SpiffWorkflow environment that compiles with RestrictedPython and caches the code.

    Each evaluation runs under its own budget (steps, CPU time, size of what it builds), and the
    sandbox's own names are put in last, so that task data can never hide them.
    """

    def __init__(self) -> None:
        super().__init__(restricted_globals())
        self._protected = {k: v for k, v in self.globals.items() if k.startswith("_")}

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        code = _compile_eval(expression)
        scope = dict(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        scope.update(self._protected)
        token = _budget.set(_Budget())
        try:
            return eval(code, scope)  # noqa: S307 - compiled by RestrictedPython, guarded globals
        finally:
            _budget.reset(token)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        code = _compile_exec(script)
        self.check_for_overwrite(context, external_context or {})
        context.update(external_context or {})
        context.update(self.globals)
        token = _budget.set(_Budget())
        try:
            exec(code, context)  # noqa: S102 - compiled by RestrictedPython, guarded globals
        finally:
            _budget.reset(token)
            self._remove_globals_and_functions_from_context(context, external_context)
        return True


# --- Deploy-time AST allowlist ------------------------------------------------------------------

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.Module,
    ast.Expr,
    ast.Assign,
    ast.AugAssign,
    ast.If,
    ast.For,
    ast.Pass,
    ast.Break,
    ast.Continue,
    ast.Compare,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Name,
    ast.Load,
    ast.Store,
    ast.Constant,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Set,
    ast.ListComp,
    ast.DictComp,
    ast.SetComp,
    ast.GeneratorExp,
    ast.comprehension,
    ast.Call,
    ast.keyword,
    ast.IfExp,
    ast.JoinedStr,
    ast.FormattedValue,
    ast.Starred,
    ast.And,
    ast.Or,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Pow,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
)
_FORBIDDEN_NAMES = {
    "eval",
    "exec",
    "compile",
    "open",
    "globals",
    "locals",
    "vars",
    "getattr",
    "setattr",
    "delattr",
    "input",
    "breakpoint",
    "help",
    "dir",
    "type",
    "object",
    "memoryview",
    "super",
    "classmethod",
    "staticmethod",
    "property",
    "print",
    "pow",
    "exit",
    "quit",
    "sys",
    "os",
    "builtins",
}
_MAX_CONSTANT = 10**12
_MAX_EXPONENT = 64
_MAX_REPEAT = 10_000
# The in-place operators _inplacevar accepts at run time.
_INPLACE_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div)
#: Constant folding at deploy: what literals may build (characters or items; bits of an integer).
MAX_FOLDED_LENGTH = 100_000
MAX_FOLDED_BITS = 4096

# An estimate of a constant sub-expression: ("int", bits, value when small) or ("seq", length).
_Estimate = tuple[str, int, int | None] | None


def _estimate(node: ast.AST, cache: dict[int, _Estimate]) -> _Estimate:
    """Fold literals without computing them: the size `*`, `**`, `<<` and `+` would build."""
    key = id(node)
    if key not in cache:
        cache[key] = _fold(node, cache)
    return cache[key]


def _fold(node: ast.AST, cache: dict[int, _Estimate]) -> _Estimate:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (bool, int)):
            value = int(node.value)
            return ("int", value.bit_length(), value)
        if isinstance(node.value, (str, bytes)):
            return ("seq", len(node.value), None)
        return None
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return ("seq", len(node.elts), None)
    if isinstance(node, ast.JoinedStr):
        return ("seq", sum(len(str(v.value)) for v in node.values if isinstance(v, ast.Constant)), None)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Invert)):
        inner = _estimate(node.operand, cache)
        if inner and inner[0] == "int":
            return ("int", inner[1] + 1, None)
        return None
    if not isinstance(node, ast.BinOp):
        return None
    left, right = _estimate(node.left, cache), _estimate(node.right, cache)
    if left is None or right is None:
        return None
    kinds = (left[0], right[0])

    def small(value: int | None, bits: int) -> int | None:
        return value if value is not None and bits <= 64 else None

    if isinstance(node.op, ast.Mult):
        if kinds == ("int", "int"):
            bits = left[1] + right[1]
            both = left[2] is not None and right[2] is not None
            return ("int", bits, small(left[2] * right[2], bits) if both else None)  # type: ignore[operator]
        if "seq" in kinds and "int" in kinds:
            seq, count = (left, right) if left[0] == "seq" else (right, left)
            times = count[2] if count[2] is not None else 2 ** min(count[1], 64)
            return ("seq", seq[1] * max(times, 0), None)
    elif isinstance(node.op, ast.Pow) and kinds == ("int", "int") and right[2] is not None:
        return ("int", max(left[1], 1) * max(right[2], 0), None)
    elif isinstance(node.op, ast.LShift) and kinds == ("int", "int"):
        shift = right[2] if right[2] is not None else 2 ** min(right[1], 64)
        return ("int", left[1] + max(shift, 0), None)
    elif isinstance(node.op, ast.Add):
        if kinds == ("seq", "seq"):
            return ("seq", left[1] + right[1], None)
        if kinds == ("int", "int"):
            return ("int", max(left[1], right[1]) + 1, None)
    return None


def _folding_problems(tree: ast.AST) -> Iterable[str]:
    cache: dict[int, _Estimate] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.BinOp):
            continue
        estimate = _estimate(node, cache)
        if estimate is None:
            continue
        if estimate[0] == "seq" and estimate[1] > MAX_FOLDED_LENGTH:
            yield (
                f"valeur trop grande : ces constantes construiraient {estimate[1]} caractères ou éléments "
                f"(au plus {MAX_FOLDED_LENGTH})"
            )
        elif estimate[0] == "int" and estimate[1] > MAX_FOLDED_BITS:
            yield f"nombre trop grand : ces constantes donneraient un entier de {estimate[1]} bits"


def _problems(tree: ast.AST) -> Iterable[str]:
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            yield f"construction « {type(node).__name__} » interdite"
        elif isinstance(node, ast.Name) and (node.id.startswith("_") or node.id in _FORBIDDEN_NAMES):
            yield f"nom « {node.id} » interdit"
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            yield f"attribut « {node.attr} » interdit"
        elif isinstance(node, ast.Attribute) and node.attr in {"format", "format_map", "mro"}:
            yield f"méthode « {node.attr} » interdite"
        elif isinstance(node, ast.AugAssign) and not isinstance(node.op, _INPLACE_OPS):
            yield "affectation composée interdite (seuls +=, -=, *= et /= sont permis)"
        elif isinstance(node, ast.Call) and (
            any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords)
        ):
            yield "appel avec * ou ** interdit"
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, int) and abs(node.value) > _MAX_CONSTANT
        ):
            yield "nombre trop grand"
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            right = node.right
            if not (
                isinstance(right, ast.Constant)
                and isinstance(right.value, int)
                and abs(right.value) <= _MAX_EXPONENT
            ):
                yield "puissance limitée à un exposant constant inférieur à 64"
            elif any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow) for n in ast.walk(node.left)):
                yield "puissances imbriquées interdites"
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.LShift)):
            sides = (node.left, node.right)
            if any(
                isinstance(side, (ast.List, ast.Tuple, ast.JoinedStr))
                or (isinstance(side, ast.Constant) and isinstance(side.value, (str, bytes)))
                for side in sides
            ) and not any(
                isinstance(side, ast.Constant)
                and isinstance(side.value, int)
                and abs(side.value) <= _MAX_REPEAT
                for side in sides
            ):
                yield f"répétition limitée à {_MAX_REPEAT} fois une valeur constante"
        elif (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Mod)
            and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str)
            and _PRINTF_WIDTH.search(node.left.value)
        ):
            yield "formatage « % » avec une largeur trop grande ou variable interdit"


def check_expression(source: str, *, mode: str = "eval") -> list[str]:
    """Return the French problems found in a BPMN expression (mode 'eval') or script ('exec')."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        return [f"erreur de syntaxe ({exc.msg})"]
    problems = list(dict.fromkeys([*_problems(tree), *_folding_problems(tree)]))
    if not problems:
        compiled = compile_guarded(source, mode)
        problems.extend(f"interdite par l'environnement restreint ({error})" for error in compiled.errors)
    return problems
