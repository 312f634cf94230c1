"""Per-step cost with processes of 10, 50 and 200 tasks (issue 18.3), beside the SpiffWorkflow floor.

`python -m benchmarks.process_sizes [--tasks 10,50,200]`

A generated démarche of N user tasks in a row, all in the family's lane (stored as a version without
the publish checks: engine.api does not need the forms). For each N, in one run:
- Guichet: one instance walked to its end through engine.api on SQLite, each step being
  `tasks_for` + `complete` + commit in its own session, timed with the process CPU clock;
- the floor: the same diagram walked by SpiffWorkflow alone, saving the instance to JSON after each
  step and loading it before the next (Guichet's cached-spec serializer, as scenario (a'')).
Printed: CPU ms per step over the first 10 and the last 10 steps, the instance's JSON size at the
end, and the ratios. A cost that grew with N would show as « last / first » above 1.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select

from engine import api
from engine.db import utcnow
from engine.models import ProcessDefinition, ProcessInstance
from engine.runtime import build_bundle, dump_workflow, load_workflow, parse_xml
from web.extensions import db

from .guichet_app import close_site, make_site
from .spiff_only import StubServiceGuichetEngine

NS = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'
)


def diagram(key: str, tasks: int) -> str:
    ids = [f"etape_{n:03d}" for n in range(1, tasks + 1)]
    props = (
        "<bpmn:extensionElements><spiffworkflow:properties>"
        '<spiffworkflow:property name="formKey" value="demo" />'
        "</spiffworkflow:properties></bpmn:extensionElements>"
    )
    elements = "".join(f'<bpmn:userTask id="{i}" name="Étape {i[-3:]}">{props}</bpmn:userTask>' for i in ids)
    order = ["debut", *ids, "fin"]
    flows = "".join(
        f'<bpmn:sequenceFlow id="f{n}" sourceRef="{a}" targetRef="{b}" />'
        for n, (a, b) in enumerate(itertools.pairwise(order))
    )
    refs = "".join(f"<bpmn:flowNodeRef>{i}</bpmn:flowNodeRef>" for i in ids)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions {NS} id="d_{key}" '
        'targetNamespace="https://guichet.example/bpmn">'
        f'<bpmn:process id="{key}" name="Démarche de {tasks} étapes" isExecutable="true">'
        f'<bpmn:laneSet id="ls"><bpmn:lane id="l_famille" name="Famille">{refs}</bpmn:lane></bpmn:laneSet>'
        f'<bpmn:startEvent id="debut" />{elements}<bpmn:endEvent id="fin" />{flows}'
        "</bpmn:process></bpmn:definitions>"
    )


def _store(session: Any, key: str, xml: str) -> None:
    latest = session.execute(
        select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == key)
    ).scalar_one()
    session.add(
        ProcessDefinition(
            key=key,
            version=(latest or 0) + 1,
            title=key,
            bpmn_xml=xml,
            sha256=hashlib.sha256(xml.encode()).hexdigest(),
            author="benchmark",
            created_at=utcnow(),
        )
    )
    session.commit()


def guichet_steps(site: Any, key: str, tasks: int) -> tuple[list[float], int]:
    """CPU seconds of each step through engine.api, and the stored instance's size at the end."""
    session = db.new_session()
    instance_id = api.start(session, key, site.famille).id
    session.commit()
    session.close()
    costs = []
    for _ in range(tasks):
        begin = time.process_time()
        session = db.new_session()
        (task,) = [t for t in api.tasks_for(session, site.famille) if t.instance_id == instance_id]
        api.complete(session, task.id, site.famille, {})
        session.commit()
        session.close()
        costs.append(time.process_time() - begin)
    session = db.new_session()
    size = len(session.get(ProcessInstance, instance_id).serialization or "")
    session.close()
    return costs, size


def floor_steps(xml: str, tasks: int) -> tuple[list[float], int]:
    """The same walk by SpiffWorkflow alone, saving and loading the instance around each step."""
    bundle = build_bundle(parse_xml(xml.encode()))
    workflow = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=StubServiceGuichetEngine())
    workflow.do_engine_steps()
    document = dump_workflow(workflow)
    costs = []
    for _ in range(tasks):
        begin = time.process_time()
        workflow = load_workflow(bundle, document, StubServiceGuichetEngine())
        (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
        task.run()
        workflow.refresh_waiting_tasks()
        workflow.do_engine_steps()
        document = dump_workflow(workflow)
        costs.append(time.process_time() - begin)
    assert workflow.is_completed()
    return costs, len(document)


def _ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main(sizes: list[int]) -> None:
    print(f"Process sizes — {', '.join(map(str, sizes))} user tasks in a row; CPU ms per step (median)")
    print(
        f"{'tasks':>6} {'first 10':>9} {'last 10':>8} {'last/first':>10} {'floor first':>11} "
        f"{'floor last':>10} {'Guichet/floor (last)':>20} {'JSON bytes':>10} {'floor bytes':>11}"
    )
    with tempfile.TemporaryDirectory(prefix="guichet-process-sizes-") as tmp:
        site = make_site(Path(tmp), "process-sizes")
        try:
            with site.app.app_context():
                for tasks in sizes:
                    key = f"longue_{tasks}"
                    xml = diagram(key, tasks)
                    session = db.new_session()
                    _store(session, key, xml)
                    session.close()
                    costs, size = guichet_steps(site, key, tasks)
                    floor, floor_size = floor_steps(xml, tasks)
                    first, last = _ms(costs[:10]), _ms(costs[-10:])
                    floor_first, floor_last = _ms(floor[:10]), _ms(floor[-10:])
                    print(
                        f"{tasks:>6} {first:9.2f} {last:8.2f} {last / first:10.2f} {floor_first:11.2f} "
                        f"{floor_last:10.2f} {last / floor_last:20.2f} {size:>10,} {floor_size:>11,}"
                    )
        finally:
            close_site(site)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="10,50,200", help="process sizes, comma-separated")
    main([int(n) for n in parser.parse_args().tasks.split(",")])
