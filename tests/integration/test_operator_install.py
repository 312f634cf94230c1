"""The operator guide's install sequence, run literally (subprocess) on a fresh database."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "operator-guide.md"
BIN = Path(sys.executable).parent


def guide_commands() -> list[str]:
    """The `guichet` lines of the « real deployment » block, in the guide's order."""
    text = GUIDE.read_text()
    block = text.split("For a real deployment", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    return [line for line in lines if line.startswith(".venv/bin/guichet")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_guide_install_sequence_works_on_a_fresh_database(tmp_path):
    commands = guide_commands()
    assert [shlex.split(c)[1] for c in commands] == ["db", "deploy", "user", "run"]
    env = {
        **os.environ,
        "GUICHET_ENV": "production",
        "GUICHET_BASE_URL": "https://demarches.ville.fr",
        "GUICHET_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'guichet.sqlite3'}",
        "GUICHET_INSTANCE_PATH": str(tmp_path / "instance"),
        "GUICHET_SCHEDULER_ENABLED": "false",
    }

    def argv(command: str) -> list[str]:
        words = shlex.split(command)
        return [str(BIN / "guichet"), *words[1:]]

    *setup, run = commands
    for command in setup:
        result = subprocess.run(
            argv(command),
            env=env,
            cwd=ROOT,
            input="un mot de passe assez long\n" * 2,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        if " deploy" in command:
            assert "« Accueil » créé" in result.stdout
            assert "refusé" not in result.stderr
    port = free_port()
    log = tmp_path / "run.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            argv(re.sub(r"--port \d+", f"--port {port}", run)),
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/connexion") as response:
                    assert response.status == 200
                    break
            except OSError:
                assert server.poll() is None, log.read_text()
                time.sleep(0.1)
        else:
            raise AssertionError("the server never answered")
    finally:
        server.terminate()
        server.wait(timeout=30)
