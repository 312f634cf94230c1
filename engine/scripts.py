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
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
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


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    ops = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv}
    if op not in ops:
        raise ScriptError(f"Opérateur {op} interdit dans un script.")
    return ops[op](x, y)


# Every loop and comprehension iterates through _getiter_: one evaluation may take this many steps.
MAX_ITERATIONS = 100_000
_iterations_left: contextvars.ContextVar[list[int]] = contextvars.ContextVar("guichet_iterations")


class _BudgetedIterator:
    def __init__(self, iterator: Any, budget: list[int]) -> None:
        self._iterator = iterator
        self._budget = budget

    def __iter__(self) -> _BudgetedIterator:
        return self

    def __next__(self) -> Any:
        self._budget[0] -= 1
        if self._budget[0] < 0:
            raise ScriptError(f"Boucle trop longue : plus de {MAX_ITERATIONS} tours dans une expression.")
        return next(self._iterator)


def _guarded_iter(obj: Any) -> Any:
    budget = _iterations_left.get(None)
    iterator = default_guarded_getiter(obj)
    return iterator if budget is None else _BudgetedIterator(iter(iterator), budget)


def _bounded_range(*args: int) -> range:
    values = range(*args)
    if len(values) > MAX_ITERATIONS:
        raise ScriptError(f"range() limité à {MAX_ITERATIONS} valeurs.")
    return values


def restricted_globals() -> dict[str, Any]:
    """Build the globals every expression and script runs with."""
    builtins = {k: v for k, v in safe_builtins.items() if k not in _UNSAFE_BUILTINS}
    builtins.update(_EXTRA_BUILTINS)
    builtins["range"] = _bounded_range
    return {
        "__builtins__": builtins,
        "_getattr_": safer_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": _guarded_iter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        "_inplacevar_": _inplacevar,
        **HELPERS,
    }


@functools.lru_cache(maxsize=4096)
def _compile_eval(expression: str) -> Any:
    result = compile_restricted_eval(expression)
    if result.errors:
        raise ScriptError("Expression refusée : " + " ; ".join(result.errors))
    return result.code


@functools.lru_cache(maxsize=1024)
def _compile_exec(script: str) -> Any:
    result = compile_restricted_exec(script)
    if result.errors:
        raise ScriptError("Script refusé : " + " ; ".join(result.errors))
    return result.code


class RestrictedEnvironment(TaskDataEnvironment):  # type: ignore[misc]
    """A SpiffWorkflow environment that compiles with RestrictedPython and caches the code."""

    def __init__(self) -> None:
        super().__init__(restricted_globals())

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        code = _compile_eval(expression)
        scope = dict(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        token = _iterations_left.set([MAX_ITERATIONS])
        try:
            return eval(code, scope)  # noqa: S307 - compiled by RestrictedPython, guarded globals
        finally:
            _iterations_left.reset(token)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        code = _compile_exec(script)
        self.check_for_overwrite(context, external_context or {})
        context.update(self.globals)
        context.update(external_context or {})
        token = _iterations_left.set([MAX_ITERATIONS])
        try:
            exec(code, context)  # noqa: S102 - compiled by RestrictedPython, guarded globals
        finally:
            _iterations_left.reset(token)
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


def check_expression(source: str, *, mode: str = "eval") -> list[str]:
    """Return the French problems found in a BPMN expression (mode 'eval') or script ('exec')."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        return [f"erreur de syntaxe ({exc.msg})"]
    problems = list(dict.fromkeys(_problems(tree)))
    if not problems:
        compiled = compile_restricted_eval(source) if mode == "eval" else compile_restricted_exec(source)
        problems.extend(f"interdite par l'environnement restreint ({error})" for error in compiled.errors)
    return problems
