"""« Structures de la ville »: list, accent-insensitive search, filters, detail page, open now (Europe/Paris,
frozen clock), the back office (bad input, access) and XSS in every field."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.fixtures.integration import html, post_form, snapshot, text
from web.extensions import db
from web.structures import activities
from web.structures.models import Facility
from web.structures.services import FacilityData, add_closure, save_facility, set_archived

PARIS = ZoneInfo("Europe/Paris")
GROUP = "Vie des quartiers"
MONDAY_TO_FRIDAY = [(d, s, e) for d in range(5) for s, e in ((510, 720), (810, 1020))]  # 8:30-12, 13:30-17


def facility(app, name="Médiathèque Jules-Verne", kind="bibliotheque", area="Europe", **kwargs):
    """A committed facility; returns its id."""
    data = {
        "name": name,
        "kind": kind,
        "address": "3 place de l'Europe",
        "postal_code": "78140",
        "commune": "Vélizy-Villacoublay",
        "area": area,
        "phone": "+33139461600",
        "email": "mediatheque@ville-velizy.fr",
        "website": "https://www.ville.test/mediatheque",
        "description": "Livres, musique et films.",
        "services": "Prêt de livres\nHeure du conte",
        "openings": MONDAY_TO_FRIDAY,
        **kwargs,
    }
    closures = data.pop("closures", [])
    archived = data.pop("archived", False)
    with app.app_context():
        session = db.session()
        item = save_facility(session, FacilityData(**data))
        for start, end, reason in closures:
            add_closure(session, item, start, end, reason)
        if archived:
            set_archived(session, item, True)
        session.commit()
        return item.id


def at_paris(*args):
    """A Paris wall-clock time, for time_machine."""
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture
def manager(make_user, client_for):
    """A logged-in agent of the facilities' group."""
    return client_for(make_user("agent", groups=(GROUP,), prenom="Nora", nom="Benali"))


def names(response):
    return [a.text_content().strip() for a in html(response).xpath("//ul[@class='facility-list']//h3/a")]


# Public pages ----------------------------------------------------------------------------------------


def test_list_search_ignores_accents_and_case_and_filters_by_type_and_area(app, client):
    facility(app, "Médiathèque Jules-Verne", "bibliotheque", "Europe")
    facility(app, "École élémentaire Jean-Macé", "ecole", "Centre")
    facility(app, "École maternelle Fronval", "ecole", "Mozart")
    facility(app, "Gymnase Richet", "equipement_sportif", "Europe")
    facility(app, "Ancienne école du Clos", "ecole", "Centre", archived=True)

    everything = client.get("/structures")
    assert everything.status_code == 200
    assert names(everything) == [
        "École élémentaire Jean-Macé",
        "École maternelle Fronval",
        "Gymnase Richet",
        "Médiathèque Jules-Verne",
    ]  # sorted without regard to accents; the archived one is not listed
    assert "4 structures" in text(everything)

    assert names(client.get("/structures?q=mediatheque")) == ["Médiathèque Jules-Verne"]
    assert names(client.get("/structures?q=M%C3%89DIATH%C3%88QUE")) == ["Médiathèque Jules-Verne"]
    assert names(client.get("/structures?q=ecole")) == [
        "École élémentaire Jean-Macé",
        "École maternelle Fronval",
    ]
    assert names(client.get("/structures?type=ecole&quartier=Mozart")) == ["École maternelle Fronval"]
    assert names(client.get("/structures?quartier=Europe")) == ["Gymnase Richet", "Médiathèque Jules-Verne"]
    # LIKE wildcards are searched as text; unknown filters are ignored rather than failing.
    assert names(client.get("/structures?q=%25")) == []
    assert len(names(client.get("/structures?type=piscine&quartier=Atlantide"))) == 4
    none = client.get("/structures?q=patinoire")
    assert "Aucune structure ne correspond à votre recherche." in text(none)
    # The filters keep what was chosen.
    doc = html(client.get("/structures?q=gym&type=equipement_sportif&quartier=Europe"))
    assert doc.get_element_by_id("q").get("value") == "gym"
    assert doc.xpath("//select[@id='type']/option[@selected]/@value") == ["equipement_sportif"]
    assert doc.xpath("//select[@id='quartier']/option[@selected]/@value") == ["Europe"]
    assert doc.xpath("//select[@id='quartier']/option/@value") == ["", "Centre", "Europe", "Mozart"]


