"""The studio's scenario cases, safe-deploy preview, migration and waiting figures, through the pages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.migration_apply import InstanceMigration
from engine.models import HistoryEvent, HumanTask, ProcessDefinition, ProcessInstance
from engine.scenarios import ScenarioCase
from tests.fixtures.app import csrf_token, login
from tests.fixtures.integration import decide, file_address_change, html, text
from tests.integration.test_studio import _adresse_v2
from web.extensions import db

KEY = "changement_adresse"


@pytest.fixture
def studio(app, make_user):
    client = app.test_client()
    login(client, make_user("analyste", prenom="Ana", nom="Lyste"))
    return client


def _post(client, page, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page)})


def _versions(app):
    with app.app_context():
        return db.session.execute(
            select(func.count()).select_from(ProcessDefinition).where(ProcessDefinition.key == KEY)
        ).scalar_one()


IMPOSSIBLE = {
    "nom": "Refus attendu",
    "etapes": 'saisie: adresse_ligne1 = 3 rue Neuve ; adresse_ligne2 = "" ; '
    'code_postal = "78140" ; commune = Vélizy\n'
    'instruction: decision = "acceptee"',
    "parcours": "saisie, instruction, notifier_refus",
    "statut_final": "completed",
    "libelle_final": "Refusée",
    "courriels": "n'a pas été acceptée",
}


def test_new_urls_are_for_analysts_only(app, people, client_for):
    family = client_for(people["famille"])
    agent = client_for(people["accueil"])
    for url in (f"/studio/{KEY}/scenarios", f"/studio/{KEY}/deplacement", f"/studio/{KEY}/attente"):
        assert family.get(url).status_code == 404
        assert agent.get(url).status_code == 404


def test_an_analyst_writes_a_case_and_a_failing_case_blocks_the_publish(app, studio):
    page = f"/studio/{KEY}/scenarios/nouveau"
    ids = html(studio.get(page)).xpath("//details[@class='process-text']//tbody/tr/td[1]/code/text()")
    assert {"saisie", "instruction", "complement", "notifier_refus"} <= set(ids)  # the ids a case names
    bad = _post(
        studio, page, f"/studio/{KEY}/scenarios/enregistrer", {**IMPOSSIBLE, "nom": "", "etapes": "x"}
    )
    assert bad.status_code == 400
    body = text(bad)
    assert "Ligne 1 : écrivez l'identifiant de la tâche suivi de « : »" in body
    assert 'value=""' in bad.get_data(as_text=True)  # what was typed comes back
    saved = _post(studio, page, f"/studio/{KEY}/scenarios/enregistrer", IMPOSSIBLE)
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.execute(select(ScenarioCase.name)).scalars().all() == ["Refus attendu"]
    listing = text(studio.get(f"/studio/{KEY}/scenarios"))
    assert "Refus attendu" in listing
    assert "Adresse acceptée Fourni avec la démarche" in listing

    ran = _post(studio, f"/studio/{KEY}/scenarios", f"/studio/{KEY}/scenarios/lancer", {"cible": "version"})
    assert ran.status_code == 200
    report = text(ran)
    assert "Résultats sur la version 1 : 3 réussis, 1 échoué" in report
    assert "Échoué : Refus attendu" in report
    assert "Le parcours attendu passe par « notifier_refus »" in report, report[report.find("Échoué") :][
        :1500
    ]

    _post(studio, f"/studio/{KEY}/editeur", f"/studio/{KEY}/brouillon", {"bpmn": _adresse_v2()})
    refused = _post(studio, f"/studio/{KEY}", f"/studio/{KEY}/publier", {"commentaire": "Libellé"})
    assert refused.status_code == 400
    report = text(refused)
    assert "1 cas de test échoue sur ce brouillon." in report
    assert "Échoué : Refus attendu" in report
    assert "Libellé final attendu : « Refusée » ; obtenu : « Acceptée »." in report
    assert _versions(app) == 1
    with app.app_context():  # the runs left nothing behind
        assert db.session.execute(select(func.count()).select_from(ProcessInstance)).scalar_one() == 0

    with app.app_context():
        case_id = db.session.execute(select(ScenarioCase.id)).scalar_one()
    _post(studio, f"/studio/{KEY}/scenarios", f"/studio/{KEY}/scenarios/{case_id}/supprimer", {})
    published = _post(studio, f"/studio/{KEY}", f"/studio/{KEY}/publier", {"commentaire": "Libellé"})
    assert published.status_code == 302
    assert _versions(app) == 2

    # Going back to version 1 is a publication too: a case that holds only on version 2 blocks it.
    only_v2 = {
        "nom": "En examen",
        "etapes": IMPOSSIBLE["etapes"].split("\n")[0],
        "statut_final": "running",
        "libelle_final": "Examen par l'accueil",
    }
    _post(studio, page, f"/studio/{KEY}/scenarios/enregistrer", only_v2)
    back = _post(studio, f"/studio/{KEY}", f"/studio/{KEY}/versions/1/republier", {"version_en_service": "2"})
    assert back.status_code == 400
    assert "1 cas de test échoue sur la version 1." in text(back)
    assert "Libellé final attendu : « Examen par l'accueil » ; obtenu : « En cours d'instruction »." in text(
        back
    )
    assert _versions(app) == 2


def test_preview_migrate_and_undo_through_the_pages(app, people, client_for, studio):
    filed = file_address_change(app, client_for(people["famille"]))
    _post(studio, f"/studio/{KEY}/editeur", f"/studio/{KEY}/brouillon", {"bpmn": _adresse_v2()})
    preview = studio.get(f"/studio/{KEY}/apercu")
    assert preview.status_code == 200
    body = text(preview)
    assert "Peuvent passer à la nouvelle version (1)" in body
    assert filed.reference in body
    replayed = _post(studio, f"/studio/{KEY}/apercu", f"/studio/{KEY}/apercu", {})
    assert "Réussi : Adresse acceptée" in text(replayed)

    assert _post(studio, f"/studio/{KEY}", f"/studio/{KEY}/publier", {"commentaire": "v2"}).status_code == 302
    page = studio.get(f"/studio/{KEY}/deplacement")
    form = html(page).xpath("//form[contains(@action,'/deplacer')]")[0]
    ids = form.xpath(".//input[@name='demande']/@value")
    assert ids == [str(filed.instance_id)]
    moved = studio.post(
        f"/studio/{KEY}/deplacer",
        data={"csrf_token": csrf_token(studio, f"/studio/{KEY}/deplacement"), "version": "2", "demande": ids},
        follow_redirects=True,
    )
    assert "1 demande déplacée vers la version 2." in text(moved)
    with app.app_context():
        instance = db.session.get(ProcessInstance, filed.instance_id)
        assert instance.definition.version == 2
        assert db.session.get(HumanTask, filed.agent_task_id).status_label == "Examen par l'accueil"
        batch = db.session.execute(select(InstanceMigration.batch)).scalar_one()
    # The same request again (a second analyst on an old page): French message, nothing moved twice.
    again = studio.post(
        f"/studio/{KEY}/deplacer",
        data={"csrf_token": csrf_token(studio, f"/studio/{KEY}/deplacement"), "version": "2", "demande": ids},
        follow_redirects=True,
    )
    assert "par un autre analyste : rien n'a été changé une seconde fois" in text(again)
    undone = _post(studio, f"/studio/{KEY}/deplacement", f"/studio/{KEY}/deplacements/{batch}/annuler", {})
    assert undone.status_code == 302
    with app.app_context():
        assert db.session.get(ProcessInstance, filed.instance_id).definition.version == 1
        labels = db.session.execute(
            select(HistoryEvent.label)
            .where(HistoryEvent.event_type.like("instance_migra%"))
            .order_by(HistoryEvent.id)  # PostgreSQL returns rows in no set order without it
        ).scalars()
        assert list(labels) == [
            "Demande passée de la version 1 à la version 2 de la démarche",
            "Demande revenue de la version 2 à la version 1 de la démarche",
        ]
    # Back on v1 the request goes on as before.
    assert decide(client_for(people["accueil"]), filed.agent_task_id, "acceptee").status_code == 302


def test_waiting_figures_and_one_requests_path(app, people, client_for, make_user, clock):
    famille = client_for(people["famille"])
    first = file_address_change(app, famille)
    second = file_address_change(app, famille)
    clock.shift(5 * 3600)
    decide(client_for(people["accueil"]), first.agent_task_id, "acceptee")
    studio = client_for(make_user("analyste"))  # logged in after the 5 hours (sessions expire)
    page = studio.get(f"/studio/{KEY}/attente")
    assert page.status_code == 200
    rows = {
        r.get("data-element-id"): (r.get("data-passed"), r.get("data-waiting"), r.get("data-median"))
        for r in html(page).xpath("//table[@id='chiffres-attente']/tbody/tr")
    }
    assert rows["saisie"][:2] == ("2", "0")
    assert rows["instruction"] == ("1", "1", "5 h")
    on_v1 = html(studio.get(f"/studio/{KEY}/attente?version=1")).xpath(
        "//table[@id='chiffres-attente']/tbody/tr"
    )
    # Timers and automatic steps too: the second request's reminder and deadline timers wait (the
    # first's were cancelled by the decision), the first passed the update and the notification.
    assert [(r.get("data-element-id"), r.get("data-waiting"), r.xpath("string(td[1])")) for r in on_v1] == [
        ("saisie", "0", "Tâche"),
        ("instruction", "1", "Tâche"),
        ("echeance", "1", "Minuteur"),
        ("relance", "1", "Minuteur"),
        ("maj_adresse", "0", "Étape automatique"),
        ("notifier_acceptation", "0", "Étape automatique"),
    ]
    assert [r.get("data-passed") for r in on_v1][-2:] == ["1", "1"]
    assert studio.get(f"/studio/{KEY}/attente?version=99").status_code == 404
    followed = studio.get(f"/studio/{KEY}/attente?reference={second.reference}")
    steps = html(followed).xpath("//ol[@id='parcours-demande']/li")
    assert [(s.get("data-element-id"), s.get("data-state")) for s in steps] == [
        ("saisie", "completed"),
        ("instruction", "open"),
    ]
    assert "la demande attend ici" in steps[1].text_content()
    unknown = studio.get(f"/studio/{KEY}/attente?reference=DEM-1999-000001")
    assert "Aucune demande « DEM-1999-000001 » pour cette démarche." in text(unknown)
    bad = studio.get(f"/studio/{KEY}/attente?du=2026-13-45")
    assert bad.status_code == 400
    assert "La date de début n'est pas une date" in text(bad)
    later = studio.get(f"/studio/{KEY}/attente?du=2099-01-01")
    assert "Aucune demande n'a atteint un élément" in text(later)


def test_a_fired_timer_counts_as_passed_with_the_time_it_waited(app, people, client_for, make_user, clock):
    from web.scheduler import run_timers

    file_address_change(app, client_for(people["famille"]))
    clock.shift(24 * 86400 + 60)  # past « 6 days before the maximum duration » of 30 days
    assert run_timers(app) == 1
    studio = client_for(make_user("analyste"))
    rows = {
        r.get("data-element-id"): (r.get("data-passed"), r.get("data-waiting"), r.get("data-median"))
        for r in html(studio.get(f"/studio/{KEY}/attente")).xpath("//table[@id='chiffres-attente']/tbody/tr")
    }
    assert rows["relance"] == ("1", "0", "24 j")  # from the step that armed it to the one that fired it
    assert rows["echeance"] == ("0", "1", "—")
    assert rows["instruction"][:2] == ("0", "1")
    with app.app_context():
        from engine.passages import ElementPassage

        kinds = dict(db.session.execute(select(ElementPassage.element_id, ElementPassage.kind)).all())
    assert kinds["relance"] == "timer"


def test_the_agents_dossier_of_a_closed_request_shows_its_path(app, people, client_for):
    filed = file_address_change(app, client_for(people["famille"]))
    agent = client_for(people["accueil"])
    decide(agent, filed.agent_task_id, "acceptee")
    page = agent.get(f"/agents/dossiers/{filed.instance_id}")
    assert page.status_code == 200
    (diagram,) = html(page).xpath("//div[@id='diagramme']")
    assert diagram.get("data-current") == ""
    assert diagram.get("data-path") == "saisie instruction"
    help_text = " ".join(html(page).xpath("//p[@id='diagramme-aide']")[0].text_content().split())
    assert "Aucune étape en cours." in help_text
    assert "Étapes traitées, encadrées en bleu, dans l'ordre : « Saisir la nouvelle adresse »" in help_text
