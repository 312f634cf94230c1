"""Load test (`make bench-load`): locust against `guichet run` and gunicorn (2 and 4 workers), on
SQLite and on PostgreSQL, with 1, 10 and 50 concurrent families (plus agents deciding).

`python -m benchmarks.load [--users 1,10,50] [--duration 20] [--servers run,gunicorn2,gunicorn4]
                           [--databases sqlite,postgresql]`

Loopback only. For each database a fresh one is migrated and filled by `guichet demo`, plus 50 family
accounts; for each server and user count, locust runs headless for `--duration` seconds with U
family users and max(1, U // 5) agent users (benchmarks/locustfile.py), then the figures are read
from its CSV: requests, failures, requests/s, p50/p95/p99 over all requests and for the démarche
steps (the POSTs), the CPU seconds over the cell of the server processes (master and workers, from
/proc), of locust (its process, from getrusage once it has exited) and of PostgreSQL (the postmaster
and its backends, live and exited), and the server's resident memory per process at the end: on one
machine the three share the cores, and the split says what the server had. PostgreSQL is the server
of tests/fixtures/postgres.py (Debian's package, a temporary cluster). Bounded: every run stops after
its duration; the servers are stopped.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from argon2 import PasswordHasher

GUICHET = Path(sys.executable).with_name("guichet")
ROOT_DIR = Path(__file__).resolve().parents[1]
#: Locust runs from its own virtualenv (its pytest plugin must stay out of the tests' one).
LOCUST = Path(os.environ.get("GUICHET_LOCUST", ROOT_DIR / ".venv-bench" / "bin" / "locust"))
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
ROOT = Path(__file__).resolve().parents[1]
FAMILIES = 50
AGENTS = 10  # each agent user its own account: concurrent logins of one account are throttled
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
STEPS = ("famille: commencer", "famille: formulaire", "agent: décision")
#: Decisions another agent made first (French 409): reported apart by the locustfile, not steps.
CONFLICT = "agent: décision déjà prise (409)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(env: dict[str, str]) -> None:
    for args in (["db", "upgrade"], ["demo"]):
        subprocess.run([str(GUICHET), *args], env=env, check=True, capture_output=True)
    code = (
        "from argon2 import PasswordHasher\n"
        "from web.accounts import passwords\n"
        "from web.accounts.models import Role\n"
        "from web.accounts.services import create_user\n"
        "from web.app import create_app\n"
        "from web.extensions import db\n"
        "passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        f"    for n in range(1, {FAMILIES + 1}):\n"
        "        create_user(db.session(), username=f'famille{n}', email=f'f{n}@charge.test',\n"
        "                    password=f'Charge-{n}-Velizy-Villacoublay', prenom='Camille', nom='Charge')\n"
        f"    for n in range(1, {AGENTS + 1}):\n"
        "        create_user(db.session(), username=f'agent{n}', email=f'a{n}@c.test', role=Role.AGENT,\n"
        "                    password=f'Charge-{n}-Accueil', groups=['Accueil'], prenom='Al', nom='Charge')\n"
        "    db.session.commit()\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, cwd=ROOT)


def start_server(kind: str, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    if kind == "run":
        args = ["run", "--port", str(port), "--threads", "8"]
    else:
        args = [
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            kind.removeprefix("gunicorn"),
            "--threads",
            "4",
        ]
    process = subprocess.Popen(
        [str(GUICHET), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"guichet {' '.join(args)} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not listen within 60 s")


def tree(pid: int) -> list[int]:
    """The process and its children (gunicorn's workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    kids = [int(c) for c in children.read_text().split()] if children.exists() else []
    return [pid, *[p for kid in kids for p in tree(kid)]]


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def cluster_cpu_seconds(datadir: str | None) -> float:
    """CPU of a PostgreSQL cluster: the postmaster and its live backends, plus the backends it reaped."""
    if datadir is None:
        return 0.0
    postmaster = int((Path(datadir) / "postmaster.pid").read_text().split()[0])
    fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    reaped = (int(fields[13]) + int(fields[14])) / CLOCK_TICKS
    return reaped + cpu_seconds(tree(postmaster))


def children_cpu_seconds() -> float:
    """CPU of this process's children that have exited and been waited for (locust, once it ends)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_locust(port: int, users: int, duration: int, out: Path) -> dict[str, dict[str, str]]:
    agents = max(1, users // 5)
    env = {**os.environ, "GUICHET_LOAD_AGENTS": str(agents), "PYTHONPATH": str(ROOT)}
    count = str(users + agents)
    command = [str(LOCUST), "-f", str(LOCUSTFILE), "--headless", "-u", count, "-r", count]
    command += ["--run-time", f"{duration}s", "--host", f"http://127.0.0.1:{port}", "--csv", str(out)]
    command += ["--only-summary", "--stop-timeout", "10", "--loglevel", "ERROR"]
    subprocess.run(command, env=env, check=False, capture_output=True, cwd=ROOT, timeout=duration + 120)
    with open(f"{out}_failures.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            print(f"    failure × {row['Occurrences']}: {row['Method']} {row['Name']}: {row['Error'][:150]}")
    with open(f"{out}_stats.csv", newline="") as handle:
        return {row["Name"]: row for row in csv.DictReader(handle)}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__)
    parser.add_argument("--users", default="1,10,50")
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--servers", default="run,gunicorn2,gunicorn4")
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"{'database':10} {'server':10} {'users':>5} {'req':>6} {'err':>4} {'req/s':>6} {'steps/s':>7} "
          f"{'p50':>5} {'p95':>5} {'p99':>5} {'step p95':>8} {'409':>5} {'CPU s':>6} {'locust':>6} {'PG':>5} "
          "server RSS MiB per process")  # fmt: skip
    for database in args.databases.split(","):
        with tempfile.TemporaryDirectory(prefix="guichet-load-") as tmp:
            run_database(database, Path(tmp), args)


def run_database(database: str, tmp: Path, args: argparse.Namespace) -> None:
    postgres, datadir = None, None
    if database == "postgresql":
        sys.path.insert(0, str(ROOT))
        from tests.fixtures.postgres import PostgresServer

        postgres = PostgresServer()
        url, datadir = postgres.url, postgres.datadir
    else:
        url = f"sqlite:///{tmp / 'guichet.sqlite3'}"
    env = {
        **os.environ,
        "GUICHET_SQLALCHEMY_DATABASE_URI": url,
        "GUICHET_INSTANCE_PATH": str(tmp / "instance"),
        "GUICHET_SECRET_KEY": secrets.token_hex(32),
        "GUICHET_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("GUICHET_MAIL_SERVER", None)
    try:
        prepare(env)
        for kind in args.servers.split(","):
            port = free_port()
            server = start_server(kind, env, port)
            try:
                for users in (int(u) for u in args.users.split(",")):
                    pids = tree(server.pid)
                    before = cpu_seconds(pids), children_cpu_seconds(), cluster_cpu_seconds(datadir)
                    stats = run_locust(port, users, args.duration, tmp / f"{kind}-{users}")
                    pids = tree(server.pid)
                    cpu = (
                        cpu_seconds(pids) - before[0],
                        children_cpu_seconds() - before[1],
                        cluster_cpu_seconds(datadir) - before[2],
                    )
                    report(database, kind, users, stats, cpu, [rss_mib(p) for p in pids], args)
            finally:
                server.terminate()  # gunicorn lets requests in flight finish (graceful timeout)
                try:
                    server.wait(90)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait(30)
    finally:
        if postgres is not None:
            postgres.remove()


def report(database, kind, users, stats, cpu, rss, args) -> None:  # type: ignore[no-untyped-def]
    total = stats["Aggregated"]
    steps = [stats[name] for name in STEPS if name in stats]
    step_count = sum(int(row["Request Count"]) for row in steps)
    step_p95 = max((float(row["95%"]) for row in steps), default=float("nan"))
    conflicts = int(stats[CONFLICT]["Request Count"]) if CONFLICT in stats else 0
    print(
        f"{database:10} {kind:10} {users:5d} {int(total['Request Count']):6d} "
        f"{int(total['Failure Count']):4d} "
        f"{float(total['Requests/s']):6.1f} {step_count / args.duration:7.1f} {float(total['50%']):5.0f} "
        f"{float(total['95%']):5.0f} {float(total['99%']):5.0f} {step_p95:8.0f} {conflicts:5d} {cpu[0]:6.1f} "
        f"{cpu[1]:6.1f} {cpu[2]:5.1f} " + " ".join(f"{value:.0f}" for value in rss),
        flush=True,
    )


if __name__ == "__main__":
    PasswordHasher  # noqa: B018 - argon2 is a dependency of Guichet; imported here to fail early if missing
    main()
