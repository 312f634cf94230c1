"""The family's démarches in the real browser, from the catalogue to the final status; these tests take
the screenshots of the user guide (tests/browser/guide_screens.py, docs/guide-famille.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from engine.models import HumanTask, ProcessInstance
from tests.browser.guide_screens import doc_screenshot, guide_tab
from tests.fixtures.app import PASSWORD
from web.accounts.models import User
from web.extensions import db
from web.scheduler import run_outbox

pytestmark = pytest.mark.browser

MOBILE = "06 12 34 56 78"
NEW_EMAIL = "camille.nouvelle@exemple.fr"
LINK = re.compile(r"http://guichet\.test(/courriel/verifier/\S+)")


@pytest.fixture
def guide_page(browser: Any, live_server: str) -> Iterator[Any]:
    yield from guide_tab(browser, live_server)


@pytest.fixture
def agent_page(browser: Any, live_server: str) -> Iterator[Any]:
    yield from guide_tab(browser, live_server)


def log_in(tab: Any, user: User, *, shot: str | None = None) -> None:
    tab.goto("/connexion")
    tab.get_by_role("textbox", name="Nom d'utilisateur").first.fill(user.username)
    tab.get_by_label("Mot de passe").first.fill(PASSWORD)
    if shot:
        doc_screenshot(tab, shot)
    tab.get_by_role("button", name="Connexion").first.click()
    expect(tab.get_by_role("status")).to_contain_text(f"Bienvenue, {user.display_name}.")


def open_coordonnees(tab: Any, shot: str | None = None) -> Any:
    """Démarches → Coordonnées: the three choices of the seed guide, section 4."""
    tab.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Démarches", exact=True
    ).click()
    expect(tab.get_by_role("heading", level=1)).to_have_text("Démarches en ligne")
    rubrique = tab.get_by_role("region", name="Coordonnées", exact=True)
    expect(rubrique.get_by_role("heading", level=3)).to_have_text(
        ["Changement d'adresses postales", "Changement de téléphones", "Changement de courriels"]
    )
    if shot:
        doc_screenshot(tab, shot)
    return rubrique


def count(model: Any, app: Any) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_phone_change_from_the_catalogue_to_acceptance(
    app: Any, guide_page: Any, agent_page: Any, make_user: Callable[..., User]
) -> None:
    page = guide_page
    family = make_user("famille", prenom="Camille", nom="Lefèvre")
    agent = make_user("agent", groups=["Accueil"], prenom="Dominique", nom="Garnier")
    page.goto("/")
    doc_screenshot(page, "famille-01-accueil")
    log_in(page, family, shot="famille-02-connexion")

    rubrique = open_coordonnees(page, "famille-10-catalogue-coordonnees")
    card = rubrique.get_by_role("region", name="Changement de téléphones")
    expect(card).to_contain_text("Durée maximum de la démarche : 15 jours")
    expect(card).to_contain_text("Aucun document à fournir.")
    card.get_by_role("link", name="Aide à la saisie").click()
    expect(page).to_have_title(re.compile(r"^Aide à la saisie – Changement de téléphones"))
    expect(page.locator(".help-text p")).to_have_count(3)
    doc_screenshot(page, "famille-11-aide-a-la-saisie")
    page.get_by_role("button", name="Commencer la démarche").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Saisir les nouveaux numéros")
    expect(page.get_by_role("status")).to_contain_text("Durée maximum de la démarche : 15 jours.")
    # Under the heading, as in the seed guide: the maximum duration, then « Aide à la saisie » (folded).
    expect(page.locator("main .hint").first).to_have_text("Durée maximum de la démarche : 15 jours")
    help_text = page.locator(".task-help p").first
    expect(help_text).to_be_hidden()
    page.locator(".task-help summary").click()
    expect(help_text).to_contain_text("Saisissez au moins un numéro")
    page.get_by_role("textbox", name="Mobile").fill(MOBILE)
    doc_screenshot(page, "famille-12-telephones-saisie")
    page.get_by_role("button", name="Envoyer ma demande").click()

    expect(page).to_have_url(re.compile(r"/mes-demandes/\d+$"))
    expect(page.locator(".details").first).to_contain_text("En cours d'instruction")
    reference = page.locator("h1 .reference").inner_text()
    assert re.fullmatch(r"DEM-\d{4}-\d{6}", reference), reference

    log_in(agent_page, agent)
    agent_page.get_by_role("row").filter(has_text=reference).get_by_role("link", name=reference).click()
    agent_page.get_by_role("radio", name="Accepter la demande").check()
    agent_page.get_by_role("textbox", name="Message à la famille").fill("Votre numéro est enregistré.")
    agent_page.get_by_role("button", name="Enregistrer la décision").click()
    expect(agent_page.get_by_role("status")).to_contain_text("décision « Accepter la demande » enregistrée")

    # The request page follows the status by itself (live.js): no reload.
    expect(page.locator(".details").first).to_contain_text("Acceptée", timeout=20_000)
    expect(page.locator(".timeline")).to_contain_text("Votre numéro est enregistré.")
    doc_screenshot(page, "famille-30-demande-historique")
    page.get_by_role("link", name="← Mes demandes").click()
    row = page.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text("Changement de téléphones")
    expect(row).to_contain_text("Acceptée")
    with app.app_context():
        assert db.session.get(User, family.id).mobile == "+33612345678"


def test_email_change_with_the_link_read_from_the_smtp_server(
    app: Any, app_factory: Any, smtp_server: Any, guide_page: Any, make_user: Callable[..., User]
) -> None:
    page = guide_page
    family = make_user("famille", prenom="Camille", nom="Martin", email="camille@exemple.fr")
    mailer = app_factory(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, MAIL_SUPPRESS_SEND=False)
    log_in(page, family)
    card = open_coordonnees(page).get_by_role("region", name="Changement de courriels")
    expect(card).to_contain_text("Durée maximum de la démarche : 1 jour")
    card.get_by_role("button", name="Commencer la démarche").click()

    page.get_by_role("textbox", name="Nouvelle adresse de courriel").fill(NEW_EMAIL)
    page.get_by_role("textbox", name="Confirmation de la nouvelle adresse").fill(NEW_EMAIL)
    page.get_by_label("Mot de passe actuel").fill(PASSWORD)
    doc_screenshot(page, "famille-13-courriel-saisie")
    page.get_by_role("button", name="Envoyer le lien de vérification").click()
    expect(
        page.get_by_text("Un lien de vérification a été envoyé à votre nouvelle adresse de courriel.")
    ).to_be_visible()
    doc_screenshot(page, "famille-14-courriel-lien-envoye")

    # Three mails: the link to the new address, the notice to the old one, and the acknowledgement
    # of the request (« Accusé de réception », to the address of the account).
    assert run_outbox(mailer) == (3, 0)
    (message,) = [m for m in smtp_server.messages if NEW_EMAIL in m["To"]]
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = LINK.search(body)
    assert match, body
    page.goto(match.group(1))
    page.get_by_role("button", name="Confirmer ma nouvelle adresse").click()
    expect(page.locator(".details").first).to_contain_text(
        re.compile(r"Terminée|Confirmée|Acceptée|modifiée", re.I)
    )
    doc_screenshot(page, "famille-15-courriel-confirme")
    with app.app_context():
        assert db.session.get(User, family.id).email == NEW_EMAIL


def test_a_draft_is_saved_listed_resumed_and_discarded(
    app: Any, guide_page: Any, make_user: Callable[..., User]
) -> None:
    page = guide_page
    family = make_user("famille", prenom="Camille", nom="Bernard")
    log_in(page, family)
    open_coordonnees(page).get_by_role("region", name="Changement de téléphones").get_by_role(
        "button", name="Commencer la démarche"
    ).click()
    page.get_by_role("textbox", name="Mobile").fill("06 12 34")  # not finished: a draft keeps it anyway
    page.get_by_role("button", name="Enregistrer le brouillon").click()

    expect(page).to_have_url(re.compile(r"/mes-demandes$"))
    drafts = page.get_by_role("region", name="Brouillons")
    expect(drafts).to_contain_text("Changement de téléphones")
    open_coordonnees(page).get_by_role("region", name="Changement de courriels").get_by_role(
        "button", name="Commencer la démarche"
    ).click()
    page.get_by_role("link", name="Mes demandes").click()
    expect(drafts.get_by_role("listitem")).to_have_count(2)
    doc_screenshot(page, "famille-20-brouillons")

    drafts.get_by_role("button", name="Supprimer le brouillon : Changement de courriels").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Le brouillon « Changement de courriels » est supprimé"
    )
    expect(drafts.get_by_role("listitem")).to_have_count(1)
    drafts.get_by_role("link", name="Reprendre : Changement de téléphones").click()
    mobile = page.get_by_role("textbox", name="Mobile")
    expect(mobile).to_have_value("06 12 34")
    expect(page.get_by_role("status")).to_contain_text("Votre brouillon est repris")
    doc_screenshot(page, "famille-21-brouillon-repris")
    mobile.fill(MOBILE)
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page.locator(".details").first).to_contain_text("En cours d'instruction")
    page.get_by_role("link", name="← Mes demandes").click()
    expect(page.get_by_role("region", name="Brouillons")).to_have_count(0)
    doc_screenshot(page, "famille-31-mes-demandes")


def test_a_double_click_sends_the_request_once(
    app: Any, guide_page: Any, make_user: Callable[..., User]
) -> None:
    page = guide_page
    family = make_user("famille")
    log_in(page, family)
    card = open_coordonnees(page).get_by_role("region", name="Changement de téléphones")
    card.get_by_role("button", name="Commencer la démarche").dblclick()
    expect(page.get_by_role("heading", level=1)).to_have_text("Saisir les nouveaux numéros")
    assert count(ProcessInstance, app) == 1
    page.get_by_role("textbox", name="Mobile").fill(MOBILE)
    send = page.get_by_role("button", name="Envoyer ma demande")
    send.dblclick()
    expect(page).to_have_url(re.compile(r"/mes-demandes/\d+$"))
    expect(page.locator(".details").first).to_contain_text("En cours d'instruction")
    expect(page.get_by_role("status")).not_to_contain_text(
        "déjà été envoyée"
    )  # the script held the 2nd click
    with app.app_context():
        lanes = sorted(db.session.execute(select(HumanTask.lane)).scalars())
    assert lanes == ["Accueil", "Famille"]

    # Without the script (back button to a stale copy, or JavaScript off), the server still says so.
    page.go_back()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Saisir les nouveaux numéros")
    expect(page).to_have_url(re.compile(r"/mes-demandes/\d+$"))
    expect(page.get_by_role("status")).to_contain_text("Votre demande a déjà été envoyée.")
    doc_screenshot(page, "famille-32-deja-envoyee")
    assert count(ProcessInstance, app) == 1
