"""Where a data form lives: inside the BPMN of its démarche, as the user task's `formulaire` property.

    <bpmn:userTask id="saisie" name="Saisir la demande">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formKey" value="stationnement.saisie" />
        <spiffworkflow:property name="formulaire" value="{&quot;kind&quot;: &quot;saisie&quot;, ...}" />

So a form is stored with the process version, draft and published alike: the analyst's draft
carries it, publishing freezes it in the version (its SHA-256 covers it), a rollback brings the old
form back, the studio's diff shows it changed, and a running request keeps the form of its own
version. The bpmn-js modeler keeps `spiffworkflow:property` elements, so editing the diagram never
loses a form. Flask-free.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import DeployError, NotFound
from .form_definitions import problems
from .i18n import _
from .models import ProcessDefinition, ProcessInstance
from .runtime import BPMN_NS, NS, SPIFF_NS, parse_xml

PROPERTY = "formulaire"
_S = f"{{{SPIFF_NS}}}"


@dataclass(frozen=True)
class TaskFormInfo:
    """A user task of a BPMN file and its form: coded (`definition` None) or data-defined."""

    task_id: str
    name: str
    lane: str
    form_key: str
    definition: dict[str, Any] | None


def _properties(element: etree._Element) -> dict[str, str]:
    return {
        p.get("name", ""): p.get("value", "")
        for p in element.iterfind(
            "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS
        )
    }


def _lanes(root: etree._Element) -> dict[str, str]:
    lanes = {}
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            lanes[(ref.text or "").strip()] = lane.get("name") or ""
    return lanes


def _decoded(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def task_forms(xml: str) -> list[TaskFormInfo]:
    """The user tasks of a BPMN file, in document order, with their data forms (None when coded)."""
    root = parse_xml(xml.encode("utf-8"))
    lanes = _lanes(root)
    result = []
    for task in root.iter(f"{{{BPMN_NS}}}userTask"):
        props = _properties(task)
        raw = props.get(PROPERTY)
        definition = _decoded(raw) if raw else None
        if raw and definition is None:
            definition = {"kind": "?"}  # unreadable: the checks say so
        ident = task.get("id", "")
        result.append(
            TaskFormInfo(
                ident, task.get("name") or ident, lanes.get(ident, ""), props.get("formKey", ""), definition
            )
        )
    return result


def task_form(xml: str, task_id: str) -> TaskFormInfo:
    for item in task_forms(xml):
        if item.task_id == task_id:
            return item
    raise NotFound(_("Cette tâche n'existe pas dans le diagramme."))


def _property_parent(task: etree._Element) -> etree._Element:
    ext = task.find("bpmn:extensionElements", NS)
    if ext is None:
        ext = etree.Element(f"{{{BPMN_NS}}}extensionElements")
        task.insert(0, ext)
    props = ext.find("spiffworkflow:properties", NS)
    if props is None:
        props = etree.SubElement(ext, f"{_S}properties")
    return props


def _set_property(parent: etree._Element, name: str, value: str) -> None:
    for prop in parent.iterfind("spiffworkflow:property", NS):
        if prop.get("name") == name:
            prop.set("value", value)
            return
    etree.SubElement(parent, f"{_S}property", name=name, value=value)


def with_form(xml: str, task_id: str, definition: dict[str, Any], process_key: str) -> str:
    """The BPMN with the task's data form set (and a formKey `<process>.<task>` when it had none)."""
    root = parse_xml(xml.encode("utf-8"))
    task = next((t for t in root.iter(f"{{{BPMN_NS}}}userTask") if t.get("id") == task_id), None)
    if task is None:
        raise NotFound(_("Cette tâche n'existe pas dans le diagramme."))
    parent = _property_parent(task)
    if not _properties(task).get("formKey"):
        _set_property(parent, "formKey", f"{process_key}.{task_id}")
    _set_property(parent, PROPERTY, json.dumps(definition, ensure_ascii=False, separators=(",", ":")))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def form_problems(root: etree._Element) -> list[tuple[str, str]]:
    """(message, task id) for every data form of a parsed BPMN that is not valid: publish refuses them."""
    found = []
    keys: dict[str, str] = {}
    for task in root.iter(f"{{{BPMN_NS}}}userTask"):
        props = _properties(task)
        raw = props.get(PROPERTY)
        if raw is None:
            continue
        ident = task.get("id", "")
        where = _("Formulaire de la tâche « %(name)s » (%(id)s)", name=task.get("name") or ident, id=ident)
        definition = _decoded(raw)
        if definition is None:
            found.append((_("%(where)s : la définition n'est pas un objet JSON lisible", where=where), ident))
            continue
        other = keys.setdefault(props.get("formKey", ""), ident)
        if other != ident:
            message = _(
                "%(where)s : la clé de formulaire est déjà celle de la tâche (%(other)s)",
                where=where,
                other=other,
            )
            found.append((message, ident))
        found += [(_("%(where)s — %(problem)s", where=where, problem=p), ident) for p in problems(definition)]
    return found


