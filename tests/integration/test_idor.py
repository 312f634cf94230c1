"""IDOR (ASVS 8.2.2): every route with an object id in its URL, generated from app.url_map.

Every rule with an `int` converter is either in `OWNED` — its objects belong to a family, a service
or a visitor, and the table says how the test builds one object owned by A and requests it as B — or
in `SHARED`, with the reason why no object of it belongs to anyone in particular (role-level access,
checked by tests/integration/test_security_matrix.py). A new route with an id and neither entry fails
`test_every_route_with_an_id_is_in_the_table`.

B always gets the 404 page (nobody learns that another's object exists), on GET and, with a valid
CSRF token, on POST; a POST changes nothing. A gets the same GET pages (not a 404): the object is
really there, so the test could fail; for the second round's areas A also sends, at the end, each
POST-only route (not a 404 either).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from flask import url_for
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from engine.documents import Document
from engine.models import HumanTask
from tests.fixtures.app import csrf_token
from tests.fixtures.integration import file_address_change, proof, snapshot, start_demarche
from tests.integration import idor_world
from tests.integration.idor_world import png_bytes
from web.extensions import db
from web.famille.models import Activity, ActivityKind, Child, FamilyMember, FamilyRecord

pytestmark = pytest.mark.usefixtures("clock")

#: endpoint → scenarios whose owner A and intruder B it is requested with:
#: family (« famille » and « autre_famille »), service (an Accueil agent and an État civil agent),
#: record (an Enfance agent of « Sports » and one of « Enfance » only), guest (two visitors, each
#: in a « mot de passe oublié » démarche of their own); and, built by tests/integration/idor_world.py,
#: invoice, booking, stored_document, export (« famille »'s, requested by « autre_famille ») and
#: activity (run by « Sports »: an agent of « Sports » and one of « Enfance »).
OWNED: dict[str, tuple[str, ...]] = {
    "demarches.show_request": ("family",),
    "demarches.request_state": ("family",),
    "demarches.cancel_request": ("family",),
    "demarches.discard_draft": ("family",),
    "documents.download": ("family", "service"),
    "documents.preview": ("family", "service"),
    "tasks.show": ("family", "service", "guest"),
    "tasks.guest_done": ("guest",),
    "backoffice.dossier": ("service",),
    "backoffice.dossier_comment": ("service",),
    "backoffice.dossier_decide": ("service",),
    "backoffice.dossier_diagram": ("service",),
    "backoffice.show_request": ("service",),
    "backoffice.assign_task": ("service",),
    "backoffice.claim_task": ("service",),
    "backoffice.release_task": ("service",),
    "backoffice.next_task": ("service",),
    "backoffice.previous_task": ("service",),
    "famille.record": ("record",),
    "famille.edit_address": ("record",),
    "famille.edit_child": ("record",),
    "famille.edit_member": ("record",),
    "factures.invoice": ("invoice",),
    "factures.invoice_file": ("invoice",),
    "factures.payment": ("invoice",),
    "factures.receipt_file": ("invoice",),
    "activites.cancel": ("booking",),
    "activites.settings": ("activity",),
    "activites.add_session": ("activity",),
    "activites.session_page": ("activity",),
    "activites.attendance": ("activity",),
    "activites.move_child": ("activity",),
    "activites.close_activity": ("activity",),
    "activites.update_session": ("activity",),
    "activites.close_session": ("activity",),
    "activites.remove_session": ("activity",),
    "coffre.show": ("stored_document",),
    "coffre.edit": ("stored_document",),
    "coffre.delete": ("stored_document",),
    "coffre.download": ("stored_document",),
    "coffre.preview": ("stored_document",),
    "donnees.download": ("export",),
}
#: endpoint → why its objects belong to nobody in particular (the role decides; see the matrix).
SHARED: dict[str, str] = {
    "actualites.news_detail": "published news: public",
    "actualites.news_image": "image of a published news item: public",
    "actualites.edit": "news are the Communication group's, not one agent's",
    "actualites.delete": "news are the Communication group's, not one agent's",
    "admin.agent": "admins manage every staff account",
    "admin.agent_absences": "admins manage every staff account",
    "admin.agent_return": "admins manage every staff account",
    "admin.group_policy": "admins manage every group",
    "structures.show": "facilities: public",
    "structures.edit": "facilities are the « Vie des quartiers » group's",
    "structures.archive": "facilities are the « Vie des quartiers » group's",
    "structures.add_closure": "facilities are the « Vie des quartiers » group's",
    "structures.remove_closure": "facilities are the « Vie des quartiers » group's",
    "studio.download_version": "published versions: every analyst's (drafts are per analyst, by key)",
    "studio.rollback": "published versions: every analyst's",
    "devmail.show_message": "development outbox (off in production): everyone's by design",
    "factures.agent_invoice": "invoices are the Finances group's, every Finances agent's",
    "factures.agent_payment": "payments are the Finances group's, every Finances agent's",
    "activites.show": "an activity open for booking is offered to every family (its page and form)",
    "activites.draw": "a draw's record is published to every family (request references, no names)",
    "studio.edit_scenario": "a démarche's scenario cases are its analysts' common test suite",
    "studio.delete_scenario": "a démarche's scenario cases are its analysts' common test suite",
    "studio.field_edit": "a position in the analyst's own draft (current_user's): nobody else's object",
    "studio.field_move": "a position in the analyst's own draft (current_user's): nobody else's object",
    "studio.field_delete": "a position in the analyst's own draft (current_user's): nobody else's object",
}
#: Queue navigation takes a position, not an object: B is sent within B's own queue (never to A's
#: dossier), which the test checks instead of a 404.
NAVIGATION = {"backoffice.next_task", "backoffice.previous_task"}
#: The scenarios whose POST-only routes the owner also sends, after every intruder's request (each
#: answers something else than 404: the object is there). The first-round ones are checked by
#: their areas' own tests (« Supprimer le brouillon » would make « Annuler » a 404 here).
OWNER_POSTS = {"invoice", "booking", "activity", "stored_document", "export"}


def id_rules(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if any(isinstance(conv, IntegerConverter) for conv in rule._converters.values())
    ]


def test_every_route_with_an_id_is_in_the_table(app) -> None:
    endpoints = {rule.endpoint for rule in id_rules(app)}
    missing = endpoints - set(OWNED) - set(SHARED)
    assert missing == set(), "say in OWNED (with a scenario) or SHARED (with a reason) who owns these ids"
    assert set(OWNED) | set(SHARED) <= endpoints, "a route of the table no longer exists"
    assert not set(OWNED) & set(SHARED)


@dataclass
class Scenario:
    owner: object
    intruder: object
    values: dict[str, int | str]
    token_page: str
    data: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def scenarios(app, people, client_for, make_user):
    famille = client_for(people["famille"])
    filed = file_address_change(app, famille, attached=proof("quittance.png", png_bytes()))
    draft_task = start_demarche(famille)  # a draft: its family task is still open
    with app.app_context():
        document_id = db.session.execute(
            select(Document.id).where(Document.instance_id == filed.instance_id)
        ).scalar_one()
        draft_instance = db.session.execute(
            select(HumanTask.instance_id).where(HumanTask.id == draft_task)
        ).scalar_one()
        record = FamilyRecord(service="Sports", name="DURAND Paul", external_id="S-IDOR")
        record.members.append(FamilyMember(last_name="DURAND", first_name="Paul"))
        record.children.append(Child(last_name="DURAND", first_name="Zoé"))
        db.session.add(record)
        db.session.commit()
        record_values = {
            "record_id": record.id,
            "child_id": record.children[0].id,
            "member_id": record.members[0].id,
        }
    accueil = client_for(people["accueil"])
    guests = [app.test_client(), app.test_client()]
    guest_tasks = [_guest_task(guest) for guest in guests]
    with app.app_context():
        guest_instance = db.session.execute(
            select(HumanTask.instance_id).where(HumanTask.id == guest_tasks[0])
        ).scalar_one()
    return {
        "family": Scenario(
            famille,
            client_for(people["autre_famille"]),
            {"instance_id": draft_instance, "task_id": draft_task, "document_id": document_id},
            "/mes-demandes",
        ),
        "service": Scenario(
            accueil,
            client_for(people["etat_civil"]),
            {"instance_id": filed.instance_id, "task_id": filed.agent_task_id, "document_id": document_id},
            "/agents/",
            {"decision": "acceptee", "commentaire": "IDOR", "agent": "1"},
        ),
        "record": Scenario(
            client_for(make_user("agent", groups=["Sports", "Enfance"])),
            client_for(make_user("agent", groups=["Enfance"])),
            record_values,
            "/agents/familles",
            {"adresse": "Ailleurs", "nom": "X", "prenom": "Y"},
        ),
        "guest": Scenario(
            guests[0],
            guests[1],
            {"instance_id": guest_instance, "task_id": guest_tasks[0]},
            f"/taches/{guest_tasks[1]}",
            {"identifiant": "quelquun", "action": "suivant"},
        ),
        **_second_round(app, people, client_for, make_user, famille),
        "filed_instance": filed.instance_id,
    }


def _second_round(app, people, client_for, make_user, famille) -> dict[str, Scenario]:
    ids = idor_world.family_objects(app, people["famille"])
    autre = client_for(people["autre_famille"])
    return {
        "invoice": Scenario(famille, autre, ids, "/factures"),
        "booking": Scenario(famille, autre, ids, "/activites/mes-inscriptions"),
        "activity": Scenario(
            client_for(make_user("agent", groups=["Sports"])),
            client_for(make_user("agent", groups=["Enfance"])),
            {**ids, "fmt": "csv"},
            "/agents/activites",
            {
                "s-label": "Pirate",
                "s-starts_on": "2026-05-04",
                "s-ends_on": "2026-05-08",
                "s-weekdays": "0",
                "s-places": "3",
                "inscription": str(ids["booking_id"]),
                "session": str(ids["session_id"]),
            },
        ),
        "stored_document": Scenario(
            famille,
            autre,
            {"document_id": idor_world.stored_document(app, famille)},
            "/mes-documents",
            {"nom": "Pirate", "type_document": "Justificatif de domicile"},
        ),
        "export": Scenario(
            famille, autre, {"export_id": idor_world.data_export(app, famille)}, "/mes-donnees"
        ),
    }


def _guest_task(client) -> int:
    token = csrf_token(client, "/mot-de-passe-oublie")
    started = client.post("/mot-de-passe-oublie", data={"csrf_token": token})
    assert started.status_code == 302
    return int(started.headers["Location"].rsplit("/", 1)[1])


def test_no_route_serves_an_object_to_someone_it_does_not_belong_to(app, scenarios) -> None:
    cells = 0
    rules = sorted(id_rules(app), key=lambda r: r.endpoint)
    for rule in rules:
        for name in OWNED.get(rule.endpoint, ()):
            scenario = scenarios[name]
            with app.test_request_context():
                url = url_for(rule.endpoint, **{a: scenario.values[a] for a in rule.arguments})
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                cells += 1
                if method == "GET":
                    _check_get(rule.endpoint, url, scenario, scenarios["filed_instance"])
                else:
                    _check_post(app, rule.endpoint, url, scenario)
    _owners_post(app, rules, scenarios)
    print(f"IDOR cells: {cells} (routes with an id: {len(rules)}, owned: {len(OWNED)})")
    assert cells >= 30


def _check_get(endpoint: str, url: str, scenario: Scenario, filed_instance: int) -> None:
    seen = scenario.intruder.get(url)
    if endpoint in NAVIGATION:
        assert seen.status_code == 302, (endpoint, seen.status_code)
        assert f"/agents/dossiers/{filed_instance}" not in seen.headers["Location"], endpoint
        return
    assert seen.status_code == 404, (endpoint, url, seen.status_code)
    assert "Page introuvable" in seen.get_data(as_text=True)
    own = scenario.owner.get(url)
    assert own.status_code != 404, (endpoint, url, "the owner should reach it")
    own.close()


def _check_post(app, endpoint: str, url: str, scenario: Scenario) -> None:
    before = snapshot(app)
    token = csrf_token(scenario.intruder, scenario.token_page)
    response = scenario.intruder.post(url, data={**scenario.data, "csrf_token": token})
    assert response.status_code == 404, (endpoint, url, response.status_code)
    with app.app_context():
        db.session.remove()
    after = snapshot(app)
    for table in ("login_attempt", "audit_event", "captcha_challenge"):
        before.pop(table, None)
        after.pop(table, None)
    assert after == before, endpoint


def _owners_post(app, rules, scenarios) -> None:
    """The owner's POST on the routes without a GET (the last ones first: « supprimer » after the rest)."""
    for rule in sorted(rules, key=lambda r: r.endpoint, reverse=True):
        if "GET" in (rule.methods or set()):
            continue
        for name in set(OWNED.get(rule.endpoint, ())) & OWNER_POSTS:
            scenario = scenarios[name]
            with app.test_request_context():
                url = url_for(rule.endpoint, **{a: scenario.values[a] for a in rule.arguments})
            token = csrf_token(scenario.owner, scenario.token_page)
            response = scenario.owner.post(url, data={**scenario.data, "csrf_token": token})
            assert response.status_code != 404, (rule.endpoint, url, "the owner should reach it")


def test_a_session_is_reached_only_through_its_own_activity(app, people, client_for, make_user) -> None:
    """The agents' session pages take two ids: B's own activity with A's session is a 404 too."""
    ids = idor_world.family_objects(app, people["famille"])  # an activity of « Sports » and its session
    with app.app_context():
        own = Activity(
            external_id="ENF-IDOR", name="Atelier lecture", kind=ActivityKind.SPORT, service="Enfance"
        )
        db.session.add(own)
        db.session.commit()
        own_id = own.id
    enfance = client_for(make_user("agent", groups=["Enfance"]))
    assert enfance.get(f"/agents/activites/{own_id}").status_code == 200  # B's own activity
    for tail in ("", "/presence.csv", "/presence.pdf"):
        url = f"/agents/activites/{own_id}/sessions/{ids['session_id']}{tail}"
        seen = enfance.get(url)
        assert seen.status_code == 404, (url, seen.status_code)
    sports = client_for(make_user("agent", groups=["Sports"]))
    assert (
        sports.get(f"/agents/activites/{ids['activity_id']}/sessions/{ids['session_id']}").status_code == 200
    )
