"""`python -m benchmarks [all|demarche|queue|http|scripts] [--n N] [--repeat R] [--quick]`: figures.

`demarche` runs the scenarios of one démarche (a, a', a'', b, c); `queue` the agents' queue at
10,000 and 100,000 open tasks (benchmarks/queues.py); `http` the démarche over real HTTP against the
`guichet run` server process (d), beside (a) and (b) measured in the same run
(benchmarks/http_server.py); `scripts` the cost of the run-time guards of BPMN expressions
(benchmarks/script_guards.py); `all` (the default, `make bench`) all of them. `activites`
(`make bench-activites`) is the booking rush of issue 15 against `guichet serve`
(benchmarks/activites.py); it is not part of `all`.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

from . import guichet_app, http_server, queues, script_guards, spiff_only
from .common import Result, measure
from .spiff_only import SerializationFigures


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "which",
        nargs="?",
        default="all",
        choices=("all", "demarche", "queue", "http", "scripts", "activites"),
    )
    parser.add_argument("--families", type=int, default=2500, help="activites: families (default 2500)")
    parser.add_argument("--seconds", type=int, default=300, help="activites: arrival window (default 300)")
    parser.add_argument(
        "--places", type=int, default=300, help="activites: places of the session (default 300)"
    )
    parser.add_argument("--workers", type=int, default=2, help="activites: gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=8, help="activites: threads per worker (default 8)")
    parser.add_argument(
        "--database", default="both", choices=("sqlite", "postgres", "both"), help="activites (default both)"
    )
    parser.add_argument(
        "--sizes",
        default="10000,100000",
        help="queue: open tasks seeded, comma-separated (default 10000,100000)",
    )
    parser.add_argument(
        "--queue-repeat", type=int, default=30, help="queue: requests per figure (default 30)"
    )
    parser.add_argument("--explain", action="store_true", help="queue: print the SQLite query plans")
    parser.add_argument(
        "--queue-database",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="queue: the database (postgres: a throwaway cluster of Debian's package per size)",
    )
    parser.add_argument("--n", type=int, default=200, help="démarches per repetition (default 200)")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions; the median is kept (default 5)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20 démarches, 1 repetition")
    parser.add_argument(
        "--clients",
        type=int,
        default=None,
        help="http: concurrent clients (default 1); activites (default 48)",
    )
    parser.add_argument("--follow", action="store_true", help="http: follow redirects as a browser does")
    parser.add_argument(
        "--server",
        choices=("run", "serve"),
        default="run",
        help="http: `guichet run` (waitress, default) or `guichet serve` (gunicorn, 1 worker × 8 threads)",
    )
    args = parser.parse_args(argv)
    if args.clients is None:
        args.clients = 48 if args.which == "activites" else 1
    if args.families < 1 or args.seconds < 1:
        parser.error("--families and --seconds must be at least 1")
    args.sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    if args.quick:
        args.n, args.repeat = min(args.n, 20), 1
        args.sizes, args.queue_repeat = [min(args.sizes)], min(args.queue_repeat, 5)
    if args.n < 1 or args.repeat < 1:
        parser.error("--n and --repeat must be at least 1")
    args.warmup = max(3, min(20, args.n // 10))
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    # Before create_app's basicConfig: keep the per-démarche INFO lines out of the figures' output.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.which == "http":
        run_http(args)
        return
    if args.which == "activites":
        from . import activites

        activites.main(args)
        return
    if args.which in ("all", "scripts"):
        script_guards.main()  # the cost of the run-time guards of BPMN expressions
        if args.which == "scripts":
            return
        print()
    if args.which != "demarche":
        queues.main(args.sizes, args.queue_repeat, args.explain, args.queue_database)
        if args.which == "queue":
            return
        print()

    print(
        f"Guichet benchmarks — démarche « changement_adresse », {args.n} démarches × {args.repeat} "
        f"repetition(s), median kept, {args.warmup} warm-up démarches"
    )
    print(
        f"Python {platform.python_version()} · {os.cpu_count()} CPU · {platform.platform()} · "
        f"SpiffWorkflow {version('SpiffWorkflow')} · SQLAlchemy {version('SQLAlchemy')} · "
        f"Flask {version('Flask')}"
    )
    print()
    common = {"n": args.n, "repeat": args.repeat, "warmup": args.warmup}
    results: dict[str, Result] = {}

    spec = spiff_only.parse_spec()
    bundle = spiff_only.guichet_bundle()
    results["a"] = measure("a", "SpiffWorkflow alone, in memory", spiff_only.scenario_a(spec), **common)
    results["a'"] = measure(
        "a'", "(a) + stock serializer (spec embedded)", spiff_only.scenario_a_stock(spec), **common
    )
    results["a''"] = measure(
        "a''",
        "(a) + Guichet runtime (restricted env, cached-spec)",
        spiff_only.scenario_a_guichet(bundle),
        **common,
    )
    figures = spiff_only.serialization_figures(bundle, times=max(20, args.n // 2))

    stored_bytes: int | None = None
    with tempfile.TemporaryDirectory(prefix="guichet-bench-") as tmp:
        site_b = guichet_app.make_site(Path(tmp), "api")
        with site_b.app.app_context():
            scenario = guichet_app.scenario_b(site_b)
            results["b"] = measure("b", "engine.api on SQLite, commit per step", scenario.one, **common)
            stored_bytes = scenario.stored_bytes
        guichet_app.check_completed(site_b, args.warmup + args.n * args.repeat + 1)
        guichet_app.close_site(site_b)

        site_c = guichet_app.make_site(Path(tmp), "web", WTF_CSRF_ENABLED=False)
        results["c"] = measure("c", "Flask test client, 3 POSTs", guichet_app.scenario_c(site_c), **common)
        guichet_app.check_completed(site_c, args.warmup + args.n * args.repeat)
        guichet_app.close_site(site_c)

    print_results(results)
    print_serialization(figures, stored_bytes)
    if args.which == "all":
        print()
        result = http_server.measure_http(n=args.n, repeat=args.repeat, warmup=args.warmup)
        http_server.print_http(result, results["a"].cpu_ms, results["b"].cpu_ms, args.warmup)


def run_http(args: argparse.Namespace) -> None:
    """(a) and (b) as floors, then (d): the real server process over loopback HTTP, in one run."""
    print(
        f"Guichet over HTTP — démarche « changement_adresse », {args.n} démarches × {args.repeat} "
        f"repetition(s), {args.clients} client(s), median kept; (a) and (b) measured in the same run"
    )
    common = {"n": args.n, "repeat": args.repeat, "warmup": args.warmup}
    floor = measure(
        "a", "SpiffWorkflow alone, in memory", spiff_only.scenario_a(spiff_only.parse_spec()), **common
    )
    with tempfile.TemporaryDirectory(prefix="guichet-bench-") as tmp:
        site_b = guichet_app.make_site(Path(tmp), "api")
        with site_b.app.app_context():
            api_result = measure("b", "engine.api on SQLite", guichet_app.scenario_b(site_b).one, **common)
        guichet_app.close_site(site_b)
    result = http_server.measure_http(
        n=args.n,
        repeat=args.repeat,
        warmup=args.warmup,
        clients=args.clients,
        follow=args.follow,
        kind=args.server,
    )
    print(f"(a) SpiffWorkflow alone: {floor.cpu_ms:.2f} ms CPU/démarche")
    print(f"(b) engine.api on SQLite: {api_result.cpu_ms:.2f} ms CPU/démarche")
    http_server.print_http(result, floor.cpu_ms, api_result.cpu_ms, args.warmup)


def print_results(results: dict[str, Result]) -> None:
    base = results["a"].mean_ms
    print(
        f"{'':6} {'scenario':52} {'démarches/s':>11} {'ms/démarche':>11} {'× (a)':>6} {'CPU ms':>7}  "
        "repetitions (s)"
    )
    for key, result in results.items():
        reps = ", ".join(f"{s:.3f}" for s in result.seconds)
        print(
            f"{f'({key})':6} {result.label:52} {result.per_second:11.1f} {result.mean_ms:11.2f} "
            f"{result.mean_ms / base:6.2f} {result.cpu_ms:7.2f}  {reps}"
        )
    print()
    ratio = results["b"].mean_ms / base
    ratios = {
        "a'/a": results["a'"].mean_ms / base,
        "a''/a": results["a''"].mean_ms / base,
        "b/a": ratio,
        "c/a": results["c"].mean_ms / base,
        "c/b": results["c"].mean_ms / results["b"].mean_ms,
    }
    print("   ".join(f"{name} = {value:.2f}" for name, value in ratios.items()))
    verdict = "holds" if ratio <= 3 else "does NOT hold"
    print(f"Target « (b) costs at most 3× (a) »: {verdict} (b/a = {ratio:.2f}).")
    print()


def print_serialization(figures: SerializationFigures, stored_bytes: int | None) -> None:
    print("One instance waiting for the Accueil agent (after the family's submission):")
    print(f"{'':36} {'bytes':>8} {'dump ms':>9} {'load ms':>9}")
    print(
        f"{'cached-spec serializer (Guichet)':36} {figures.cached_bytes:8d} "
        f"{figures.cached_dump_ms:9.3f} {figures.cached_load_ms:9.3f}"
    )
    print(
        f"{'stock serializer (spec embedded)':36} {figures.stock_bytes:8d} "
        f"{figures.stock_dump_ms:9.3f} {figures.stock_load_ms:9.3f}"
    )
    print(
        f"stock/cached: size × {figures.stock_bytes / figures.cached_bytes:.1f}, "
        f"load × {figures.stock_load_ms / figures.cached_load_ms:.1f}"
    )
    if stored_bytes is not None:
        print(f"(b) stored process_instance.serialization at the same point: {stored_bytes} bytes")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
