"""The analysts' studio through its pages: access, home, drafts, publish, conflicts, rollback, uploads."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.models import HumanTask, ProcessDefinition, ProcessInstance
from tests.fixtures.app import csrf_token, login
from tests.fixtures.integration import file_address_change, html, start_demarche, text
from web.cli import main
from web.extensions import db
from web.studio.models import StudioAudit, StudioDraft

DATA = Path(__file__).resolve().parents[1] / "data" / "studio"
WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
OLD_LABEL = "En cours d'instruction"
NEW_LABEL = "Examen par l'accueil"


@pytest.fixture
def analyst(make_user):
    return make_user("analyste", prenom="Ana", nom="Lyste")


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _post(client, page, url, data, **kwargs):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page)}, **kwargs)


def _versions(app, key):
    with app.app_context():
        return list(
            db.session.execute(
                select(ProcessDefinition.version)
                .where(ProcessDefinition.key == key)
                .order_by(ProcessDefinition.version)
            ).scalars()
        )


def _adresse_v2() -> str:
    xml = (WORKFLOWS / "changement_adresse.bpmn").read_text(encoding="utf-8")
    xml = xml.replace('name="Instruire la demande"', 'name="Examiner la demande"')
    return xml.replace(f'value="{OLD_LABEL}"', f'value="{NEW_LABEL}"')


def test_only_analysts_and_admins_reach_the_studio(app, make_user, analyst):
    urls = [
        "/studio/",
        "/studio/changement_adresse",
        "/studio/changement_adresse/editeur",
        "/studio/choix.json",
        "/studio/changement_adresse/versions/1.bpmn",
    ]
    for role in ("famille", "agent"):
        client = _client(app, make_user(role, groups=("Accueil",) if role == "agent" else ()))
        for url in urls:
            assert client.get(url).status_code == 404, (role, url)
        token = csrf_token(client, "/profil" if role == "famille" else "/backoffice/taches")
        response = client.post(
            "/studio/changement_adresse/publier", data={"csrf_token": token, "commentaire": "x"}
        )
        assert response.status_code == 404
    anonymous = app.test_client().get("/studio/")
    assert anonymous.status_code == 302
    assert "/connexion" in anonymous.headers["Location"]
    for user in (analyst, make_user("admin")):
        client = _client(app, user)
        for url in urls:
            assert client.get(url).status_code == 200, url


def test_analyst_lands_on_the_studio_with_only_their_menu(app, analyst):
    client = app.test_client()
    response = _post(
        client,
        "/connexion",
        "/connexion",
        {"username": analyst.username, "password": "correct horse battery staple"},
    )
    assert response.headers["Location"].endswith("/studio/")
    home = client.get("/studio/")
    menu = " ".join(html(home).xpath("//nav[@aria-label='Menu principal']")[0].text_content().split())
    assert "Studio des démarches" in menu
    for other in ("Tâches à traiter", "Clés espace citoyens", "Mes absences", "Administration"):
        assert other not in menu
    rows = {
        " ".join(r.xpath("td")[0].text_content().split()): [
            " ".join(td.text_content().split()) for td in r.xpath("td")
        ]
        for r in html(home).xpath("//table[contains(@class,'studio-table')][1]/tbody/tr")
    }
    adresse = rows["Changement d'adresses postales"]
    assert adresse[1:4] == ["Coordonnées", "v1", "Aucune"]
    assert adresse[4].startswith("tests, ")


def test_publish_v2_running_requests_finish_on_v1_new_ones_run_v2(app, people, client_for, analyst):
    famille = client_for(people["famille"])
    before = file_address_change(app, famille)
    studio = _client(app, analyst)

    saved = _post(
        studio,
        "/studio/changement_adresse/editeur",
        "/studio/changement_adresse/brouillon",
        {"bpmn": _adresse_v2()},
    )
    assert saved.status_code == 302
    page = studio.get("/studio/changement_adresse")
    assert "Aucun problème : ce brouillon peut être publié." in text(page)
    assert _versions(app, "changement_adresse") == [1]  # a draft is never live

    published = _post(
        studio,
        "/studio/changement_adresse",
        "/studio/changement_adresse/publier",
        {"commentaire": "Nouveau libellé de l'instruction"},
    )
    assert published.status_code == 302, text(published)[:800]
    assert _versions(app, "changement_adresse") == [1, 2]
    page = studio.get("/studio/changement_adresse")
    assert "Version 2 publiée" in text(page)
    rows = [
        " ".join(r.text_content().split())
        for r in html(page).xpath("//section[@aria-labelledby='titre-versions']//tbody/tr")
    ]
    assert rows[0].startswith("v2 En service")
    assert "Nouveau libellé de l'instruction" in rows[0]
    assert rows[0].endswith("0 Télécharger la version 2")
    assert rows[1].startswith("v1")
    assert " 1 Télécharger" in rows[1]

    with app.app_context():
        (entry,) = db.session.execute(select(StudioAudit)).scalars().all()
        assert (entry.actor, entry.action, entry.key, entry.version, entry.from_version) == (
            analyst.username,
            "publish",
            "changement_adresse",
            2,
            1,
        )
        assert entry.at.tzinfo is not None
        assert db.session.execute(select(func.count()).select_from(StudioDraft)).scalar() == 0
        old = db.session.get(ProcessInstance, before.instance_id)
        assert old.definition.version == 1
        assert db.session.get(HumanTask, before.agent_task_id).status_label == OLD_LABEL

    after = file_address_change(app, client_for(people["autre_famille"]))
    with app.app_context():
        new = db.session.get(ProcessInstance, after.instance_id)
        assert new.definition.version == 2
        task = db.session.get(HumanTask, after.agent_task_id)
        assert (task.title, task.status_label) == ("Examiner la demande", NEW_LABEL)
    home = text(studio.get("/studio/"))
    assert "v2 : 1" in home
    assert "v1 : 1" in home
    assert "Nouveau libellé de l'instruction" in home


def test_two_analysts_publish_at_once_one_wins_the_other_gets_409_and_keeps_the_draft(
    app, make_user, analyst
):
    other = make_user("analyste", prenom="Bea", nom="Autre")
    first, second = _client(app, analyst), _client(app, other)
    xml_a = _adresse_v2()
    xml_b = (
        (WORKFLOWS / "changement_adresse.bpmn")
        .read_text(encoding="utf-8")
        .replace("Saisir la nouvelle adresse", "Indiquer la nouvelle adresse")
    )
    for client, xml in ((first, xml_a), (second, xml_b)):
        assert (
            _post(
                client, "/studio/changement_adresse", "/studio/changement_adresse/brouillon", {"bpmn": xml}
            ).status_code
            == 302
        )
    assert (
        _post(
            first, "/studio/changement_adresse", "/studio/changement_adresse/publier", {"commentaire": "A"}
        ).status_code
        == 302
    )
    refused = _post(
        second, "/studio/changement_adresse", "/studio/changement_adresse/publier", {"commentaire": "B"}
    )
    assert refused.status_code == 409
    assert (
        f"La démarche a été publiée en version 2 par {analyst.username} pendant votre modification "
        "(vous partiez de la version 1). Rien n'a été publié et votre brouillon est conservé" in text(refused)
    )
    assert _versions(app, "changement_adresse") == [1, 2]
    with app.app_context():
        draft = db.session.execute(select(StudioDraft).where(StudioDraft.user_id == other.id)).scalar_one()
        assert "Indiquer la nouvelle adresse" in draft.bpmn_xml
        assert draft.base_version == 1
        assert db.session.execute(select(func.count()).select_from(StudioAudit)).scalar() == 1
    assert second.get("/studio/changement_adresse/brouillon.bpmn").get_data(as_text=True) == xml_b


def test_rollback_republishes_an_older_version_in_the_audit_trail(app, analyst):
    studio = _client(app, analyst)
    _post(
        studio, "/studio/changement_adresse", "/studio/changement_adresse/brouillon", {"bpmn": _adresse_v2()}
    )
    _post(studio, "/studio/changement_adresse", "/studio/changement_adresse/publier", {"commentaire": "v2"})
    stale = _post(
        studio,
        "/studio/changement_adresse",
        "/studio/changement_adresse/versions/1/republier",
        {"version_en_service": "1"},
    )
    assert stale.status_code == 409
    done = _post(
        studio,
        "/studio/changement_adresse",
        "/studio/changement_adresse/versions/1/republier",
        {"version_en_service": "2"},
    )
    assert done.status_code == 302
    with app.app_context():
        rows = db.session.execute(
            select(ProcessDefinition.version, ProcessDefinition.sha256, ProcessDefinition.comment)
            .where(ProcessDefinition.key == "changement_adresse")
            .order_by(ProcessDefinition.version)
        ).all()
        assert [r.version for r in rows] == [1, 2, 3]
        assert rows[2].sha256 == rows[0].sha256
        assert rows[2].comment == "Retour à la version 1"
        actions = [
            (a.action, a.version, a.from_version)
            for a in db.session.execute(select(StudioAudit).order_by(StudioAudit.id)).scalars()
        ]
        assert actions == [("publish", 2, 1), ("rollback", 3, 1)]
    assert start_demarche  # new requests start on v3 (the latest): covered by the publish test
    journal = text(studio.get("/studio/changement_adresse"))
    assert "Retour à une version : v3 (copie de v1), par " + analyst.username in journal
    # In Paris time, like « Dernière modification » and every other date of the portal.
    assert re.search(r"\d{2}/\d{2}/\d{4} à \d{2}:\d{2}", journal)
    assert "UTC" not in journal


def test_camunda_upload_is_listed_refused_then_fixed_and_published(app, analyst):
    studio = _client(app, analyst)
    data = (DATA / "camunda7_couloir_inconnu.bpmn").read_bytes()
    opened = _post(
        studio,
        "/studio/",
        "/studio/importer",
        {"fichier": (io.BytesIO(data), "travaux.bpmn")},
        content_type="multipart/form-data",
    )
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith("/studio/demande_travaux")
    page = studio.get("/studio/demande_travaux")
    items = html(page).xpath("//ol[@id='problemes']/li")
    assert [li.get("data-element-id") for li in items] == ["Lane_urbanisme", "Activity_examen"]
    assert "Dans le studio, sélectionnez le couloir et choisissez son groupe" in items[0].text_content()

    refused = _post(
        studio, "/studio/demande_travaux", "/studio/demande_travaux/publier", {"commentaire": "Import"}
    )
    assert refused.status_code == 400
    assert "La publication est refusée : 2 problèmes à corriger" in text(refused)
    assert _versions(app, "demande_travaux") == []

    fixed = data.decode().replace('name="Service Urbanisme"', 'name="Accueil"')
    _post(studio, "/studio/demande_travaux/editeur", "/studio/demande_travaux/brouillon", {"bpmn": fixed})
    published = _post(
        studio, "/studio/demande_travaux", "/studio/demande_travaux/publier", {"commentaire": "Import"}
    )
    assert published.status_code == 302
    assert _versions(app, "demande_travaux") == [1]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<bpmn:definitions", "Fichier illisible : XML invalide"),
        (b"<html><body>Bonjour</body></html>", "n'est pas un diagramme BPMN 2.0"),
        (b"\xff\xfe\x00garbage", "Fichier illisible"),
    ],
)
def test_bad_files_get_a_french_message_and_nothing_changes(app, analyst, content, message):
    studio = _client(app, analyst)
    response = _post(
        studio,
        "/studio/",
        "/studio/importer",
        {"fichier": (io.BytesIO(content), "x.bpmn")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert message in text(response)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(StudioDraft)).scalar() == 0


def test_fifty_megabytes_is_refused_before_reading(app, analyst):
    studio = _client(app, analyst)
    token = csrf_token(studio, "/studio/")
    boundary = "studio-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="fichier"; filename="enorme.bpmn"\r\n'
            "Content-Type: application/xml\r\n\r\n"
        ).encode()
        + b"<" * (50 * 1024 * 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = studio.post(
        "/studio/importer", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 413
    assert re.search(
        r"Le fichier fait 50\.0 Mo : un diagramme BPMN ne peut pas dépasser 2048 Kio", text(response)
    )


def test_choices_for_the_editor(app, analyst):
    choices = _client(app, analyst).get("/studio/choix.json").get_json()
    assert choices["groups"][:2] == ["Famille", "Accueil"]
    assert "changement_adresse.instruction" in choices["forms"]
    notifier = next(op for op in choices["operations"] if op["id"] == "famille_notifier")
    # Its parameter names from the signature, without the context and without **donnees.
    assert notifier["parameters"] == ["message", "modele"]


def test_diff_of_two_versions_and_the_diagram_as_text(app, people, client_for, analyst):
    studio = _client(app, analyst)
    _post(
        studio, "/studio/changement_adresse", "/studio/changement_adresse/brouillon", {"bpmn": _adresse_v2()}
    )
    _post(studio, "/studio/changement_adresse", "/studio/changement_adresse/publier", {"commentaire": "v2"})
    page = studio.get("/studio/changement_adresse/comparer?de=1&a=2")
    assert page.status_code == 200
    rows = [" ".join(r.text_content().split()) for r in html(page).xpath("//tbody/tr")]
    assert rows == [
        "Modifié Tâche « Examiner la demande » [instruction] nom, "
        "propriétés Guichet (formulaire, statut, opération…)"
    ]
    assert studio.get("/studio/changement_adresse/comparer?de=1&a=9").status_code == 404

    steps = html(studio.get("/studio/changement_adresse")).xpath(
        "//section[@aria-labelledby='titre-deroulement']/ol/li"
    )
    texts = [" ".join(li.text_content().split()) for li in steps]
    assert (
        texts[0] == "1. Démarche ouverte (Début, la famille) : puis étape 2 « Saisir la nouvelle adresse »."
    )
    assert texts[2].startswith(
        "3. Examen de la demande (Sous-processus) : puis étape 4 « Décision ? » ; pendant cette"
    )
    assert "3.3. Examiner la demande (Tâche, le groupe Accueil)" in texts[2]
    assert texts[3] == (
        '4. Décision ? (Choix, le groupe Accueil) : si « Acceptée » (decision == "acceptee") : '
        "étape 7 « Mettre à jour l'adresse du compte » ; sinon (« Refusée ») : "
        "étape 8 « Informer la famille du refus »."
    )

    # The agents' dossier shows the text of the version the request runs on, the current step flagged.
    filed = file_address_change(app, client_for(people["famille"]))
    dossier = client_for(people["accueil"]).get(f"/agents/dossiers/{filed.instance_id}")
    (current,) = html(dossier).xpath("//ol[@id='diagramme-texte']//li[@class='process-step-current']")
    assert " ".join(current.text_content().split()).startswith(
        "3.3. Examiner la demande (Tâche, le groupe Accueil) étape en cours"
    )


def test_a_process_id_unfit_for_a_key_is_refused_with_what_to_do(app, analyst):
    studio = _client(app, analyst)
    data = (DATA / "bpmnio_non_executable.bpmn").read_text("utf-8").replace("Process_1", "Processus n°1")
    response = _post(
        studio,
        "/studio/",
        "/studio/importer",
        {"fichier": (io.BytesIO(data.encode()), "x.bpmn")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "L'identifiant du processus « Processus n°1 » ne convient pas" in text(response)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(StudioDraft)).scalar() == 0


def test_a_version_deployed_from_the_shell_is_in_the_publication_journal(app, tmp_path):
    changed = tmp_path / "changement_adresse.bpmn"
    changed.write_text(_adresse_v2(), encoding="utf-8")
    before = _versions(app, "changement_adresse")
    runner = app.test_cli_runner()
    for _ in range(2):  # the same bytes twice: one new version, one journal row
        result = runner.invoke(main, ["deploy", "--author", "exploitant", str(changed)])
        assert result.exit_code == 0, result.output
    assert _versions(app, "changement_adresse") == [*before, before[-1] + 1]
    with app.app_context():
        rows = db.session.execute(
            select(StudioAudit).where(StudioAudit.key == "changement_adresse")
        ).scalars()
        (row,) = rows
        assert (row.actor, row.action, row.version, row.from_version) == (
            "exploitant (guichet deploy)",
            "publish",
            before[-1] + 1,
            before[-1],
        )
