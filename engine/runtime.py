"""SpiffWorkflow plumbing: hardened parsing, the spec cache, the serializer and the script engine.

With engine/durations.py and engine/scripts.py, the only engine modules that import SpiffWorkflow
(an import-linter contract): the others take `TaskState`, `UserTask`, `ServiceTask` from here.
"""

from __future__ import annotations

import contextvars
import dataclasses
import json
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask, StandardLoopTask
from SpiffWorkflow.bpmn.util.diff import SpecDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.defaults import ServiceTask, UserTask
from SpiffWorkflow.util.task import TaskState

from . import fast_json
from . import stored_messages as stored
from .errors import DeployError, EngineError, ScriptError
from .i18n import _
from .registry import SERVICES, ServiceFunc, ServiceOperation, service
from .scripts import RestrictedEnvironment
from .stored_messages import french

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
MAX_BPMN_BYTES = 2 * 1024 * 1024


def parse_xml(data: bytes) -> etree._Element:
    """Parse untrusted BPMN bytes: no DOCTYPE, no entities, no network, bounded size."""
    if len(data) > MAX_BPMN_BYTES:
        raise DeployError(
            [_("le fichier dépasse la taille maximale de %(size)s Kio", size=MAX_BPMN_BYTES // 1024)]
        )
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise DeployError([_("les déclarations DOCTYPE et ENTITY sont interdites")])
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise DeployError([f"XML invalide ({exc.msg})"]) from None
    if root.getroottree().docinfo.doctype:
        raise DeployError([_("les déclarations DOCTYPE et ENTITY sont interdites")])
    return root


def element_properties(root: etree._Element) -> dict[str, dict[str, str]]:
    """Map every BPMN element id (and process id) to its spiffworkflow:properties."""
    props: dict[str, dict[str, str]] = {}
    for prop in root.iterfind(".//spiffworkflow:property", NS):
        owner = prop.getparent()
        while owner is not None and owner.get("id") is None:
            owner = owner.getparent()
        if owner is not None:
            props.setdefault(owner.get("id"), {})[prop.get("name", "")] = prop.get("value", "")
    return props


def find_process(root: etree._Element, process_id: str) -> etree._Element | None:
    """The bpmn:process element with this id, if any."""
    for process in root.iterfind("bpmn:process", NS):
        if process.get("id") == process_id:
            return process
    return None


@dataclass(frozen=True)
class SpecBundle:
    """What a process definition parses to; cached per definition id (definitions are immutable)."""

    process_id: str
    spec: Any
    subprocess_specs: dict[str, Any]
    properties: dict[str, dict[str, str]] = field(default_factory=dict)

    def props(self, bpmn_id: str | None) -> dict[str, str]:
        return self.properties.get(bpmn_id or "", {})


def build_bundle(root: etree._Element) -> SpecBundle:
    """Parse and validate a BPMN tree with SpiffWorkflow; exactly one executable process."""
    bpmn_ids = {el.get("id") for el in root.iter(f"{{{BPMN_NS}}}*") if el.get("id")}
    clashes = sorted(
        {
            op.get("id", "")
            for op in root.iter(f"{{{SPIFF_NS}}}serviceTaskOperator")
            if op.get("id") in bpmn_ids
        }
    )
    if clashes:
        # SpiffWorkflow looks elements up by id: an operation named like an element breaks parsing.
        raise DeployError(
            [
                _(
                    "l'opération de service « %(name)s » porte le même identifiant qu'un élément BPMN",
                    name=name,
                )
                for name in clashes
            ]
        )
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_xml(root, filename="demarche.bpmn")
        # A process called by a call activity is executable too, but it is not the démarche.
        called = {c.get("calledElement") for c in root.iter(f"{{{BPMN_NS}}}callActivity")}
        process_ids = [
            p.get("id")
            for p in root.iterfind("bpmn:process", NS)
            if p.get("isExecutable") == "true" and p.get("id") not in called
        ]
        if len(process_ids) != 1:
            raise DeployError(
                [_("le fichier doit contenir exactement un processus exécutable (isExecutable)")]
            )
        spec = parser.get_spec(process_ids[0])
        subs = parser.get_subprocess_specs(process_ids[0])
    except DeployError:
        raise
    except Exception as exc:  # SpiffWorkflow raises many types; all mean "this BPMN is invalid"
        raise DeployError([_("BPMN non valide : %(error)s", error=exc)]) from None
    return SpecBundle(process_ids[0], spec, subs, element_properties(root))


_bundle_cache: dict[tuple[int, str], SpecBundle] = {}
_bundle_lock = threading.Lock()


def bundle_for(definition_id: int, sha256: str, xml: str) -> SpecBundle:
    """Return the parsed spec of a stored definition, parsing it once per process.

    The key holds the hash too: an id can come back after a rolled-back deploy.
    """
    key = (definition_id, sha256)
    bundle = _bundle_cache.get(key)
    if bundle is None:
        bundle = build_bundle(parse_xml(xml.encode("utf-8")))
        with _bundle_lock:
            _bundle_cache[key] = bundle
    return bundle


# --- Serializer: the spec is not embedded in each instance, it comes from the cache ---------------

_current_bundle: contextvars.ContextVar[SpecBundle] = contextvars.ContextVar("guichet_bundle")


class CachedSpecWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Serialise a workflow without its spec; restore it with the spec of the current bundle."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        bundle = _current_bundle.get()
        workflow = self.target_class(bundle.spec, bundle.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], _uuid, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(_uuid(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _uuid(value: str) -> Any:
    return UUID(value)


class _CompactJSON(json.JSONEncoder):
    """Stored documents without the spaces after « , » and « : », accents kept as UTF-8 (not \\u00e9):
    about a fifth fewer bytes per instance; the documents read back the same (old ones too)."""

    item_separator = ","
    key_separator = ":"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


class _Serializer(BpmnWorkflowSerializer):  # type: ignore[misc]
    """Spiff's serializer with the JSON text written and read by orjson (engine/fast_json.py)."""

    def serialize_json(self, workflow: BpmnWorkflow, use_gzip: bool = False) -> str:
        self.registry._encoder_mode = True
        try:
            dct = self.to_dict(workflow)
            dct[self.VERSION_KEY] = self.VERSION
            return fast_json.dumps(dct, self._encoder_cls)
        finally:
            self.registry._encoder_mode = False

    def deserialize_json(self, serialization: str, use_gzip: bool = False) -> BpmnWorkflow:
        dct = fast_json.loads(serialization)
        self.migrate(dct)
        return self.from_dict(dct)


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = CachedSpecWorkflowConverter
    registry = BpmnWorkflowSerializer.configure(config)
    # datetime is registered by Spiff; date (its base class) and Decimal come from WTForms data.
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    return _Serializer(registry, json_encoder_cls=_CompactJSON)


SERIALIZER = _make_serializer()


#: Largest JSON document one instance may store (bytes of UTF-8); set from GUICHET_MAX_INSTANCE_BYTES.
MAX_INSTANCE_BYTES = 1024 * 1024


def _instance_id_of(workflow: BpmnWorkflow) -> int | None:
    context = getattr(getattr(workflow, "script_engine", None), "context", None)
    instance = getattr(context, "instance", None)
    return getattr(instance, "id", None)


def dump_workflow(workflow: BpmnWorkflow) -> str:
    """Serialise an instance to its JSON document (without the spec), within MAX_INSTANCE_BYTES."""
    try:
        document = str(SERIALIZER.serialize_json(workflow))
    except Exception as exc:  # a script put in the data a value JSON cannot hold (a set, a function)
        raise ScriptError(
            french(stored.DATA_NOT_SAVED, detail=f"{type(exc).__name__} : {exc}"),
            _instance_id_of(workflow),
        ) from exc
    size = len(document.encode("utf-8"))
    if size > MAX_INSTANCE_BYTES:
        raise ScriptError(
            french(stored.DATA_TOO_LARGE, size=size, limit=MAX_INSTANCE_BYTES),
            _instance_id_of(workflow),
        )
    return document


def load_workflow(bundle: SpecBundle, document: str, script_engine: PythonScriptEngine) -> BpmnWorkflow:
    """Restore an instance from its JSON document with the cached spec, and attach the script engine."""
    token = _current_bundle.set(bundle)
    try:
        workflow = SERIALIZER.deserialize_json(document)
    finally:
        _current_bundle.reset(token)
    workflow.script_engine = script_engine
    return workflow


def new_workflow(bundle: SpecBundle, script_engine: PythonScriptEngine) -> BpmnWorkflow:
    return BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=script_engine)


# --- Services and the script engine --------------------------------------------------------------


_ENVIRONMENT = RestrictedEnvironment()
#: Most instances a multi-instance task may create (its loopCardinality, checked when evaluated).
MAX_INSTANCES = 100
#: Most expressions and scripts one engine (one request's steps on one instance) may evaluate: a
#: loop of automatic tasks through a gateway (`n = n + 1` until `n > 10**9`) is stopped by it, with a
#: French error, before SpiffWorkflow's task tree gets deep enough (about 1000) to stall silently.
MAX_EVALUATIONS = 500


class GuichetScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """Restricted expressions, and service tasks dispatched to the registered operations."""

    def __init__(self, context: Any | None = None) -> None:
        # An engine.services.ServiceContext (not imported: that module sits above this one).
        super().__init__(environment=_ENVIRONMENT)
        self.context = context
        self.evaluations = 0

    def _count(self, task: Any, source: str) -> None:
        self.evaluations += 1
        if self.evaluations > MAX_EVALUATIONS:
            raise self.failure(
                task,
                source,
                ScriptError(french(stored.RUNAWAY_EXPRESSIONS, count=MAX_EVALUATIONS)),
            )

    # Every expression and script goes through these two: a failure becomes a French ScriptError that
    # names the element and the request, and a multi-instance count is bounded.

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        self._count(task, expression)
        try:
            result = self.environment.evaluate(expression, task.data, external_context)
        except Exception as exc:
            raise self.failure(task, expression, exc) from exc
        spec = task.task_spec
        is_count = isinstance(spec, MultiInstanceTask) and expression == spec.cardinality
        if is_count and not (
            isinstance(result, int) and not isinstance(result, bool) and 0 <= result <= MAX_INSTANCES
        ):
            raise self.failure(
                task,
                expression,
                ScriptError(french(stored.INSTANCE_COUNT, limit=MAX_INSTANCES)),
            )
        return result

    def execute(self, task: Any, script: str, external_context: Any = None) -> bool:
        self._count(task, script)
        try:
            return bool(self.environment.execute(script, task.data, external_context or {}))
        except Exception as exc:
            raise self.failure(task, script, exc) from exc

    def failure(self, task: Any, source: str, exc: Exception) -> ScriptError:
        """The French error of an expression or script that failed in `task`."""
        spec = task.task_spec
        name = getattr(spec, "bpmn_name", None)
        ident = getattr(spec, "bpmn_id", None) or spec.name
        element = f"« {name} » ({ident})" if name else f"({ident})"
        reason = exc.message if isinstance(exc, EngineError) else f"{type(exc).__name__} : {exc}"
        return ScriptError(
            french(stored.ELEMENT_FAILED, element=element, source=source.strip()[:80], detail=reason),
            getattr(self.context, "instance_id", None),
        )

    def call_service(self, task: Any, operation_name: str, operation_params: dict[str, Any]) -> str:
        # Overridden: in 3.2.0 the stock version masks every error behind a NameError.
        operation = SERVICES.get(operation_name)
        if operation is None:
            raise ScriptError(french(stored.UNKNOWN_OPERATION, name=operation_name))
        params = {name: spec["value"] for name, spec in operation_params.items()}
        context = (
            dataclasses.replace(self.context, data=dict(task.data), lane=task.task_spec.lane)
            if self.context
            else None
        )
        result = operation.func(context, **params)
        return json.dumps(result, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime, Decimal)):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


__all__ = [
    "SERVICES",
    "BpmnWorkflow",
    "MultiInstanceTask",
    "ServiceFunc",
    "ServiceOperation",
    "ServiceTask",
    "SpecDiff",
    "StandardLoopTask",
    "TaskState",
    "UserTask",
    "diff_workflow",
    "migrate_workflow",
    "service",
]
