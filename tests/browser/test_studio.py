"""The analysts' studio in Chromium: edit « Changement d'adresses postales » in the bpmn-js editor and
publish v2 while a request runs on v1; open a Camunda Modeler file whose lane names no group, see the
markers, be refused, fix the lane in the « Guichet » panel group and publish. Every studio page is
watched for CSP violations and checked with axe. The screenshots are those of docs/guide-analyste.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.models import HumanTask, InstanceStatus, ProcessInstance
from tests.browser.test_dossier import log_in
from tests.fixtures.app import login
from tests.fixtures.axe import BLOCKING, axe_violations, describe
from tests.fixtures.browser import screenshot
from tests.fixtures.integration import decide, file_address_change, text
from web.accounts.models import User
from web.extensions import db
from web.studio import services as studio_services

pytestmark = pytest.mark.browser
DATA = Path(__file__).resolve().parents[1] / "data" / "studio"
OLD_LABEL = "En cours d'instruction"
NEW_LABEL = "Examen par l'accueil"
CSP_LISTENER = (
    "window.__csp = []; document.addEventListener('securitypolicyviolation',"
    " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample));"
)
# bpmn-js draws the diagram as SVG without ARIA (FACTS §7): the canvas has a role=img label and the
# page offers the XML and the properties panel as the non-drag path; axe checks the rest.
AXE_EXCLUDE = [".djs-container"]


def checked(tab: Any, name: str, *, axe: bool = True) -> None:
    """No CSP violation so far on this page, no serious axe violation, and a screenshot at 1280 px."""
    assert tab.evaluate("window.__csp") == [], tab.url
    if axe:
        blocking = [v for v in axe_violations(tab, AXE_EXCLUDE) if v["impact"] in BLOCKING]
        assert not blocking, describe(blocking)
    screenshot(tab, name)


def open_editor(tab: Any) -> None:
    tab.get_by_role("link", name=re.compile(r"^Modifier (la démarche|le brouillon) dans l'éditeur$")).click()
    expect(tab.locator("[data-studio-editor]")).to_have_attribute("data-ready", "true", timeout=20000)


def open_group(tab: Any, label: str) -> None:
    header = tab.locator(".bio-properties-panel-group-header", has_text=label).first
    if "open" not in (header.get_attribute("class") or ""):
        header.click()


def publish(tab: Any, comment: str) -> None:
    tab.get_by_label("Ce qui change dans cette version").fill(comment)
    tab.get_by_role("button", name="Publier la version").click()


def test_analyst_publishes_v2_while_a_request_finishes_on_v1(
    app: Any, page: Any, make_user: Callable[..., User]
) -> None:
    family = make_user("famille", prenom="Camille", nom="Lefèvre")
    agent = make_user("agent", groups=["Accueil"], prenom="Dominique", nom="Garnier")
    analyst = make_user("analyste", prenom="Ana", nom="Lyste")
    family_client = app.test_client()
    login(family_client, family)
    before = file_address_change(app, family_client)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.add_init_script(CSP_LISTENER)
    log_in(page, analyst)
    assert page.url.endswith("/studio/")
    menu = page.get_by_role("navigation", name="Menu principal")
    expect(menu).to_contain_text("Studio des démarches")
    expect(menu).not_to_contain_text("Tâches à traiter")
    row = page.get_by_role("row").filter(has_text="Changement d'adresses postales")
    expect(row).to_contain_text("Coordonnées")
    expect(row).to_contain_text("v1 : 1")
    checked(page, "studio-accueil")

    row.get_by_role("link", name="Changement d'adresses postales").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Changement d'adresses postales")
    checked(page, "studio-demarche")
    open_editor(page)
    checked(page, "studio-editeur-ouvert")

    page.locator(".djs-element[data-element-id='instruction']").click()
    open_group(page, "General")
    page.locator("#bio-properties-panel-name").fill("Examiner la demande")
    open_group(page, "Guichet")
    label = page.locator("#bio-properties-panel-guichet-statusLabel")
    expect(label).to_have_value(OLD_LABEL)
    label.fill(NEW_LABEL)
    expect(page.locator("[data-studio-status]")).to_have_text("Modifications non enregistrées.")
    expect(page.locator("[data-studio-problems]")).to_contain_text("Aucun problème")
    screenshot(page, "studio-editeur-panneau")
    # A service task: its operation from the registered ones, its parameters as expressions.
    page.locator(".djs-element[data-element-id='notifier_acceptation']").click()
    open_group(page, "Guichet")
    expect(page.locator("#bio-properties-panel-guichet-operation")).to_have_value("famille_notifier")
    expect(page.locator("#bio-properties-panel-guichet-param-modele")).to_have_value('"demarche_acceptee"')
    # Remove a parameter, add one (its name among the operation's, or free), both undoable commands.
    page.get_by_role("button", name="Retirer le paramètre « motif »").click()
    expect(page.locator("#bio-properties-panel-guichet-param-motif")).to_have_count(0)
    page.get_by_label("Nouveau paramètre : nom").fill("question")
    page.get_by_label("Nouveau paramètre : valeur (expression)").fill("motif")
    page.get_by_role("button", name="Ajouter le paramètre").click()
    expect(page.locator("#bio-properties-panel-guichet-param-question")).to_have_value("motif")
    page.evaluate("window.guichetStudio.get('commandStack').undo()")
    expect(page.locator("#bio-properties-panel-guichet-param-question")).to_have_count(0)
    page.evaluate("window.guichetStudio.get('commandStack').redo()")
    expect(page.locator("#bio-properties-panel-guichet-param-question")).to_have_value("motif")
    page.get_by_label("Nouveau paramètre : nom").fill("question")
    page.get_by_label("Nouveau paramètre : valeur (expression)").fill('"deux fois"')
    page.get_by_role("button", name="Ajouter le paramètre").click()
    expect(page.locator("[data-group-id='group-guichet'] [role=alert]")).to_contain_text("existe déjà")
    page.get_by_label("Nouveau paramètre : nom").fill("")
    page.get_by_label("Nouveau paramètre : valeur (expression)").fill("")
    screenshot(page, "studio-editeur-parametres")
    # A timer: its expression with a reading of the duration.
    page.locator(".djs-element[data-element-id='relance']").click()
    open_group(page, "Guichet")
    expect(page.locator("#bio-properties-panel-guichet-timer")).to_have_value(
        'avant_echeance(date_limite, "P6D")'
    )
    expect(page.locator("[data-group-id='group-guichet']")).to_contain_text("« P6D » = 6 jours")
    # The process (its pool): title, rubrique, maximum duration with its reading.
    page.locator(".djs-element[data-element-id='Participant_changement_adresse'] rect.djs-hit-all").click()
    open_group(page, "Guichet")
    expect(page.locator("#bio-properties-panel-guichet-rubrique")).to_have_value("Coordonnées")
    expect(page.locator("#bio-properties-panel-guichet-duree")).to_have_value("P30D")
    expect(page.locator("[data-group-id='group-guichet']")).to_contain_text("« P30D » = 30 jours")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator("[data-studio-status]")).to_have_text("Brouillon enregistré (non publié).")
    checked(page, "studio-editeur-enregistre", axe=False)
    with app.app_context():
        saved = studio_services.draft(db.session, analyst.id, "changement_adresse").bpmn_xml
    task = saved[saved.index('<bpmn:serviceTask id="notifier_acceptation"') :]
    task = task[: task.index("</bpmn:serviceTask>")]
    assert '<spiffworkflow:parameter id="question" type="str" value="motif" />' in task
    assert 'id="motif"' not in task
    assert 'id="modele"' in task
    assert 'id="message"' in task

    page.get_by_role("link", name="Changement d'adresses postales").click()
    expect(page.get_by_text("Aucun problème : ce brouillon peut être publié.")).to_be_visible()
    publish(page, "L'étape d'instruction devient « Examen par l'accueil »")
    expect(page.get_by_role("status")).to_contain_text("Version 2 publiée")
    versions = page.get_by_role("region", name="Versions publiées")
    expect(versions.get_by_role("row").nth(1)).to_contain_text("v2 En service")
    expect(versions.get_by_role("row").nth(1)).to_contain_text("L'étape d'instruction devient")
    expect(versions.get_by_role("row").nth(2)).to_contain_text("v1")
    expect(page.get_by_role("region", name="Journal des publications")).to_contain_text(
        f"Publication : v2, par {analyst.username}"
    )
    checked(page, "studio-version-publiee")

    # The request started before runs on v1 and keeps the old label; a new request runs v2.
    assert OLD_LABEL in text(family_client.get(f"/mes-demandes/{before.instance_id}"))
    other = make_user("famille", prenom="Dominique", nom="Bernard")
    other_client = app.test_client()
    login(other_client, other)
    after = file_address_change(app, other_client)
    with app.app_context():
        new_task = db.session.get(HumanTask, after.agent_task_id)
        assert (new_task.title, new_task.status_label) == ("Examiner la demande", NEW_LABEL)
        assert db.session.get(ProcessInstance, after.instance_id).definition.version == 2
    agent_client = app.test_client()
    login(agent_client, agent)
    assert decide(agent_client, before.agent_task_id, "acceptee").status_code == 302
    with app.app_context():
        old = db.session.get(ProcessInstance, before.instance_id)
        assert (old.definition.version, old.status) == (1, InstanceStatus.COMPLETED)
        titles = db.session.execute(
            select(HumanTask.title).where(HumanTask.instance_id == before.instance_id)
        ).scalars()
        assert "Instruire la demande" in set(titles)


def test_camunda_file_with_an_unknown_lane_is_marked_refused_then_fixed_in_the_panel(
    app: Any, page: Any, make_user: Callable[..., User]
) -> None:
    analyst = make_user("analyste", prenom="Ana", nom="Lyste")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.add_init_script(CSP_LISTENER)
    log_in(page, analyst)
    page.get_by_label("Fichier BPMN 2.0").set_input_files(str(DATA / "camunda7_couloir_inconnu.bpmn"))
    page.get_by_role("button", name="Ouvrir le fichier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Déclaration de petits travaux")
    problems = page.locator("#problemes li")
    expect(problems).to_have_count(2)
    expect(problems.first).to_contain_text("« Service Urbanisme » ne correspond à aucun groupe d'agents")
    checked(page, "studio-import-camunda")

    publish(page, "Import depuis Camunda Modeler")
    expect(page.get_by_role("alert")).to_contain_text("La publication est refusée : 2 problèmes à corriger")
    checked(page, "studio-publication-refusee")

    open_editor(page)
    expect(page.locator(".djs-element.studio-problem[data-element-id='Lane_urbanisme']")).to_have_count(1)
    expect(page.locator(".djs-element.studio-problem[data-element-id='Activity_examen']")).to_have_count(1)
    screenshot(page, "studio-marqueurs")
    page.locator("[data-studio-problems] button", has_text="Service Urbanisme").first.click()
    expect(page.locator(".djs-element.selected[data-element-id='Lane_urbanisme']")).to_have_count(1)
    open_group(page, "Guichet")
    page.locator("#bio-properties-panel-guichet-lane").select_option("Accueil")
    expect(page.locator("[data-studio-problems]")).to_contain_text("Aucun problème")
    expect(page.locator(".djs-element.studio-problem")).to_have_count(0)
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator("[data-studio-status]")).to_have_text("Brouillon enregistré (non publié).")
    checked(page, "studio-couloir-corrige")

    page.get_by_role("link", name="Déclaration de petits travaux").click()
    publish(page, "Import depuis Camunda Modeler, couloir Accueil")
    expect(page.get_by_role("status")).to_contain_text("Version 1 publiée")
    checked(page, "studio-import-publie")


def test_studio_pages_at_375_pixels_and_the_comparison(
    app: Any, page: Any, make_user: Callable[..., User]
) -> None:
    analyst = make_user("analyste", prenom="Ana", nom="Lyste")
    client = app.test_client()
    login(client, analyst)
    from tests.fixtures.app import csrf_token

    xml = (Path(__file__).resolve().parents[2] / "workflows" / "changement_adresse.bpmn").read_text("utf-8")
    token = csrf_token(client, "/studio/changement_adresse")
    client.post(
        "/studio/changement_adresse/brouillon",
        data={"csrf_token": token, "bpmn": xml.replace(OLD_LABEL, NEW_LABEL)},
    )
    client.post("/studio/changement_adresse/publier", data={"csrf_token": token, "commentaire": "Libellé"})

    page.add_init_script(CSP_LISTENER)
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, analyst)
    for url, name in [
        ("/studio/", "studio-accueil-375"),
        ("/studio/changement_adresse", "studio-demarche-375"),
        ("/studio/changement_adresse/comparer?de=1&a=2", "studio-comparer-375"),
    ]:
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), url
        checked(page, name)
    expect(page.get_by_role("row").nth(1)).to_contain_text("Modifié")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/studio/changement_adresse/comparer?de=1&a=2")
    diagram = page.locator("#diagramme-comparaison")
    expect(diagram).to_have_attribute("data-diagram-ready", "true")
    expect(diagram.locator(".djs-element.studio-diff-changed")).to_have_count(1)
    expect(diagram.locator(".djs-element.studio-diff-changed")).to_have_attribute(
        "data-element-id", "instruction"
    )
    checked(page, "studio-comparer")
