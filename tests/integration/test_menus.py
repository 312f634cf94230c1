"""The header menu of each role (web/templates/layout/base.html): the role's pages in the main list, the
account's own (name, absences, profile, logout) apart; « Mes données » under « Modifier mon profil »;
the compact menu's « Menu » link (no JavaScript). And the family's « tableau de bord »: the seed guide's
§1 promises (bookings, invoices, documents, facilities, news), each card linked."""

from __future__ import annotations

from datetime import timedelta

from forms.dates import today_in_france
from tests.fixtures.integration import html, text
from tests.integration.test_coffre import add, pdf_bytes
from tests.integration.test_structures import facility

FAMILY_MAIN = [
    "Tableau de bord",
    "Démarches",
    "Mes demandes",
    "Ma famille",
    "Activités",
    "Mes factures",
    "Mes documents",
    "Actualités",
    "Structures",
]


def menu_lists(response):
    (nav,) = html(response).xpath("//nav[@aria-label='Menu principal']")
    main = [" ".join(a.text_content().split()) for a in nav.xpath(".//ul[contains(@class,'nav-main')]//a")]
    account = [
        " ".join(e.text_content().split()) for e in nav.xpath(".//ul[contains(@class,'nav-account')]/li")
    ]
    return main, account


def test_the_family_s_menu_groups_its_pages_and_leaves_mes_donnees_to_the_profile(app, people, client_for):
    famille = client_for(people["famille"])
    page = famille.get("/mes-demandes")
    main, account = menu_lists(page)
    assert main == FAMILY_MAIN
    assert account == ["Camille Martin", "Modifier mon profil", "Se déconnecter", "English"]
    assert "Mes données" not in main + account
    # Every entry answers.
    nav = html(page).xpath("//nav[@aria-label='Menu principal']")[0]
    for href in nav.xpath(".//ul//a/@href"):
        assert famille.get(href).status_code == 200, href
    # « Mes données » lives on « Modifier mon profil ».
    profile = html(famille.get("/profil"))
    (link,) = profile.xpath("//main//a[normalize-space()='Mes données']")
    assert link.get("href") == "/mes-donnees"
    assert famille.get("/mes-donnees").status_code == 200


def test_the_compact_menu_works_without_javascript(app, client):
    doc = html(client.get("/"))
    (toggle,) = doc.xpath("//header//a[@class='menu-toggle']")
    assert toggle.get("href") == "#menu"
    assert toggle.text_content().strip() == "Menu"
    (nav,) = doc.xpath("//nav[@id='menu']")
    assert nav.get("aria-label") == "Menu principal"
    assert nav.xpath(".//a[@class='menu-close']/@href") == ["#contenu"]
    main = [a.text_content().strip() for a in nav.xpath(".//ul[contains(@class,'nav-main')]//a")]
    assert main == ["Démarches", "Actualités", "Structures"]
    assert nav.xpath(".//ul[contains(@class,'nav-account')]//a/text()") == ["Connexion"]


def test_each_agent_s_menu_shows_the_pages_of_its_groups(app, make_user, client_for):
    finances = client_for(make_user("agent", groups=["Finances"], prenom="Inès", nom="Garnier"))
    main, account = menu_lists(finances.get("/agents/"))
    assert main == ["Tâches à traiter", "Factures et paiements", "Clés espace citoyens", "Structures"]
    assert account == ["Inès Garnier", "Mes absences", "Modifier mon profil", "Se déconnecter", "English"]

    enfance = client_for(make_user("agent", groups=["Enfance"], prenom="Alex", nom="Durand"))
    main, _ = menu_lists(enfance.get("/agents/"))
    assert main[:2] == ["Tâches à traiter", "Dossiers famille"]
    assert "Factures et paiements" not in main
    assert "Administration" not in main

    admin = client_for(make_user("admin", groups=["Accueil"], prenom="Dominique", nom="Petit"))
    main, account = menu_lists(admin.get("/agents/"))
    assert main[-3:] == ["Studio des démarches", "Administration", "Structures"]
    assert "Mes absences" in account
    assert "Journal de sécurité" in text(admin.get("/admin/agents"))  # the audit log, one click away

    analyst = client_for(make_user("analyste", prenom="Sacha", nom="Leroy"))
    main, account = menu_lists(analyst.get("/studio/"))
    assert main == ["Studio des démarches", "Structures"]
    assert account == ["Sacha Leroy", "Modifier mon profil", "Se déconnecter", "English"]
    profile = html(analyst.get("/profil"))
    assert not profile.xpath("//main//a[normalize-space()='Mes données']")


def test_the_dashboard_shows_documents_bookings_and_the_facilities_next_closures(app, people, client_for):
    famille = client_for(people["famille"])
    today = today_in_france()
    empty = famille.get("/")
    assert "Aucune inscription en cours." in text(empty)
    assert "Aucun document dans votre espace de stockage sécurisé" in text(empty)
    assert "Les structures de la ville" in text(empty)

    assert (
        add(famille, pdf_bytes(), valable_jusqu_au=(today - timedelta(days=1)).isoformat()).status_code == 302
    )
    assert (
        add(famille, pdf_bytes((200, 20, 20)), filename="cni.pdf", kind="Pièce d'identité").status_code == 302
    )
    closed = facility(
        app, closures=[(today + timedelta(days=7), today + timedelta(days=9), "Inventaire annuel")]
    )
    facility(
        app,
        name="Crèche des Lilas",
        kind="creche",
        closures=[(today - timedelta(days=9), today - timedelta(days=2), "Travaux")],
    )

    page = famille.get("/")
    body = text(page)
    assert (
        "2 documents dans votre espace de stockage sécurisé, dont 1 expiré (date de validité dépassée)."
        in body
    )
    doc = html(page)
    cards = {
        section.get("aria-labelledby"): section.xpath(".//a/@href")
        for section in doc.xpath("//main//section[@aria-labelledby]")
    }
    assert cards["documents-titre"] == ["/mes-documents"]
    assert cards["inscriptions-titre"] == ["/activites"]
    assert cards["factures-titre"] == ["/factures"]
    assert cards["structures-titre"] == [f"/structures/{closed}", "/structures"]
    assert "Médiathèque Jules-Verne : Fermé exceptionnellement du" in body
    assert "(Inventaire annuel)" in body
    assert "Crèche des Lilas" not in body  # a closure that is over
    for hrefs in cards.values():
        for href in hrefs:
            assert famille.get(href).status_code == 200, href
