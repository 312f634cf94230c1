"""The third round's free-text fields for tests/browser/test_xss_payloads.py (the fields docs/security.md
listed as « not covered yet »): agent group names, saved filter names, a facility's address and its
closures' reasons. Same contract as tests/browser/xss_areas.py: each builder fills the field through
the real form with every payload (batched to its maximum length) and records in the `Sink` the pages
that show it back."""

from __future__ import annotations

from typing import Any

from tests.browser.xss_areas import Chunks, Sink
from tests.fixtures.integration import post_form

FACILITY = {
    "kind": "creche",
    "postal_code": "78140",
    "commune": "Vélizy-Villacoublay",
    **{key: "" for key in ("area", "phone", "email", "website", "description", "services")},
    **{day: "" for day in ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")},
}


def group_names(admin: Any, payloads: list[str], chunks: Chunks, sink: Sink) -> None:
    """« Groupes » (admin): a group's name (100), listed on the groups page."""
    for name in chunks(100, payloads):
        made = post_form(admin, "/admin/groupes", {"name": name, "assignment_policy": "aucune"})
        assert made.status_code == 302, made.get_data(as_text=True)[:800]
    sink.tried["nom d'un groupe d'agents"] = len(payloads)
    sink.views["groupes (administration)"] = [(admin, "/admin/groupes")]


def saved_filters(agents: list[Any], payloads: list[str], chunks: Chunks, sink: Sink) -> None:
    """« Enregistrer ce filtre »: a filter's name (80), listed above the agent's queue; 30 per agent."""
    names = chunks(80, payloads)
    per_agent = 30
    used = agents[: -(-len(names) // per_agent)]
    for n, name in enumerate(names):
        agent = used[n // per_agent]
        saved = post_form(agent, "/agents/", {"nom": name, "requete": ""}, action="/agents/filtres")
        assert saved.status_code == 302, saved.get_data(as_text=True)[:800]
    sink.tried["nom d'un filtre enregistré"] = len(payloads)
    sink.views["filtres enregistrés"] = [(agent, "/agents/") for agent in used]


def facilities(app: Any, manager: Any, visitor: Any, payloads: list[str], chunks: Chunks, sink: Sink) -> None:
    """A facility's address (200) on new facilities, and closures' reasons (200) on the first one: the
    public list and page, and the managers' edit page."""
    from sqlalchemy import select

    from web.extensions import db
    from web.structures.models import Facility

    with app.app_context():
        before = set(db.session.execute(select(Facility.id)).scalars())
    for n, address in enumerate(chunks(200, payloads)):
        data = {**FACILITY, "name": f"Crèche d'essai {n}", "address": address}
        made = post_form(manager, "/agents/structures/nouvelle", data)
        assert made.status_code == 302, made.get_data(as_text=True)[:800]
    with app.app_context():
        ids = sorted(set(db.session.execute(select(Facility.id)).scalars()) - before)
    edit = f"/agents/structures/{ids[0]}/modifier"
    for n, reason in enumerate(chunks(200, payloads)):
        day = f"{n % 28 + 1:02d}/03/2027"
        closure = {"start_date": day, "end_date": day, "reason": reason}
        added = post_form(manager, edit, closure, action=f"/agents/structures/{ids[0]}/fermetures")
        assert added.status_code == 302, added.get_data(as_text=True)[:800]
    sink.tried["adresse d'une structure"] = sink.tried["motif d'une fermeture"] = len(payloads)
    sink.views["structures (liste publique)"] = [(visitor, "/structures")]
    sink.views["une structure (public)"] = [(visitor, f"/structures/{i}") for i in ids]
    sink.views["une structure (gestion)"] = [(manager, f"/agents/structures/{i}/modifier") for i in ids]


def activity_rules(
    famille: Any, sports: Any, activity_id: int, payloads: list[str], chunks: Chunks, sink: Sink
) -> None:
    """An activity's admitted classes and draw criteria (200 each). Criteria that are not « name:weight »
    are refused: the settings form comes back with them (recorded as answers); classes are stored and
    shown to the family at booking and to the agents."""
    page = f"/agents/activites/{activity_id}"
    settings = {"price_rule": "forfait", "price": "45", "cancel_days": "7", "fair_minutes": "0"}
    classes, criteria = chunks(200, payloads), chunks(200, payloads)
    for n in range(max(len(classes), len(criteria))):
        data = {**settings, "classes": classes[n] if n < len(classes) else ""}
        data["draw_criteria"] = criteria[n] if n < len(criteria) else ""
        answer = post_form(sports, page, data)
        if answer.status_code != 302:
            assert answer.status_code in (200, 400, 422), answer.status_code
            sink.answers.append(("classes / critères (refusés)", answer.get_data(as_text=True)))
            stored = post_form(sports, page, {**data, "draw_criteria": ""})  # the classes alone
            assert stored.status_code == 302, stored.get_data(as_text=True)[:800]
    sink.tried["classes admises"] = sink.tried["critères du tirage"] = len(payloads)
    sink.views["classes (famille)"] = [(famille, f"/activites/{activity_id}")]
    sink.views["classes (agents)"] = [(sports, page)]
