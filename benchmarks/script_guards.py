"""The cost of the run-time guards of BPMN expressions (`python -m benchmarks scripts`).

Compares, per loop step and per evaluation, RestrictedPython as it was (its default policy, the plain
iteration guard) with Guichet's guarded environment (guarded `*`, `**`, `<<`, `+`, `%`, a step and
CPU-time budget, sized string methods). Figures are medians of several runs, on this machine.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import guarded_iter_unpack_sequence, safer_getattr

from engine.scripts import RestrictedEnvironment

STEPS = 50_000
LOOP = f"n = 0\nfor i in range({STEPS}):\n    n = n + i * 2 % 7"
CONDITION = 'decision == "acceptee" and montant * 2 + 1 > 10 and est_vide(motif)'
EVALUATIONS = 20_000


def _plain_globals() -> dict[str, Any]:
    return {
        "__builtins__": dict(safe_builtins),
        "_getattr_": safer_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "est_vide": lambda v: not v,
    }


def _median(run: Callable[[], None], repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def figures() -> dict[str, float]:
    plain_loop = compile_restricted_exec(LOOP).code
    plain_condition = compile_restricted_eval(CONDITION).code
    environment = RestrictedEnvironment()
    data = {"decision": "acceptee", "montant": 20, "motif": ""}

    def plain_exec() -> None:
        exec(plain_loop, _plain_globals())  # noqa: S102 - the benchmark's baseline

    def guarded_exec() -> None:
        environment.execute(LOOP, {})

    def plain_eval() -> None:
        scope = _plain_globals()
        for _ in range(EVALUATIONS):
            eval(plain_condition, {**scope, **data})  # noqa: S307 - the benchmark's baseline

    def guarded_eval() -> None:
        for _ in range(EVALUATIONS):
            environment.evaluate(CONDITION, data)

    guarded_exec()  # compile and cache
    return {
        "plain_step_ns": _median(plain_exec) / STEPS * 1e9,
        "guarded_step_ns": _median(guarded_exec) / STEPS * 1e9,
        "plain_eval_us": _median(plain_eval, 5) / EVALUATIONS * 1e6,
        "guarded_eval_us": _median(guarded_eval, 5) / EVALUATIONS * 1e6,
    }


def main() -> None:
    result = figures()
    print("Run-time guards of BPMN expressions (median of runs)")
    print(
        f"  loop step   : {result['plain_step_ns']:7.0f} ns RestrictedPython alone, "
        f"{result['guarded_step_ns']:7.0f} ns guarded "
        f"(+{result['guarded_step_ns'] - result['plain_step_ns']:.0f} ns, "
        f"x{result['guarded_step_ns'] / result['plain_step_ns']:.2f})"
    )
    print(
        f"  evaluation  : {result['plain_eval_us']:7.2f} µs RestrictedPython alone, "
        f"{result['guarded_eval_us']:7.2f} µs guarded "
        f"(x{result['guarded_eval_us'] / result['plain_eval_us']:.2f}) for {CONDITION!r}"
    )


if __name__ == "__main__":
    main()
