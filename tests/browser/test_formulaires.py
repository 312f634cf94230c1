"""A démarche without code, in Chromium (issue 17's Tests): the analyst creates « Demande de carte de
stationnement résident » from the bare model (the family's form, the agents' decision, no building
block), builds the family's form in the form editor, previews it, inserts the building blocks into
the draft with « Ajouter un bloc réutilisable » (checked on the bpmn-js diagram), writes one scenario
case in the studio and publishes (the case is played); a family completes it with the keyboard alone
(a document included); an agent of « Stationnement » decides; the family's timeline shows it and the
mail reaches the real SMTP server (aiosmtpd). Screenshots at 1280 and 375 px are those of
docs/guide-analyste.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_dossier import log_in
from tests.fixtures.axe import BLOCKING, axe_violations, describe
from tests.fixtures.browser import screenshot
from web.accounts.models import User
from web.scheduler import run_outbox

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n"
TITLE = "Demande de carte de stationnement résident"
MESSAGE = "Votre carte est à retirer à l'accueil de la mairie."
BLOCK_LABELS = {
    "notification": "Information de la famille de la décision (courriel et historique)",
    "complements": "Boucle de demande de compléments (l'agent demande, la famille répond)",
    "relances": "Relance des agents puis signalement du retard avant la durée maximale",
}


def no_axe_violation(tab: Any) -> None:
    blocking = [v for v in axe_violations(tab) if v["impact"] in BLOCKING]
    assert not blocking, describe(blocking)


def both_widths(tab: Any, name: str) -> None:
    """Screenshots at 1280 and 375 px; no horizontal scroll at 375 px."""
    screenshot(tab, f"{name}-1280")
    tab.set_viewport_size({"width": 375, "height": 800})
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
    screenshot(tab, f"{name}-375")
    tab.set_viewport_size({"width": 1280, "height": 800})


def add_field(tab: Any, kind: str, label: str, **settings: str) -> None:
    tab.get_by_label("Type de champ").select_option(label=kind)
    tab.get_by_role("button", name="Ajouter un champ de ce type").click()
    tab.get_by_role("textbox", name="Libellé").fill(label)
    for name, value in settings.items():
        if name == "obligatoire":
            tab.get_by_label("Réponse obligatoire").check()
        elif name.startswith("select:"):
            tab.get_by_label(name[7:]).select_option(label=value)
        else:
            tab.get_by_label(name, exact=True).fill(value)
    tab.get_by_role("button", name="Enregistrer le champ").click()
    expect(tab.get_by_role("status").first).to_contain_text(f"Champ « {label} » enregistré")


def build_in_the_studio(tab: Any) -> None:
    tab.goto("/studio/")
    tab.get_by_role("link", name="Nouvelle démarche à partir d'un modèle").click()
    tab.get_by_role("textbox", name="Titre de la démarche").fill(TITLE)
    tab.get_by_role("textbox", name="Identifiant").fill("stationnement_resident")
    tab.get_by_label("Groupe d'agents qui instruit").select_option("Stationnement")
    tab.get_by_label("Durée maximale (jours)").fill("30")
    tab.get_by_label("Rubrique du catalogue").fill("Stationnement")
    tab.get_by_label("Description courte").fill("Demandez la carte pour stationner près de chez vous.")
    tab.get_by_label("Aide à la saisie").fill("Joignez la carte grise du véhicule.")
    for block in BLOCK_LABELS.values():  # the bare diagram: the blocks come later, into the draft
        tab.get_by_label(block).uncheck()
    no_axe_violation(tab)
    both_widths(tab, "formulaires-modele")
    tab.get_by_role("button", name="Créer le brouillon").click()
    expect(tab.get_by_role("heading", level=1)).to_have_text("Formulaires de la démarche")
    both_widths(tab, "formulaires-liste")
    tab.get_by_role("link", name="Modifier le formulaire « Saisir la demande »").click()
    add_field(
        tab,
        "Texte court",
        "Immatriculation",
        obligatoire="1",
        **{
            "Format attendu (expression régulière)": "[A-Z]{2}-[0-9]{3}-[A-Z]{2}",
            "Message si le format n'est pas respecté": "L'immatriculation s'écrit AB-123-CD.",
        },
    )
    add_field(tab, "Oui / non", "Le véhicule est-il à votre nom ?", obligatoire="1")
    add_field(
        tab,
        "Texte long",
        "Titulaire de la carte grise",
        obligatoire="1",
        **{
            "select:Afficher seulement si le champ": "Le véhicule est-il à votre nom ?",
            "… a pour valeur": "non",
        },
    )
    add_field(tab, "Document à joindre", "Carte grise", obligatoire="1")
    no_axe_violation(tab)
    both_widths(tab, "formulaires-editeur")
    tab.get_by_role("link", name="Voir l'aperçu tel que la famille le verra").click()
    expect(tab.get_by_role("group", name=re.compile("Le véhicule est-il à votre nom"))).to_be_visible()
    no_axe_violation(tab)
    both_widths(tab, "formulaires-apercu")
    insert_the_blocks(tab)
    write_one_case(tab)
    tab.goto("/studio/stationnement_resident")
    tab.get_by_label("Ce qui change dans cette version").fill("Première version")
    tab.get_by_role("button", name="Publier la version 1").click()
    expect(tab.get_by_role("status").first).to_contain_text("Version 1 publiée")


def insert_the_blocks(tab: Any) -> None:
    """« Ajouter un bloc réutilisable », three times, around « Instruire la demande »."""
    tab.goto("/studio/stationnement_resident")
    for n, (ident, label) in enumerate(BLOCK_LABELS.items()):
        tab.get_by_role("link", name="Ajouter un bloc réutilisable").first.click()
        tab.get_by_label("Bloc à insérer").select_option(ident)
        tab.get_by_label("Autour de la tâche des agents").select_option(
            label="Instruire la demande (couloir « Stationnement »)"
        )
        if n == 0:
            no_axe_violation(tab)
            both_widths(tab, "formulaires-bloc")
        tab.get_by_role("button", name="Insérer le bloc dans le brouillon").click()
        expect(tab.get_by_role("status").first).to_contain_text(f"Bloc « {label} » inséré")
    tab.get_by_role("link", name="Ajouter un bloc réutilisable").first.click()
    tab.get_by_label("Bloc à insérer").select_option("relances")
    tab.get_by_label("Autour de la tâche des agents").select_option("instruction")
    tab.get_by_role("button", name="Insérer le bloc dans le brouillon").click()
    expect(tab.get_by_role("alert")).to_contain_text(
        "Ce bloc est déjà inséré autour de « Instruire la demande »."
    )
    tab.goto("/studio/stationnement_resident/editeur")
    editor = tab.locator("[data-studio-editor]")
    expect(editor).to_have_attribute("data-ready", "true", timeout=20000)
    for element in ("instruction_complement", "instruction_relance", "instruction_notifier_refus"):
        expect(tab.locator(f".djs-element[data-element-id='{element}']")).to_be_visible()
    screenshot(tab, "formulaires-blocs-diagramme")


def write_one_case(tab: Any) -> None:
    """One scenario case, written in the studio: through the complements loop, then accepted."""
    tab.goto("/studio/stationnement_resident")
    tab.get_by_role("link", name="Cas de test").click()
    tab.get_by_role("link", name="Écrire un cas").click()
    tab.get_by_label("Nom du cas").fill("Compléments puis acceptation")
    tab.get_by_label(re.compile("^Données saisies à chaque tâche")).fill(
        'saisie: immatriculation = "AB-123-CD" ; le_vehicule_est_il_a_votre_nom = "oui"\n'
        'instruction: decision = "complement" ; motif = "La carte grise est illisible."\n'
        'instruction_complement: reponse = "La voici." ; pieces = []\n'
        'instruction: decision = "acceptee" ; motif = "Carte à retirer."'
    )
    tab.get_by_label(re.compile("^Parcours attendu")).fill(
        "saisie, instruction_notifier_complement, instruction_complement, instruction_notifier_acceptation"
    )
    tab.get_by_label("Statut final attendu").select_option("completed")
    tab.get_by_label("Libellé final attendu (facultatif)").fill("Acceptée")
    tab.get_by_role("button", name="Enregistrer le cas").click()
    expect(tab.get_by_role("status").first).to_contain_text(
        "Cas « Compléments puis acceptation » enregistré."
    )
    tab.get_by_role("button", name=re.compile("^Jouer les cas")).click()
    expect(tab.locator("#resultats-cas [data-scenario='Compléments puis acceptation']")).to_have_attribute(
        "data-ok", "oui"
    )


def tab_to(tab: Any, selector: str, text: str = "", limit: int = 80) -> None:
    """Press Tab until the element matching `selector` (and containing `text`) has the focus."""
    check = (
        "([s, t]) => { const e = document.activeElement; "
        "return !!e && e.matches(s) && e.textContent.includes(t); }"
    )
    for _ in range(limit):
        tab.keyboard.press("Tab")
        if tab.evaluate(check, [selector, text]):
            return
    raise AssertionError(f"{selector} never got the focus")


def family_files_with_the_keyboard(tab: Any, tmp_path: Path) -> None:
    card = tmp_path / "carte-grise.pdf"
    card.write_bytes(PDF)
    tab.goto("/demarches")
    tab_to(tab, "button[type=submit]", TITLE)
    tab.keyboard.press("Enter")
    expect(tab.get_by_role("heading", level=1)).to_have_text("Saisir la demande")
    tab_to(tab, "#immatriculation")
    tab.keyboard.type("AB123")
    tab_to(tab, "#le_vehicule_est_il_a_votre_nom-0")  # a radio group is one Tab stop: « Oui »...
    tab.keyboard.press("ArrowDown")  # ... then the arrow selects « Non »
    expect(tab.locator("#le_vehicule_est_il_a_votre_nom-1")).to_be_checked()
    tab_to(tab, "button[value=suivant]")
    tab.keyboard.press("Enter")
    summary = tab.get_by_role("alert")
    expect(summary).to_contain_text("L'immatriculation s'écrit AB-123-CD.")
    expect(summary).to_contain_text("Renseignez « Titulaire de la carte grise » : ce champ est obligatoire.")
    expect(tab.locator("#immatriculation")).to_have_attribute("aria-invalid", "true")
    expect(tab.locator("#immatriculation")).to_have_value("AB123")  # nothing typed is lost
    no_axe_violation(tab)
    both_widths(tab, "formulaires-famille-erreurs")
    tab_to(tab, "#immatriculation")
    tab.keyboard.press("Control+A")
    tab.keyboard.type("AB-123-CD")
    tab_to(tab, "#titulaire_de_la_carte_grise")
    tab.keyboard.type("Société Lumière, mon employeur")
    tab_to(tab, "#carte_grise")
    with tab.expect_file_chooser() as chooser:
        tab.keyboard.press("Space")
    chooser.value.set_files(str(card))
    tab_to(tab, "button[value=suivant]")
    tab.keyboard.press("Enter")
    expect(tab.get_by_role("status").first).to_contain_text("est envoyée")


def test_analyst_builds_family_files_with_the_keyboard_agent_decides(
    app: Any,
    app_factory: Any,
    smtp_server: Any,
    page: Any,
    browser: Any,
    live_server: str,
    make_user: Callable[..., User],
    tmp_path: Path,
) -> None:
    analyst = make_user("analyste", prenom="Sacha", nom="Leroy")
    agent = make_user("agent", groups=["Stationnement"], prenom="Lina", nom="Roux")
    family = make_user("famille", prenom="Camille", nom="Martin", email="camille.martin@example.test")
    log_in(page, analyst)
    build_in_the_studio(page)

    for user, run in ((family, "family"), (agent, "agent")):
        context = browser.new_context(base_url=live_server, locale="fr-FR")
        tab = context.new_page()
        log_in(tab, user)
        if run == "family":
            family_files_with_the_keyboard(tab, tmp_path)
        else:
            tab.goto("/agents/")
            tab.get_by_role("link", name=re.compile("DEM-")).first.click()
            expect(tab.get_by_text("AB-123-CD")).to_be_visible()
            tab.get_by_role("radio", name="Accepter la demande").check()
            tab.get_by_label("Message à la famille").fill(MESSAGE)
            tab.get_by_role("button", name="Enregistrer la décision").click()
            expect(tab.get_by_role("status").first).to_contain_text("Accepter la demande")
        context.close()

    page.context.clear_cookies()
    log_in(page, family)
    page.goto("/mes-demandes")
    page.get_by_role("row", name=re.compile(TITLE)).get_by_role("link", name=re.compile("DEM-")).click()
    expect(page.get_by_text(MESSAGE)).to_be_visible()
    expect(page.get_by_text("Acceptée").first).to_be_visible()
    both_widths(page, "formulaires-famille-historique")

    mailer = app_factory(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, MAIL_SUPPRESS_SEND=False)
    sent, _failed = run_outbox(mailer)
    assert sent >= 1
    mails = [m for m in smtp_server.messages if "camille.martin@example.test" in m["To"]]
    accepted = [m for m in mails if MESSAGE in m.get_body(("plain",)).get_content()]
    assert accepted, [m["Subject"] for m in mails]


def test_the_modeler_shows_the_model_and_keeps_its_forms(
    app: Any, page: Any, make_user: Callable[..., User]
) -> None:
    """The diagram made from the model opens in bpmn-js; saving it there keeps every data form."""
    from engine import api
    from web.extensions import db
    from web.studio import building
    from web.studio import services as studio_services
    from web.studio.demo import FIELDS, MODEL

    analyst = make_user("analyste", prenom="Sacha", nom="Leroy")
    make_user("agent", groups=["Stationnement"])
    with app.app_context():
        building.create_from_model(db.session(), analyst.id, MODEL)
        for field in FIELDS:
            assert building.add_field(db.session(), analyst.id, MODEL.key, "saisie", field) == []
        db.session.commit()
        before = {
            t.task_id: t.definition
            for t in api.task_forms(building.working_xml(db.session(), analyst.id, MODEL.key))
        }
    log_in(page, analyst)
    page.goto(f"/studio/{MODEL.key}/editeur")
    expect(page.locator("[data-studio-editor]")).to_have_attribute("data-ready", "true", timeout=20000)
    expect(page.locator(".djs-element[data-element-id='complement']")).to_be_visible()
    screenshot(page, "formulaires-modele-diagramme")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator("[data-studio-status]")).to_have_text("Brouillon enregistré (non publié).")
    with app.app_context():
        saved = studio_services.draft(db.session, analyst.id, MODEL.key).bpmn_xml
        after = {t.task_id: t.definition for t in api.task_forms(saved)}
        assert api.validate_bpmn(saved.encode("utf-8"), _ctx()).ok
    assert after == before
    assert "bpmn:userTask" in saved
    assert "formulaire" in saved


def _ctx() -> Any:
    from web.accounts.services import lint_context

    return lint_context()
