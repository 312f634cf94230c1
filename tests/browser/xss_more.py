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


def form_settings(analyst: Any, payloads: list[str], chunks: Chunks, sink: Sink) -> None:
    """The form editor of the studio's model démarche: a choice field's choices (one payload per line),
    a text field's format message (300, shown when the preview is sent with a wrong value), the
    form's button text (80) and introduction (2000), the decision's outcome labels (200), button text
    and message help (500)."""
    from tests.integration.test_formulaires import KEY, MODEL

    made = post_form(analyst, "/studio/nouvelle-demarche", MODEL)  # already there if another test made it
    assert made.status_code in (200, 302, 400), made.status_code
    editor = f"/studio/{KEY}/formulaires/saisie"
    for n in range(0, len(payloads), 10):
        choices = "\n".join(f"c{n + i} | {p}" for i, p in enumerate(payloads[n : n + 10]))
        data = {"label": f"Choix {n}", "name": f"choix_xss_{n}", "type": "choice", "widget": "radios"}
        added = post_form(analyst, f"{editor}/champs/nouveau?type=choice", {**data, "choices": choices})
        assert added.status_code == 302, added.get_data(as_text=True)[:800]
    messages = chunks(300, payloads)
    for n, message in enumerate(messages):
        data = {"label": f"Code {n}", "name": f"code_xss_{n}", "type": "text", "pattern": "[0-9]+"}
        added = post_form(analyst, f"{editor}/champs/nouveau?type=text", {**data, "pattern_message": message})
        assert added.status_code == 302, added.get_data(as_text=True)[:800]
    wrong = post_form(
        analyst, f"{editor}/apercu", {f"code_xss_{n}": "pas un nombre" for n in range(len(messages))}
    )
    sink.answers.append(("message de format (aperçu)", wrong.get_data(as_text=True)))
    for button, intro in zip(chunks(80, payloads), chunks(2000, payloads) * 40, strict=False):
        saved = post_form(
            analyst, editor, {"submit_label": button, "intro": intro}, action=f"{editor}/reglages"
        )
        assert saved.status_code == 302, saved.get_data(as_text=True)[:800]
        # One value at a time is stored: each one's page is captured now, rendered with the answers.
        sink.answers.append(
            ("bouton et introduction", analyst.get(f"{editor}/apercu").get_data(as_text=True))
        )
    decision = f"/studio/{KEY}/formulaires/instruction"
    for n, label in enumerate(chunks(80, payloads)):
        data = {
            "issue_acceptee": "1",
            "issue_refusee": "1",
            "libelle_acceptee": label,
            "libelle_refusee": label,
        }
        helps = chunks(500, payloads)
        data |= {"submit_label": label, "message_help": helps[n % len(helps)]}
        saved = post_form(analyst, decision, data, action=f"{decision}/issues")
        assert saved.status_code == 302, saved.get_data(as_text=True)[:800]
        sink.answers.append(("issues de la décision", analyst.get(decision).get_data(as_text=True)))
    sink.tried["choix d'un champ (éditeur)"] = sink.tried["message de format"] = len(payloads)
    sink.tried["bouton et introduction d'un formulaire"] = sink.tried["issues de la décision"] = len(payloads)
    sink.views["choix (aperçu)"] = [(analyst, f"{editor}/apercu")]
    sink.views["issues de la décision (éditeur)"] = [(analyst, decision)]


def identity(famille: Any, payloads: list[str], chunks: Chunks, sink: Sink) -> None:
    """« Modifier mon espace »: the identity fields a family types at signup too (names 150, birth country
    100, department 100, town 150), shown back in the form of « Modifier mon espace » (captured after
    each save) and in the family's name on its dashboard. Values refused by a field's rule come back
    in the form (recorded as answers)."""
    for n, text in enumerate(chunks(100, payloads)):
        data = {
            "civilite": "Madame",
            "nom": text,
            "nom_naissance": text,
            "prenom": text,
            "date_naissance": "",
            "pays_naissance": text,
            "departement_naissance": text,
            "commune_naissance": text,
            "fax": "",
            "contact_prefere": "courriel",
        }
        saved = post_form(famille, "/profil/espace", data)
        page = famille.get("/profil/espace") if saved.status_code == 302 else saved
        sink.answers.append((f"identité {n}", page.get_data(as_text=True)))
    sink.tried["nom, nom de naissance, prénom"] = sink.tried["lieu de naissance"] = len(payloads)
    sink.views["modifier mon espace"] = [(famille, "/profil/espace")]
    sink.views["tableau de bord"] = [(famille, "/")]


def correction_answers(famille: Any, enfance: Any, payloads: list[str], chunks: Chunks, sink: Sink) -> None:
    """« Corriger mon dossier famille » (correction_famille): the family's « Précisions » (2000), shown
    on its request page and in the Enfance agents' case."""
    from tests.fixtures.integration import start_demarche

    filed = []
    for text in chunks(2000, payloads):
        task = start_demarche(famille, "correction_famille")
        sent = post_form(famille, f"/taches/{task}", {"objet": "autre", "precisions": text})
        assert sent.status_code == 302, sent.get_data(as_text=True)[:800]
        filed.append(int(sent.headers["Location"].rsplit("/", 1)[1]))
    sink.tried["précisions d'une demande de correction"] = len(payloads)
    sink.views["correction (famille)"] = [(famille, f"/mes-demandes/{i}") for i in filed]
    sink.views["correction (dossier Enfance)"] = [(enfance, f"/agents/dossiers/{i}") for i in filed]


def activities_import(enfance: Any, payloads: list[str], chunks: Chunks, sink: Sink) -> None:
    """« Dossiers famille → Importer un fichier CSV », an activities file: names and places (300 per
    cell) in the dry-run report, the report after « Confirmer l'import » (both captured) and the
    agents' list of activities."""
    import csv
    import io
    import re

    rows = io.StringIO()
    writer = csv.writer(rows, delimiter=";")
    writer.writerow(["activite_id", "nom", "type", "service", "lieu"])
    for n, text in enumerate(chunks(300, payloads)):
        writer.writerow([f"XSS-CSV-{n}", text, "sport", "Enfance", text])
    content = rows.getvalue().encode()
    page = "/agents/familles/import"
    dry = post_form(enfance, page, {"fichier": (io.BytesIO(content), "activites.csv")})
    assert dry.status_code == 200, dry.get_data(as_text=True)[:800]
    sink.answers.append(("import CSV (essai)", dry.get_data(as_text=True)))
    found = {
        name: re.search(rf'name="{name}" value="([^"]+)"', dry.get_data(as_text=True))
        for name in ("contenu", "signature")
    }
    assert all(found.values()), "no confirmation form after the dry run"
    done = post_form(
        enfance,
        page,
        {"action": "confirmer", **{name: match.group(1) for name, match in found.items() if match}},
    )
    assert done.status_code == 200, done.get_data(as_text=True)[:800]
    sink.answers.append(("import CSV (fait)", done.get_data(as_text=True)))
    sink.tried["nom d'une activité (import CSV)"] = sink.tried["lieu d'une activité (import CSV)"] = len(
        payloads
    )
    sink.views["activités importées (agents)"] = [(enfance, "/agents/activites")]
