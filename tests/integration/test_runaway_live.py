"""A runaway expression in one request does not stop the server: other clients keep getting pages.

A live waitress server (in a thread) runs « Commencer » on a démarche whose start script burns CPU
until the budget stops it; meanwhile another client asks for the catalogue again and again. The
test counts the pages served while the runaway was running (no clock in the assertions).
"""

from __future__ import annotations

import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from engine import scripts
from tests.fixtures.app import PASSWORD
from tests.fixtures.browser import serve
from tests.fixtures.runaway import CPU_HOG, deploy, with_start_script

CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


class Visitor:
    """A browser-less client with its own cookies."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, str]:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.status, response.read().decode("utf-8")

    def post(self, path: str, form_page: str, data: dict[str, str]) -> int:
        _, page = self.get(form_page)
        token = CSRF.search(page)
        assert token, form_page
        body = urllib.parse.urlencode({**data, "csrf_token": token.group(1)}).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=120) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)


def test_other_requests_are_served_while_a_runaway_expression_runs(app, people, monkeypatch):
    deploy(app, with_start_script(CPU_HOG))
    family = people["famille"]
    started = threading.Event()

    class NotingBudget(scripts._Budget):
        def __init__(self) -> None:
            super().__init__()
            started.set()  # an evaluation has started: the catalogue evaluates none

    monkeypatch.setattr(scripts, "_Budget", NotingBudget)
    served_meanwhile = 0
    with serve(app) as base:
        runaway = Visitor(base)
        assert (
            runaway.post("/connexion", "/connexion", {"username": family.username, "password": PASSWORD})
            == 200
        )
        outcome: list[int] = []
        thread = threading.Thread(
            target=lambda: outcome.append(
                runaway.post("/demarches/changement_telephone/commencer", "/demarches", {})
            )
        )
        thread.start()
        assert started.wait(timeout=60), "the start script never ran"
        other = Visitor(base)
        waits: list[float] = []  # reported (docs/security.md), never asserted
        while thread.is_alive():
            before = time.perf_counter()
            status, page = other.get("/demarches")
            waits.append(time.perf_counter() - before)
            assert status == 200
            assert "Changement de téléphones" in page
            if thread.is_alive():
                served_meanwhile += 1
        thread.join()
    print(f"pages served during the runaway: {served_meanwhile}, longest wait {max(waits) * 1000:.0f} ms")
    assert outcome == [500]  # stopped by the budget, answered with the French page
    assert served_meanwhile >= 3, served_meanwhile
