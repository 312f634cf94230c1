"""The restricted script environment for BPMN expressions and scripts, and its allowlisted helpers.

SpiffWorkflow runs every expression with plain ``eval``/``exec``. Guichet checks each expression
twice: an AST allowlist when a diagram is deployed (:func:`check_expression`, engine/script_checks.py),
and RestrictedPython with its guards when it runs (:class:`RestrictedEnvironment`, with the budget and
guarded operations of engine/script_guards.py and the compiler of engine/script_compiler.py).
The names of those modules that other code uses are re-exported here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from RestrictedPython import safe_builtins
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment

from . import stored_messages as stored
from .deadlines import before_deadline
from .errors import ScriptError
from .script_checks import MAX_FOLDED_BITS, MAX_FOLDED_LENGTH, check_expression
from .script_compiler import GuardingTransformer, compile_guarded
from .script_guards import (
    LIMITS,
    MAX_ITERATIONS,
    PROTECTED_GLOBALS,
    ScriptLimits,
    _bounded_range,
    _Budget,
    _budget,
    _guarded_sum,
    format_spec_problem,
)
from .stored_messages import french

__all__ = [
    "HELPERS",
    "LIMITS",
    "MAX_FOLDED_BITS",
    "MAX_FOLDED_LENGTH",
    "MAX_ITERATIONS",
    "PROTECTED_GLOBALS",
    "GuardingTransformer",
    "RestrictedEnvironment",
    "ScriptLimits",
    "ajouter_jours",
    "aujourd_hui",
    "avant_echeance",
    "check_expression",
    "compile_guarded",
    "est_vide",
    "format_spec_problem",
    "maintenant",
    "protected_name",
    "restricted_globals",
]


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


@functools.lru_cache(maxsize=4096)
def _compile_eval(expression: str) -> Any:
    result = compile_guarded(expression, "eval")
    if result.errors:
        raise ScriptError(french(stored.EXPRESSION_REFUSED, detail=" ; ".join(result.errors)))
    return result.code


@functools.lru_cache(maxsize=1024)
def _compile_exec(script: str) -> Any:
    result = compile_guarded(script, "exec")
    if result.errors:
        raise ScriptError(french(stored.SCRIPT_REFUSED, detail=" ; ".join(result.errors)))
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