def has_data_form(root: etree._Element, task_id: str) -> bool:
    task = next((t for t in root.iter(f"{{{BPMN_NS}}}userTask") if t.get("id") == task_id), None)
    return task is not None and PROPERTY in _properties(task)


# Run time: the form of a task, from the version its request runs on (parsed once per version).

#: (definition id, SHA-256) -> formKey -> definition; the digest guards against a reused id.
_CACHE: dict[tuple[int, str], dict[str, dict[str, Any]]] = {}


def _forms_of_definition(session: Session, definition_id: int) -> dict[str, dict[str, Any]]:
    digest = session.execute(
        select(ProcessDefinition.sha256).where(ProcessDefinition.id == definition_id)
    ).scalar_one()
    cached = _CACHE.get((definition_id, digest))
    if cached is None:
        xml = session.execute(
            select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.id == definition_id)
        ).scalar_one()
        try:
            items = task_forms(xml)
        except DeployError:
            items = []
        cached = {t.form_key: t.definition for t in items if t.definition is not None and t.form_key}
        _CACHE[(definition_id, digest)] = cached  # a published version never changes
    return cached


def instance_data_forms(session: Session, instance_id: int) -> list[dict[str, Any]]:
    """The data forms of the version a request runs on (none for a coded démarche)."""
    definition_id = session.execute(
        select(ProcessInstance.definition_id).where(ProcessInstance.id == instance_id)
    ).scalar_one_or_none()
    return [] if definition_id is None else list(_forms_of_definition(session, definition_id).values())


def data_form(session: Session, form_key: str, instance_id: int | None = None) -> dict[str, Any] | None:
    """The data form behind `form_key`: the one of the request's version, else of the latest version
    that has it; None for a coded form (forms/tasks/)."""
    if instance_id is not None:
        definition_id = session.execute(
            select(ProcessInstance.definition_id).where(ProcessInstance.id == instance_id)
        ).scalar_one_or_none()
        if definition_id is not None:
            return _forms_of_definition(session, definition_id).get(form_key)
    ids = session.execute(
        select(ProcessDefinition.id)
        .where(ProcessDefinition.is_published.is_(True))
        .order_by(ProcessDefinition.version.desc())
    ).scalars()
    for definition_id in ids:
        found = _forms_of_definition(session, definition_id).get(form_key)
        if found is not None:
            return found
    return None


def published_data_form_keys(session: Session) -> set[str]:
    """The formKeys of the data forms of every published version (the modeler's « Formulaire » list)."""
    ids = session.execute(
        select(ProcessDefinition.id).where(ProcessDefinition.is_published.is_(True))
    ).scalars()
    return {key for definition_id in ids for key in _forms_of_definition(session, definition_id)}
