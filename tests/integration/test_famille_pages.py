"""« Ma famille », the dashboard, news audiences, the correction démarche and the agents' pages, over HTTP."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from PIL import Image
from sqlalchemy import select

from engine.models import HumanTask, HumanTaskState
from tests.fixtures.app import csrf_token
from tests.fixtures.integration import html, outbox, post_form, start_demarche, text
from tests.integration.test_famille_import import ACTIVITIES, do
from web.actualites.models import Audience, NewsItem
from web.extensions import db
from web.famille.models import Activity, Child, FamilyMember, FamilyRecord

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
FAMILIES = (
    "famille_id;famille_nom;enfant_id;enfant_nom;enfant_prenom;enfant_date_naissance;enfant_ecole;"
    "enfant_classe;enfant_services;enfant_activites\n"
    "F-1;MARTIN Camille;E-1;MARTIN;Léa;14/03/2017;École Jean Macé;CE2;Enfance;CANT-JM\n"
    "F-1;MARTIN Camille;E-2;MARTIN;Hugo;02/09/2021;École Rabelais;MS;Enfance;CL-MERC\n"
    "F-2;BERNARD Louise;E-3;BERNARD;Nina;21/06/2015;École Jean Macé;CM2;Enfance;CONS-EV\n"
)


@pytest.fixture
def world(app, people):
    """Two families linked to their records: MARTIN (Léa at the canteen, Hugo at the leisure centre) and
    BERNARD (Nina at the conservatoire); public and targeted news."""
    with time_machine.travel(NOW, tick=False):
        do(app, ACTIVITIES)
        do(app, FAMILIES)
        with app.app_context():
            session = db.session()
            records = {r.external_id: r for r in session.scalars(select(FamilyRecord))}
            acts = {a.external_id: a.id for a in session.scalars(select(Activity))}
            from web.accounts.models import User

            martin = session.get(User, people["famille"].id)
            bernard = session.get(User, people["autre_famille"].id)
            martin.family_records.append(records["F-1"])
            bernard.family_records.append(records["F-2"])
            news = {}
            for key, audience, activity, service in [
                ("public", Audience.TOUS, None, None),
                ("cantine", Audience.ACTIVITE, acts["CANT-JM"], None),
                ("conservatoire", Audience.ACTIVITE, acts["CONS-EV"], None),
                ("enfance", Audience.SERVICE, None, "Enfance"),
                ("sports", Audience.SERVICE, None, "Sports"),
            ]:
                item = NewsItem(
                    title=f"Actualité {key}",
                    summary=f"Résumé {key}",
                    body_html=f"<p>Texte {key}</p>",
                    published_at=NOW - timedelta(days=1),
                    audience=audience,
                    audience_activity_id=activity,
                    audience_service=service,
                    image=png(),
                    image_mime="image/png",
                    image_alt=f"Image {key}",
                )
                session.add(item)
                session.flush()
                news[key] = item.id
            session.commit()
            return {"news": news, "records": {k: r.id for k, r in records.items()}}


def png(size=(40, 30), mode="RGB"):
    out = io.BytesIO()
    Image.new(mode, size, "navy").save(out, "PNG")
    return out.getvalue()


def test_each_family_sees_only_the_news_of_its_own_children(app, people, client_for, world):
    news = world["news"]
    with time_machine.travel(NOW, tick=False):
        martin = client_for(people["famille"])  # logged in at the frozen time (sessions time out)
        bernard = client_for(people["autre_famille"])
        anonymous = app.test_client()
        home = text(martin.get("/"))
        assert "Actualités des activités de vos enfants" in home
        assert "Actualité cantine" in home
        assert "Actualité enfance" in home
        assert "Actualité conservatoire" not in home
        assert "Actualité sports" not in home
        assert martin.get(f"/actualites/{news['cantine']}").status_code == 200
        assert martin.get(f"/actualites/{news['cantine']}/image").status_code == 200
        for who, client, hidden in [
            ("martin", martin, ["conservatoire", "sports"]),
            ("bernard", bernard, ["cantine", "sports"]),
            ("anonyme", anonymous, ["cantine", "conservatoire", "enfance", "sports"]),
        ]:
            listing = text(client.get("/actualites"))
            for key in hidden:
                assert client.get(f"/actualites/{news[key]}").status_code == 404, (who, key)
                assert client.get(f"/actualites/{news[key]}/image").status_code == 404, (who, key)
                assert f"Actualité {key}" not in listing, (who, key)
            assert "Actualité public" in listing
            feed = client.get("/actualites/flux.atom")
            assert feed.headers["Content-Type"].startswith("application/atom+xml")
            body = feed.get_data(as_text=True)
            assert "Actualité public" in body
            for key in ("cantine", "conservatoire", "enfance", "sports"):
                assert f"Actualité {key}" not in body, (who, key)  # the feed is public news only
        assert "Actualité conservatoire" in text(bernard.get("/"))


def test_news_before_publication_or_after_expiry_are_hidden(app, people, client_for, world):
    news = world["news"]
    with app.app_context():
        item = db.session.get(NewsItem, news["public"])
        item.published_at = NOW + timedelta(days=2)
        db.session.commit()
    anonymous = app.test_client()
    with time_machine.travel(NOW, tick=False):
        assert anonymous.get(f"/actualites/{news['public']}").status_code == 404
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        assert anonymous.get(f"/actualites/{news['public']}").status_code == 200
    with app.app_context():
        db.session.get(NewsItem, news["public"]).expires_at = NOW + timedelta(days=4)
        db.session.commit()
    with time_machine.travel(NOW + timedelta(days=5), tick=False):
        assert anonymous.get(f"/actualites/{news['public']}").status_code == 404


def test_a_family_sees_its_record_and_never_another(app, people, client_for, make_user, world):
    martin = client_for(people["famille"])
    page = text(martin.get("/ma-famille"))
    assert "Léa MARTIN" in page
    assert "Hugo MARTIN" in page
    assert "CE2" in page
    assert "Cantine Jean Macé" in page
    assert "Centre de loisirs du mercredi" in page
    assert "Nina" not in page
    other = world["records"]["F-2"]
    assert martin.get(f"/agents/familles/{other}").status_code == 403
    assert martin.get(f"/agents/familles/{other}/enfants/1").status_code == 403
    assert martin.get("/agents/familles/import").status_code == 403
    unlinked = client_for(make_user("famille"))
    assert "n'est relié à aucun dossier famille" in text(unlinked.get("/ma-famille"))
    accueil = client_for(make_user("agent", groups=["Accueil"]))
    assert accueil.get("/agents/familles").status_code == 403  # only the Enfance service
    sports = client_for(make_user("agent", groups=["Enfance"]))
    with app.app_context():
        db.session.get(FamilyRecord, other).service = "Sports"
        db.session.commit()
    assert sports.get(f"/agents/familles/{other}").status_code == 404  # another service's record
    assert "Aucun dossier ne correspond à « Nina »" in text(sports.get("/agents/familles?q=Nina"))
    assert "Léa" in text(sports.get("/agents/familles?q=L%C3%A9a"))


def test_the_dashboard_puts_requests_needing_action_first(app, people, client_for, world):
    martin = client_for(people["famille"])
    task_id = start_demarche(martin, "changement_telephone")
    page = martin.get("/")
    actions = html(page).xpath("//section[@aria-labelledby='a-faire-titre']//a/@href")
    assert actions == [f"/taches/{task_id}"]
    assert "Reprendre mon brouillon" in text(page)
    assert "Aucune facture à payer. Voir mes factures" in text(page)  # web/factures: none issued here


def correction_task(app, instance_filter=None):
    with app.app_context():
        return db.session.scalars(
            select(HumanTask).where(HumanTask.lane == "Enfance", HumanTask.state == HumanTaskState.OPEN)
        ).one()


def test_a_family_asks_for_a_correction_and_the_agent_accepts_it(app, people, client_for, make_user, world):
    martin = client_for(people["famille"])
    with app.app_context():
        lea = db.session.scalars(select(Child).where(Child.external_id == "E-1")).one().id
        nina = db.session.scalars(select(Child).where(Child.external_id == "E-3")).one().id
    task_id = start_demarche(martin, "correction_famille")
    form = html(martin.get(f"/taches/{task_id}"))
    assert sorted(form.xpath("//select[@name='enfant']/option/text()")) == [
        "Hugo MARTIN",
        "Léa MARTIN",
        "— Choisissez —",
    ]
    # Another family's child, a missing value, an impossible date: French messages, nothing lost.
    refused = post_form(
        martin,
        f"/taches/{task_id}",
        {"objet": "enfant", "enfant": str(nina), "champ": "classe", "nouvelle_valeur": "CM1"},
    )
    assert refused.status_code == 400
    assert "Choisissez un enfant de votre dossier famille." in text(refused)
    refused = post_form(
        martin,
        f"/taches/{task_id}",
        {"objet": "enfant", "enfant": str(lea), "champ": "date_naissance", "nouvelle_valeur": "31/02/2017"},
    )
    assert "Cette date n'est pas valable" in text(refused)
    assert 'value="31/02/2017"' in refused.get_data(as_text=True)
    refused = post_form(martin, f"/taches/{task_id}", {"objet": "autre", "precisions": ""})
    assert "Décrivez la correction à apporter." in text(refused)
    sent = post_form(
        martin,
        f"/taches/{task_id}",
        {"objet": "enfant", "enfant": str(lea), "champ": "classe", "nouvelle_valeur": "CM1"},
    )
    assert sent.status_code == 302, text(sent)[:400]
    task = correction_task(app)
    agent = client_for(make_user("agent", groups=["Enfance"]))
    page = agent.get(f"/taches/{task.id}", follow_redirects=True)
    assert "Classe de Léa MARTIN : « CM1 »" in text(page)
    answers = {
        " ".join(dt.text_content().split()): " ".join(dt.getnext().text_content().split())
        for dt in html(page).xpath("//dl/dt")
    }
    # The answers by their labels; the child's id is not listed (« Correction demandée » names the child).
    assert answers["Que faut-il corriger ?"] == "Une information sur un de mes enfants"
    assert answers["Information à corriger"] == "Classe"
    assert "Enfant concerné" not in answers
    decided = post_form(
        agent, f"/taches/{task.id}", {"decision": "acceptee", "motif": "", "commentaire_interne": ""}
    )
    assert decided.status_code == 302
    with app.app_context():
        assert db.session.get(Child, lea).class_name == "CM1"
    assert "CM1" in text(martin.get("/ma-famille"))
    assert any("acceptée" in m.subject.lower() or "accept" in (m.body or "").lower() for m in outbox(app))
    request_page = martin.get(sent.headers["Location"])
    assert "Acceptée" in text(request_page)
    mine = {" ".join(dt.text_content().split()) for dt in html(request_page).xpath("//dl/dt")}
    assert {"Que faut-il corriger ?", "Correction demandée"} <= mine
    assert "Enfant concerné" not in mine


XSS = {
    "titre": '<script>alert("titre")</script>Sortie',
    "resume": '<img src=x onerror=alert("resume")>Résumé',
    "corps": '<p onclick="alert(1)">Bonjour <a href="javascript:alert(2)">lien</a> <a href="https://ville.test/x">ok</a>'
    '</p><script>alert(3)</script><style>body{display:none}</style><iframe src="https://evil.test"></iframe>'
    "<svg onload=alert(4)></svg><strong>gras</strong>",
    "image_alt": '"><script>alert("alt")</script>',
}


def news_form(**values):
    data = {
        "titre": "Fête de l'école",
        "resume": "Un résumé.",
        "corps": "",
        "image_alt": "",
        "publication": "2026-12-06",
        "expiration": "",
        "audience": "tous",
        "service": "",
        "activite": "",
    }
    data.update(values)
    return data


def test_every_news_field_renders_inert(app, make_user, client_for):
    with time_machine.travel(NOW, tick=False):
        agent = client_for(make_user("agent", groups=["Communication"]))
        created = post_form(
            agent, "/agents/actualites/nouvelle", news_form(**XSS, image=(io.BytesIO(png()), "photo.png"))
        )
        assert created.status_code == 302, text(created)[:500]
        with app.app_context():
            item = db.session.scalars(select(NewsItem)).one()
            stored = item.body_html
            news_id = item.id
        assert "<script" not in stored
        assert "onclick" not in stored
        assert "javascript:" not in stored
        assert "<iframe" not in stored
        assert "<svg" not in stored
        assert "display:none" not in stored
        assert "<strong>gras</strong>" in stored
        assert 'href="https://ville.test/x"' in stored
        for url in (
            "/",
            "/actualites",
            f"/actualites/{news_id}",
            "/actualites/flux.atom",
            "/agents/actualites",
        ):
            client = agent if url.startswith("/agents") else app.test_client()
            body = client.get(url).get_data(as_text=True)
            assert "<script>alert" not in body, url
            assert "onerror=alert" not in body.replace("onerror=alert(&#34;", "").replace("&lt;img", ""), url
            assert 'href="javascript:' not in body, url
        page = app.test_client().get(f"/actualites/{news_id}").get_data(as_text=True)
        assert "&lt;script&gt;alert(&#34;titre&#34;)&lt;/script&gt;Sortie" in page
        assert 'alt="&#34;&gt;&lt;script&gt;' in page


def test_bad_news_input_gets_french_messages_and_keeps_what_was_typed(app, make_user, client_for):
    agent = client_for(make_user("agent", groups=["Communication"]))
    cases = [
        (
            {"publication": "2026-12-10", "expiration": "2026-12-09"},
            "La date de fin d'affichage doit être après",
        ),
        (
            {"image": (io.BytesIO(b"GIF89a pas une image"), "photo.gif"), "image_alt": "x"},
            "n'est pas une image",
        ),
        ({"image": (io.BytesIO(b"%PDF-1.4"), "photo.png"), "image_alt": "x"}, "n'est pas une image"),
        ({"image": (io.BytesIO(png()), "photo.png")}, "le texte alternatif est obligatoire"),
        ({"audience": "activite"}, "Choisissez l'activité"),
        ({"audience": "service", "service": "Inexistant"}, "Choisissez le service"),
        ({"titre": ""}, "Indiquez le titre."),
        ({"publication": "32/13/2026"}, "Cette date n'est pas valable"),
    ]
    for values, message in cases:
        response = post_form(
            agent, "/agents/actualites/nouvelle", news_form(resume="Mon résumé gardé", **values)
        )
        assert response.status_code == 400, (values, response.status_code)
        assert message in text(response), (values, text(response)[:300])
        assert "Mon résumé gardé" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(NewsItem)).all() == []
    family = client_for(make_user("famille"))
    assert family.get("/agents/actualites/nouvelle").status_code == 403
    enfance = client_for(make_user("agent", groups=["Enfance"]))
    assert enfance.get("/agents/actualites").status_code == 403


def test_a_large_image_is_resized_and_reencoded(app, make_user, client_for):
    agent = client_for(make_user("agent", groups=["Communication"]))
    big = png((3000, 1000), "RGBA")
    response = post_form(
        agent,
        "/agents/actualites/nouvelle",
        news_form(image=(io.BytesIO(big), "grande.png"), image_alt="Une affiche"),
    )
    assert response.status_code == 302
    with app.app_context():
        item = db.session.scalars(select(NewsItem)).one()
        assert Image.open(io.BytesIO(item.image)).size == (1200, 400)


def test_an_enfance_agent_imports_a_csv_through_the_page(app, make_user, client_for):
    agent = client_for(make_user("agent", groups=["Enfance"]))
    token = csrf_token(agent, "/agents/familles/import")
    trial = agent.post(
        "/agents/familles/import",
        data={
            "csrf_token": token,
            "action": "essai",
            "fichier": (io.BytesIO(ACTIVITIES.encode()), "activites.csv"),
        },
    )
    assert trial.status_code == 200
    assert "Activité CL-MERC « Centre de loisirs du mercredi » (serait créé)" in text(trial)
    with app.app_context():
        assert db.session.scalars(select(Activity)).all() == []
    form = html(trial).xpath("//form[.//button[@value='confirmer']]")[0]
    fields = {i.get("name"): i.get("value") for i in form.xpath(".//input")}
    tampered = agent.post(
        "/agents/familles/import", data={**fields, "action": "confirmer", "signature": "0" * 64}
    )
    assert tampered.status_code == 400
    done = agent.post("/agents/familles/import", data={**fields, "action": "confirmer"})
    assert done.status_code == 200
    assert "Import enregistré" in text(done)
    with app.app_context():
        assert len(db.session.scalars(select(Activity)).all()) == 3
    bad = agent.post(
        "/agents/familles/import",
        data={
            "csrf_token": token,
            "action": "essai",
            "fichier": (io.BytesIO(b"nom;couleur\nx;y\n"), "f.csv"),
        },
    )
    assert bad.status_code == 400
    assert "Colonne(s) inconnue(s)" in text(bad)
    assert "rien n'a été enregistré" in text(bad)


def test_an_agent_corrects_a_child(app, make_user, client_for, world):
    agent = client_for(make_user("agent", groups=["Enfance"]))
    record_id = world["records"]["F-1"]
    with app.app_context():
        lea = db.session.scalars(select(Child).where(Child.external_id == "E-1")).one().id
    url = f"/agents/familles/{record_id}/enfants/{lea}"
    bad = post_form(
        agent,
        url,
        {"nom": "MARTIN", "prenom": "", "date_naissance": "2099-01-01", "ecole": "X", "classe": "CE2"},
    )
    assert bad.status_code == 400
    assert "Indiquez le prénom." in text(bad)
    ok = post_form(
        agent,
        url,
        {
            "nom": "MARTIN",
            "prenom": "Léa",
            "date_naissance": "2017-03-14",
            "ecole": "École Pasteur",
            "classe": "CE2",
        },
    )
    assert ok.status_code == 302
    assert "École Pasteur" in text(agent.get(f"/agents/familles/{record_id}"))
    other = world["records"]["F-2"]
    assert (
        agent.get(f"/agents/familles/{other}/enfants/{lea}").status_code == 404
    )  # not a child of that record


def _member(app, record_id):
    with app.app_context():
        member = FamilyMember(
            family_record_id=record_id,
            position=1,
            last_name="MARTIN",
            first_name="Camille",
            email="camille@exemple.fr",
            phone="+33612345678",
        )
        db.session.add(member)
        db.session.commit()
        return member.id


def _state(app, record_id, member_id):
    with app.app_context():
        record = db.session.get(FamilyRecord, record_id)
        member = db.session.get(FamilyMember, member_id)
        return (
            record.address,
            record.updated_at,
            member.last_name,
            member.first_name,
            member.phone,
            member.email,
        )


def test_an_agent_corrects_the_address_and_a_responsible_adult(app, make_user, client_for, people, world):
    agent = client_for(make_user("agent", groups=["Enfance"]))
    record_id = world["records"]["F-1"]
    member_id = _member(app, record_id)
    page = text(agent.get(f"/agents/familles/{record_id}"))
    assert "06 12 34 56 78" in page
    form = agent.get(f"/agents/familles/{record_id}/responsables/{member_id}")
    assert form.status_code == 200
    assert 'value="06 12 34 56 78"' in form.text  # shown in the national format

    ok = post_form(
        agent, f"/agents/familles/{record_id}/adresse", {"adresse": "  12  rue des Lilas 78140 Vélizy "}
    )
    assert ok.status_code == 302
    ok = post_form(
        agent,
        f"/agents/familles/{record_id}/responsables/{member_id}",
        {
            "nom": "MARTIN",
            "prenom": "Camille",
            "telephone": "01 39 00 00 00",
            "courriel": "c.martin@exemple.fr",
        },
    )
    assert ok.status_code == 302
    page = text(agent.get(f"/agents/familles/{record_id}"))
    assert "12 rue des Lilas 78140 Vélizy" in page
    assert "c.martin@exemple.fr" in page
    assert "01 39 00 00 00" in page
    assert "Dossier corrigé (téléphone, courriel) pour Camille MARTIN." in page
    address, updated, *adult = _state(app, record_id, member_id)
    assert address == "12 rue des Lilas 78140 Vélizy"
    assert updated is not None  # dated, like the child correction
    assert adult == ["MARTIN", "Camille", "+33139000000", "c.martin@exemple.fr"]


def test_bad_adult_input_is_refused_in_french_and_changes_nothing(app, make_user, client_for, world):
    agent = client_for(make_user("agent", groups=["Enfance"]))
    record_id = world["records"]["F-1"]
    member_id = _member(app, record_id)
    before = _state(app, record_id, member_id)
    url = f"/agents/familles/{record_id}/responsables/{member_id}"
    bad = post_form(
        agent, url, {"nom": "", "prenom": "Camille", "telephone": "12", "courriel": "pas-un-courriel"}
    )
    assert bad.status_code == 400
    page = text(bad)
    assert "Indiquez le nom." in page
    assert "Ce numéro de téléphone n'est pas valable." in page
    assert "Cette adresse de courriel n'est pas valable." in page
    assert 'value="pas-un-courriel"' in bad.text  # nothing typed lost
    assert 'value="12"' in bad.text
    long = post_form(agent, f"/agents/familles/{record_id}/adresse", {"adresse": "x" * 301})
    assert long.status_code == 400
    assert "L'adresse fait 300 caractères au plus." in text(long)
    assert _state(app, record_id, member_id) == before


def test_only_the_enfance_agents_of_the_record_correct_adults(app, make_user, client_for, people, world):
    record_id = world["records"]["F-1"]
    member_id = _member(app, record_id)
    before = _state(app, record_id, member_id)
    urls = [f"/agents/familles/{record_id}/adresse", f"/agents/familles/{record_id}/responsables/{member_id}"]
    data = {"adresse": "Ailleurs", "nom": "X", "prenom": "Y", "telephone": "", "courriel": ""}
    with app.app_context():  # a record of another service
        other = FamilyRecord(service="Sports", name="DURAND Paul", external_id="S-1")
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    sports = client_for(make_user("agent", groups=["Sports", "Enfance"]))
    enfance = client_for(make_user("agent", groups=["Enfance"]))
    assert enfance.get(f"/agents/familles/{other_id}/adresse").status_code == 404
    own = f"/agents/familles/{record_id}/adresse"
    assert post_form(enfance, own, data, action=f"/agents/familles/{other_id}/adresse").status_code == 404
    assert sports.get(f"/agents/familles/{other_id}/adresse").status_code == 200
    other_f2 = world["records"]["F-2"]
    assert enfance.get(f"/agents/familles/{other_f2}/responsables/{member_id}").status_code == 404
    famille = client_for(people["famille"])
    accueil = client_for(people["accueil"])
    for url in urls:
        assert famille.get(url).status_code == 403
        assert post_form(famille, "/profil", data, action=url).status_code == 403
        assert accueil.get(url).status_code == 403
        assert post_form(accueil, "/profil", data, action=url).status_code == 403
    assert _state(app, record_id, member_id) == before


def test_two_parents_share_one_record_through_their_own_keys(app, make_user, client_for, world):
    from web.accounts.signup import issue_service_key

    with app.app_context():
        record = db.session.get(FamilyRecord, world["records"]["F-1"])
        key = issue_service_key(db.session(), record=record, issued_by_id=None)
        db.session.commit()
    second_parent = client_for(make_user("famille", prenom="Nicolas", nom="Martin"))
    assert "n'est relié à aucun dossier famille" in text(second_parent.get("/ma-famille"))
    linked = post_form(second_parent, "/profil/services", {"cle": key})
    assert linked.status_code == 302
    page = text(second_parent.get("/ma-famille"))
    assert "Léa MARTIN" in page
    assert "Hugo MARTIN" in page
    with app.app_context():
        assert len(db.session.get(FamilyRecord, world["records"]["F-1"]).children) == 2
