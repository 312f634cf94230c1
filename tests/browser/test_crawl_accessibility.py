"""Every page each demo role can reach, found by following links, under axe at 1280 px and at 320 px.

The explicit page-state tests (test_accessibility.py) cover error states and dialogs; this one makes
sure that no page is forgotten: with the demo data loaded (`guichet demo`), each demo account logs
in and follows every same-origin link breadth-first, so a page added by a future area is audited
as soon as a menu or a list links to it. Each Flask endpoint is audited at most twice per account
(a list and one of its items), which keeps the run short; the figures go to docs/accessibility.md.
"""

from __future__ import annotations

from collections import deque
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.fixtures.app import WORKFLOWS
from tests.fixtures.axe import BLOCKING, axe_violations, describe
from tests.fixtures.browser import screenshot
from web.demo import DEMO_ACCOUNTS, load_demo
from web.extensions import db

from .test_accessibility import NARROW

pytestmark = pytest.mark.browser

WIDE = {"width": 1280, "height": 900}
PER_ENDPOINT = 2
# Links that end the session or only serve files: followed by other tests, not audited here.
SKIPPED_PREFIXES = ("/static/", "/deconnexion")
SKIPPED_SUFFIXES = (".pdf", ".csv", ".ods", ".zip", ".png", ".jpg", ".svg", ".xml", ".bpmn", ".json")


def _endpoint(app: Flask, path: str) -> str | None:
    adapter = app.url_map.bind("guichet.test")
    try:
        endpoint, _ = adapter.match(path, method="GET")
    except Exception:  # a redirect, a 404 or a method not allowed: not a page to audit
        return None
    return str(endpoint)


def _links(page: Any, origin: str) -> list[str]:
    hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin:
            continue
        path = parts.path
        if path.startswith(SKIPPED_PREFIXES) or path.lower().endswith(SKIPPED_SUFFIXES):
            continue
        found.append(path + (f"?{parts.query}" if parts.query else ""))
    return found


class Crawl:
    def __init__(self, app: Flask, page: Any, origin: str, who: str) -> None:
        self.app, self.page, self.origin, self.who = app, page, origin, who
        self.seen: set[str] = set()
        self.per_endpoint: dict[str, int] = {}
        self.audited: list[str] = []
        self.found: list[str] = []

    def wanted(self, target: str) -> str | None:
        if target in self.seen:
            return None
        endpoint = _endpoint(self.app, urlsplit(target).path)
        if endpoint is None or self.per_endpoint.get(endpoint, 0) >= PER_ENDPOINT:
            return None
        return endpoint

    def run(self, start: str) -> None:
        queue = deque([start])
        while queue:
            target = queue.popleft()
            endpoint = self.wanted(target)
            if endpoint is None:
                continue
            self.seen.add(target)
            try:
                response = self.page.goto(target)
            except PlaywrightError as error:  # a download (PDF, export) served at a path without suffix
                if "Download is starting" in str(error):
                    continue
                raise
            if response is None or "text/html" not in (response.headers.get("content-type") or ""):
                continue
            self.per_endpoint[endpoint] = self.per_endpoint.get(endpoint, 0) + 1
            self.audit(target, endpoint, response.status)
            queue.extend(_links(self.page, self.origin))

    def audit(self, target: str, endpoint: str, status: int) -> None:
        name = f"crawl-{self.who}-{len(self.audited):02d}-{endpoint.replace('.', '-')}"
        self.audited.append(f"{self.who} {status} {target}")
        screenshot(self.page, name)
        if status >= 500:
            self.found.append(f"--- {self.who}: {target} answered {status}")
        blocking = [v for v in axe_violations(self.page) if v["impact"] in BLOCKING]
        if blocking:
            self.found.append(f"--- {self.who}: {target} ({endpoint})\n{describe(blocking)}")
        self.page.set_viewport_size({"width": NARROW, "height": 640})
        width = self.page.evaluate("() => document.documentElement.scrollWidth")
        if width > NARROW:
            culprits = self.page.evaluate(
                """(w) => [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > w + 1)
                    .slice(-3).map(e => e.tagName + '.' + e.className).join(', ')""",
                NARROW,
            )
            self.found.append(f"--- {self.who}: {target} is {width} px wide at {NARROW} px: {culprits}")
        self.page.set_viewport_size(WIDE)


def _log_in(page: Any, username: str, password: str) -> None:
    page.goto("/connexion")
    box = page.get_by_role("region", name="MON ESPACE PERSO")
    box.get_by_role("textbox", name="Nom d'utilisateur").fill(username)
    box.get_by_label("Mot de passe").fill(password)
    box.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("status")).to_contain_text("Bienvenue")


def test_every_page_of_every_demo_role_passes_axe_and_reflows(
    app: Flask, browser: Any, live_server: str
) -> None:
    with app.app_context():
        session = db.session()
        load_demo(session, WORKFLOWS)
        session.commit()
    accounts: list[tuple[str, str | None]] = [("visiteur", None)]
    accounts += [(a["username"], a["password"]) for a in DEMO_ACCOUNTS]
    audited: list[str] = []
    found: list[str] = []
    for username, password in accounts:
        context = browser.new_context(base_url=live_server, locale="fr-FR", viewport=WIDE)
        try:
            page = context.new_page()
            if password is not None:
                _log_in(page, username, password)
            crawl = Crawl(app, page, live_server.rstrip("/"), username)
            crawl.run(page.url if password is not None else "/")
            audited += crawl.audited
            found += crawl.found
        finally:
            context.close()
    print(f"\n{len(audited)} page states audited at {WIDE['width']} and {NARROW} px")
    print("\n".join(audited))
    # Each role reaches its own pages: far more than the public ones.
    assert len(audited) >= 10 * len(accounts) // 2, audited
    assert not found, "\n".join(found)
