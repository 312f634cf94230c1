"""Contracts between the parts: diagrams and forms, routes and login, configuration and docs, headers."""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from forms.registry import load_all
from tests.fixtures.app import GROUPS, PASSWORD, WORKFLOWS, csrf_token
from tests.fixtures.integration import decide, file_address_change, get_urls, html, outbox
from tests.fixtures.routes import ROUTE_VALUES
from web.config import DEFAULTS
from web.demo import DEMO_GROUPS

ROOT = Path(__file__).resolve().parents[2]
OPERATOR_GUIDE = ROOT / "docs" / "operator-guide.md"
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiff": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
DIAGRAMS = sorted(WORKFLOWS.glob("*.bpmn"))
PUBLIC_RULES = {
    "/",
    # The bank's side of the online payment (web/factures/bank.py): its server and the family's browser
    # come back without our session; the development bank simulator.
    "/factures/paiement/notification",
    "/factures/paiement/retour",
    "/factures/banque-simulee",
    "/connexion",
    "/langue",  # the header's language switch: visitors choose their language too
    "/demarches",
    "/demarches/<key>/aide",  # « Aide à la saisie », public like the catalogue
    # « OUBLI DE MOT DE PASSE » (web/accounts/reset.py): by definition for visitors who cannot log in.
    "/mot-de-passe-oublie",
    "/mot-de-passe/<token>",
    "/mot-de-passe/nouveau",
    # « Créer mon espace » (web/accounts/signup.py): the signup wizard and its activation link.
    "/creer-mon-espace",
    "/activation/<token>",
    # « Changement de courriels » (web/accounts/email_change.py): the link mailed to the new address may
    # be opened on another device, logged out; the single-use token is the credential.
    "/courriel/verifier/<token>",
    "/accessibilite",  # the accessibility statement (web/accessibility): for everyone
    "/donnees-personnelles",  # the register of processing (web/donnees): for everyone
    "/sante",  # health page for load balancers (web/health.py): no personal data, only states
    "/favicon.ico",  # the site icon browsers ask for on every page
    # « Structures de la ville » (web/structures): practical information for visitors and families.
    "/structures",
    "/structures/<int:facility_id>",
    # « A qui s'adresser en cas de problème ? » (web/contact): for visitors who cannot log in, too.
    "/contact",
    # « Actualités » (web/actualites): public news for everyone; a targeted one is a 404 unless the family
    # is concerned, never a login page (which would say that it exists).
    "/actualites",
    "/actualites/<int:news_id>",
    "/actualites/<int:news_id>/image",
    "/actualites/flux.atom",
}
# /controle/: the captcha image, audio and renewal of the signup screen (web/accounts/captcha.py).
PUBLIC_PREFIXES = ("/static/", "/dev/courriels/", "/controle/")


def parsed(path: Path) -> etree._Element:
    return etree.fromstring(path.read_bytes(), etree.XMLParser(resolve_entities=False, no_network=True))


def form_keys_used() -> dict[str, str]:
    """formKey -> diagram file, for every user task of every shipped diagram."""
    used = {}
    for path in DIAGRAMS:
        for task in parsed(path).iterfind(".//bpmn:userTask", NS):
            keys = task.xpath(".//spiff:property[@name='formKey']/@value", namespaces=NS)
            assert len(keys) == 1, f"{path.name}: user task {task.get('id')} needs exactly one formKey"
            used[keys[0]] = path.name
    return used


def test_there_are_diagrams_to_check():
    assert DIAGRAMS, WORKFLOWS


def test_every_form_key_of_the_diagrams_is_registered_and_every_registered_form_is_used():
    used = form_keys_used()
    registered = set(load_all())
    assert set(used) - registered == set(), "formKey used in a diagram but no form registered"
    assert registered - set(used) == set(), "form registered but used by no diagram"


def test_every_lane_is_a_known_group_or_the_family():
    known = {"Famille", *DEMO_GROUPS}
    assert set(GROUPS) == set(DEMO_GROUPS)  # the tests run with the groups a town starts with
    for path in DIAGRAMS:
        lanes = [lane.get("name") for lane in parsed(path).iterfind(".//bpmn:lane", NS)]
        assert lanes, f"{path.name} has no lanes"
        assert set(lanes) <= known, f"{path.name}: unknown lanes {set(lanes) - known}"


def is_public(rule: str) -> bool:
    return rule in PUBLIC_RULES or rule.startswith(PUBLIC_PREFIXES)


def test_every_route_requires_login_unless_explicitly_public(app, people, client_for):
    famille = client_for(people["famille"])
    filed = file_address_change(app, famille)
    values = {
        **ROUTE_VALUES,  # tests/fixtures/routes.py: the ids and values every route walk uses
        "instance_id": filed.instance_id,
        "task_id": filed.agent_task_id,
        "message_id": 1,
        "user_id": 1,  # an account (admin pages)
        "closure_id": 1,  # an exceptional closure of a facility
        "case_id": 1,  # a scenario case of a démarche (studio)
        "export_id": 1,  # an export of « Mes données »
    }
    checked = {}
    with app.test_request_context():
        rules = list(app.url_map.iter_rules())
    for rule in rules:
        # A fresh visitor each time: a public POST (« Créer mon espace ») gives the session a guest identity.
        anonymous = app.test_client()
        token = csrf_token(
            anonymous, "/connexion"
        )  # so that a POST reaches the login check, not the CSRF one
        url = rule.build({name: values[name] for name in rule.arguments})[1]
        if "GET" in (rule.methods or set()):
            response = anonymous.get(url)
        else:
            response = anonymous.post(url, data={"csrf_token": token})
        location = response.headers.get("Location", "")
        requires_login = response.status_code == 302 and location.startswith("/connexion?next=")
        response.close()
        checked[rule.rule] = requires_login
        assert requires_login != is_public(rule.rule), (rule.rule, response.status_code, location)
    assert not checked["/"]
    for rule in ("/taches/<int:task_id>", "/deconnexion", "/demarches/<key>/commencer"):
        assert checked[rule], rule


