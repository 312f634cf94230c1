"""The booking rush (issue 15): N families log in, open the activity's page and submit, against the
production server (`guichet serve`, gunicorn) on SQLite and on PostgreSQL.

`python -m benchmarks activites [--families N] [--seconds S] [--clients K] [--workers W] [--threads T]
[--places P] [--database sqlite|postgres|both]`

Families arrive evenly over S seconds (default 2,500 over 300 s, the issue's target); K client threads
(default 48) each drive one family at a time through three steps, each on a new keep-alive connection
with its own cookies and CSRF token, as a browser would:

  1. `connexion`: GET /connexion then POST /connexion (Argon2 check of the password);
  2. `page`: GET /activites/<id> (the activity's page and booking form);
  3. `inscription`: POST /activites/<id> (the request: checks, booking, démarche started, mail queued).

The activity has a fair window covering the run: every request waits for the draw, which the benchmark
then runs (and times) in-process, and checks: exactly P places given, the rest waiting with unique
tickets, nobody twice. Loopback only; bounded by the family count and by S + 120 s (families not
started by then count as errors). Figures: families/s, p50/p95/p99 per step, errors, server CPU
(gunicorn master + workers, from /proc) and RSS.
"""

from __future__ import annotations

import queue
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

from .activites_setup import PASSWORD, GunicornServer, environment, fill, throwaway_postgres
from .http_server import Client, _CsrfParser, percentile

STEPS = ("connexion", "page", "inscription")


class Family:
    def __init__(self, port: int, username: str, child_id: int, activity_id: int, session_id: int) -> None:
        self.port, self.username, self.child_id = port, username, child_id
        self.activity_id, self.session_id = activity_id, session_id

    def run(self, timings: dict[str, list[float]], lock: threading.Lock) -> None:
        client = Client(self.port)
        try:
            seen = []
            start = time.perf_counter()
            client.refresh_csrf("/connexion")
            answer = client.post("/connexion", {"username": self.username, "password": PASSWORD})
            if answer.status != 302:
                raise RuntimeError(f"connexion {answer.status}")
            seen.append(time.perf_counter() - start)
            start = time.perf_counter()
            page = client.get(f"/activites/{self.activity_id}")
            parser = _CsrfParser()
            parser.feed(page.body.decode("utf-8", "replace"))
            if page.status != 200 or not parser.token:
                raise RuntimeError(f"page {page.status}")
            client.csrf = parser.token
            seen.append(time.perf_counter() - start)
            start = time.perf_counter()
            fields = {"enfant": str(self.child_id), "sessions": str(self.session_id), "documents": "y"}
            answer = client.post(f"/activites/{self.activity_id}", fields)
            if answer.status != 302 or answer.location != "/activites/mes-inscriptions":
                raise RuntimeError(f"inscription {answer.status} {answer.location}")
            seen.append(time.perf_counter() - start)
        finally:
            client.conn.close()
        with lock:
            for step, value in zip(STEPS, seen, strict=True):
                timings[step].append(value)


def drive(server: GunicornServer, families: list[Family], seconds: float, clients: int) -> dict[str, object]:
    timings: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    lock = threading.Lock()
    todo: queue.Queue[tuple[int, Family]] = queue.Queue()
    for index, family in enumerate(families):
        todo.put((index, family))
    begin = time.monotonic()
    deadline = begin + seconds + 120
    gap = seconds / max(len(families), 1)

    def worker() -> None:
        while True:
            try:
                index, family = todo.get_nowait()
            except queue.Empty:
                return
            wait = begin + index * gap - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if time.monotonic() > deadline:
                with lock:
                    errors.append("not started before the deadline")
                continue
            try:
                family.run(timings, lock)
            except Exception as error:
                with lock:
                    errors.append(str(error)[:200])

    cpu_before = server.cpu_seconds()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - begin
    return {
        "timings": timings,
        "errors": errors,
        "elapsed": elapsed,
        "cpu": server.cpu_seconds() - cpu_before,
    }


