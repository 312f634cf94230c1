"""Profile the `guichet run` server process under the HTTP benchmark with py-spy (sampling, outside).

`python -m benchmarks.profile_http [--n N] [--out FILE]` (py-spy: `pip install py-spy`; it needs
ptrace rights on the server process, as a child of this one it has them): starts the server of
benchmarks/http_server.py, warms it up, then samples it while one client runs N démarches, and
prints the share of busy samples spent under a few frames of interest (inclusive) and the top
functions by own time. `--out` keeps the collapsed stacks (flamegraph input).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

from .http_server import Demarche, Server, _run_clients

FRAMES = {
    "SQLAlchemy": "sqlalchemy/",
    "SpiffWorkflow": "SpiffWorkflow/",
    "Jinja2 templates": "jinja2/",
    "Flask-Login load_user": "load_user (web/accounts/views.py",
    "session cookie (itsdangerous)": "itsdangerous/",
    "WTForms": "wtforms/",
    "logging": "logging/__init__.py",
    "outbox job (run_outbox)": "run_outbox (",
    "timers job (run_timers)": "run_timers (",
    "engine.api.complete": "complete (engine/",
    "sqlite3 execute": "execute (sqlalchemy/engine/default.py",
    "commit": "commit (sqlalchemy/orm/session.py",
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_http", description=__doc__)
    parser.add_argument("--n", type=int, default=150)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    spy = shutil.which("py-spy") or str(Path(__file__).resolve().parents[1] / ".venv/bin/py-spy")
    with tempfile.TemporaryDirectory(prefix="guichet-prof-") as tmp:
        server = Server(Path(tmp))
        raw = Path(tmp) / "stacks.txt"
        try:
            demarche = Demarche(server, False, 1)
            _run_clients([demarche], 20, None)
            spy_proc = subprocess.Popen(
                [spy, "record", "--pid", str(server.process.pid), "--format", "raw", "--rate",
                 str(args.rate), "--output", str(raw), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
            _run_clients([demarche], args.n, None)
            spy_proc.send_signal(2)
            spy_proc.wait(timeout=60)
        finally:
            server.stop()
        report(raw.read_text())
        if args.out:
            shutil.copy(raw, args.out)


def report(collapsed: str) -> None:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        busy = ("process_request_thread", "handler_thread", "_run_job", "run_outbox")
        if not stack or not any(name in stack for name in busy):
            continue  # idle threads (waitress's select loop, the scheduler's wait)
        count = int(count_text)
        total += count
        for name, needle in FRAMES.items():
            if needle in stack:
                inclusive[name] += count
        own[stack.rsplit(";", 1)[-1]] += count
    print(f"busy samples: {total}")
    for name, count in inclusive.most_common():
        print(f"  {count / total:6.1%}  {name}")
    print("top own frames:")
    for frame, count in own.most_common(15):
        print(f"  {count / total:6.1%}  {frame[:110]}")


if __name__ == "__main__":
    main()
