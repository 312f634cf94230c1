"""The role × route matrix and CSRF on every state-changing route, both generated from app.url_map.

`POLICY` is the documented access policy (docs/security.md): every endpoint has a class, and a new
route without one fails the test. Each (role, route) cell is then requested: a role outside the
class gets the login page (anonymous) or the French 403 page, before any view runs; a role inside
it is not refused. Every POST rule is then sent without a CSRF token and with a forged one, by every
role: 400 each time and the database unchanged.
"""

from __future__ import annotations

import re

import pytest

from tests.fixtures.integration import file_address_change, outbox, snapshot, text
from web.extensions import db

#: endpoint → who may use it: public (everyone), family (families only), staff (agents, analysts,
#: admins), admin (admins only), logged_in (any account), guest (any account, or the visitor who
#: holds the guest démarche: signup, forgotten password), dev (development pages: everyone, off in
#: production), token (a secret in the URL decides).
POLICY = {
    "accessibility.statement": "public",
    "accounts.activate": "token",
    "accounts.activation_page": "token",
    "accounts.edit_credentials": "logged_in",
    "accounts.edit_space": "family",
    "accounts.extend_session": "logged_in",
    "accounts.home": "public",
    "accounts.login": "public",
    "accounts.logout": "logged_in",
    "accounts.profile": "logged_in",
    "accounts.service_keys": "family",
    "accounts.start_signup": "public",
    "accounts.verification_page": "token",
    "accounts.verify": "token",
    "admin.agent": "admin",
    "admin.agent_absences": "admin",
    "admin.agent_return": "admin",
    "admin.agents": "admin",
    "admin.group_policy": "admin",
    "admin.groups": "admin",
    "backoffice.assign_task": "staff",
    "backoffice.claim_selection": "staff",
    "backoffice.claim_task": "staff",
    "backoffice.closed_requests": "staff",
    "backoffice.delete_filter": "staff",
    "backoffice.dossier": "staff",
    "backoffice.dossier_comment": "staff",
    "backoffice.dossier_decide": "staff",
    "backoffice.dossier_diagram": "staff",
    "backoffice.export_queue_csv": "staff",
    "backoffice.export_queue_ods": "staff",
    "backoffice.my_absences": "staff",
    "backoffice.my_return": "staff",
    "backoffice.next_task": "staff",
    "backoffice.previous_task": "staff",
    "backoffice.queue": "staff",
    "backoffice.release_task": "staff",
    "backoffice.save_filter": "staff",
    "backoffice.service_keys": "staff",
    "backoffice.show_request": "staff",
    "captcha.audio": "public",
    "captcha.image": "public",
    "captcha.renew": "public",
    "demarches.cancel_request": "family",
    "demarches.catalogue": "public",
    "demarches.discard_draft": "family",
    "demarches.help_page": "public",
    "demarches.my_requests": "family",
    "demarches.request_state": "family",
    "demarches.show_request": "family",
    "demarches.start": "family",
    "devmail.list_messages": "dev",
    "devmail.show_message": "dev",
    "documents.download": "logged_in",
    "reset.follow_link": "token",
    "reset.new_password": "token",
    "reset.start": "public",
    "reset.start_page": "public",
    "static": "public",
    "tasks.guest_done": "guest",
    "tasks.show": "guest",  # a family's task, a guest's (signup) task, an agent's (to the dossier)
}
ROLES = ("anonyme", "famille", "agent", "admin")
ALLOWED = {
    "public": set(ROLES),
    "token": set(ROLES),
    "dev": set(ROLES),
    "logged_in": {"famille", "agent", "admin"},
    "guest": {"famille", "agent", "admin"},  # a visitor without a guest démarche goes to the login page
    "family": {"famille"},
    "staff": {"agent", "admin"},
    "admin": {"admin"},
}
CSRF_MESSAGE = "Le formulaire a expiré ou n'est pas valide. Rechargez la page et réessayez."


@pytest.fixture
def world(app, people, make_user, client_for):
    famille = client_for(people["famille"])
    filed = file_address_change(app, famille)
    admin = make_user("admin")
    clients = {
        "anonyme": app.test_client(),
        "famille": famille,
        "agent": client_for(people["accueil"]),
        "admin": client_for(admin),
    }
    (mail,) = outbox(app) or (None,)
    values = {
        "filename": "css/guichet.css",
        "instance_id": filed.instance_id,
        "task_id": filed.agent_task_id,
        "message_id": mail.id if mail else 1,
        "key": "changement_adresse",
        "challenge_id": "A" * 43,
        "token": "jeton-inconnu",
        "document_id": 1,
        "user_id": people["accueil"].id,
        "group_id": 1,
    }
    return clients, values


def _url(app, rule, values) -> str:
    from flask import url_for

    with app.test_request_context():
        return url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})


def _refused(response, role: str) -> bool:
    if role == "anonyme":
        return response.status_code == 302 and response.headers["Location"].startswith("/connexion")
    return response.status_code == 403


def test_every_route_has_a_documented_policy(app) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(POLICY) == set(), "give the new route a class in POLICY (and docs/security.md)"
    assert set(POLICY) - endpoints == set()


def test_the_role_route_matrix(app, world) -> None:
    clients, values = world
    cells = mismatches = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        allowed = ALLOWED[POLICY[rule.endpoint]]
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        url = _url(app, rule, values)
        for role in ROLES:
            for method in methods:
                if method != "GET" and role in allowed:
                    continue  # POSTs of allowed roles change state: the functional tests cover them
                client = clients[role]
                if method == "GET":
                    response = client.get(url)
                else:
                    token = _token(client)
                    response = client.open(url, method=method, data={"csrf_token": token})
                cells += 1
                refused = _refused(response, role)
                if refused == (role in allowed):
                    mismatches += 1
                    print("MISMATCH", role, method, rule.rule, response.status_code)
                response.close()
    print(f"role × route cells: {cells}, mismatches: {mismatches}")
    assert mismatches == 0
    assert cells >= 200


def _token(client) -> str:
    page = client.get("/connexion")  # a form on every page is not a given; the login form always is
    if page.status_code == 302:  # logged in: the login page sends home
        page = client.get("/profil")
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page.text)
    return match.group(1) if match else ""


def test_csrf_on_every_state_changing_route(app, world) -> None:
    clients, values = world
    before = snapshot(app)
    cells = 0
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"GET", "HEAD", "OPTIONS"}):
            url = _url(app, rule, values)
            for role, client in clients.items():
                for token in (None, "jeton-forge"):
                    data = {} if token is None else {"csrf_token": token}
                    response = client.open(url, method=method, data=data)
                    assert response.status_code == 400, (role, method, rule.rule, response.status_code)
                    assert CSRF_MESSAGE in text(response), (role, rule.rule)
                    cells += 1
    print(f"CSRF cells: {cells}")
    assert cells >= 30 * 4 * 2
    with app.app_context():
        db.session.remove()
    assert snapshot(app) == before