def test_every_configuration_key_is_documented_in_the_operator_guide():
    assert OPERATOR_GUIDE.exists(), "docs/operator-guide.md is missing"
    guide = OPERATOR_GUIDE.read_text(encoding="utf-8")
    missing = [key for key in DEFAULTS if f"`{key}`" not in guide]
    assert missing == [], f"keys of web.config.DEFAULTS missing from docs/operator-guide.md: {missing}"


def walk(app, clients, values):
    """GET every route as every client, plus error pages and a form in error; yields (who, url, response)."""
    urls = [*get_urls(app, values).values(), "/nulle-part", "/taches/999999"]
    for who, client in clients.items():
        for url in urls:
            yield who, url, client.get(url)
        yield who, "POST /connexion", client.post("/connexion", data={})  # CSRF error page
    famille = clients["famille"]
    yield "famille", "GET /deconnexion", famille.get("/deconnexion")  # 405


def test_every_html_response_carries_the_security_headers(app, people, client_for):
    famille = client_for(people["famille"])
    agent = client_for(people["accueil"])
    filed = file_address_change(app, famille)
    assert decide(agent, filed.agent_task_id, "refusee", "Hors commune").status_code == 302
    other = file_address_change(app, famille)
    (mail,) = outbox(app)
    values = {
        **ROUTE_VALUES,  # tests/fixtures/routes.py: the ids and values every route walk uses
        "instance_id": other.instance_id,
        "task_id": other.agent_task_id,
        "message_id": mail.id,
        "user_id": 1,  # an account (admin pages)
        "closure_id": 1,  # an exceptional closure of a facility
        "case_id": 1,  # a scenario case of a démarche (studio)
    }
    clients = {"anonyme": app.test_client(), "famille": famille, "agent": agent}
    pages = 0
    for who, url, response in walk(app, clients, values):
        headers = response.headers
        if response.mimetype == "text/html":
            pages += 1
            csp = headers.get("Content-Security-Policy", "")
            assert "default-src 'self'" in csp, (who, url)
            assert "frame-ancestors 'none'" in csp, (who, url)
            assert "object-src 'none'" in csp, (who, url)
            assert "'unsafe-inline'" not in csp, (who, url)
            assert "'unsafe-eval'" not in csp, (who, url)
            assert headers.get("X-Content-Type-Options") == "nosniff", (who, url)
            assert headers.get("Referrer-Policy") in {"same-origin", "no-referrer", "strict-origin"}, (
                who,
                url,
            )
            assert headers.get("Cross-Origin-Opener-Policy") == "same-origin", (who, url)
            # The CSP forbids inline code and style: the pages must not need any.
            doc = html(response)
            assert not doc.xpath("//script[not(@src)] | //style | //*[@style]"), (who, url)
            assert not [a for a in doc.xpath("//@*") if a.attrname.lower().startswith("on")], (who, url)
        if who != "anonyme":
            assert "no-store" in headers.get("Cache-Control", ""), (who, url, response.status_code)
        response.close()
    assert pages >= 3 * 12


def test_anonymous_pages_may_be_cached_but_authenticated_ones_not(app, people, client_for):
    assert "no-store" not in app.test_client().get("/demarches").headers.get("Cache-Control", "")
    assert client_for(people["famille"]).get("/demarches").headers["Cache-Control"] == "no-store"


def cookie_flags(set_cookie: str) -> dict[str, str]:
    name_value, *attributes = [part.strip() for part in set_cookie.split(";")]
    flags = {"name": name_value.split("=", 1)[0]}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        flags[key.lower()] = value
    return flags


def test_production_cookies_are_secure_httponly_and_samesite_lax(app_factory, app, people):
    production = app_factory(ENV="production")
    assert production.config["SESSION_COOKIE_SECURE"] is True
    client = production.test_client()
    https = {"base_url": "https://guichet.test"}
    first = client.get("/connexion", **https)
    assert first.headers.get("Strict-Transport-Security", "").startswith("max-age=")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', first.get_data(as_text=True))
    assert token
    logged_in = client.post(
        "/connexion",
        data={"username": people["famille"].username, "password": PASSWORD, "csrf_token": token.group(1)},
        headers={"Referer": "https://guichet.test/connexion"},
        **https,
    )
    assert logged_in.status_code == 302, logged_in.get_data(as_text=True)[:300]
    cookies = first.headers.getlist("Set-Cookie") + logged_in.headers.getlist("Set-Cookie")
    assert any(cookie_flags(c)["name"] == "session" for c in cookies)
    for cookie in cookies:
        flags = cookie_flags(cookie)
        assert "secure" in flags, cookie
        assert "httponly" in flags, cookie
        assert flags.get("samesite") == "Lax", cookie
    assert client.get("/mes-demandes", **https).status_code == 200
