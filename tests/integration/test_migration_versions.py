"""Safe-deploy preview and migration on pairs of versions (issue 17, point 5).

For each pair the preview's verdict is compared with what really happens: a movable request is
migrated, loaded back and run to its end on the new version; a request that stays is shown to break
(or silently skip steps) when SpiffWorkflow's `migrate_workflow` is forced on it, which is why the
verdict keeps it on its version.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from engine import api
from engine.errors import Conflict, NotFound
from engine.execution import bundle_of, open_workflow
from engine.instances import start as live_start  # the row itself: these tests read it as it changes
from engine.migration import bundle_of_definition, diff_reasons
from engine.migration_apply import InstanceMigration
from engine.models import (
    HistoryEvent,
    HumanTask,
    HumanTaskState,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
)
from engine.runtime import SERIALIZER, GuichetScriptEngine, dump_workflow, load_workflow, migrate_workflow
from tests.fixtures.app import empty_tables
from tests.fixtures.versions import process, script_task, store, user_task
from web.extensions import db

SAISIR = user_task("saisir", "Saisir la demande", label="En cours de saisie")
VALIDER = user_task("valider", "Valider la demande", label="En cours d'examen")


def v1(key: str) -> str:
    return process(key, [SAISIR, VALIDER], ["saisir", "valider"], ["saisir"], ["valider"])


def property_changed(key: str) -> str:
    other = user_task("valider", "Valider la demande", form="demo_v2", label="Examen par l'accueil")
    return process(key, [SAISIR, other], ["saisir", "valider"], ["saisir"], ["valider"])


def task_added_after(key: str) -> str:
    notifier = script_task("notifier", "notif = 'ok'")
    return process(
        key, [SAISIR, VALIDER, notifier], ["saisir", "valider", "notifier"], ["saisir"], ["valider"]
    )


def task_removed(key: str) -> str:
    return process(key, [SAISIR], ["saisir"], ["saisir"], [])


def _waiting_at_valider(session, people, key: str) -> ProcessInstance:
    instance = live_start(session, key, people["famille"])
    task = session.execute(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.state == HumanTaskState.OPEN)
    ).scalar_one()
    api.complete(session, task.id, people["famille"], {"motif": "déménagement"})
    session.commit()
    return instance


def _open(session, instance_id: int) -> HumanTask:
    return session.execute(
        select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.state == HumanTaskState.OPEN)
    ).scalar_one()


def _forced(instance: ProcessInstance, target_definition):
    """What SpiffWorkflow does when forced: migrate without checks, then reload the JSON."""
    # The door hands out a frozen DefinitionView: the bundle is built from the stored row.
    target = bundle_of_definition(db.session().get(ProcessDefinition, target_definition.id))
    workflow = load_workflow(bundle_of(instance), instance.serialization, GuichetScriptEngine())
    _reasons, (top, subs) = diff_reasons(workflow, target)
    migrate_workflow(top, workflow, target.spec)
    for sp_id, sp in workflow.subprocesses.items():
        migrate_workflow(subs[sp_id], sp, target.subprocess_specs[sp.spec.name])
    workflow.subprocess_specs = target.subprocess_specs
    return load_workflow(target, SERIALIZER.serialize_json(workflow), GuichetScriptEngine())


@pytest.mark.parametrize("variant", [property_changed, task_added_after])
def test_movable_requests_move_load_back_and_finish(app, session, people, variant):
    people["famille"], people["accueil"]  # accounts first: they commit in their own session
    key = f"mig_{variant.__name__}"
    store(session, key, v1(key))
    instance = _waiting_at_valider(session, people, key)
    before = _open(session, instance.id)
    target = store(session, key, variant(key))
    session.commit()

    preview = api.migration_preview_version(session, key, 2)
    assert [v.instance_id for v in preview.movable] == [instance.id]
    assert preview.staying == ()
    assert preview.movable[0].waiting_at == ("« Valider la demande » (valider)",)

    outcome = api.migrate_requests(session, key, [instance.id], expected_version=2, actor="ana")
    session.commit()
    assert outcome.moved == (instance.reference,)
    session.expire_all()
    moved = session.get(ProcessInstance, instance.id)
    assert moved.definition_id == target.id
    row = _open(session, instance.id)
    assert row.id == before.id  # the same inbox row, now pointing at the new version's task
    if variant is property_changed:
        assert (row.form_key, row.status_label) == ("demo_v2", "Examen par l'accueil")
    workflow = open_workflow(session, moved, None)  # loads back with the new spec
    assert workflow.get_tasks(state=api_ready())[0].data["motif"] == "déménagement"
    agent = people["accueil"]
    api.complete(session, row.id, agent, {"decision": "acceptee"})
    session.commit()
    assert moved.status == InstanceStatus.COMPLETED
    events = session.execute(
        select(HistoryEvent.label).where(
            HistoryEvent.instance_id == instance.id, HistoryEvent.event_type == "instance_migrated"
        )
    ).scalars()
    assert list(events) == ["Demande passée de la version 1 à la version 2 de la démarche"]


def api_ready():
    from engine.runtime import TaskState

    return TaskState.READY


def test_a_removed_task_the_request_waits_on_keeps_it_on_its_version(app, session, people):
    people["famille"], people["accueil"]  # accounts first: they commit in their own session
    key = "mig_removed"
    store(session, key, v1(key))
    instance = _waiting_at_valider(session, people, key)
    target = store(session, key, task_removed(key))
    session.commit()

    preview = api.migration_preview_version(session, key, 2)
    assert preview.movable == ()
    (staying,) = preview.staying
    assert any("attend à l'étape « Valider la demande » (valider)" in r for r in staying.reasons)
    # What really happens when forced: the saved JSON no longer loads (FACTS §3, case C).
    with pytest.raises(TypeError):
        _forced(instance, target)
    # The bulk migration refuses it too, and nothing changes.
    document = instance.serialization
    outcome = api.migrate_requests(session, key, [instance.id], expected_version=2, actor="ana")
    assert outcome.moved == ()
    assert "n'existe plus" in outcome.skipped[0][1]
    session.commit()
    session.expire_all()
    assert session.get(ProcessInstance, instance.id).serialization == document
    assert session.execute(select(InstanceMigration)).first() is None


CALLED = """<bpmn:process id="sous_{key}" isExecutable="true">
<bpmn:startEvent id="sd" /><bpmn:userTask id="sub_a" name="Pièce A" />{calc}
<bpmn:userTask id="sub_b" name="Pièce B" />
<bpmn:endEvent id="sf" />{flows}</bpmn:process>"""


def with_call(key: str, *, calc: bool = False, after: bool = False) -> str:
    from tests.fixtures.versions import chain

    inner = ["sd", "sub_a", *(["calc"] if calc else []), "sub_b", "sf"]
    called = CALLED.format(key=key, calc=script_task("calc", "tarif = 3") if calc else "", flows=chain(inner))
    appel = f'<bpmn:callActivity id="appel" name="Pièces" calledElement="sous_{key}" />'
    elements = [SAISIR, appel] + ([script_task("notif", "notif = 'ok'")] if after else [])
    order = ["saisir", "appel"] + (["notif"] if after else [])
    return process(key, elements, order, ["saisir", "appel", *(["notif"] if after else [])], [], extra=called)


def _waiting_in_call(session, people, key: str) -> ProcessInstance:
    instance = live_start(session, key, people["famille"])
    api.complete(session, _open(session, instance.id).id, people["famille"], {})
    session.commit()
    assert _open(session, instance.id).task_name == "sub_a"
    return instance


def _finish(session, people, instance):
    for _ in range(3):
        row = session.execute(
            select(HumanTask).where(
                HumanTask.instance_id == instance.id, HumanTask.state == HumanTaskState.OPEN
            )
        ).scalar_one_or_none()
        if row is None:
            break
        api.complete(session, row.id, people["famille"], {})
        session.commit()


def test_a_task_added_inside_a_call_activity_moves_and_runs(app, session, people):
    people["famille"], people["accueil"]  # accounts first: they commit in their own session
    key = "mig_call_inside"
    store(session, key, with_call(key))
    instance = _waiting_in_call(session, people, key)
    store(session, key, with_call(key, calc=True))
    session.commit()
    preview = api.migration_preview_version(session, key, 2)
    assert [v.instance_id for v in preview.movable] == [instance.id]
    api.migrate_requests(session, key, [instance.id], expected_version=2, actor="ana")
    session.commit()
    _finish(session, people, instance)
    session.expire_all()
    done = session.get(ProcessInstance, instance.id)
    assert done.status == InstanceStatus.COMPLETED
    assert json.loads(done.serialization)["data"]["tarif"] == 3


def test_a_step_added_after_a_started_call_activity_keeps_the_request(app, session, people):
    people["famille"], people["accueil"]  # accounts first: they commit in their own session
    key = "mig_call_after"
    store(session, key, with_call(key))
    instance = _waiting_in_call(session, people, key)
    target = store(session, key, with_call(key, after=True))
    session.commit()
    preview = api.migration_preview_version(session, key, 2)
    (staying,) = preview.staying
    assert any("est en cours (sous-processus ou activité appelée démarré)" in r for r in staying.reasons)
    # Forced, the request finishes but silently skips the new step (FACTS §3, case G).
    workflow = _forced(instance, target)
    for _ in range(3):
        for task in workflow.get_tasks(state=api_ready(), manual=True):
            task.run()
        workflow.do_engine_steps()
    assert workflow.is_completed()
    assert "notif" not in workflow.last_task.data
    assert dump_workflow(workflow)


@dataclass(frozen=True)
class Family:
    """A requester for the engine alone (the instance keeps only its id and name)."""

    id: int = 4242
    display_name: str = "Camille Martin"
    groups: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Agent:
    id: int | None = None
    display_name: str = "Alex Durand"
    groups: frozenset[str] = frozenset({"Accueil"})


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def application(request, app):
    if request.param == "sqlite":
        yield app
        return
    application = request.getfixturevalue("pg_app_once")
    empty_tables(application)
    yield application
    empty_tables(application)


def test_two_analysts_migrating_at_once_move_each_request_once(application):
    key = f"mig_concurrent_{uuid.uuid4().hex[:8]}"  # definitions are kept between tests
    with application.app_context():
        session = db.session()
        store(session, key, v1(key))
        ids = []
        for _ in range(3):
            instance = api.start(session, key, Family())
            api.complete(session, _open(session, instance.id).id, Family(), {"motif": "déménagement"})
            ids.append(instance.id)
        store(session, key, property_changed(key))
        session.commit()
    results: dict[str, object] = {}
    barrier = threading.Barrier(2)

    def analyst(name: str) -> None:
        with application.app_context():
            own = db.new_session()
            try:
                barrier.wait()
                results[name] = api.migrate_requests(own, key, ids, expected_version=2, actor=name)
                own.commit()
            except Conflict as exc:
                own.rollback()
                results[name] = exc
            finally:
                own.close()

    threads = [threading.Thread(target=analyst, args=(n,)) for n in ("ana", "bea")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    conflicts = [r for r in results.values() if isinstance(r, Conflict)]
    wins = [r for r in results.values() if not isinstance(r, Conflict)]
    assert len(conflicts) == 1
    assert len(wins) == 1
    assert "par un autre analyste" in conflicts[0].message
    assert len(wins[0].moved) == 3
    with application.app_context():
        rows = db.session.execute(select(InstanceMigration.instance_id)).scalars().all()
        assert sorted(rows) == sorted(ids)
        events = db.session.execute(
            select(HistoryEvent.instance_id).where(HistoryEvent.event_type == "instance_migrated")
        ).scalars()
        assert sorted(events) == sorted(ids)  # one timeline entry each, not two
        for instance_id in ids:  # every migrated request loads back and goes on
            task = _open(db.session, instance_id)
            api.complete(db.session, task.id, Agent(task.assignee_id), {})
        db.session.commit()


def test_undo_puts_the_request_back_until_it_moves_on(app, session, people):
    people["famille"], people["accueil"]  # accounts first: they commit in their own session
    key = "mig_undo"
    first = store(session, key, v1(key))
    one = _waiting_at_valider(session, people, key)
    two = _waiting_at_valider(session, people, key)
    store(session, key, property_changed(key))
    session.commit()
    outcome = api.migrate_requests(session, key, [one.id, two.id], expected_version=2, actor="ana")
    session.commit()
    # The second request moves on after the migration: it cannot be put back.
    api.complete(session, _open(session, two.id).id, people["accueil"], {})
    session.commit()
    with pytest.raises(NotFound):  # the batch is found only under its own démarche's key
        api.undo_migration(session, outcome.batch, actor="bea", key="changement_adresse")
    undone = api.undo_migration(session, outcome.batch, actor="bea", key=key)
    session.commit()
    assert undone.moved == (one.reference,)
    assert undone.skipped == ((two.reference, "la demande a avancé depuis son déplacement"),)
    session.expire_all()
    back = session.get(ProcessInstance, one.id)
    assert back.definition_id == first.id
    assert _open(session, one.id).form_key == "demo"
    open_workflow(session, back, None)  # loads on its old version
    with pytest.raises(Conflict):
        api.undo_migration(session, outcome.batch, actor="bea")


def test_a_migrated_request_can_still_be_discarded(app, session, people):
    people["famille"], people["accueil"]  # accounts first: they commit in their own session
    key = "mig_discard"
    store(session, key, v1(key))
    instance = _waiting_at_valider(session, people, key)
    store(session, key, property_changed(key))
    session.commit()
    api.migrate_requests(session, key, [instance.id], expected_version=2, actor="ana")
    session.commit()
    api.discard(session, instance)  # an abandoned signup draft is deleted with its migration rows
    session.commit()
    assert session.execute(select(InstanceMigration)).first() is None


def test_a_subprocess_that_cannot_be_matched_keeps_the_request(app, session, people):
    people["famille"], people["accueil"]  # accounts first: they commit in their own session
    key = "mig_call_gone"
    store(session, key, with_call(key))
    instance = _waiting_in_call(session, people, key)
    renamed = with_call(key).replace(f"sous_{key}", f"autre_{key}")  # the called process is another one
    store(session, key, renamed)
    session.commit()
    (staying,) = api.migration_preview_version(session, key, 2).staying
    assert f"le sous-processus « sous_{key} » en cours ne se retrouve pas dans la nouvelle version" in (
        staying.reasons
    )
    outcome = api.migrate_requests(session, key, [instance.id], expected_version=2, actor="ana")
    assert outcome.moved == ()
