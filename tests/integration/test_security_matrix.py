"""The role × route matrix and CSRF on every state-changing route, both generated from app.url_map.

`POLICY` is the documented access policy (docs/security.md): every endpoint has a class, and a new
route without one fails the test. Each (role, route) cell is then requested: a role outside the
class gets the login page (anonymous) or the French 403 page, before any view runs; a role inside
it is not refused. Every POST rule is then sent without a CSRF token and with a forged one, by every
role: 400 each time and the database unchanged.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from engine import api
from tests.fixtures.app import WORKFLOWS
from tests.fixtures.integration import file_address_change, outbox, snapshot, text
from tests.fixtures.routes import ROUTE_VALUES
from web.coffre import demo as store_demo
from web.extensions import db
from web.studio import services as studio

#: endpoint → who may use it: public (everyone), family (families only), staff (agents, analysts,
#: admins), admin (admins only), logged_in (any account), guest (any account, or the visitor who
#: holds the guest démarche: signup, forgotten password), dev (development pages: everyone, off in
#: production), token (a secret in the URL decides), communication / enfance / quartiers (agents of
#: the Communication, Enfance, « Vie des quartiers » group: other agents, admins outside the group and
#: families get a 403), finances (agents of the Finances group), bank (the bank's return and server-to-server
#: notification: anyone, no session, no CSRF token; an empty answer is refused before anything is
#: written), analyst (analysts and admins: everyone else gets the 404 page).
POLICY = {
    "accessibility.statement": "public",
    "accounts.activate": "token",
    "accounts.activation_page": "token",
    "accounts.edit_credentials": "logged_in",
    "accounts.edit_language": "logged_in",  # « Langue » on « Modifier mon profil » (POST, CSRF)
    "accounts.edit_space": "family",
    "accounts.extend_session": "logged_in",
    "accounts.home": "public",
    "accounts.login": "public",
    "accounts.logout": "logged_in",
    "accounts.set_language": "public",  # the header's language switch (POST, CSRF): visitors too
    "accounts.profile": "logged_in",
    "accounts.service_keys": "family",
    "accounts.start_signup": "public",
    "accounts.verification_page": "token",
    "accounts.verify": "token",
    "activites.add_session": "staff",
    "activites.attendance": "staff",
    "activites.cancel": "family",
    "activites.close_activity": "staff",
    "activites.close_session": "staff",
    "activites.draw": "family",
    "activites.index": "family",
    "activites.manage": "staff",
    "activites.mine": "family",
    "activites.move_child": "staff",
    "activites.remove_session": "staff",
    "activites.session_page": "staff",
    "activites.settings": "staff",
    "activites.show": "family",
    "activites.update_session": "staff",
    "actualites.create": "communication",
    "actualites.delete": "communication",
    "actualites.edit": "communication",
    "actualites.manage": "communication",
    "actualites.news_detail": "public",
    "actualites.news_feed": "public",
    "actualites.news_image": "public",
    "actualites.news_list": "public",
    "admin.agent": "admin",
    "admin.agent_absences": "admin",
    "admin.agent_return": "admin",
    "admin.agents": "admin",
    "admin.audit_log": "admin",
    "admin.group_policy": "admin",
    "admin.groups": "admin",
    "admin.outbox": "admin",
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
    "backoffice.search_requests": "staff",
    "backoffice.service_keys": "staff",
    "backoffice.show_request": "staff",
    "backoffice.waiting_for_family": "staff",
    "captcha.audio": "public",
    "captcha.image": "public",
    "captcha.renew": "public",
    "coffre.delete": "family_hidden",
    "coffre.download": "family_hidden",
    "coffre.edit": "family_hidden",
    "coffre.index": "family_hidden",
    "coffre.preview": "family_hidden",
    "coffre.show": "family_hidden",
    "coffre.upload": "family_hidden",
    "contact.page": "public",
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
    "factures.agent_invoice": "finances",
    "factures.agent_invoices": "finances",
    "factures.agent_payment": "finances",
    "factures.agent_payments": "finances",
    "factures.bank_notification": "bank",
    "factures.bank_return": "bank",
    "factures.export_invoices": "finances",
    "factures.export_payments": "finances",
    "factures.import_invoices": "finances",
    "factures.invoice": "family",
    "factures.invoice_file": "family",
    "factures.my_invoices": "family",
    "factures.new_invoice": "finances",
    "factures.my_payments": "family",
    "factures.pay": "family",
    "factures.payment": "family",
    "factures.receipt_file": "family",
    "factures.reconciliation": "finances",
    "factures.simulator": "dev",
    "documents.preview": "logged_in",
    "donnees.ask_export": "family",
    "donnees.download": "family",
    "donnees.mine": "family",
    "donnees.register_page": "public",
    "famille.edit_address": "enfance",
    "famille.edit_child": "enfance",
    "famille.edit_member": "enfance",
    "famille.import_csv": "enfance",
    "famille.my_family": "family",
    "famille.record": "enfance",
    "famille.records": "enfance",
    "favicon": "public",
    "health.health": "public",
    "reset.follow_link": "token",
    "reset.new_password": "token",
    "reset.start": "public",
    "reset.start_page": "public",
    "static": "public",
    "structures.add_closure": "quartiers",
    "structures.archive": "quartiers",
    "structures.create": "quartiers",
    "structures.edit": "quartiers",
    "structures.index": "public",
    "structures.manage": "quartiers",
    "structures.remove_closure": "quartiers",
    "structures.show": "public",
    "studio.choices": "analyst",
    "studio.compare": "analyst",
    "studio.demarche": "analyst",
    "studio.discard_draft": "analyst",
    "studio.download_draft": "analyst",
    "studio.download_version": "analyst",
    "studio.editor": "analyst",
    "studio.home": "analyst",
    "studio.import_file": "analyst",
    "studio.publish": "analyst",
    "studio.scenarios": "analyst",
    "studio.run_scenarios": "analyst",
    "studio.new_scenario": "analyst",
    "studio.edit_scenario": "analyst",
    "studio.save_scenario": "analyst",
    "studio.delete_scenario": "analyst",
    "studio.preview_draft": "analyst",
    "studio.migration": "analyst",
    "studio.migrate": "analyst",
    "studio.undo_migration": "analyst",
    "studio.waiting": "analyst",
    "studio.rollback": "analyst",
    "studio.save_draft": "analyst",
    "studio.validate": "analyst",
    # The form editor (web/studio/formulaires.py).
    "studio.field_delete": "analyst",
    "studio.field_edit": "analyst",
    "studio.field_move": "analyst",
    "studio.form_create": "analyst",
    "studio.form_editor": "analyst",
    "studio.form_outcomes": "analyst",
    "studio.form_preview": "analyst",
    "studio.form_settings": "analyst",
    "studio.forms_list": "analyst",
    "studio.new_from_model": "analyst",
    "studio.insert_block": "analyst",
    "tasks.guest_done": "guest",
    "tasks.show": "guest",  # a family's task, a guest's (signup) task, an agent's (to the dossier)
}
#: agent: of Accueil; communication, enfance, quartiers: agents of that group only; admin: in no group.
ROLES = (
    "anonyme",
    "famille",
    "agent",
    "communication",
    "enfance",
    "quartiers",
    "finances",
    "analyste",
    "admin",
)
STAFF = {"agent", "communication", "enfance", "quartiers", "finances", "analyste", "admin"}
ALLOWED = {
    "public": set(ROLES),
    "token": set(ROLES),
    "dev": set(ROLES),
    "logged_in": set(ROLES) - {"anonyme"},
    "guest": set(ROLES) - {"anonyme"},  # a visitor without a guest démarche goes to the login page
    "family": {"famille"},
    "family_hidden": {"famille"},
    "staff": STAFF,
    "admin": {"admin"},
    "communication": {"communication"},
    "enfance": {"enfance"},
    "quartiers": {"quartiers"},
    "finances": {"finances"},
    "bank": set(ROLES),
    "analyst": {"analyste", "admin"},
}
#: Routes of one agent task: the sample task is Accueil's, so the agents of the other services are
#: refused by its service check (a 404, as on the dossier: the task's existence is not revealed),
#: whatever the route's class lets them reach.
TASK_SCOPED = {"backoffice.assign_task", "tasks.show"}
OTHER_SERVICES = {"communication", "enfance", "quartiers", "finances"}
#: The bank's answers come without our CSRF token (web/factures/bank.py): a POST without a valid answer
#: is refused (400) and writes nothing, which the CSRF test checks too.
NO_CSRF = {"factures.bank_notification", "factures.bank_return"}
CSRF_MESSAGE = "Le formulaire a expiré ou n'est pas valide. Rechargez la page et réessayez."


@pytest.fixture
def world(app, people, make_user, client_for):
    famille = client_for(people["famille"])
    filed = file_address_change(app, famille)
    admin = make_user("admin")
    analyste = make_user("analyste")
    clients = {
        "anonyme": app.test_client(),
        "famille": famille,
        "agent": client_for(people["accueil"]),
        "communication": client_for(make_user("agent", groups=["Communication"])),
        "enfance": client_for(make_user("agent", groups=["Enfance"])),
        "quartiers": client_for(make_user("agent", groups=["Vie des quartiers"])),
        "finances": client_for(make_user("agent", groups=["Finances"])),
        "analyste": client_for(analyste),
        "admin": client_for(admin),
    }
    (mail,) = outbox(app) or (None,)
    with app.app_context():  # « Mes documents »: the family's document 1, with a preview
        store_demo.load_store_demo(db.session(), people["famille"].id, date(2026, 3, 11))
        db.session.commit()
    with app.app_context():  # a draft of each studio user, for « brouillon.bpmn » and the form editor
        xml = (WORKFLOWS / "changement_adresse.bpmn").read_text(encoding="utf-8")
        one_field = {"kind": "saisie", "fields": [{"name": "objet", "type": "text", "label": "Objet"}]}
        xml = api.with_task_form(xml, "complement", one_field, "changement_adresse")
        for user in (analyste, admin):
            studio.save_draft(db.session(), user.id, "changement_adresse", xml, 1)
        case = api.case_from_dict({"nom": "Cas", "etapes": [{"tache": "saisie"}]})  # a scenario case
        case_id = api.save_case(db.session(), "changement_adresse", case, author="test")
        db.session.commit()
    values = {
        **ROUTE_VALUES,  # tests/fixtures/routes.py: the ids and values every route walk uses
        "instance_id": filed.instance_id,
        "task_id": filed.agent_task_id,
        "message_id": mail.id if mail else 1,
        "user_id": people["accueil"].id,
        "closure_id": 1,  # an exceptional closure of that facility
        "case_id": case_id,  # a scenario case of a démarche (studio)
        "export_id": 1,  # an export of « Mes données » (none exists)
    }
    return clients, values


def _url(app, rule, values) -> str:
    from flask import url_for

    with app.test_request_context():
        return url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})


def _refused(response, role: str, policy: str, endpoint: str = "") -> bool:
    if role == "anonyme":
        return response.status_code == 302 and response.headers["Location"].startswith("/connexion")
    if policy in ("analyst", "family_hidden"):  # the studio, « Mes documents »: the 404 page, not the 403 one
        return response.status_code == 404
    if endpoint in TASK_SCOPED and role in OTHER_SERVICES:
        return response.status_code == 404
    return response.status_code == 403


def test_every_route_has_a_documented_policy(app) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(POLICY) == set(), "give the new route a class in POLICY (and docs/security.md)"
    assert set(POLICY) - endpoints == set()


def test_the_role_route_matrix(app, world) -> None:
    clients, values = world
    cells = mismatches = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        policy = POLICY[rule.endpoint]
        allowed = ALLOWED[policy] - (OTHER_SERVICES if rule.endpoint in TASK_SCOPED else set())
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
                refused = _refused(response, role, policy, rule.endpoint)
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
        if rule.endpoint in NO_CSRF:
            continue
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
