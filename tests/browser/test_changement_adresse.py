"""« Changement d'adresses postales » in the real browser: a family asks with a justificatif, an Accueil
agent asks for more information, the family completes, the agent accepts.

Locators go by role and accessible name, so these tests also check what assistive technologies announce.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from engine import api
from forms.dates import today_in_france
from tests.fixtures.app import PASSWORD
from tests.fixtures.browser import screenshot, watch
from web.accounts.models import User
from web.extensions import db

DEMARCHE = "Changement d'adresses postales"
ADDRESS = {
    "adresse_ligne1": "12 rue de la Mairie",
    "adresse_ligne2": "Bâtiment B",
    "code_postal": "78140",
    "commune": "Vélizy-Villacoublay",
}
PUBLIC_MESSAGE = "Votre nouvelle adresse est enregistrée, merci."
QUESTION = "La facture est au nom d'une autre personne : joignez une attestation d'hébergement."
ANSWER = "Voici l'attestation de mon hébergeur."
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n"
INTERNAL_COMMENT = "Justificatif de domicile vérifié au guichet (note interne)."
DATE_FR = re.compile(r"\d{2}/\d{2}/\d{4} à \d{2}:\d{2}")

pytestmark = pytest.mark.browser


@pytest.fixture
def other_page(browser: Any, live_server: str) -> Iterator[Any]:
    """A tab in a SECOND browser context (its own cookies), checked like `page`."""
    context = browser.new_context(base_url=live_server, locale="fr-FR")
    tab = context.new_page()
    problems = watch(tab)
    try:
        yield tab
    finally:
        context.close()
    assert not problems, problems


def log_in(tab: Any, user: User, *, from_home: bool = False) -> None:
    """Log in through the MON ESPACE PERSO box (home page) or the Connexion page."""
    tab.goto("/" if from_home else "/connexion")
    box = tab.get_by_role("region", name="MON ESPACE PERSO")
    box.get_by_role("textbox", name="Nom d'utilisateur").fill(user.username)
    box.get_by_label("Mot de passe").fill(PASSWORD)
    box.get_by_role("button", name="Connexion").click()
    expect(tab.get_by_role("status")).to_contain_text(f"Bienvenue, {user.display_name}.")


def test_family_asks_accueil_asks_for_more_then_accepts(
    page: Any, other_page: Any, make_user: Callable[..., User], tmp_path: Path
) -> None:
    family = make_user("famille", prenom="Camille", nom="Lefèvre")
    agent = make_user("agent", groups=["Accueil"], prenom="Dominique", nom="Garnier")
    facture = tmp_path / "facture-electricite.pdf"
    facture.write_bytes(PDF)
    attestation = tmp_path / "attestation-hebergement.pdf"
    attestation.write_bytes(PDF)
    today = today_in_france()

    # The family logs in from the home page's MON ESPACE PERSO box.
    log_in(page, family, from_home=True)
    expect(page).to_have_url(re.compile(r"/$"))  # the family's tableau de bord
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Bonjour {family.display_name}")
    nav = page.get_by_role("navigation", name="Menu principal")
    expect(nav).to_contain_text(family.display_name)

    # Catalogue: start the démarche from its card.
    nav.get_by_role("link", name="Démarches", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Démarches en ligne")
    card = page.get_by_role("region", name=DEMARCHE)
    card.get_by_role("button", name="Commencer la démarche").click()

    # First attempt with a wrong postal code.
    expect(page.get_by_role("heading", level=1)).to_have_text("Saisir la nouvelle adresse")
    expect(page.locator(".overline")).to_contain_text(DEMARCHE)
    page.get_by_role("textbox", name="Numéro et libellé de la voie").fill(ADDRESS["adresse_ligne1"])
    page.get_by_role("textbox", name="Complément d'adresse").fill(ADDRESS["adresse_ligne2"])
    postal_code = page.get_by_role("textbox", name="Code postal")
    expect(postal_code).to_have_accessible_description("Format attendu : 5 chiffres, par exemple 78140")
    postal_code.fill("7814")
    page.get_by_role("textbox", name="Commune").fill(ADDRESS["commune"])
    page.get_by_label("Date d'effet").fill(today.isoformat())
    page.get_by_label("Justificatif de domicile").set_input_files(facture)
    page.get_by_role("button", name="Envoyer ma demande").click()

    message = "Le code postal doit comporter 5 chiffres (par exemple 78140)."
    expect(page).to_have_title(re.compile(r"^Erreur – Saisir la nouvelle adresse"))
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading")).to_have_text("Le formulaire contient 1 erreur")
    expect(summary.get_by_role("link", name=f"Code postal : {message}")).to_have_attribute(
        "href", "#code_postal"
    )
    postal_code = page.get_by_role("textbox", name="Code postal")
    expect(postal_code).to_have_attribute("aria-invalid", "true")
    expect(postal_code).to_have_accessible_description(re.compile(re.escape(message)))
    expect(page.locator("#code_postal-erreur")).to_have_text(message)
    expect(page.locator(".field-error")).to_have_count(1)
    # What was typed is kept; the file cannot be, and the page says so next to its field.
    expect(page.get_by_role("textbox", name="Numéro et libellé de la voie")).to_have_value(
        ADDRESS["adresse_ligne1"]
    )
    expect(postal_code).to_have_value("7814")
    expect(page.get_by_label("Date d'effet")).to_have_value(today.isoformat())
    expect(page.get_by_label("Justificatif de domicile")).to_have_accessible_description(
        re.compile("facture-electricite.pdf.*choisissez-le à nouveau")
    )
    screenshot(page, "changement_adresse-01-famille-erreur-code-postal")

    # Then the commune does not match the postal code: the message names the right commune.
    postal_code.fill(ADDRESS["code_postal"])
    page.get_by_role("textbox", name="Commune").fill("Versailles")
    page.get_by_label("Justificatif de domicile").set_input_files(facture)
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page.locator("#commune-erreur")).to_have_text(
        "Cette commune ne correspond pas au code postal. "
        "Le code postal 78140 correspond à : Vélizy-Villacoublay."
    )
    screenshot(page, "changement_adresse-01b-famille-erreur-commune")

    # The summary's link leads to the field; then the family corrects it and submits.
    page.get_by_role("alert").get_by_role("link").click()
    commune = page.get_by_role("textbox", name="Commune")
    expect(commune).to_be_focused()
    commune.fill("velizy villacoublay")
    page.get_by_label("Justificatif de domicile").set_input_files(facture)
    page.get_by_role("button", name="Envoyer ma demande").click()

    # (The browser keeps the #commune fragment through the redirect: harmless.)
    expect(page).to_have_url(re.compile(r"/mes-demandes/\d+(#commune)?$"))
    expect(page.get_by_role("status")).to_contain_text("est envoyée au Service Accueil.")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(DEMARCHE)
    reference = page.locator("h1 .reference").inner_text()
    assert re.fullmatch(r"DEM-\d{4}-\S+", reference), reference
    expect(page.locator(".details").first).to_contain_text("En cours d'instruction")
    expect(page.locator(".details").nth(1)).to_contain_text("Vélizy-Villacoublay")  # the official name
    expect(page.locator(".details").nth(1)).to_contain_text(today.strftime("%d/%m/%Y"))
    expect(page.locator(".documents")).to_contain_text("facture-electricite.pdf")
    expect(page.locator(".timeline")).to_contain_text("En cours d'instruction")
    expect(page.get_by_role("alert")).to_have_count(0)
    screenshot(page, "changement_adresse-02-famille-demande-envoyee")

    # An Accueil agent, in another browser context, finds the task in the queue.
    log_in(other_page, agent)
    expect(other_page).to_have_url(re.compile(r"/agents/$"))
    expect(other_page.get_by_role("heading", level=1)).to_have_text("Tâches à traiter")
    row = other_page.get_by_role("row").filter(has_text=reference)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(DEMARCHE)
    expect(row).to_contain_text("Instruire la demande")
    expect(row).to_contain_text(family.display_name)
    expect(row).to_contain_text("Accueil")
    screenshot(other_page, "changement_adresse-03-agent-taches-a-traiter")

    row.get_by_role("link", name=reference).click()
    # The agents' page is the dossier: the request's data, documents, task, timeline and diagram.
    expect(other_page.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(other_page.get_by_role("region", name="Tâche en cours")).to_contain_text("Instruire la demande")
    request_data = other_page.get_by_role("region", name="Données de la demande")
    for value in ADDRESS.values():
        expect(request_data).to_contain_text(value)
    expect(request_data.locator("dl")).to_contain_text("Code postal78140")
    with other_page.expect_download() as download:
        other_page.get_by_role("region", name="Documents").get_by_role(
            "link", name="facture-electricite.pdf"
        ).click()
    assert download.value.suggested_filename == "facture-electricite.pdf"
    assert Path(download.value.path()).read_bytes() == PDF

    # The agent asks for more information; the internal comment stays internal.
    other_page.get_by_role("radio", name="Demander des compléments à la famille").check()
    other_page.get_by_role("button", name="Enregistrer la décision").click()
    expect(other_page.locator("#motif-erreur")).to_have_text(
        "Indiquez les informations ou les documents attendus : la famille lira ce message."
    )
    other_page.get_by_role("textbox", name="Message à la famille").fill(QUESTION)
    other_page.get_by_role("textbox", name="Commentaire interne", exact=True).fill(INTERNAL_COMMENT)
    screenshot(other_page, "changement_adresse-04-agent-demande-complements")
    other_page.get_by_role("button", name="Enregistrer la décision").click()
    expect(other_page.get_by_role("status")).to_contain_text("enregistrée. Statut de la demande")
    expect(other_page.get_by_text("Aucune tâche à traiter dans vos services.")).to_be_visible()

    # The family sees the action to do on « Mes demandes », reads the question and answers.
    page.goto("/mes-demandes")
    row = page.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text("En attente de compléments")
    row.get_by_role("link", name="Compléter ma demande").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compléter ma demande")
    expect(page.get_by_role("region", name="Message du service")).to_contain_text(QUESTION)
    expect(page.get_by_role("main")).not_to_contain_text(INTERNAL_COMMENT)
    page.get_by_role("textbox", name="Votre réponse").fill(ANSWER)
    # exact: « Garder ce fichier dans mes documents » is a label of this field too.
    page.get_by_label("Documents", exact=True).set_input_files(attestation)
    screenshot(page, "changement_adresse-05-famille-complements")
    page.get_by_role("button", name="Envoyer mes compléments").click()
    expect(page).to_have_url(re.compile(r"/mes-demandes/\d+$"))
    expect(page.locator(".details").first).to_contain_text("En cours d'instruction")
    expect(page.locator(".documents")).to_contain_text("attestation-hebergement.pdf")

    # Back to the agent: the answer and both documents are on the task page; the agent accepts.
    other_page.goto("/agents/")
    other_page.get_by_role("row").filter(has_text=reference).get_by_role("link", name=reference).click()
    expect(other_page.locator(".timeline")).to_contain_text(ANSWER)
    expect(other_page.locator(".documents")).to_contain_text("attestation-hebergement.pdf")
    expect(other_page.locator(".timeline")).to_contain_text(INTERNAL_COMMENT)
    other_page.get_by_role("radio", name="Accepter la demande").check()
    other_page.get_by_role("textbox", name="Message à la famille").fill(PUBLIC_MESSAGE)
    screenshot(other_page, "changement_adresse-06-agent-decision")
    other_page.get_by_role("button", name="Enregistrer la décision").click()
    expect(other_page.get_by_role("status")).to_contain_text("enregistrée. Statut de la demande")

    # The family: accepted, the whole exchange in the timeline, never the internal comment.
    page.reload()
    expect(page.locator(".details").first).to_contain_text("Acceptée")
    accepted = page.locator(".timeline-item").filter(has_text="Statut : Acceptée")
    expect(accepted).to_have_count(1)
    expect(accepted.locator("time")).to_have_text(DATE_FR)
    timeline = page.locator(".timeline")
    for text in (
        QUESTION,
        ANSWER,
        PUBLIC_MESSAGE,
        "Statut : En attente de compléments",
        "Message de la famille",
        "Document ajouté : Documents (attestation-hebergement.pdf)",
    ):
        expect(timeline).to_contain_text(text)
    expect(page.get_by_role("main")).not_to_contain_text(INTERNAL_COMMENT)
    assert INTERNAL_COMMENT not in page.content()
    assert agent.display_name not in page.content()
    screenshot(page, "changement_adresse-07-famille-demande-acceptee")


def test_login_with_the_keyboard_only(page: Any, make_user: Callable[..., User]) -> None:
    family = make_user("famille")
    page.goto("/connexion")

    def focused() -> dict[str, str]:
        return page.evaluate(
            """() => {
                const el = document.activeElement;
                return {tag: el.tagName.toLowerCase(), id: el.id, text: (el.textContent || '').trim(),
                        type: el.getAttribute('type') || '', outline: getComputedStyle(el).outlineStyle};
            }"""
        )

    # The skip link comes first, and shows up when focused.
    page.keyboard.press("Tab")
    assert focused()["text"] == "Aller au contenu"
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert focused()["outline"] == "solid"

    # Tabbing on from the top reaches the username, the password, the seed guide's
    # « J'ai oublié mon mot de passe. » link and the button, in that order.
    order = []
    for _ in range(15):
        page.keyboard.press("Tab")
        current = focused()
        order.append(current["id"] or current["text"])
        if current["tag"] == "button" and current["text"] == "Connexion":
            break
    assert order[-4:] == ["username", "password", "J'ai oublié mon mot de passe.", "Connexion"], order

    # The skip link lands in the content; the next Tab is the username field.
    page.goto("/connexion")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#contenu$"))
    page.keyboard.press("Tab")
    expect(page.get_by_role("textbox", name="Nom d'utilisateur")).to_be_focused()
    page.keyboard.type(family.username)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Mot de passe")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="J'ai oublié mon mot de passe.")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Connexion")).to_be_focused()
    assert focused()["outline"] == "solid"

    # Enter in the password field submits the form.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_label("Mot de passe")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/$"))  # the family's tableau de bord
    expect(page.get_by_role("status")).to_contain_text(f"Bienvenue, {family.display_name}.")


HYGIENE = """() => {
    const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
        && getComputedStyle(el).visibility !== 'hidden';
    const ids = [...document.querySelectorAll('[id]')].map(el => el.id);
    return {
        lang: document.documentElement.getAttribute('lang'),
        title: document.title.trim(),
        h1: document.querySelectorAll('h1').length,
        unlabelled: [...document.querySelectorAll('input, textarea, select')]
            .filter(el => el.type !== 'hidden' && visible(el) && el.labels.length === 0)
            .map(el => el.outerHTML),
        duplicateIds: ids.filter((id, i) => ids.indexOf(id) !== i),
        mains: document.querySelectorAll('main').length,
        noneAttributes: [...document.querySelectorAll('*')].flatMap(el => [...el.attributes]
            .filter(a => a.value === 'None').map(a => `${el.tagName} ${a.name}`)),
        mainPadding: [...document.querySelectorAll('main')].map(el => getComputedStyle(el).paddingTop),
    };
}"""


def test_main_pages_hygiene(app: Any, page: Any, other_page: Any, make_user: Callable[..., User]) -> None:
    family = make_user("famille")
    agent = make_user("agent", groups=["Accueil"])
    with app.app_context():
        session = db.session()
        first = api.start(session, "changement_adresse", session.get(User, family.id))
        second = api.start(session, "changement_adresse", session.get(User, family.id))
        tasks = {t.instance_id: t for t in api.tasks_for(session, session.get(User, family.id))}
        api.complete(session, tasks[first.id].id, session.get(User, family.id), ADDRESS)
        session.commit()
        family_task = tasks[second.id].id
        (agent_task,), _ = api.queue_for(session, agent.groups)
        agent_task_id = agent_task.id

    titles: dict[str, str] = {}

    def check(tab: Any, path: str, name: str) -> None:
        response = tab.goto(path)
        assert response is not None
        assert response.status == 200, (path, response.status)
        found = tab.evaluate(HYGIENE)
        assert found["lang"] == "fr", path
        assert found["title"], path
        assert found["title"] not in titles.values(), (path, found["title"], titles)
        titles[path] = found["title"]
        assert found["h1"] == 1, path
        assert found["mains"] == 1, path
        assert found["unlabelled"] == [], path
        assert found["duplicateIds"] == [], path
        assert found["noneAttributes"] == [], path  # a Python None rendered as an HTML attribute
        # The content keeps its distance from the header (a `.container` rule once zeroed main's padding).
        assert found["mainPadding"] != ["0px"], path
        screenshot(tab, f"pages-{name}")

    check(page, "/", "01-accueil")
    check(page, "/connexion", "02-connexion")
    check(page, "/demarches", "03-demarches")
    log_in(page, family)
    check(page, "/mes-demandes", "04-mes-demandes")
    check(page, f"/taches/{family_task}", "05-tache-famille")
    log_in(other_page, agent)
    check(other_page, "/agents/", "06-taches-a-traiter")
    check(other_page, f"/taches/{agent_task_id}", "07-tache-agent")
    assert len(titles) == 7
