"""Scenarios (a), (a') and (a''): the démarche run by SpiffWorkflow in memory, without database or web.

The walk is the one engine.api does: the start task gets the requester's data, then
`refresh_waiting_tasks` + `do_engine_steps` up to the family's task, which is completed
(`task.run()`) with the address, then up to the Accueil agent's task, completed with the decision,
then to the end. Service tasks return `'{}'` (`call_service` is overridden).

- (a)   nothing is persisted: the workflow stays in memory between the human steps.
- (a')  the STOCK `BpmnWorkflowSerializer` (spec embedded in the JSON) saves the instance at each of
        the three waits and restores it before each of the two human steps, as engine.api does.
- (a'') the same persistence with Guichet's runtime: `GuichetScriptEngine` (RestrictedPython
        environment) and the cached-spec serializer of engine.runtime (`dump_workflow`/`load_workflow`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine.runtime import (
    GuichetScriptEngine,
    SpecBundle,
    build_bundle,
    dump_workflow,
    load_workflow,
    parse_xml,
)
from engine.scripts import avant_echeance

from .common import ADDRESS, BPMN_PATH, DECISION, DEMARCHE, Demarche, median_time


class StubServiceEngine(PythonScriptEngine):  # type: ignore[misc]
    """Spiff's stock script engine, with service tasks answering an empty JSON object (and the one
    helper the diagram's reminder timer calls)."""

    def __init__(self) -> None:
        super().__init__(environment=TaskDataEnvironment({"avant_echeance": avant_echeance}))

    def call_service(self, task: Any, **kwargs: Any) -> str:
        return "{}"


class StubServiceGuichetEngine(GuichetScriptEngine):
    """Guichet's restricted script engine, with service tasks answering an empty JSON object."""

    def call_service(self, task: Any, operation_name: str, operation_params: dict[str, Any]) -> str:
        return "{}"


STOCK_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))


@dataclass(frozen=True)
class Spec:
    spec: Any
    subprocess_specs: dict[str, Any]


def parse_spec() -> Spec:
    """Parse the BPMN file once with SpiffBpmnParser."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(BPMN_PATH))
    return Spec(parser.get_spec(DEMARCHE), parser.get_subprocess_specs(DEMARCHE))


def guichet_bundle() -> SpecBundle:
    """The bundle engine.runtime builds from the same file (hardened XML parsing, validation)."""
    return build_bundle(parse_xml(BPMN_PATH.read_bytes()))


def _deadline() -> str:
    """The request's deadline as engine.api.start writes it (the reminder and escalation timers)."""
    return (datetime.now(UTC) + timedelta(days=30)).isoformat()


def _advance(workflow: BpmnWorkflow) -> None:
    workflow.refresh_waiting_tasks()
    workflow.do_engine_steps()


def _human_step(workflow: BpmnWorkflow, data: dict[str, Any]) -> None:
    (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    task.data.update(data)
    task.run()
    _advance(workflow)


def walk(
    workflow: BpmnWorkflow,
    save: Callable[[BpmnWorkflow], Any] | None = None,
    load: Callable[[Any], BpmnWorkflow] | None = None,
) -> BpmnWorkflow:
    """Run one démarche; with save/load, persist at each wait and restore before each human step."""
    start = workflow.get_tasks(state=TaskState.READY)[0]
    start.data.update(demandeur_id=1, reference="DEM-2025-000001", date_limite=_deadline())
    _advance(workflow)
    for data in (ADDRESS, DECISION):
        if save is not None and load is not None:
            workflow = load(save(workflow))
        _human_step(workflow, data)
    if save is not None:
        save(workflow)
    if not workflow.is_completed():
        raise RuntimeError("the démarche did not reach its end")
    return workflow


def stock_load(document: str) -> BpmnWorkflow:
    workflow = STOCK_SERIALIZER.deserialize_json(document)
    workflow.script_engine = StubServiceEngine()
    return workflow


def scenario_a(spec: Spec) -> Demarche:
    def one() -> float:
        start = time.perf_counter()
        walk(BpmnWorkflow(spec.spec, spec.subprocess_specs, script_engine=StubServiceEngine()))
        return time.perf_counter() - start

    return one


def scenario_a_stock(spec: Spec) -> Demarche:
    def one() -> float:
        start = time.perf_counter()
        workflow = BpmnWorkflow(spec.spec, spec.subprocess_specs, script_engine=StubServiceEngine())
        walk(workflow, STOCK_SERIALIZER.serialize_json, stock_load)
        return time.perf_counter() - start

    return one


def scenario_a_guichet(bundle: SpecBundle) -> Demarche:
    def cached_load(document: str) -> BpmnWorkflow:
        return load_workflow(bundle, document, StubServiceGuichetEngine())

    def one() -> float:
        start = time.perf_counter()
        workflow = BpmnWorkflow(
            bundle.spec, bundle.subprocess_specs, script_engine=StubServiceGuichetEngine()
        )
        walk(workflow, dump_workflow, cached_load)
        return time.perf_counter() - start

    return one


@dataclass(frozen=True)
class SerializationFigures:
    """One instance waiting for the Accueil agent, serialised both ways."""

    cached_bytes: int
    stock_bytes: int
    cached_dump_ms: float
    stock_dump_ms: float
    cached_load_ms: float
    stock_load_ms: float


def waiting_for_agent(bundle: SpecBundle) -> BpmnWorkflow:
    """An instance after the family's submission, waiting at the agent's task (the usual stored state)."""
    workflow = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=StubServiceGuichetEngine())
    start = workflow.get_tasks(state=TaskState.READY)[0]
    start.data.update(demandeur_id=1, reference="DEM-2025-000001", date_limite=_deadline())
    _advance(workflow)
    _human_step(workflow, ADDRESS)
    return workflow


def serialization_figures(bundle: SpecBundle, times: int) -> SerializationFigures:
    workflow = waiting_for_agent(bundle)
    cached = dump_workflow(workflow)
    stock = STOCK_SERIALIZER.serialize_json(workflow)
    restored = load_workflow(bundle, cached, StubServiceGuichetEngine())
    if [t.task_spec.name for t in restored.get_tasks(state=TaskState.READY, manual=True)] != ["instruction"]:
        raise RuntimeError("the cached-spec serializer did not restore the waiting task")
    return SerializationFigures(
        cached_bytes=len(cached.encode("utf-8")),
        stock_bytes=len(stock.encode("utf-8")),
        cached_dump_ms=median_time(lambda: dump_workflow(workflow), times) * 1000,
        stock_dump_ms=median_time(lambda: STOCK_SERIALIZER.serialize_json(workflow), times) * 1000,
        cached_load_ms=median_time(lambda: load_workflow(bundle, cached, StubServiceGuichetEngine()), times)
        * 1000,
        stock_load_ms=median_time(lambda: stock_load(stock), times) * 1000,
    )
