"""Where scenario (b), the démarche through engine.api on SQLite, spends its time.

    python -m benchmarks.profile_api [--n N] [--phases] [--sort tottime|cumulative] [--top K] [--dump FILE]

By default the démarches run under cProfile and the top functions are printed. With `--phases` no
profiler runs: the main steps of engine.api, engine.execution, SpiffWorkflow and the SQLAlchemy
session are wrapped with perf_counter timers (inclusive and self time per démarche) and the SQL
statements are counted. The accounts are created (argon2) before anything is measured.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import pstats
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import guichet_app

WARMUP = 20


class PhaseTimer:
    """Wrap functions with timers that know their nesting, to give inclusive and self times."""

    def __init__(self) -> None:
        self.inclusive: defaultdict[str, float] = defaultdict(float)
        self.own: defaultdict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self._children: list[float] = []
        self._undo: list[tuple[Any, str, Any]] = []

    def wrap(self, owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name, None)
        if original is None:  # the code moved on: skip rather than fail
            return

        def timed(*args: Any, **kwargs: Any) -> Any:
            self._children.append(0.0)
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                children = self._children.pop()
                self.inclusive[label] += elapsed
                self.own[label] += elapsed - children
                self.calls[label] += 1
                if self._children:
                    self._children[-1] += elapsed

        self._undo.append((owner, name, owner.__dict__.get(name, original)))
        setattr(owner, name, timed)

    def reset(self) -> None:
        self.inclusive.clear()
        self.own.clear()
        self.calls.clear()

    def restore(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()


@contextmanager
def phase_timer() -> Iterator[PhaseTimer]:
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from sqlalchemy.orm import Session

    import engine.api as api
    import engine.execution as execution
    import engine.instances as instances
    import engine.runtime as runtime
    import engine.tasks as tasks
    import web.core.mail as mail

    timer = PhaseTimer()
    for owner, name, label in [
        (api, "start", "api.start"),
        (api, "complete", "api.complete"),
        (instances, "latest_definition", "latest_definition (SELECT definition)"),
        (tasks, "task_for", "task_for (session.get HumanTask)"),
        (tasks, "lock_instance", "lock_instance (UPDATE + SELECT instance)"),
        (execution, "load_workflow", "load_workflow (JSON → workflow)"),
        (instances, "new_workflow", "new_workflow"),
        (api, "tasks_for", "tasks_for (family's inbox)"),
        (api, "queue_for", "queue_for (agent's queue, count + page)"),
        (execution, "dump_workflow", "dump_workflow (workflow → JSON)"),
        (execution.Runner, "sync_tasks", "Runner.sync_tasks"),
        (execution.Runner, "save", "Runner.save"),
        (BpmnWorkflow, "do_engine_steps", "SpiffWorkflow do_engine_steps"),
        (BpmnWorkflow, "refresh_waiting_tasks", "SpiffWorkflow refresh_waiting_tasks"),
        (runtime.GuichetScriptEngine, "call_service", "service tasks (call_service)"),
        (mail, "render_template", "mail templates (render_template)"),
        (Session, "flush", "Session.flush (unit of work, autoflush too)"),
        (Session, "commit", "Session.commit"),
        (Session, "refresh", "Session.refresh"),
        (Session, "close", "Session.close"),
    ]:
        timer.wrap(owner, name, label)
    try:
        yield timer
    finally:
        timer.restore()


def _statement_kind(statement: str) -> str:
    """`INSERT INTO t`, `UPDATE t` or `SELECT … FROM t` (its first FROM)."""
    words = statement.split()
    verb = words[0].upper()
    if verb == "INSERT":
        return " ".join(words[:3])
    if verb == "UPDATE":
        return " ".join(words[:2])
    upper = [w.upper() for w in words]
    table = words[upper.index("FROM") + 1] if "FROM" in upper else "?"
    if table.startswith("("):
        table = "(subquery)"
    return f"{verb} … FROM {table}"


def run_phases(site: guichet_app.Site, n: int) -> None:
    from sqlalchemy import event

    from web.extensions import db

    statements: Counter[str] = Counter()
    param_sets: Counter[str] = Counter()  # an executemany is one statement with several parameter sets
    sql_seconds = [0.0]
    engine = db.engine
    assert engine is not None

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        sql_seconds[0] += time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())
        kind = _statement_kind(statement)
        statements[kind] += 1
        param_sets[kind] += len(parameters) if many else 1

    scenario = guichet_app.scenario_b(site)
    with phase_timer() as timer:
        for _ in range(WARMUP):
            scenario.one()
        timer.reset()
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        try:
            total = sum(scenario.one() for _ in range(n))
        finally:
            event.remove(engine, "before_cursor_execute", before)
            event.remove(engine, "after_cursor_execute", after)

    print(f"{n} démarches through engine.api: {total / n * 1000:.2f} ms each (timers on, no profiler)")
    print(f"{'phase (per démarche)':48} {'calls':>6} {'incl. ms':>9} {'self ms':>8}")
    for label in sorted(timer.own, key=lambda k: -timer.own[k]):
        print(
            f"{label:48} {timer.calls[label] / n:6.1f} {timer.inclusive[label] / n * 1000:9.3f} "
            f"{timer.own[label] / n * 1000:8.3f}"
        )
    rest = total - sum(timer.own.values())
    print(f"{'(not wrapped: sessions, lookups, glue)':48} {'':6} {'':9} {rest / n * 1000:8.3f}")
    print()
    print(
        f"SQL: {sum(statements.values()) / n:.1f} statements per démarche, "
        f"{sql_seconds[0] / n * 1000:.3f} ms in the SQLite cursor (commits not included)"
    )
    print(f"  {'stmts':>5}  {'sets':>5}  (parameter sets: an executemany INSERT writes one row per set)")
    for statement, count in statements.most_common():
        print(f"  {count / n:5.1f}  {param_sets[statement] / n:5.1f}  {statement}")


def run_cprofile(site: guichet_app.Site, n: int, sort: str, top: int, dump: Path | None) -> None:
    scenario = guichet_app.scenario_b(site)
    for _ in range(WARMUP):  # spec cache, SQLAlchemy statement cache, templates
        scenario.one()
    profiler = cProfile.Profile()
    one: Callable[[], float] = scenario.one
    profiler.enable()
    total = sum(one() for _ in range(n))
    profiler.disable()
    print(f"{n} démarches through engine.api: {total / n * 1000:.2f} ms each under cProfile")
    stats = pstats.Stats(profiler)
    if dump:
        stats.dump_stats(dump)
    stats.strip_dirs().sort_stats(sort).print_stats(top)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_api", description=__doc__)
    parser.add_argument("--n", type=int, default=200, help="measured démarches (default 200)")
    parser.add_argument("--phases", action="store_true", help="timers on the main steps instead of cProfile")
    parser.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])
    parser.add_argument("--top", type=int, default=30, help="rows printed by cProfile (default 30)")
    parser.add_argument("--dump", type=Path, help="also write the raw pstats file here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    with tempfile.TemporaryDirectory(prefix="guichet-profile-") as tmp:
        site = guichet_app.make_site(Path(tmp), "profile")
        with site.app.app_context():
            if args.phases:
                run_phases(site, args.n)
            else:
                run_cprofile(site, args.n, args.sort, args.top, args.dump)
        guichet_app.close_site(site)


if __name__ == "__main__":
    main()
