"""(d) Guichet over real HTTP: the `guichet run` server process driven by loopback HTTP clients.

`python -m benchmarks http [--n N] [--repeat R] [--clients K] [--follow]`

The server is the real one a town runs (`guichet run`, waitress, in-process scheduler, SQLite in a
temporary directory migrated and filled by `guichet demo`), started as its own process. Each client
is a thread with two keep-alive connections, one logged in as the demo family, one as the demo
Accueil agent, through the real login form with its CSRF token and cookies. One démarche is the
address change as a family and an agent do it:

  1. `commencer`: the family's POST /demarches/changement_adresse/commencer (302 to the task);
  2. `saisie`: the family's multipart POST of the form with a PDF proof (302 to the request);
  3. `decision`: the agent's POST of the decision on the task (302 back to the queue).

The agent's task id is read from the SQLite file between steps 2 and 3 (unmeasured; the server does
not see it). With `--follow` every redirect is followed as a browser does (task page, request page,
queue), so a démarche costs 6 requests instead of 3.

Figures: the server's CPU time per démarche and per step (utime + stime of the server process from
/proc, so the client's own work is not counted), démarches per second, latency percentiles per step
seen by the client, and the server's resident memory at rest and after the run. Loopback only; the
run is bounded by its démarche count and the server is stopped at the end.
"""

from __future__ import annotations

import html.parser
import http.client
import os
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from .common import ADDRESS, DECISION, PDF

GUICHET = Path(sys.executable).with_name("guichet")
FAMILY = ("famille", "demo-famille-2026")
AGENT = ("agent", "demo-agent-2026")
STEPS = ("commencer", "saisie", "decision")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# The server process --------------------------------------------------------------------------------


class Server:
    """`guichet run` (or `guichet serve`: gunicorn, one worker of 8 threads) on a free loopback port,
    on a fresh SQLite database filled by `guichet demo`."""

    def __init__(self, tmp: Path, families: int = 1, kind: str = "run") -> None:
        self.database = tmp / "guichet.sqlite3"
        self.env = {
            **os.environ,
            "GUICHET_INSTANCE_PATH": str(tmp / "instance"),
            "GUICHET_SQLALCHEMY_DATABASE_URI": f"sqlite:///{self.database}",
            "GUICHET_SECRET_KEY": secrets.token_hex(32),
        }
        self.env.pop("GUICHET_MAIL_SERVER", None)
        for args in (["db", "upgrade"], ["demo"], *map(_family_account, range(2, families + 1))):
            subprocess.run([str(GUICHET), *args], env=self.env, check=True, capture_output=True)
        self.accepted_before = self.accepted()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        command = ["run", "--port", str(self.port), "--threads", "8"]
        if kind == "serve":
            command = ["serve", "--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--threads", "8"]
        self.process = subprocess.Popen(
            [str(GUICHET), *command],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_until_listening()

    def _wait_until_listening(self) -> None:
        for _ in range(600):  # at most 60 s
            if self.process.poll() is not None:
                raise RuntimeError(f"guichet run exited with {self.process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("guichet run did not listen within 60 s")

    def pids(self) -> list[int]:
        """The server process and its descendants (gunicorn's master and its worker)."""
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").iterdir():
                children = task / "children"
                if children.exists():
                    todo.extend(int(child) for child in children.read_text().split())
        return found

    def cpu_seconds(self) -> float:
        """utime + stime of the server's processes (all their threads), from /proc."""
        total = 0
        for pid in self.pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / CLOCK_TICKS

    def rss_mib(self) -> float:
        """Resident memory of the server's processes, summed."""
        total = 0
        for pid in self.pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total / 1024

    def open_agent_task(self, instance_id: int) -> int:
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=30) as conn:
            row = conn.execute(
                "SELECT id FROM human_task WHERE instance_id = ? AND state = 'open'", (instance_id,)
            ).fetchone()
        if row is None:
            raise RuntimeError(f"no open agent task for request {instance_id}")
        return int(row[0])

    def accepted(self) -> int:
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=30) as conn:
            return int(
                conn.execute(
                    "SELECT count(*) FROM process_instance WHERE status_label = 'Acceptée'"
                ).fetchone()[0]
            )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def family_login(number: int) -> tuple[str, str]:
    """The demo family for client 1, `famille<N>` for the others (a family's draft is its own)."""
    return FAMILY if number == 1 else (f"famille{number}", f"Banc-d-essai-{number}-Velizy-Villacoublay")


