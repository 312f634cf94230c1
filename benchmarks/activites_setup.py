"""Setting up the booking rush benchmark: a database (SQLite file or a throwaway PostgreSQL), N family
accounts each with one child, one activity with a fair window open now, and `guichet serve`."""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from .http_server import CLOCK_TICKS, GUICHET

PASSWORD = "Ruee-des-inscriptions-2027"


def _as_postgres(args: list[str]) -> None:
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        args = ["runuser", "-u", "postgres", "--", *args]
    subprocess.run(args, check=True, capture_output=True, text=True, timeout=120)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A PostgreSQL cluster of Debian's package on a loopback port (fsync on), removed at the end."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        raise SystemExit("PostgreSQL is not installed: run `make system-deps`")
    bindir, datadir, port = (
        os.path.dirname(bins[-1]),
        tempfile.mkdtemp(prefix="guichet-bench-pg-"),
        free_port(),
    )
    if os.geteuid() == 0:
        shutil.chown(datadir, "postgres", "postgres")
    _as_postgres(
        [f"{bindir}/initdb", "-D", datadir, "-U", "guichet", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]
    )
    _as_postgres(
        [
            f"{bindir}/pg_ctl",
            "-D",
            datadir,
            "-l",
            f"{datadir}/server.log",
            "-w",
            "-o",
            f"-p {port} -k {datadir} -c listen_addresses=127.0.0.1 -c max_connections=200",
            "start",
        ]
    )
    try:
        _as_postgres([f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "guichet", "guichet"])
        yield f"postgresql+psycopg://guichet@127.0.0.1:{port}/guichet"
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            _as_postgres([f"{bindir}/pg_ctl", "-D", datadir, "-m", "immediate", "stop"])
        shutil.rmtree(datadir, ignore_errors=True)


def environment(tmp: Path, url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "GUICHET_INSTANCE_PATH": str(tmp / "instance"),
        "GUICHET_SQLALCHEMY_DATABASE_URI": url,
        "GUICHET_SECRET_KEY": secrets.token_hex(32),
        "GUICHET_SCHEDULER_ENABLED": "false",  # the draw is run (and timed) by the benchmark itself
        "GUICHET_LOG_LEVEL": "WARNING",
    }
    env.pop("GUICHET_MAIL_SERVER", None)
    return env


def fill(
    env: dict[str, str], families: int, places: int, fair_minutes: int
) -> tuple[int, int, list[tuple[str, int]]]:
    """Migrate, load the demo, add the families and the rush activity; (activity id, session id, families)."""
    for args in (["db", "upgrade"], ["demo"]):
        subprocess.run([str(GUICHET), *args], env=env, check=True, capture_output=True)
    from engine.db import utcnow
    from web.accounts.models import Role, User
    from web.accounts.services import create_user
    from web.activites.models import ActivityOffer, ActivitySession
    from web.app import create_app
    from web.extensions import db
    from web.famille.models import Activity, ActivityKind, Child, FamilyRecord

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
        first = create_user(
            s,
            username="ruee00001",
            password=PASSWORD,
            email="ruee00001@example.test",
            role=Role.FAMILLE,
            prenom="Camille",
            nom="Ruee1",
        )
        hashed = first.password_hash  # one Argon2 hash for every account: setting up 2,500 stays quick
        activity = Activity(
            external_id="RUEE",
            name="Centre de loisirs - ruée des inscriptions",
            kind=ActivityKind.CENTRE_DE_LOISIRS,
            service="Enfance",
        )
        s.add(activity)
        s.flush()
        s.add(
            ActivityOffer(
                activity_id=activity.id,
                opens_at=utcnow() - timedelta(seconds=5),
                closes_at=utcnow() + timedelta(days=1),
                fair_minutes=fair_minutes,
                price_cents=1500,
                cancel_days=0,
                validation_required=False,
            )
        )
        week = ActivitySession(
            activity_id=activity.id,
            label="Semaine de la ruée",
            starts_on=date(2027, 2, 15),
            ends_on=date(2027, 2, 19),
            weekdays="0,1,2,3,4",
            places=places,
            allocated=0,
            tickets=0,
            closed=False,
        )
        s.add(week)
        out: list[tuple[str, int]] = []
        for n in range(1, families + 1):
            name = f"ruee{n:05d}"
            user = (
                first
                if n == 1
                else User(
                    username=name,
                    email=f"{name}@example.test",
                    role=Role.FAMILLE,
                    password_hash=hashed,
                    prenom="Camille",
                    nom=f"Ruee{n}",
                    session_nonce=secrets.token_hex(16),
                    created_at=utcnow(),
                    activated_at=utcnow(),
                    password_changed_at=utcnow(),
                )
            )
            record = FamilyRecord(service="Enfance", name=f"RUEE {n}")
            child = Child(
                last_name=f"RUEE{n}", first_name="Alex", birth_date=date(2018, 1, 1), class_name="CE1"
            )
            record.children.append(child)
            s.add_all([user, record])
            user.family_records.append(record)
            if n % 500 == 0:
                s.flush()
            out.append((name, 0))
        s.flush()
        ids = {
            r.name: r.children[0].id for r in s.query(FamilyRecord).filter(FamilyRecord.name.like("RUEE %"))
        }
        out = [(name, ids[f"RUEE {int(name[4:])}"]) for name, _ in out]
        s.commit()
        return activity.id, week.id, out


class GunicornServer:
    """`guichet serve` (gunicorn) on a free loopback port; CPU and RSS of the master and its workers."""

    def __init__(self, env: dict[str, str], workers: int, threads: int) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                str(GUICHET),
                "serve",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
            ],
            env={**env, "GUICHET_BASE_URL": f"http://127.0.0.1:{self.port}"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"guichet serve exited with {self.process.returncode}")
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            time.sleep(0.2)
        raise RuntimeError("guichet serve did not listen within 90 s")

    def pids(self) -> list[int]:
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            for task in glob.glob(f"/proc/{pid}/task/*/children"):
                with contextlib.suppress(OSError):
                    todo.extend(int(c) for c in Path(task).read_text().split())
        return found

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        return total

    def rss_mib(self) -> float:
        total = 0.0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024
        return total

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