@time_machine.travel(at_paris(2026, 12, 7, 10, 0), tick=False)  # a Monday
def test_detail_page_renders_hours_closures_contact_and_services_in_french(app, client):
    facility_id = facility(
        app,
        openings=[*MONDAY_TO_FRIDAY, (5, 600, 1080)],
        closures=[
            (date(2026, 12, 21), date(2027, 1, 3), "Inventaire annuel"),
            (date(2026, 11, 2), date(2026, 11, 4), "Travaux passés"),  # over: not shown
            (date(2027, 2, 1), date(2027, 2, 1), "Formation du personnel"),
        ],
    )
    page = client.get(f"/structures/{facility_id}")
    assert page.status_code == 200
    hours = [" ".join(li.text_content().split()) for li in html(page).xpath("//ul[@class='hours']/li")]
    assert hours == [
        "Lundi : 8 h 30 – 12 h, 13 h 30 – 17 h (aujourd'hui)",
        "Mardi : 8 h 30 – 12 h, 13 h 30 – 17 h",
        "Mercredi : 8 h 30 – 12 h, 13 h 30 – 17 h",
        "Jeudi : 8 h 30 – 12 h, 13 h 30 – 17 h",
        "Vendredi : 8 h 30 – 12 h, 13 h 30 – 17 h",
        "Samedi : 10 h – 18 h",
        "Dimanche : Fermé",
    ]
    body = text(page)
    assert "Ouvert en ce moment, jusqu'à 12 h" in body
    assert "Fermé exceptionnellement du 21 décembre 2026 au 3 janvier 2027 : Inventaire annuel" in body
    assert "Fermé exceptionnellement le 1er février 2027 : Formation du personnel" in body
    assert "Travaux passés" not in body
    assert "01 39 46 16 00" in body
    assert "Prêt de livres" in body
    assert "Heure du conte" in body
    doc = html(page)
    (osm,) = doc.xpath("//a[contains(@href, 'openstreetmap.org')]/@href")
    assert osm.startswith("https://www.openstreetmap.org/search?query=3+place+de+l%27Europe")
    # Nothing is loaded from another site: no external script, image, frame or stylesheet.
    for attribute in doc.xpath("//script/@src | //img/@src | //iframe/@src | //link/@href"):
        assert attribute.startswith("/"), attribute
    assert client.get("/structures/999").status_code == 404


def test_an_archived_facility_is_a_404_for_families(app, client):
    facility_id = facility(app, archived=True)
    assert client.get(f"/structures/{facility_id}").status_code == 404


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at_paris(2026, 12, 7, 8, 29), "Fermé en ce moment, ouvre aujourd'hui à 8 h 30"),
        (at_paris(2026, 12, 7, 8, 30), "Ouvert en ce moment, jusqu'à 12 h"),
        (at_paris(2026, 12, 7, 12, 0), "Fermé en ce moment, ouvre aujourd'hui à 13 h 30"),
        (at_paris(2026, 12, 7, 16, 59), "Ouvert en ce moment, jusqu'à 17 h"),
        (at_paris(2026, 12, 7, 17, 0), "Fermé pour aujourd'hui"),
        (at_paris(2026, 12, 6, 11, 0), "Fermé aujourd'hui"),  # a Sunday
        # 23:30 UTC on Monday is already Tuesday 00:30 in Paris (winter, UTC+1): Tuesday's night range.
        (datetime(2026, 12, 7, 23, 30, tzinfo=UTC), "Ouvert en ce moment, jusqu'à 1 h"),
        # Summer time (UTC+2): 06:45 UTC is 08:45 in Paris.
        (datetime(2026, 6, 1, 6, 45, tzinfo=UTC), "Ouvert en ce moment, jusqu'à 12 h"),
        # A closure covers the day, opening hours or not.
        (at_paris(2026, 12, 9, 10, 0), "Fermé exceptionnellement aujourd'hui (Travaux)"),
    ],
)
def test_open_now_is_computed_in_europe_paris(app, client, moment, expected):
    facility_id = facility(
        app,
        openings=[*MONDAY_TO_FRIDAY, (1, 0, 60)],
        closures=[(date(2026, 12, 9), date(2026, 12, 10), "Travaux")],
    )
    with time_machine.travel(moment, tick=False):
        detail = text(client.get(f"/structures/{facility_id}"))
        listing = text(client.get("/structures"))
    assert expected in detail
    assert expected in listing


