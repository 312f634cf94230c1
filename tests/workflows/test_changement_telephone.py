"""Scenario tests of workflows/changement_telephone.bpmn through engine.api, lane by lane."""

from __future__ import annotations

import pytest
from lxml import etree
from sqlalchemy import select

from engine import api
from engine.errors import NotFound
from engine.instances import start as live_start  # the row itself: these tests read it as it changes
from engine.models import InstanceStatus, OutboxMessage
from tests.fixtures.app import WORKFLOWS
from tests.fixtures.tasks import only_queued_task
from web.accounts.models import User

# What the saisie form sends once validated: numbers in E.164, an empty one as None.
PHONES = {"telephone": "+33123456789", "mobile": "+33612345678"}
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
WAYPOINT = "{http://www.omg.org/spec/DD/20100524/DI}waypoint"


@pytest.fixture
def people(make_user):
    return {
        "famille": make_user("famille", telephone="+33199999999", contact_prefere="telephone"),
        "accueil": make_user("agent", groups=["Accueil"]),
        "etat_civil": make_user("agent", groups=["Etat civil"]),
    }


def submit(session, family, phones=PHONES, key="changement_telephone"):
    instance = live_start(session, key, family)
    (task,) = api.tasks_for(session, family)
    assert task.form_key == "changement_telephone.saisie"
    assert task.lane == "Famille"
    api.complete(session, task.id, family, dict(phones))
    return instance


agent_task = only_queued_task


def phones_of(session, user):
    account = session.get(User, user.id)
    session.refresh(account)
    return account.telephone, account.mobile


def test_definition_is_deployed_with_its_title_and_maximum_duration(session):
    definition = api.latest_definition(session, "changement_telephone")
    assert definition is not None
    assert definition.title == "Changement de téléphones"
    assert definition.max_duration == "P15D"
    assert definition.description


def test_agent_accepts_and_the_account_gets_the_numbers(session, people):
    instance = submit(session, people["famille"])
    session.commit()
    assert instance.status_label == "En cours d'instruction"
    task = agent_task(session, people["accueil"])
    assert task.form_key == "changement_telephone.instruction"
    assert task.lane == "Accueil"
    assert phones_of(session, people["famille"]) == ("+33199999999", None)  # nothing before the decision

    api.complete(session, task.id, people["accueil"], {"decision": "acceptee"}, public_comment="C'est noté")
    session.commit()

    assert instance.status == InstanceStatus.COMPLETED
    assert instance.status_label == "Acceptée"
    assert phones_of(session, people["famille"]) == ("+33123456789", "+33612345678")
    (mail,) = session.execute(select(OutboxMessage)).scalars().all()
    assert mail.recipient == people["famille"].email
    assert "acceptée" in mail.subject
    assert "06 12 34 56 78" in mail.body_text  # shown in the national format (stored in E.164)


def test_only_a_mobile_replaces_both_numbers_and_the_preferred_contact_falls_back(session, people):
    submit(session, people["famille"], {"telephone": None, "mobile": "+33612345678"})
    api.complete(
        session, agent_task(session, people["accueil"]).id, people["accueil"], {"decision": "acceptee"}
    )
    session.commit()
    assert phones_of(session, people["famille"]) == (None, "+33612345678")
    assert session.get(User, people["famille"].id).contact_prefere == "courriel"


def test_agent_refuses_and_the_numbers_are_kept(session, people):
    instance = submit(session, people["famille"])
    task = agent_task(session, people["accueil"])
    api.complete(
        session, task.id, people["accueil"], {"decision": "refusee"}, public_comment="Numéro inconnu"
    )
    session.commit()
    assert instance.status_label == "Refusée"
    assert phones_of(session, people["famille"]) == ("+33199999999", None)
    (mail,) = session.execute(select(OutboxMessage)).scalars().all()
    assert "pas été acceptée" in mail.subject


def test_wrong_lane_is_refused(session, people):
    submit(session, people["famille"])
    session.commit()
    task = agent_task(session, people["accueil"])
    with pytest.raises(NotFound):  # nor does another service (docs/security.md, IDOR)
        api.complete(session, task.id, people["etat_civil"], {"decision": "acceptee"})
    with pytest.raises(NotFound):  # a family never learns another task exists
        api.complete(session, task.id, people["famille"], {"decision": "acceptee"})
    assert api.queue_for(session, people["etat_civil"].groups)[1] == 0
    assert phones_of(session, people["famille"]) == ("+33199999999", None)


def without_agent_task(xml: bytes) -> bytes:
    """The shipped diagram as an analyst would edit it: no instruction, the family's task goes
    straight to the update of the account (no decision, no refusal, no timer)."""
    root = etree.fromstring(xml)
    removed = {
        "instruction",
        "relance",
        "echeance",
        "decision_prise",
        "notifier_refus",
        "fin_refusee",
        "relancer_agents",
        "relance_faite",
        "signaler_retard",
        "prevenir_retard",
        "retard_signale",
        "flux_instruction_decision",
        "flux_acceptation",
        "flux_refus",
        "flux_courriel_fin_refusee",
        "flux_relance",
        "flux_relance_fin",
        "flux_echeance",
        "flux_retard_famille",
        "flux_retard_fin",
    }
    for element in list(root.iter()):
        if element.get("id") in removed or element.get("bpmnElement") in removed:
            element.getparent().remove(element)
    for ref in root.iter(f"{{{BPMN_NS}}}flowNodeRef"):
        if ref.text in removed:
            ref.getparent().remove(ref)
    (flow,) = root.xpath("//bpmn:sequenceFlow[@id='flux_saisie_instruction']", namespaces={"bpmn": BPMN_NS})
    flow.set("targetRef", "maj_telephones")
    (update,) = root.xpath("//bpmn:serviceTask[@id='maj_telephones']", namespaces={"bpmn": BPMN_NS})
    update.find(f"{{{BPMN_NS}}}incoming").text = "flux_saisie_instruction"
    (edge,) = root.xpath(
        "//bpmndi:BPMNEdge[@bpmnElement='flux_saisie_instruction']", namespaces={"bpmndi": DI_NS}
    )
    waypoints = edge.findall(WAYPOINT)
    waypoints[-1].set("x", "690")
    waypoints[-1].set("y", "330")
    waypoints[-2].set("y", "330")
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    for gone in ("instruction", "decision_prise", "flux_refus", "relance", "signaler_retard"):
        assert f'"{gone}"'.encode() not in xml
    return xml


def test_without_an_agent_task_the_numbers_are_applied_on_submission(session, people):
    from web.app import lint_context

    shipped = api.latest_definition(session, "changement_telephone")
    source = (WORKFLOWS / "changement_telephone.bpmn").read_bytes()
    variant = api.deploy(session, without_agent_task(source), "tests", lint_context())
    # Not committed: the session fixture rolls it back, so the other tests keep the shipped diagram.
    assert variant.key == "changement_telephone"
    assert variant.version == shipped.version + 1

    instance = submit(session, people["famille"])
    session.flush()
    assert instance.definition_id == variant.id
    assert instance.status == InstanceStatus.COMPLETED
    assert instance.status_label == "Acceptée"
    assert phones_of(session, people["famille"]) == ("+33123456789", "+33612345678")
    assert api.queue_for(session, people["accueil"].groups)[1] == 0  # no agent was asked anything
    (mail,) = session.execute(select(OutboxMessage)).scalars().all()
    assert "acceptée" in mail.subject