def _family_account(number: int) -> list[str]:
    username, password = family_login(number)
    return [
        "user", "create", f"--username={username}", f"--password={password}",
        f"--email={username}@example.test", "--prenom=Camille", f"--nom=Bench{number}",
    ]  # fmt: skip


# A browser-like client: one keep-alive connection, cookies, CSRF -----------------------------------


class _CsrfParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.token: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("name") == "csrf_token" and self.token is None:
            self.token = values.get("value")


@dataclass
class Answer:
    status: int
    location: str
    body: bytes


class Client:
    """One keep-alive HTTP/1.1 connection with its cookie jar and CSRF token."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str = "") -> Answer:
        headers = {"Host": f"127.0.0.1:{self.port}", "Accept-Language": "fr"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        location = urlsplit(response.getheader("Location") or "").path
        return Answer(response.status, location, data)

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(
        self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]] | None = None
    ) -> Answer:
        data = {"csrf_token": self.csrf, **fields}
        if not files:
            return self.request("POST", path, urlencode(data).encode(), "application/x-www-form-urlencoded")
        boundary = secrets.token_hex(16)
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in data.items()
        ]
        for name, (filename, content) in files.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: application/pdf\r\n\r\n".encode()
                + content
                + b"\r\n"
            )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, b"".join(parts), f"multipart/form-data; boundary={boundary}")

    def refresh_csrf(self, path: str) -> None:
        parser = _CsrfParser()
        parser.feed(self.get(path).body.decode("utf-8", "replace"))
        if not parser.token:
            raise RuntimeError(f"no csrf_token on {path}")
        self.csrf = parser.token

    def login(self, username: str, password: str) -> None:
        self.refresh_csrf("/connexion")
        answer = self.post("/connexion", {"username": username, "password": password})
        if answer.status != 302:
            raise RuntimeError(f"login of {username} failed ({answer.status})")
        self.refresh_csrf("/demarches")  # the session is new after login


def _id_after(answer: Answer, prefix: str, what: str) -> int:
    if answer.status != 302 or not answer.location.startswith(prefix):
        raise RuntimeError(f"{what}: unexpected answer {answer.status} → {answer.location!r}")
    return int(answer.location.rsplit("/", 1)[1])


# The démarche ----------------------------------------------------------------------------------------


@dataclass
class Timings:
    """Latencies per step (seconds, client side), shared by the client threads."""

    per_step: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, step: str, seconds: float) -> None:
        with self.lock:
            self.per_step[step].append(seconds)


class Demarche:
    """The three steps of one address change, as one client thread does them."""

    def __init__(self, server: Server, follow: bool, number: int) -> None:
        self.server = server
        self.follow = follow
        self.family = Client(server.port)
        self.family.login(*family_login(number))
        self.agent = Client(server.port)
        self.agent.login(*AGENT)

    def _timed(self, timings: Timings | None, step: str, client: Client, call: object) -> Answer:
        begin = time.perf_counter()
        answer: Answer = call()  # type: ignore[operator]
        if self.follow and answer.status == 302:
            client.get(answer.location)
        if timings is not None:
            timings.add(step, time.perf_counter() - begin)
        return answer

    def run(self, timings: Timings | None) -> None:
        start = self._timed(
            timings,
            "commencer",
            self.family,
            lambda: self.family.post("/demarches/changement_adresse/commencer", {}),
        )
        task_id = _id_after(start, "/taches/", "start")
        today = datetime.now(ZoneInfo("Europe/Paris")).date().isoformat()
        fields = {**ADDRESS, "date_effet": today}
        submitted = self._timed(
            timings,
            "saisie",
            self.family,
            lambda: self.family.post(
                f"/taches/{task_id}", fields, {"justificatif_domicile": ("facture.pdf", PDF)}
            ),
        )
        instance_id = _id_after(submitted, "/mes-demandes/", "family's form")
        agent_task = self.server.open_agent_task(instance_id)
        decided = self._timed(
            timings,
            "decision",
            self.agent,
            lambda: self.agent.post(f"/taches/{agent_task}", dict(DECISION)),
        )
        if decided.status != 302:
            raise RuntimeError(f"agent's decision: unexpected answer {decided.status}")


@dataclass
class HttpResult:
    label: str
    n: int
    seconds: list[float]
    cpu_seconds: list[float]
    timings: Timings
    rss_rest_mib: float
    rss_after_mib: float
    accepted: int
    rss_per_repeat_mib: tuple[float, ...] = ()

    @property
    def cpu_ms(self) -> float:
        return statistics.median(self.cpu_seconds) / self.n * 1000

    @property
    def per_second(self) -> float:
        return self.n / statistics.median(self.seconds)


def _run_clients(demarches: list[Demarche], count: int, timings: Timings | None) -> None:
    """`count` démarches shared among the client threads (each runs its share in sequence)."""
    shares = [count // len(demarches) + (i < count % len(demarches)) for i in range(len(demarches))]
    errors: list[BaseException] = []

    def work(demarche: Demarche, share: int) -> None:
        try:
            for _ in range(share):
                demarche.run(timings)
        except BaseException as exc:  # reported after the join
            errors.append(exc)

    threads = [threading.Thread(target=work, args=pair) for pair in zip(demarches, shares, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def measure_http(
    *, n: int, repeat: int, warmup: int, clients: int = 1, follow: bool = False, kind: str = "run"
) -> HttpResult:
    """Start the server (`kind`: « run », waitress, or « serve », gunicorn), warm it up, then `repeat`
    runs of `n` démarches; the server is stopped after."""
    with tempfile.TemporaryDirectory(prefix="guichet-http-") as tmp:
        server = Server(Path(tmp), families=clients, kind=kind)
        try:
            demarches = [Demarche(server, follow, number) for number in range(1, clients + 1)]
            _run_clients(demarches, warmup, None)
            rss_rest = server.rss_mib()
            timings = Timings()
            seconds, cpu, rss = [], [], []
            for _ in range(repeat):
                cpu_before, begin = server.cpu_seconds(), time.perf_counter()
                _run_clients(demarches, n, timings)
                seconds.append(time.perf_counter() - begin)
                cpu.append(server.cpu_seconds() - cpu_before)
                rss.append(server.rss_mib())
            rss_after = server.rss_mib()
            accepted = server.accepted() - server.accepted_before
        finally:
            server.stop()
    mode = "redirects followed" if follow else "3 requests, redirects not followed"
    label = f"Guichet over HTTP (guichet {kind}), {clients} client(s), {mode}"
    return HttpResult(label, n, seconds, cpu, timings, rss_rest, rss_after, accepted, tuple(rss))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def print_http(result: HttpResult, floor_ms: float, api_ms: float, warmup: int) -> None:
    """The figures of (d), with its ratios to (a) (SpiffWorkflow alone) and (b) (engine.api)."""
    print(f"(d) {result.label}")
    print(
        f"    server CPU {result.cpu_ms:.2f} ms/démarche ({result.cpu_ms / len(STEPS):.2f} ms/step), "
        f"{result.per_second:.1f} démarches/s; d/a = {result.cpu_ms / floor_ms:.1f} (target ≤ 8), "
        f"d/b = {result.cpu_ms / api_ms:.1f}"
    )
    print(f"    {'step':10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'requests':>9}")
    for step in STEPS:
        values = result.timings.per_step[step]
        print(
            f"    {step:10} {percentile(values, 0.5) * 1000:8.2f} {percentile(values, 0.95) * 1000:8.2f} "
            f"{percentile(values, 0.99) * 1000:8.2f} {len(values):9d}"
        )
    growth = result.rss_after_mib - result.rss_rest_mib
    print(
        f"    server RSS {result.rss_rest_mib:.1f} MiB after warm-up, {result.rss_after_mib:.1f} MiB after "
        f"{result.n * len(result.seconds)} more démarches ({growth:+.1f} MiB)"
    )
    if len(result.rss_per_repeat_mib) > 1:
        steps = ", ".join(f"{mib:.1f}" for mib in result.rss_per_repeat_mib)
        print(f"    server RSS after each repetition of {result.n} démarches: {steps} MiB")
    expected = warmup + result.n * len(result.seconds)
    verdict = "ok" if result.accepted == expected else f"ONLY {result.accepted}"
    print(f"    démarches accepted: {result.accepted} of {expected} ({verdict})")
    sys.stdout.flush()
