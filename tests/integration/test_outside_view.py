"""Issue 10: what a new family, agent, analyst and operator meet first — help pages, wording,
plumbing kept out of sight, menus per role, `guichet demo`'s output, the favicon."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from forms.tasks.changement_adresse import NewAddressForm
from tests.fixtures.app import PASSWORD
from tests.fixtures.integration import decide, file_address_change, html, text
from tests.integration.test_signup import to_credentials, token
from web.extensions import db

ROOT = Path(__file__).resolve().parents[2]


# --- 8. « Aide à la saisie » tells the truth and explains every field ------------------------------


def test_the_address_help_says_a_late_request_stays_open_and_explains_every_field(client):
    page = text(client.get("/demarches/changement_adresse/aide"))
    assert "close automatiquement" not in page
    assert "elle n'est pas close : elle reste ouverte et le service Accueil la traite en priorité" in page
    for name in ("adresse_ligne1", "adresse_ligne2", "code_postal", "commune", "date_effet"):
        label = NewAddressForm.__dict__[name].args[0]
        assert str(label) in page, label  # lazy: French outside a request
    assert "Numéro et libellé de la voie (obligatoire) Par exemple : 12 rue de la Mairie" in page
    assert "Complément d'adresse (facultatif)" in page
    assert "200 caractères au plus" in page
    assert "une date au format jj/mm/aaaa" in page
    assert "Justificatif de domicile (obligatoire)" in page
    assert "un fichier PDF, JPEG ou PNG, de 5 Mo au plus" in page
    assert "Écran « Compléter ma demande »" in page  # the answer to « Demander des compléments »


def test_every_help_page_lists_its_fields(client):
    phones = text(client.get("/demarches/changement_telephone/aide"))
    assert "Mobile (facultatif) Format attendu : 06 12 34 56 78" in phones
    mails = text(client.get("/demarches/changement_courriel/aide"))
    assert "Nouvelle adresse de courriel (obligatoire) Par exemple camille.martin@exemple.fr" in mails
    assert "Mot de passe actuel (obligatoire)" in mails


# --- 9. Wording -------------------------------------------------------------------------------------


def test_the_complement_button_and_the_messages_say_what_happened(app, people, client_for):
    famille = client_for(people["famille"])
    filed = file_address_change(app, famille)
    after_filing = text(famille.get(f"/mes-demandes/{filed.instance_id}"))
    assert f"Votre demande {filed.reference} est envoyée au Service Accueil." in after_filing
    agent = client_for(people["accueil"])
    response = decide(agent, filed.agent_task_id, "complement", "Précisez l'étage.")
    queue = text(agent.get(response.headers["Location"]))
    decided = f"Demande {filed.reference} : décision « Demander des compléments à la famille » enregistrée."
    assert decided in queue
    assert "Statut de la demande : « " in queue
    assert "c'est enregistré" not in queue
    request_page = html(famille.get(f"/mes-demandes/{filed.instance_id}"))
    buttons = [" ".join(a.text_content().split()) for a in request_page.xpath("//main//a[@class='button']")]
    assert "Compléter ma demande" in buttons
    assert not [b for b in buttons if b.count("Compléter ma demande") > 1]


def test_an_admin_s_page_about_an_agent_says_d_and_son(app, make_user, client_for):
    admin = make_user("admin", groups=["Accueil"])
    agent = make_user("agent", groups=["Accueil"], prenom="Alex", nom="Durand")
    page = text(client_for(admin).get(f"/admin/agents/{agent.id}/absences"))
    assert "Absences d'Alex Durand" in page
    assert "Absences de Alex" not in page
    assert "Mes tâches en cours" not in page
    assert "Tâches en cours d'Alex Durand" in page
    assert "de son service" in page
    assert "de mon service" not in page
    own = text(client_for(agent).get("/agents/absences"))
    assert "Mes tâches en cours" in own


def test_the_draft_notice_about_files_reads_well(app):
    from web.tasks.drafts import leftovers_message

    with app.app_context():
        message = leftovers_message(NewAddressForm)
    assert "non plus" not in message
    assert "les fichiers joints ne sont pas conservés" in message


# --- 10. Plumbing kept out of sight ---------------------------------------------------------------


def test_the_signup_is_not_among_the_family_s_requests(app, app_factory):
    kiosk = app_factory(CAPTCHA_ENABLED=False)
    client = kiosk.test_client()
    url = to_credentials(client)
    page = client.get(url).get_data(as_text=True)
    data = {"csrf_token": token(page), "nom_utilisateur": "louise", "mot_de_passe": PASSWORD}
    assert client.post(url, data={**data, "confirmation": PASSWORD, "action": "suivant"}).status_code == 302
    from engine.models import OutboxMessage

    with kiosk.app_context():
        (mail,) = db.session().execute(select(OutboxMessage)).scalars().all()
    link = mail.body_text.split("http://guichet.test", 1)[1].split()[0]
    activation = client.get(link).get_data(as_text=True)
    assert client.post(link, data={"csrf_token": token(activation)}).status_code == 302
    login_page = client.get("/connexion").get_data(as_text=True)
    client.post(
        "/connexion", data={"csrf_token": token(login_page), "username": "louise", "password": PASSWORD}
    )
    listing = text(client.get("/mes-demandes"))
    assert "Création d'un espace personnel" not in listing
    assert "Vous n'avez encore fait aucune demande." in listing


def test_the_agents_demarche_filter_offers_no_signup_or_password_reset(app, people, client_for):
    page = html(client_for(people["accueil"]).get("/agents/"))
    offered = [o.text_content() for o in page.xpath("//select[@name='demarche']/option")]
    assert "Changement d'adresses postales" in offered
    assert not [o for o in offered if "espace personnel" in o or "mot de passe" in o.lower()]


def test_the_keys_page_offers_the_service_signup_asks_for(app, people, make_user, client_for):
    enfance = make_user("agent", groups=["Accueil", "Enfance"])
    page = html(client_for(enfance).get("/agents/cles"))
    assert [o.get("value") for o in page.xpath("//select[@name='service']/option")] == ["Enfance"]
    # An agent of Accueil alone issues no key: the page says who does (Enfance knows the records).
    page = html(client_for(people["accueil"]).get("/agents/cles"))
    assert not page.xpath("//select[@name='service']")
    assert "(Enfance)" in " ".join(page.text_content().split())


def test_the_dossier_data_leaves_out_the_decision_s_own_message(app, people, client_for):
    famille = client_for(people["famille"])
    filed = file_address_change(app, famille)
    agent = client_for(people["accueil"])
    assert decide(agent, filed.agent_task_id, "complement", "Précisez l'étage.").status_code == 302
    dossier = html(agent.get(f"/agents/dossiers/{filed.instance_id}"))
    (data,) = dossier.xpath("//dl[@data-dossier-data]")
    shown = " ".join(data.text_content().split())
    assert "12 rue" in shown or "Numéro et libellé de la voie" in shown
    assert "Message à la famille" not in shown
    assert "Précisez l'étage." not in shown
    assert "Précisez l'étage." in text(agent.get(f"/agents/dossiers/{filed.instance_id}"))  # the timeline


def test_the_dev_outbox_is_marked_as_a_development_tool(app, client):
    page = html(client.get("/"))
    assert not page.xpath("//nav[@aria-label='Menu principal']//a[contains(., 'Courriels')]")
    (bar,) = page.xpath("//*[@data-dev-bar]")
    assert "Outil de développement" in bar.text_content()


# --- 11. Each role's menu -------------------------------------------------------------------------


def test_the_analyst_s_menu_has_no_agent_links_and_lands_on_the_studio(app, make_user):
    analyst = make_user("analyste")
    client = app.test_client()
    token_value = token(client.get("/connexion").get_data(as_text=True))
    response = client.post(
        "/connexion", data={"username": analyst.username, "password": PASSWORD, "csrf_token": token_value}
    )
    assert response.headers["Location"].endswith("/studio/")
    menu = html(client.get("/studio/")).xpath("//nav[@aria-label='Menu principal']")[0]
    links = [" ".join(a.text_content().split()) for a in menu.xpath(".//a")]
    assert "Tâches à traiter" not in links
    assert "Clés espace citoyens" not in links
    assert "Mes absences" not in links


def test_the_agent_s_menu_keeps_its_links(app, people, client_for):
    menu = html(client_for(people["accueil"]).get("/agents/")).xpath("//nav[@aria-label='Menu principal']")[0]
    links = [" ".join(a.text_content().split()) for a in menu.xpath(".//a")]
    assert {"Tâches à traiter", "Clés espace citoyens", "Mes absences"} <= set(links)


# --- 12. `guichet demo`, the favicon --------------------------------------------------------------


def test_guichet_demo_prints_the_credentials_first(tmp_path):
    env = {
        **os.environ,
        "GUICHET_INSTANCE_PATH": str(tmp_path / "instance"),
        "GUICHET_SCHEDULER_ENABLED": "false",
    }
    env.pop("GUICHET_SQLALCHEMY_DATABASE_URI", None)
    guichet = str(Path(sys.executable).parent / "guichet")
    subprocess.run(
        [guichet, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=120
    )
    result = subprocess.run(
        [guichet, "demo"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    lines = (result.stderr + result.stdout).splitlines()
    assert lines[0] == "Comptes de démonstration (nom d'utilisateur / mot de passe) :", lines[:5]
    from web.demo import DEMO_ACCOUNTS

    # The heading and one line per demo account (eight since the finances and parking agents), nothing else.
    assert len(lines) == 1 + len(DEMO_ACCOUNTS) == 9, lines


def test_every_page_has_a_favicon(client):
    page = html(client.get("/"))
    icons = page.xpath("//link[@rel='icon']/@href")
    assert icons
    for href in [*icons, "/favicon.ico"]:
        response = client.get(href)
        assert response.status_code == 200, href
        response.close()