@time_machine.travel(at_paris(2026, 12, 7, 10, 0), tick=False)
def test_the_activities_hook_lists_what_the_registered_providers_return(app, client):
    facility_id = facility(app)
    assert "Activités proposées ici" not in text(client.get(f"/structures/{facility_id}"))

    def provider(session, wanted):
        if wanted != facility_id:
            return []
        return [activities.ActivityLink("Heure du conte", "/activites/1", "Mercredi 10 h – 11 h")]

    activities.activity_provider(provider)
    try:
        page = client.get(f"/structures/{facility_id}")
    finally:
        activities.PROVIDERS.remove(provider)
    (section,) = html(page).xpath("//section[@aria-labelledby='activites']")
    assert " ".join(section.text_content().split()) == (
        "Activités proposées ici Heure du conte – Mercredi 10 h – 11 h"
    )
    assert section.xpath(".//a/@href") == ["/activites/1"]


# Back office ------------------------------------------------------------------------------------------

GOOD_FORM = {
    "name": "Crèche collective Les Lutins",
    "kind": "creche",
    "address": "8 rue de la Division-Leclerc",
    "postal_code": "78140",
    "commune": "Vélizy-Villacoublay",
    "area": "Louvois",
    "phone": "01 39 46 13 00",
    "email": "creche@ville-velizy.fr",
    "website": "https://www.ville.test/creche",
    "description": "Multi-accueil de 60 berceaux.",
    "services": "Accueil régulier\nAccueil occasionnel",
    "lundi": "7:30-18:30",
    "mardi": "7h30 - 12h, 13h30-18h30",
    "mercredi": "",
    "jeudi": "7 h 30 – 18 h 30",
    "vendredi": "7:30-18:30",
    "samedi": "",
    "dimanche": "fermé",
}


