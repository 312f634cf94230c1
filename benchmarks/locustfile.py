"""Locust users for `make bench-load` (benchmarks/load.py starts the servers and runs locust).

A family logs in once, then files address changes in a loop: « commencer », then the form with its
justificatif (2 POSTs, redirects not followed). An agent of the Accueil service logs in once, then
loops: the queue page (oldest first), then the decision of the N-th oldest task for agent N (as
agents of one service each take their own dossier; all taking the oldest made many decisions
collide). A decision another agent made first gets the French 409: it is reported under its own
name, « agent: décision déjà prise (409) », and is not counted as a step. Families are `famille<N>` accounts
made by benchmarks/load.py (each family user its own account: a draft is its family's own), agents
are `agent<N>` of the Accueil service (concurrent logins of one account would be throttled).
GUICHET_LOAD_AGENTS sets how many agent users run (fixed count).

The users are locust's FastHttpUser (geventhttpclient) rather than HttpUser (python-requests): on the
machine that also runs the server and PostgreSQL, locust's own CPU per request is what the server does
not get (docs/performance.md, « Locust's share of the two cores »).
"""

from __future__ import annotations

import itertools
import os
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from locust import FastHttpUser, between, task

from benchmarks.common import ADDRESS, DECISION, PDF

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
TASK = re.compile(r"/taches/(\d+)")
_numbers = itertools.count(1)
_agents = itertools.count(1)
#: The name a decision answered « already decided » (409) is reported under: not a step.
CONFLICT = "agent: décision déjà prise (409)"


def csrf_of(body: str) -> str:
    match = CSRF.search(body)
    if match is None:
        raise RuntimeError("no csrf_token in the page")
    return match.group(1) or match.group(2)


class _Logged(FastHttpUser):
    abstract = True
    wait_time = between(0, 0)

    def login(self, username: str, password: str) -> None:
        token = csrf_of(self.client.get("/connexion", name="login page").text)
        answer = self.client.post(
            "/connexion",
            {"username": username, "password": password, "csrf_token": token},
            allow_redirects=False,
            name="login",
        )
        if answer.status_code != 302:
            raise RuntimeError(f"login of {username} failed: {answer.status_code}")
        self.csrf = csrf_of(self.client.get("/demarches", name="catalogue").text)


class Famille(_Logged):
    weight = 4

    def on_start(self) -> None:
        number = next(_numbers)
        self.login(f"famille{number}", f"Charge-{number}-Velizy-Villacoublay")

    @task
    def file_address_change(self) -> None:
        started = self.client.post(
            "/demarches/changement_adresse/commencer",
            {"csrf_token": self.csrf},
            allow_redirects=False,
            name="famille: commencer",
        )
        found = TASK.search(started.headers.get("Location", ""))
        if started.status_code != 302 or found is None:
            return  # counted by locust when it is an error status
        fields = {
            **ADDRESS,
            "date_effet": datetime.now(ZoneInfo("Europe/Paris")).date().isoformat(),
            "csrf_token": self.csrf,
        }
        self.client.post(
            f"/taches/{found.group(1)}",
            data=fields,
            files={"justificatif_domicile": ("facture.pdf", PDF, "application/pdf")},
            allow_redirects=False,
            name="famille: formulaire",
        )


class Agent(_Logged):
    fixed_count = int(os.environ.get("GUICHET_LOAD_AGENTS", "1"))

    def on_start(self) -> None:
        self.number = next(_agents)
        self.login(f"agent{self.number}", f"Charge-{self.number}-Accueil")

    @task
    def decide(self) -> None:
        page = self.client.get("/agents/?tri=recue&ordre=asc", name="agent: file")
        ids = list(dict.fromkeys(TASK.findall(page.text)))
        if not ids:
            return
        with self.client.post(
            f"/taches/{ids[(self.number - 1) % len(ids)]}",
            {**DECISION, "commentaire_interne": "", "csrf_token": self.csrf},
            allow_redirects=False,
            name="agent: décision",
            catch_response=True,
        ) as answer:
            if answer.status_code == 409:  # another agent decided it first: a French 409, not an error
                answer.request_meta["name"] = CONFLICT
                answer.success()
