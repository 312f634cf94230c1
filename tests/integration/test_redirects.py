"""Every redirect or back-link target taken from a request stays on this site (ASVS 3.7.2).

The views that take one are marked `@returns_to(...)` (web/core/redirects.py); a test fails when a
view reads `next`, `retour` or `back` (or calls the queue's `_back()`) without the mark, and every
marked route of `app.url_map` is then tried with each malicious value below: a redirect lands on a
page of the site, and no link, form action or hidden field of the page carries the value.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from engine.models import HumanTask
from tests.fixtures.app import PASSWORD, csrf_token
from tests.fixtures.integration import file_address_change, html
from web.backoffice.models import SavedFilter
from web.core.redirects import REGISTRY, TARGET_PARAMETERS, safe_target
from web.extensions import db

MALICIOUS = [
    "https://evil.example/",
    "http:evil.example",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/%2F%5Cevil.example%2F",
    "%2F%5Cevil.example%2F",
    "/%2f%2fevil.example",
    "/%252F%252Fevil.example",
    "/%5Cevil.example",
    "/\tevil.example",
    "/\t/evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "/\x00/evil.example",
    "/／evil.example",  # fullwidth solidus: NFKC makes it "/"
    "／／evil.example",
    "/＼evil.example",  # fullwidth reverse solidus
    "/\u3000/evil.example",  # ideographic space
    "javascript:alert('evil')",
    "data:text/html,evil",
    "evil.example",
    "/" + "a" * 3000 + "evil",
]
GOOD = ["/agents/", "/mes-demandes?etat=en-cours", "/agents/?demarche=changement_adresse&page=2"]
SOURCE_MARKERS = re.compile(
    r"request\.(args|form|values)\.get\(\s*[\"'](" + "|".join(TARGET_PARAMETERS) + r")[\"']|\b_back\("
)
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("value", MALICIOUS)
def test_the_helper_refuses_every_malicious_value(value: str) -> None:
    assert safe_target(value) is None


@pytest.mark.parametrize("value", GOOD)
def test_the_helper_keeps_paths_of_the_site(value: str) -> None:
    assert safe_target(value) == value


def _view_key(view) -> tuple[str, str]:
    view = inspect.unwrap(view)
    return view.__module__, view.__qualname__


def marked_rules(app) -> list[tuple[str, str, tuple[str, ...]]]:
    """(rule, method, parameters) of every route whose view is marked @returns_to."""
    found = []
    for rule in app.url_map.iter_rules():
        parameters = REGISTRY.get(_view_key(app.view_functions[rule.endpoint]))
        if parameters:
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.append((rule.rule, method, parameters))
    return found


def test_every_view_that_reads_a_target_is_marked(app) -> None:
    unmarked = []
    for endpoint, view in app.view_functions.items():
        source = inspect.getsource(inspect.unwrap(view))
        if SOURCE_MARKERS.search(source) and _view_key(view) not in REGISTRY:
            unmarked.append(endpoint)
    assert unmarked == []
    assert len(marked_rules(app)) >= 7  # login GET/POST, home, claim, release, bulk claim, assign, filters


def test_templates_carry_targets_on_only_through_the_filter() -> None:
    pattern = re.compile(
        r"request\.(args|form|values)\.get\(\s*'(next|retour|back)'\s*\)(?!\s*\|\s*safe_target)"
    )
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "web").rglob("*.html")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def _attributes(response) -> list[str]:
    doc = html(response)
    return [
        value
        for element in doc.iter()
        for name, value in element.attrib.items()
        if name in {"href", "action", "value", "formaction", "src"}
    ]


def _assert_stays_home(response, value: str) -> None:
    location = response.headers.get("Location")
    if location is not None:
        assert safe_target(location) == location or urlsplit(location).netloc == "localhost", location
        assert "evil" not in location.lower()
    if response.mimetype == "text/html" and response.status_code != 302:
        # A link of the site may carry the value in its query (/connexion?next=…): harmless, as long as
        # the part that decides where the browser goes is a path of the site.
        leaked = [a for a in _attributes(response) if "evil" in a.lower() and not _same_origin(a)]
        assert leaked == [], (value, leaked)


def _assignee(app, task_id: int) -> str:
    with app.app_context():
        return str(db.session.get(HumanTask, task_id).assignee_id or "")


def _saved_filter(app, user_id: int) -> str:
    with app.app_context():
        saved = SavedFilter(user_id=user_id, name=f"Filtre {db.session.query(SavedFilter).count()}", query="")
        db.session.add(saved)
        db.session.commit()
        return str(saved.id)


def _same_origin(value: str) -> bool:
    path = value.split("?", 1)[0]
    return safe_target(path) == path


def _urls(rule: str, task_id: int) -> str:
    return rule.replace("<int:task_id>", str(task_id))


def test_every_marked_route_refuses_every_malicious_value(app, people, client_for) -> None:
    famille = client_for(people["famille"])
    filed = file_address_change(app, famille)
    agent = client_for(people["accueil"])
    anonymous = app.test_client()
    tried = 0
    statuses: dict[tuple[str, str], set[int]] = {}
    for rule, method, parameters in marked_rules(app):
        url = _urls(rule, filed.agent_task_id)
        client = anonymous if rule in {"/", "/connexion"} else agent
        for parameter in parameters:
            for value in MALICIOUS:
                if method == "GET":
                    response = client.get(url, query_string={parameter: value})
                else:
                    token_page = client.get(url if rule.endswith(("attribuer", "/connexion")) else "/agents/")
                    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', token_page.text)
                    data = {parameter: value, "csrf_token": token.group(1) if token else ""}
                    if rule.endswith("prendre-selection"):
                        data["taches"] = str(filed.agent_task_id)
                    if rule.endswith("attribuer"):
                        holder = _assignee(app, filed.agent_task_id)
                        other = people["accueil2" if holder == str(people["accueil"].id) else "accueil"]
                        data.update(agent=str(other.id), attendu=holder)
                    if rule.endswith("filtres/supprimer"):
                        data["filtre"] = _saved_filter(app, people["accueil"].id)
                    if rule == "/connexion":
                        data.update(username=people["famille"].username, password=PASSWORD)
                    response = client.post(url, data=data, query_string={parameter: value})
                assert response.status_code < 500, (rule, method, value, response.status_code)
                _assert_stays_home(response, value)
                statuses.setdefault((rule, method), set()).add(response.status_code)
                tried += 1
    assert tried >= 15 * 8
    # Every route really ran its view: POSTs redirected (CSRF accepted), GETs rendered their page.
    assert all(codes & {200, 302, 303} for codes in statuses.values()), [
        (k, v) for k, v in statuses.items() if not v & {200, 302, 303}
    ]


@pytest.mark.parametrize("value", MALICIOUS)
def test_login_never_sends_the_user_off_site(app, people, value: str) -> None:
    client = app.test_client()
    token = csrf_token(client, "/connexion")
    response = client.post(
        "/connexion",
        query_string={"next": value},
        data={"username": people["famille"].username, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"  # a family lands on its tableau de bord


def test_the_reported_open_redirect_is_closed(app, people, client_for) -> None:
    filed = file_address_change(app, client_for(people["famille"]))
    agent = client_for(people["accueil"])
    page = agent.get(f"/agents/taches/{filed.agent_task_id}/attribuer?retour=%2F%5Cevil.example%2F")
    assert page.status_code == 200
    cancel = html(page).xpath("//a[normalize-space()='Annuler']/@href")
    assert cancel == ["/agents/"]