def test_a_manager_creates_and_edits_a_facility_and_its_closures(app, manager, client):
    created = post_form(manager, "/agents/structures/nouvelle", GOOD_FORM)
    assert created.status_code == 302, text(created)[:600]
    with app.app_context():
        (item,) = db.session.query(Facility).all()
        facility_id = item.id
        assert item.phone == "+33139461300"
        assert item.search_name == "creche collective les lutins"
        assert [(o.weekday, o.start_minute, o.end_minute) for o in item.openings] == [
            (0, 450, 1110),
            (1, 450, 720),
            (1, 810, 1110),
            (3, 450, 1110),
            (4, 450, 1110),
        ]
    edit_url = f"/agents/structures/{facility_id}/modifier"
    assert created.headers["Location"] == edit_url
    # The edit form shows the hours as an agent typed them (normalised).
    doc = html(manager.get(edit_url))
    assert doc.get_element_by_id("mardi").get("value") == "7:30-12:00, 13:30-18:30"
    assert doc.get_element_by_id("mercredi").get("value") == ""

    edited = post_form(manager, edit_url, {**GOOD_FORM, "samedi": "9:00-12:00", "area": "Centre"})
    assert edited.status_code == 302
    # (The manager's session is not frozen in time: a visitor looks, on a Tuesday at 9:00 in Paris.)
    with time_machine.travel(at_paris(2026, 12, 8, 9, 0), tick=False):
        public = text(client.get(f"/structures/{facility_id}"))
    assert "Samedi : 9 h – 12 h" in public
    assert "Ouvert en ce moment, jusqu'à 12 h" in public
    assert "Quartier Centre" in public

    added = post_form(
        manager,
        edit_url,
        {"start_date": "2026-12-24", "end_date": "2026-12-26", "reason": "Fêtes de fin d'année"},
        action=f"/agents/structures/{facility_id}/fermetures",
    )
    assert added.status_code == 302
    public = text(manager.get(f"/structures/{facility_id}"))
    assert "Fermé exceptionnellement du 24 décembre 2026 au 26 décembre 2026 : Fêtes de fin d'année" in public
    with app.app_context():
        (closure,) = db.session.get(Facility, facility_id).closures
        closure_id = closure.id
    removed = post_form(
        manager, edit_url, {}, action=f"/agents/structures/{facility_id}/fermetures/{closure_id}/supprimer"
    )
    assert removed.status_code == 302
    assert "Fermé exceptionnellement" not in text(manager.get(f"/structures/{facility_id}"))

    archived = post_form(
        manager, "/agents/structures", {}, action=f"/agents/structures/{facility_id}/archiver"
    )
    assert archived.status_code == 302
    assert manager.get(f"/structures/{facility_id}").status_code == 404
    assert "Archivée" in text(manager.get("/agents/structures"))
    post_form(manager, "/agents/structures", {}, action=f"/agents/structures/{facility_id}/archiver")
    assert manager.get(f"/structures/{facility_id}").status_code == 200


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        (
            "lundi",
            "12:00-8:00",
            "La plage « 12:00-8:00 » se termine (8 h) avant de commencer (12 h). "
            "L'heure de fin doit être après l'heure de début.",
        ),
        ("mardi", "8:00-12:00, 11:00-14:00", "Les plages 8 h – 12 h et 11 h – 14 h se chevauchent."),
        (
            "mercredi",
            "22:00-25:00",
            "« 22:00-25:00 » contient une heure en dehors de 00:00 – 24:00.",
        ),
        ("jeudi", "8:70-9:00", "« 8:70-9:00 » contient une heure en dehors de 00:00 – 24:00."),
        (
            "vendredi",
            "le matin",
            "« le matin » n'est pas une plage horaire lisible ; écrivez les plages comme "
            "« 8:30-12:00, 13:30-17:00 ».",
        ),
        ("name", "", "Indiquez le nom de la structure."),
        ("kind", "piscine", "Choisissez un type de la liste."),
        ("postal_code", "7814", None),
        ("phone", "01 23", None),
        ("email", "pas-une-adresse", "Cette adresse de courriel n'est pas valable."),
        ("website", "javascript:alert(1)", "Cette adresse n'est pas valable : elle commence par https://."),
    ],
)
def test_bad_input_is_refused_in_french_and_nothing_typed_is_lost(app, manager, field, typed, message):
    facility_id = facility(app)
    edit_url = f"/agents/structures/{facility_id}/modifier"
    before = snapshot(app)
    posted = {**GOOD_FORM, field: typed}
    refused = post_form(manager, edit_url, posted)
    assert refused.status_code == 400
    doc = html(refused)
    error = doc.get_element_by_id(f"{field}-erreur").text_content().strip()
    if message:
        assert error == message
    assert error in doc.get_element_by_id("resume-erreurs").text_content()
    assert doc.xpath("//title")[0].text_content().startswith("Erreur")
    # Everything typed comes back, the refused field too.
    for name, value in posted.items():
        (element,) = doc.xpath(f"//*[@name='{name}']")
        if element.tag == "textarea":
            assert element.text_content().strip() == value
        elif element.tag == "select":
            assert element.xpath("./option[@selected]/@value") == ([value] if value != "piscine" else [])
        elif name != "phone" or field == "phone":
            assert element.get("value") == value, name
    assert snapshot(app) == before


def test_a_closure_that_ends_before_it_starts_is_refused_and_kept(app, manager):
    facility_id = facility(app)
    before = snapshot(app)
    typed = {"start_date": "2026-12-24", "end_date": "2026-12-20", "reason": "Travaux de peinture"}
    refused = post_form(
        manager, f"/agents/structures/{facility_id}/modifier", typed,
        action=f"/agents/structures/{facility_id}/fermetures",
    )  # fmt: skip
    assert refused.status_code == 400
    doc = html(refused)
    assert doc.get_element_by_id("end_date-erreur").text_content().strip() == (
        "La fermeture se termine avant de commencer : le dernier jour doit être le même que le premier "
        "ou après."
    )
    assert doc.get_element_by_id("start_date").get("value") == "2026-12-24"
    assert doc.get_element_by_id("end_date").get("value") == "2026-12-20"
    assert doc.get_element_by_id("reason").get("value") == "Travaux de peinture"
    # The facility's own form is still there, filled with the stored values.
    assert doc.get_element_by_id("name").get("value") == "Médiathèque Jules-Verne"
    missing = post_form(
        manager, f"/agents/structures/{facility_id}/modifier", {"start_date": "24/13/2026"},
        action=f"/agents/structures/{facility_id}/fermetures",
    )  # fmt: skip
    assert missing.status_code == 400
    errors = text(missing)
    assert "Cette date n'est pas valable." in errors, errors[errors.find("erreur") :][:400]
    assert "Indiquez le motif : les familles le liront." in errors
    assert snapshot(app) == before


