"""The third round's free-text fields for tests/browser/test_xss_payloads.py (the fields docs/security.md
listed as « not covered yet »): agent group names, saved filter names, a facility's address and its
closures' reasons. Same contract as tests/browser/xss_areas.py: each builder fills the field through
the real form with every payload (batched to its maximum length) and records in the `Sink` the pages
that show it back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def groups_removed_after(app: Any) -> Iterator[None]:
    """Remove the payload-named agent groups made inside the block (the tests share one app and its
    database; the services' groups made for the agents stay, with their members)."""
    from sqlalchemy import delete, select

    from web.accounts.models import AgentGroup
    from web.extensions import db

    with app.app_context():
        before = set(db.session.execute(select(AgentGroup.id)).scalars())
    try:
        yield
    finally:
        with app.app_context():
            made = {
                group.id
                for group in db.session.execute(select(AgentGroup)).scalars()
                if group.id not in before and ("xss" in group.name.lower() or "ssti" in group.name.lower())
            }
            if made:
                db.session.execute(delete(AgentGroup).where(AgentGroup.id.in_(made)))
                db.session.commit()


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


def _csv_import(
    client: Any,
    page: str,
    header: list[str],
    rows: list[list[str]],
    sink: Sink,
    what: str,
    reports: bool = True,
) -> None:
    """Upload a CSV to an import page (dry run), then « Confirmer l'import »: both reports captured
    (`reports`: when they quote the cells; the invoices' reports count lines and name invoices only)."""
    import csv
    import io
    import re

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(header)
    writer.writerows(rows)
    dry = post_form(client, page, {"fichier": (io.BytesIO(out.getvalue().encode()), "export.csv")})
    assert dry.status_code == 200, dry.get_data(as_text=True)[:800]
    if reports:
        sink.answers.append((f"import CSV {what} (essai)", dry.get_data(as_text=True)))
    found = {
        name: re.search(rf'name="{name}" value="([^"]+)"', dry.get_data(as_text=True))
        for name in ("contenu", "signature")
    }
    assert all(found.values()), f"no confirmation form after the dry run of {what}"
    done = post_form(client, page, {"action": "confirmer", **{k: m.group(1) for k, m in found.items() if m}})
    assert done.status_code == 200, done.get_data(as_text=True)[:800]
    if reports:
        sink.answers.append((f"import CSV {what} (fait)", done.get_data(as_text=True)))


def activities_import(enfance: Any, payloads: list[str], chunks: Chunks, sink: Sink) -> None:
    """« Dossiers famille → Importer un fichier CSV », an activities file: names and places (300 per
    cell) in the dry-run report, the report after « Confirmer l'import » (both captured) and the
    agents' list of activities."""
    rows = [[f"XSS-CSV-{n}", text, "sport", "Enfance", text] for n, text in enumerate(chunks(300, payloads))]
    header = ["activite_id", "nom", "type", "service", "lieu"]
    _csv_import(enfance, "/agents/familles/import", header, rows, sink, "activités")
    sink.tried["nom d'une activité (import CSV)"] = sink.tried["lieu d'une activité (import CSV)"] = len(
        payloads
    )
    sink.views["activités importées (agents)"] = [(enfance, "/agents/activites")]


def families_import(enfance: Any, payloads: list[str], chunks: Chunks, sink: Sink) -> None:
    """The same page, a families file: the household's name and address, a child's names and school
    (300 per cell), in the reports and the agents' « Dossiers famille »."""
    header = [
        "famille_id",
        "famille_nom",
        "adresse",
        "enfant_id",
        "enfant_nom",
        "enfant_prenom",
        "enfant_ecole",
    ]
    texts = chunks(300, payloads)
    rows = [[f"F-XSS-{n}", t, t, f"E-XSS-{n}", t, t, t] for n, t in enumerate(texts)]
    _csv_import(enfance, "/agents/familles/import", header, rows, sink, "familles")
    sink.tried["nom et adresse d'un foyer (import CSV)"] = len(payloads)
    sink.tried["nom, prénom, école d'un enfant (import CSV)"] = len(payloads)
    sink.views["dossiers famille importés"] = [(enfance, "/agents/familles?q=F-XSS")]


def invoices_import(
    app: Any, famille: Any, finances: Any, payloads: list[str], chunks: Chunks, sink: Sink
) -> None:
    """« Factures et paiements → Importer des factures »: a line's label (300) for the household F-IDOR,
    in the reports, the Finances list and the family's « Mes factures »."""
    header = ["facture_numero", "famille_id", "periode_debut", "periode_fin", "emission", "libelle"]
    header += ["quantite", "prix_unitaire"]
    rows = [
        [f"XSS-{n}", "F-IDOR", "01/02/2026", "28/02/2026", "02/03/2026", text, "1", "10,00"]
        for n, text in enumerate(chunks(300, payloads))
    ]
    _csv_import(finances, "/agents/factures/import", header, rows, sink, "factures", reports=False)
    sink.tried["libellé d'une ligne de facture (import CSV)"] = len(payloads)
    from sqlalchemy import or_, select

    from web.extensions import db
    from web.factures.models import Invoice

    with app.app_context():
        ids = (
            db.session.execute(
                select(Invoice.id).where(or_(Invoice.number.like("XSS-%"), Invoice.external_id.like("XSS-%")))
            )
            .scalars()
            .all()
        )
    assert ids, "the imported invoices are not there"
    sink.views["factures importées (famille)"] = [(famille, f"/factures/{i}") for i in ids]
    sink.views["factures importées (Finances)"] = [(finances, f"/agents/factures/{i}") for i in ids]


def payment_notes(
    app: Any, finances: Any, record_id: int, payloads: list[str], chunks: Chunks, sink: Sink
) -> None:
    """« Marquer comme traité » on payments to check (a note of 1000), shown on the payment's page. The
    payments are written as the bank's answers leave them (needs_review); the note goes through the
    real form."""
    from web.extensions import db
    from web.factures.models import Payment, PaymentStatus

    notes = chunks(1000, payloads)
    with app.app_context():
        made = []
        for n in range(len(notes)):
            payment = Payment(
                reference=f"P-XSS-{n}",
                family_record_id=record_id,
                backend="dummy",
                bank_transaction_id=f"T-XSS-{n}",
                amount_cents=1000,
                signature="-",
                status=PaymentStatus.PAYE,
                needs_review=True,
            )
            db.session.add(payment)
            db.session.flush()
            made.append(payment.id)
        db.session.commit()
    for payment_id, note in zip(made, notes, strict=True):
        page = f"/agents/paiements/{payment_id}"
        saved = post_form(finances, page, {"note": note})
        assert saved.status_code == 302, saved.get_data(as_text=True)[:800]
    sink.tried["note d'un paiement vérifié"] = len(payloads)
    sink.views["paiements vérifiés"] = [(finances, f"/agents/paiements/{i}") for i in made]


def signup_wizard(app: Any, payloads: list[str], chunks: Chunks, sink: Sink) -> None:
    """« Créer mon espace », step « Identité »: names and birth country (100 per field), then, from the
    next step, « Précédent » back to the identity step showing what was typed (captured), for a new
    visitor each time."""
    from tests.integration.test_signup import IDENTITY, post, start

    for text in chunks(100, payloads):
        client = app.test_client()
        identity = post(client, start(client), {"action": "suivant"}).location
        typed = {**IDENTITY, "nom": text, "prenom": text, "nom_naissance": text, "pays_naissance": text}
        answer = post(client, identity, typed)
        if answer.status_code != 302:  # refused: the step comes back with what was typed
            sink.answers.append(("assistant de création (refusé)", answer.get_data(as_text=True)))
            continue
        contact = answer.location
        back = post(client, contact, {"action": "precedent"})
        assert back.status_code == 302, back.get_data(as_text=True)[:800]
        sink.answers.append(
            ("assistant : retour à l'identité", client.get(back.location).get_data(as_text=True))
        )
    sink.tried["identité dans l'assistant de création"] = len(payloads)
