"""Run job processes side by side for the scale tests (tests/scale/worker_process.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from flask import Flask

from engine.outbox import enqueue_mail
from web.extensions import db

ROOT = Path(__file__).resolve().parents[2]


def enqueue(app: Flask, count: int) -> None:
    with app.app_context():
        session = db.new_session()
        for n in range(count):
            enqueue_mail(
                session,
                to=f"famille{n}@example.test",
                subject=f"Votre demande {n}",
                body_text=f"Bonjour, message {n}.",
            )
        session.commit()
        session.close()


def run_side_by_side(tmp: Path, config: dict[str, Any], job: str, processes: int = 2) -> list[int]:
    """Start `processes` job processes, release them together, wait; returns what each one did."""
    go = tmp / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = []
    for n in range(processes):
        args = {
            "config": {**config, "INSTANCE_PATH": str(tmp / f"instance-{n}")},
            "ready": str(tmp / f"ready-{n}"),
            "go": str(go),
            "job": job,
        }
        children.append(
            subprocess.Popen(
                [sys.executable, "-m", "tests.scale.worker_process", json.dumps(args)],
                cwd=tmp,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    deadline = time.monotonic() + 60
    while not all((tmp / f"ready-{n}").exists() for n in range(processes)):
        assert time.monotonic() < deadline, "the job processes did not start"
        assert all(child.poll() is None for child in children), [c.communicate() for c in children]
        time.sleep(0.05)
    go.touch()
    done = []
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err[-3000:]
        done.append(json.loads(out.strip().splitlines()[-1])["done"])
    return done