def test_only_the_facilities_group_reaches_the_back_office(app, make_user, client_for, people, client):
    facility_id = facility(app)
    other = facility(app, "Gymnase Richet", "equipement_sportif")
    urls = [
        "/agents/structures",
        "/agents/structures/nouvelle",
        f"/agents/structures/{facility_id}/modifier",
    ]
    posts = [
        f"/agents/structures/{facility_id}/archiver",
        f"/agents/structures/{facility_id}/fermetures",
        f"/agents/structures/{facility_id}/modifier",
        "/agents/structures/nouvelle",
    ]
    outsiders = {
        "famille": client_for(people["famille"]),
        "accueil": client_for(people["accueil"]),
        "admin": client_for(make_user("admin", groups=("Accueil",))),
    }
    before = snapshot(app)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/connexion"), url
    for who, outsider in outsiders.items():
        assert "Gérer les structures" not in text(outsider.get("/structures")), who
        for url in urls:
            assert outsider.get(url).status_code == 403, (who, url)
        for url in posts:
            response = post_form(outsider, "/structures", {**GOOD_FORM, "reason": "x"}, action=url)
            assert response.status_code == 403, (who, url)
    assert snapshot(app) == before

    manager = client_for(make_user("agent", groups=(GROUP,)))
    assert "Gérer les structures" in text(manager.get("/structures"))
    assert manager.get("/agents/structures/999/modifier").status_code == 404
    # A closure id of another facility is not this one's: 404, nothing removed.
    with app.app_context():
        item = db.session.get(Facility, other)
        closure = add_closure(db.session(), item, date(2027, 1, 1), date(2027, 1, 2), "Inventaire")
        db.session.commit()
        closure_id = closure.id
    wrong = post_form(
        manager, "/agents/structures", {},
        action=f"/agents/structures/{facility_id}/fermetures/{closure_id}/supprimer",
    )  # fmt: skip
    assert wrong.status_code == 404
    with app.app_context():
        assert len(db.session.get(Facility, other).closures) == 1


XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def test_xss_payloads_in_every_field_render_inert(app, manager, client):
    typed = {
        **GOOD_FORM,
        "name": "Crèche " + XSS,
        "address": "8 rue " + XSS,
        "commune": "Vélizy " + XSS,
        "area": "Louvois " + XSS,
        "email": "creche@ville-velizy.fr",
        "description": XSS,
        "services": XSS + "\nAccueil " + XSS,
    }
    created = post_form(manager, "/agents/structures/nouvelle", typed)
    assert created.status_code == 302, text(created)[:500]
    facility_id = int(created.headers["Location"].split("/")[3])
    closure = post_form(
        manager, "/agents/structures", {"start_date": "2026-12-07", "end_date": "2026-12-08", "reason": XSS},
        action=f"/agents/structures/{facility_id}/fermetures",
    )  # fmt: skip
    assert closure.status_code == 302
    area = "Louvois " + XSS
    with time_machine.travel(at_paris(2026, 12, 7, 10, 0), tick=False):
        public = [
            client.get("/structures"),
            client.get("/structures", query_string={"q": XSS}),
            client.get("/structures", query_string={"quartier": area}),
            client.get(f"/structures/{facility_id}"),
        ]
    pages = [
        *public,
        manager.get("/agents/structures"),
        manager.get(f"/agents/structures/{facility_id}/modifier"),
        post_form(manager, f"/agents/structures/{facility_id}/modifier", {**typed, "lundi": XSS}),
    ]
    for page in pages:
        assert page.status_code in {200, 400}
        doc = html(page)
        assert not [s for s in doc.xpath("//script") if "alert" in (s.text or "")]
        assert not doc.xpath("//*[@onerror]")
        assert not doc.xpath("//img[@src='x']")
        assert "<script>alert(1)" not in page.get_data(as_text=True)
    detail = text(pages[3])
    assert "Fermé exceptionnellement aujourd'hui (" + XSS + ")" in detail  # shown as text
    assert "Crèche " + XSS in detail


def test_demo_facilities_are_created_once(app):
    from web.cli import main

    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(main, ["demo"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    assert "quartiers / demo-quartiers-2026" in " ".join(result.output.split())
    with app.app_context():
        facilities = db.session.query(Facility).all()
        assert len(facilities) == 8
        assert {f.kind.value for f in facilities} == {
            "ecole", "creche", "centre_loisirs", "equipement_sportif", "bibliotheque", "autre",
        }  # fmt: skip
        assert sum(len(f.closures) for f in facilities) == 1
        assert all(f.openings for f in facilities)
