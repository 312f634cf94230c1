"""One agents' page in Chromium: a filtered queue → a dossier → claim → next dossier → decide → back
in the same filtered queue.

Screenshots: test-artifacts/agent-page-*.png; agent-page-02 illustrates docs/guide-agent.md
(copied to docs/images/dossier-00-prise-en-charge.png after looking at it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine import api
from engine.models import HumanTask, HumanTaskState
from tests.fixtures.app import PASSWORD
from tests.fixtures.browser import screenshot
from web.accounts.models import User
from web.extensions import db

pytestmark = pytest.mark.browser

FILTERED_QUEUE = re.compile(r"/agents/\?.*demarche=changement_adresse&.*tri=famille")
ADDRESS = {
    "adresse_ligne1": "12 rue de la Mairie",
    "adresse_ligne2": "",
    "code_postal": "78140",
    "commune": "Vélizy-Villacoublay",
}


def file_request(app: Any, family: User) -> tuple[int, str]:
    """A « Changement d'adresses postales » filed by `family`: (agent task id, reference)."""
    with app.app_context():
        session = db.session()
        instance = api.start(session, "changement_adresse", family)
        (own,) = [t for t in api.tasks_for(session, family) if t.instance_id == instance.id]
        api.complete(session, own.id, family, ADDRESS)
        session.commit()
        task_id = session.execute(
            select(HumanTask.id).where(
                HumanTask.instance_id == instance.id, HumanTask.state == HumanTaskState.OPEN
            )
        ).scalar_one()
        return int(task_id), instance.reference or ""


def log_in(tab: Any, user: User) -> None:
    tab.goto("/connexion")
    box = tab.get_by_role("region", name="MON ESPACE PERSO")
    box.get_by_role("textbox", name="Nom d'utilisateur").fill(user.username)
    box.get_by_label("Mot de passe").fill(PASSWORD)
    box.get_by_role("button", name="Connexion").click()
    expect(tab.get_by_role("status")).to_contain_text(f"Bienvenue, {user.display_name}.")


def test_filtered_queue_dossier_claim_next_decide_and_back(
    app: Any, page: Any, make_user: Callable[..., User]
) -> None:
    agent = make_user("agent", groups=["Accueil"], prenom="Dominique", nom="Garnier")
    filed = [
        file_request(app, make_user("famille", prenom=prenom, nom=nom))
        for prenom, nom in (("Louis", "Carré"), ("Anne", "Abel"), ("Hélène", "Bernard"))
    ]
    (carre, _), (abel, abel_ref), (bernard, bernard_ref) = filed

    log_in(page, agent)
    # The queue, filtered by démarche and sorted by family name.
    page.get_by_label("Démarche").select_option(label="Changement d'adresses postales")
    page.get_by_label("Trier par").select_option(label="Famille")
    page.get_by_role("button", name="Filtrer").click()
    expect(page).to_have_url(FILTERED_QUEUE)
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(4)
    expect(rows.nth(1)).to_contain_text("Abel")
    screenshot(page, "agent-page-01-file-filtree")

    # Open the first dossier: the filter follows in the URL.
    rows.nth(1).get_by_role("link", name=abel_ref).click()
    expect(page).to_have_url(re.compile(rf"/agents/dossiers/\d+\?tache={abel}&demarche=changement_adresse"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(abel_ref)
    box = page.locator(".claim-box")
    expect(box).to_contain_text("Attribuée à personne.")
    box.get_by_role("button", name="Prendre en charge").click()
    expect(page.get_by_role("status").first).to_contain_text(
        f"Vous avez pris en charge la tâche de la demande {abel_ref}."
    )
    expect(box).to_contain_text("Vous avez pris en charge cette tâche.")
    expect(page).to_have_url(re.compile(r"tri=famille"))
    diagram = page.locator("#diagramme")
    expect(diagram).to_have_attribute("data-diagram-ready", "true")
    expect(diagram.locator(".djs-element.tache-courante")).to_have_attribute("data-element-id", "instruction")
    screenshot(page, "agent-page-02-dossier-pris-en-charge")

    # « Dossier suivant → » in the same filtered, sorted queue: Bernard after Abel.
    box.get_by_role("link", name="Dossier suivant →").click()
    expect(page).to_have_url(
        re.compile(
            rf"/agents/dossiers/\d+\?tache={bernard}&demarche=changement_adresse&tri=famille&ordre=asc$"
        )
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text(bernard_ref)
    expect(box).to_contain_text("Attribuée à personne.")

    # Decide: back in the filtered queue, with the confirmation naming the request.
    task = page.locator(".dossier-task")
    task.get_by_label("Accepter la demande").check()
    task.get_by_role("textbox", name="Message à la famille").fill("Adresse mise à jour.")
    task.get_by_role("button", name="Enregistrer la décision").click()
    expect(page).to_have_url(FILTERED_QUEUE)
    expect(page).to_have_url(re.compile(r"/agents/\?demarche=changement_adresse&tri=famille&ordre=asc$"))
    expect(page.get_by_role("status").first).to_contain_text(
        f"Demande {bernard_ref} : décision « Accepter la demande » enregistrée."
    )
    expect(page.get_by_label("Démarche")).to_have_value("changement_adresse")
    expect(page.get_by_label("Trier par")).to_have_value("famille")
    expect(rows).to_have_count(3)
    expect(page.get_by_role("table")).not_to_contain_text(bernard_ref)
    screenshot(page, "agent-page-03-retour-file-filtree")
    with app.app_context():
        states = {t: db.session.get(HumanTask, t).state for t in (abel, bernard, carre)}
    assert states == {
        abel: HumanTaskState.OPEN,
        bernard: HumanTaskState.COMPLETED,
        carre: HumanTaskState.OPEN,
    }
