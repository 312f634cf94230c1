"""The run-time guards of BPMN expressions and scripts: the budget and the guarded operations.

Each evaluation runs under a :class:`_Budget` (steps, a CPU deadline, elements it may build); the
guarded operators, methods and builtins refuse, before building it, a value bigger than
:data:`LIMITS`. :data:`PROTECTED_GLOBALS` are the names the compiled code reaches them through
(engine/script_compiler.py rewrites the source to call them; engine/scripts.py installs them).
"""

from __future__ import annotations

import ast
import contextvars
import operator
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)

from . import stored_messages as stored
from .errors import ScriptError
from .i18n import N_
from .stored_messages import french

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
        # Set at the first check (after 16 steps): most evaluations never get there, and reading the
        # thread's CPU clock is a system call (a visible share of a step in the HTTP profile).
        self.deadline = 0.0
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
        raise ScriptError(french(stored.VALUE_TOO_LARGE, what=what, size=size, limit=LIMITS.max_sequence))
    budget = _budget.get(None)
    if budget is not None:
        budget.allocated -= size
        if budget.allocated < 0:
            raise ScriptError(french(stored.MEMORY_EXCEEDED, limit=LIMITS.max_allocated))


def _int_bits(value: Any) -> int | None:
    return value.bit_length() if isinstance(value, int) and not isinstance(value, bool) else None


def _check_bits(bits: int) -> None:
    if bits > LIMITS.max_int_bits:
        raise ScriptError(french(stored.NUMBER_TOO_LARGE, bits=LIMITS.max_int_bits))


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
        _charge(len(seq) * max(count, 0), N_("répétition"))
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
        _charge(len(left) + len(right), N_("concaténation"))
    return left + right


PRINTF_WIDTH = re.compile(r"%[^a-zA-Z%]*(\*|\d{4,})")


def _guarded_mod(left: Any, right: Any) -> Any:
    if type(left) in _NUMBERS:
        return left % right
    if isinstance(left, (str, bytes)):
        text = left if isinstance(left, str) else left.decode("latin-1")
        if PRINTF_WIDTH.search(text):
            raise ScriptError(french(N_("Formatage refusé : largeur « % » trop grande ou variable.")))
    return left % right


BINOP_GUARDS: dict[type[ast.operator], tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Mult: ("_guarded_mul_", _guarded_mul),
    ast.Pow: ("_guarded_pow_", _guarded_pow),
    ast.LShift: ("_guarded_lshift_", _guarded_lshift),
    ast.Add: ("_guarded_add_", _guarded_add),
    ast.Mod: ("_guarded_mod_", _guarded_mod),
}


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    ops = {"+=": _guarded_add, "-=": operator.isub, "*=": _guarded_mul, "/=": operator.itruediv}
    if op not in ops:
        raise ScriptError(french(stored.OPERATOR_REFUSED, op=op))
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

        return _sized(method, replaced_size, N_("remplacement"))
    if name == "join":

        def join(items: Any) -> Any:
            items = list(items)
            _charge(sum(len(item) for item in items if isinstance(item, _SEQUENCES)), N_("assemblage"))
            _charge(len(value) * max(len(items) - 1, 0), N_("assemblage"))
            return method(items)

        return join
    return method


def _guarded_list_method(value: list[Any], name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    if name == "extend":

        def extend(items: Any) -> None:
            items = list(items)
            _charge(len(value) + len(items), N_("liste"))
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
        raise ScriptError(french(N_("sum() n'additionne que des nombres.")))
    return sum(iterable, start)


def _budgeted(iterator: Any, budget: _Budget) -> Any:
    for item in iterator:
        budget.steps -= 1
        if budget.steps & 15 == 0 or budget.steps < 0:
            _spend_check(budget)
        yield item


def _spend_check(budget: _Budget) -> None:
    if budget.steps < 0:
        raise ScriptError(french(stored.LOOP_TOO_LONG, count=LIMITS.max_iterations))
    now = time.thread_time()
    if not budget.deadline:
        budget.deadline = now + LIMITS.cpu_seconds
    elif now > budget.deadline:
        raise ScriptError(french(stored.TOO_LONG, seconds=f"{LIMITS.cpu_seconds:g}"))


def _guarded_iter(obj: Any) -> Any:
    iterator = default_guarded_getiter(obj)
    budget = _budget.get(None)
    return iterator if budget is None else _budgeted(iterator, budget)


def _bounded_range(*args: int) -> range:
    values = range(*args)
    if len(values) > LIMITS.max_iterations:
        raise ScriptError(french(stored.RANGE_LIMITED, count=LIMITS.max_iterations))
    return values


def _guarded_format(value: Any, spec: str) -> str:
    problem = format_spec_problem(spec)
    if problem:
        raise ScriptError(french(stored.FORMAT_REFUSED, detail=problem))
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
    **{name: func for name, func in BINOP_GUARDS.values()},
}

_FORMAT_SPEC = re.compile(r"^[^{}]?[<>=^]?[+\- ]?#?0?(\d{0,3})[,_]?(\.\d{1,2})?[bcdeEfFgGnosxX%]?$")


def format_spec_problem(spec: str) -> str | None:
    """Why an f-string format specification is refused (a width of 1000 or more, nested fields), if so."""
    if not _FORMAT_SPEC.match(spec):
        return french(stored.FORMAT_SPEC, spec=spec)
    return None