def check_and_draw(env: dict[str, str], activity_id: int, places: int) -> str:
    from sqlalchemy import func, select

    from web.activites.draw import run_draw
    from web.activites.models import ActivityBooking, ActivityOffer, BookingStatus
    from web.app import create_app
    from web.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": env["GUICHET_SQLALCHEMY_DATABASE_URI"],
            "SCHEDULER_ENABLED": False,
            "INSTANCE_PATH": env["GUICHET_INSTANCE_PATH"],
            "SECRET_KEY": env["GUICHET_SECRET_KEY"],
        }
    )
    with app.app_context():
        s = db.session()
        start = time.perf_counter()
        run_draw(s, s.get(ActivityOffer, activity_id), seed="banc-d-essai")  # type: ignore[arg-type]
        s.commit()
        took = time.perf_counter() - start
        rows = s.execute(
            select(
                ActivityBooking.status,
                func.count(),
                func.count(func.distinct(ActivityBooking.place_no)),
                func.count(func.distinct(ActivityBooking.ticket)),
                func.count(func.distinct(ActivityBooking.child_id)),
            )
            .where(ActivityBooking.activity_id == activity_id)
            .group_by(ActivityBooking.status)
        ).all()
    by = {row[0]: row[1:] for row in rows}
    placed, waiting = by.get(BookingStatus.PLACED, (0, 0, 0, 0)), by.get(BookingStatus.WAITING, (0, 0, 0, 0))
    total = placed[0] + waiting[0]  # the requests the server recorded (a client may have timed out after)
    children = placed[3] + waiting[3]
    ok = placed[0] == placed[1] == min(places, total) and waiting[0] == waiting[2] and children == total
    return (
        f"draw of {total} requests in {took:.2f} s: {placed[0]} places "
        f"({placed[1]} distinct numbers), {waiting[0]} waiting ({waiting[2]} distinct tickets), "
        f"{children} distinct children — "
        f"{'ok' if ok else 'WRONG'}"
    )


def run_one(database: str, args: object) -> None:
    a = args  # argparse.Namespace
    with (
        tempfile.TemporaryDirectory(prefix="guichet-ruee-") as tmp,
        throwaway_postgres() if database == "postgres" else _sqlite(Path(tmp)) as url,
    ):
        env = environment(Path(tmp), url)
        started = time.monotonic()
        activity_id, session_id, accounts = fill(env, a.families, a.places, fair_minutes=a.seconds // 60 + 30)
        setup = time.monotonic() - started
        server = GunicornServer(env, a.workers, a.threads)
        try:
            rss_rest = server.rss_mib()
            families = [Family(server.port, name, child, activity_id, session_id) for name, child in accounts]
            result = drive(server, families, a.seconds, a.clients)
            rss_after = server.rss_mib()
        finally:
            server.stop()
        verdict = check_and_draw(env, activity_id, a.places)
        report(database, a, result, setup, rss_rest, rss_after, verdict)


class _sqlite:  # noqa: N801 - used as a context manager beside throwaway_postgres()
    def __init__(self, tmp: Path) -> None:
        self.url = f"sqlite:///{tmp / 'guichet.sqlite3'}"

    def __enter__(self) -> str:
        return self.url

    def __exit__(self, *exc: object) -> None:
        return None


def report(
    database: str, a: object, result: dict, setup: float, rss_rest: float, rss_after: float, verdict: str
) -> None:
    timings, errors, elapsed = result["timings"], result["errors"], result["elapsed"]
    done = len(timings["inscription"])
    print(
        f"Ruée des inscriptions — {database}, guichet serve {a.workers} worker(s) × {a.threads} threads, "
        f"{a.families} families over {a.seconds} s, {a.clients} client threads (setup {setup:.0f} s)"
    )
    print(
        f"    {done} families served in {elapsed:.1f} s ({done / elapsed:.1f} families/s, "
        f"{3 * done / elapsed:.1f} steps/s); errors: {len(errors)}"
    )
    for sample in sorted(set(errors))[:5]:
        print(f"      error: {sample} (×{errors.count(sample)})")
    print(f"    {'step':12} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'count':>6}")
    for step in STEPS:
        values = timings[step] or [float("nan")]
        print(
            f"    {step:12} {percentile(values, 0.5) * 1000:8.1f} {percentile(values, 0.95) * 1000:8.1f} "
            f"{percentile(values, 0.99) * 1000:8.1f} {len(timings[step]):6d}"
        )
    cpu = result["cpu"]
    print(
        f"    server CPU {cpu:.1f} s ({cpu / max(done, 1) * 1000:.1f} ms per family, "
        f"{cpu / elapsed * 100:.0f} % of one core on average); RSS {rss_rest:.0f} MiB at rest, "
        f"{rss_after:.0f} MiB after"
    )
    print(f"    {verdict}")
    sys.stdout.flush()


def main(args: object) -> None:
    databases = ("sqlite", "postgres") if args.database == "both" else (args.database,)  # type: ignore[attr-defined]
    for database in databases:
        run_one(database, args)
