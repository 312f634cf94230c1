"""sqlmap (Debian's package) against the running app on loopback (ASVS 1.2.4): 0 injection found.

The live server (waitress, the SQLite test database with real rows) is attacked on parameterised GET
routes, logged in with the session cookie of the role that uses them. Bounded: --batch, --level 2,
--risk 1, the boolean, error-based and UNION techniques (time-based ones only measure delays), the
DBMS told (SQLite, the test database), a timeout per request and per run. The test fails if sqlmap
reports an injection point or if it could not test a parameter.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from flask import Flask, request

from tests.fixtures.browser import serve
from tests.fixtures.integration import file_address_change

pytestmark = pytest.mark.sqlmap

SQLMAP = shutil.which("sqlmap")
#: (who, path with its parameters): every parameter of each is tested.
TARGETS = [
    ("agent", "/agents/?q=dupont&file=Accueil&statut=ouverte&tri=echeance&ordre=asc"),
    ("agent", "/agents/demandes-cloturees?du=2026-01-01&au=2026-12-01"),
    ("admin", "/admin/journal?evenement=login&utilisateur=dupont&du=2026-01-01&au=2026-12-31&page=1"),
    ("anonyme", "/actualites?page=1"),
]
FOUND = ("identified the following injection point", "is vulnerable", "appears to be injectable")


@pytest.fixture
def sqlmap() -> str:
    if SQLMAP is None:
        if os.environ.get("CI"):
            pytest.fail("Debian's sqlmap is not installed: run `make system-deps`")
        pytest.skip("sqlmap is not installed (make system-deps)")
    return SQLMAP


def _command(sqlmap: str, url: str, output: Path) -> list[str]:
    parameters = ",".join(pair.split("=")[0] for pair in url.split("?", 1)[1].split("&"))
    return [
        sqlmap,
        "-u",
        url,
        "--batch",
        "--level=2",
        "--risk=1",
        "--technique=BEU",
        "--dbms=SQLite",
        "--timeout=10",
        "--retries=0",
        "--flush-session",
        "--disable-coloring",
        f"--output-dir={output}",
        "-p",
        parameters,
    ]


def test_the_same_sqlmap_run_finds_a_planted_injection(sqlmap, tmp_path: Path) -> None:
    """Control: a tiny app that pastes its parameter into SQL is found injectable by the same options."""
    vulnerable = Flask("vulnerable")

    @vulnerable.get("/personnes")
    def people() -> str:
        connection = sqlite3.connect(":memory:")
        connection.execute("CREATE TABLE p (id INTEGER, nom TEXT)")
        connection.executemany("INSERT INTO p VALUES (?, ?)", [(1, "Ada"), (2, "Alan")])
        query = f"SELECT nom FROM p WHERE id = {request.args.get('id', '1')}"  # noqa: S608 (the bug planted)
        try:
            rows = connection.execute(query).fetchall()
        except sqlite3.Error:
            return "erreur"
        return ", ".join(row[0] for row in rows) or "personne"

    with serve(vulnerable) as base:
        command = _command(sqlmap, base + "/personnes?id=1", tmp_path)
        run = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
    assert any(sign in run.stdout for sign in FOUND), run.stdout[-3000:]


def test_sqlmap_finds_no_injection(app, people, client_for, make_user, sqlmap, tmp_path: Path) -> None:
    famille = client_for(people["famille"])
    file_address_change(app, famille)  # a row in the queue, so that true and false answers differ
    clients = {"agent": client_for(people["accueil"]), "admin": client_for(make_user("admin"))}
    started = time.monotonic()
    tested = 0
    with serve(app) as base:
        for who, path in TARGETS:
            command = _command(sqlmap, base + path, tmp_path)
            if who in clients:
                cookie = clients[who].get_cookie("session")
                assert cookie is not None
                command.append(f"--cookie=session={cookie.value}")
            run = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
            output = run.stdout + run.stderr
            assert not any(sign in output for sign in FOUND), output[-3000:]
            assert "do not appear to be injectable" in output, output[-3000:]
            parameters = path.split("?", 1)[1].count("=")
            tested += parameters
            assert "redirect" not in output.lower(), output[-2000:]  # stayed logged in (no login page)
    seconds = time.monotonic() - started
    print(f"sqlmap: {len(TARGETS)} routes, {tested} parameters, 0 injectable, {seconds:.0f} s")
