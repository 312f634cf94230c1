"""Checks run before a démarche is published, from the studio or by `guichet deploy`.

The same list for both doors: the hardened parse, SpiffWorkflow's own validation (XSD and spec
parsing), Guichet's lint (engine/lint.py), and structural checks of the diagram (every path from
the start reaches an end, every call activity resolves, every gateway's outgoing flows carry a
condition or a default). Each problem is a French sentence naming the element, with the element's
id so that the studio can mark it on the diagram. Files made by other modelers (Camunda, bpmn.io,
Signavio...) never raise: they get the list, which says what to change in the studio.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from .errors import DeployError
from .form_storage import form_problems
from .graph_checks import _check_graph, _name, _scopes
from .i18n import N_, _
from .lint import LintContext, lint
from .models import REQUESTER_LANE
from .runtime import BPMN_NS, MAX_BPMN_BYTES, NS, SpecBundle, build_bundle, parse_xml

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
_B = f"{{{BPMN_NS}}}"

_LANE_HINT = N_(
    "Guichet attribue les tâches par couloir : placez la tâche dans le couloir du groupe d'agents"
)
_OPERATION_HINT = N_("choisissez une opération Guichet dans le groupe « Guichet » du panneau de propriétés")
_IGNORED = N_("Guichet l'ignore")
#: What to do in the studio instead of a Camunda attribute that Guichet does not read.
_CAMUNDA_HINTS = {
    "formKey": N_("choisissez le formulaire dans le groupe « Guichet » du panneau de propriétés"),
    "formRef": N_("choisissez le formulaire dans le groupe « Guichet » du panneau de propriétés"),
    "assignee": _LANE_HINT,
    "candidateGroups": _LANE_HINT,
    "candidateUsers": _LANE_HINT,
    "class": _OPERATION_HINT,
    "expression": _OPERATION_HINT,
    "delegateExpression": _OPERATION_HINT,
    "topic": _OPERATION_HINT,
    "type": _OPERATION_HINT,
}
_ID_IN_PARENS = re.compile(r"\(([A-Za-z_][\w.\-]*)\)")
_ID_QUOTED = re.compile(r"[\"'«] ?([A-Za-z_][\w.\-]*) ?[\"'»]")


@dataclass(frozen=True)
class Problem:
    """One French sentence; `element_id` marks the element on the diagram (None: the whole file)."""

    message: str
    element_id: str | None = None
    blocking: bool = True


@dataclass(frozen=True)
class Validation:
    """The outcome of the checks: `problems` block publishing, `notes` are shown but do not."""

    problems: tuple[Problem, ...]
    notes: tuple[Problem, ...]
    process_id: str | None
    title: str | None

    @property
    def ok(self) -> bool:
        return not self.problems


class Refused(DeployError):
    """A publish was refused by the checks; `validation` holds the located problems."""

    def __init__(self, validation: Validation) -> None:
        super().__init__([p.message for p in validation.problems])
        self.validation = validation


def _locate(message: str, ids: set[str], aliases: dict[str, str]) -> str | None:
    """The element a message names: the first known id in parentheses, else in quotes."""
    for pattern in (_ID_IN_PARENS, _ID_QUOTED):
        for match in pattern.finditer(message):
            ident = match.group(1)
            if ident in ids:
                return aliases.get(ident, ident)
    return None


def _sentence(message: str) -> str:
    message = message.strip()
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."


class _Collector:
    def __init__(self, ids: set[str], aliases: dict[str, str]) -> None:
        self.ids = ids
        self.aliases = aliases
        self.items: list[Problem] = []
        self._seen: set[str] = set()

    def add(self, message: str, element_id: str | None = None, *, blocking: bool = True) -> None:
        text = _sentence(message)
        if text in self._seen:
            return
        self._seen.add(text)
        if element_id is None:
            element_id = _locate(text, self.ids, self.aliases)
        else:
            element_id = self.aliases.get(element_id, element_id)
        self.items.append(Problem(text, element_id, blocking))


def _size_problem(size: int) -> str:
    return _(
        "Le fichier fait %(size)s Mo : un diagramme BPMN ne peut pas dépasser %(limit)s Kio. Vérifiez que "
        "vous avez choisi le bon fichier",
        size=format(size / (1024 * 1024), ".1f"),
        limit=MAX_BPMN_BYTES // 1024,
    )


def check_size(size: int | None) -> str | None:
    """A French refusal for a file too large to be read at all (checked before reading it)."""
    if size is not None and size > MAX_BPMN_BYTES:
        return _sentence(_size_problem(size))
    return None


def _processes(root: etree._Element) -> list[etree._Element]:
    return list(root.iterfind("bpmn:process", NS))


def _pool_aliases(root: etree._Element) -> dict[str, str]:
    """In a collaboration the pool (participant) is what the diagram draws for a process."""
    return {
        p.get("processRef", ""): p.get("id", "")
        for p in root.iter(f"{_B}participant")
        if p.get("processRef") and p.get("id")
    }


def _check_executable(root: etree._Element, out: _Collector) -> etree._Element | None:
    processes = _processes(root)
    if not processes:
        out.add(_("Le fichier ne contient aucun processus BPMN (élément bpmn:process)"))
        return None
    called = {c.get("calledElement") for c in root.iter(f"{_B}callActivity")}
    # A process called by a call activity must be executable too (SpiffWorkflow), but is not the démarche.
    executable = [p for p in processes if p.get("isExecutable") == "true" and p.get("id") not in called]
    if len(executable) == 1:
        return executable[0]
    if not executable:
        for process in processes:
            message = _(
                "Processus %(name)s : il n'est pas marqué exécutable. Dans le studio, sélectionnez le "
                "processus (ou son bassin) et cochez « Executable » dans le panneau de propriétés",
                name=_name(process),
            )
            if len(processes) > 1:
                message += _(" ; un seul processus du fichier doit l'être")
            out.add(message, process.get("id"))
        return None
    names = ", ".join(_name(p) for p in executable)
    out.add(
        _(
            "Plusieurs processus sont marqués exécutables (%(names)s) : Guichet n'en exécute qu'un. "
            "Décochez « Executable » sur les autres dans le panneau de propriétés",
            names=names,
        ),
        executable[1].get("id"),
    )
    return None


def _check_vendor(root: etree._Element, out: _Collector) -> None:
    """Camunda and Zeebe attributes and elements: Guichet reads none of them; say what replaces them."""
    for element in root.iter():
        if not isinstance(element.tag, str) or element is root:
            continue
        qname = etree.QName(element)
        if qname.namespace in (CAMUNDA_NS, ZEEBE_NS):
            owner = element.getparent()
            while owner is not None and owner.get("id") is None:
                owner = owner.getparent()
            if owner is not None and owner is not root:
                prefix = "camunda" if qname.namespace == CAMUNDA_NS else "zeebe"
                hint = _CAMUNDA_HINTS.get(
                    qname.localname.replace("taskDefinition", "type").replace("formDefinition", "formKey"),
                    _IGNORED,
                )
                out.add(
                    _(
                        "Élément %(name)s : l'extension %(extension)s n'est pas lue par Guichet ; %(hint)s",
                        name=_name(owner),
                        extension=prefix + ":" + qname.localname,
                        hint=_(hint),
                    ),
                    owner.get("id"),
                    blocking=False,
                )
            continue
        for attribute, value in element.attrib.items():
            attr = etree.QName(attribute)
            if attr.namespace not in (CAMUNDA_NS, ZEEBE_NS):
                continue
            hint = _CAMUNDA_HINTS.get(attr.localname, _IGNORED)
            out.add(
                _(
                    "Élément %(name)s : l'attribut %(attribute)s=« %(value)s » n'est pas lu par Guichet ; "
                    "%(hint)s",
                    name=_name(element),
                    attribute="camunda:" + attr.localname,
                    value=value[:60],
                    hint=_(hint),
                ),
                element.get("id"),
                blocking=False,
            )


def _check_lanes(process: etree._Element, ctx: LintContext, out: _Collector) -> None:
    known = {REQUESTER_LANE, *ctx.lanes}
    for lane in process.iter(f"{_B}lane"):
        name = (lane.get("name") or "").strip()
        if lane.find("bpmn:childLaneSet", NS) is not None:
            continue  # only the innermost lanes hold tasks
        if not name:
            out.add(
                _(
                    "Couloir %(name)s : il n'a pas de nom. Dans le studio, sélectionnez le couloir et "
                    "choisissez son groupe d'agents dans le groupe « Guichet » (%(known)s)",
                    name=_name(lane),
                    known=", ".join(sorted(known)),
                ),
                lane.get("id"),
            )
        elif name not in known:
            out.add(
                _(
                    "Couloir %(lane)s : « %(name)s » ne correspond à aucun groupe d'agents. Dans le studio, "
                    "sélectionnez le couloir et choisissez son groupe dans le groupe « Guichet » "
                    "(groupes connus : %(known)s)",
                    lane=_name(lane),
                    name=name,
                    known=", ".join(sorted(known)),
                ),
                lane.get("id"),
            )


def _check_calls(root: etree._Element, process: etree._Element, out: _Collector) -> None:
    available = {p.get("id") for p in _processes(root)}
    for call in process.iter(f"{_B}callActivity"):
        called = (call.get("calledElement") or "").strip()
        if not called:
            message = _("Activité d'appel %(name)s : le processus appelé n'est pas indiqué", name=_name(call))
            out.add(message, call.get("id"))
        elif called not in available:
            out.add(
                _(
                    "Activité d'appel %(name)s : le processus appelé « %(called)s » n'est pas dans ce "
                    "fichier (processus présents : %(present)s)",
                    name=_name(call),
                    called=called,
                    present=", ".join(sorted(i for i in available if i)),
                ),
                call.get("id"),
            )


def _check_service_tasks(process: etree._Element, out: _Collector) -> None:
    for task in process.iter(f"{_B}serviceTask"):
        operator = task.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
        if operator is None or not operator.get("id"):
            out.add(
                _(
                    "Tâche de service %(name)s : aucune opération Guichet n'est choisie. Dans le studio, "
                    "sélectionnez la tâche et choisissez son opération dans le groupe « Guichet »",
                    name=_name(task),
                ),
                task.get("id"),
            )


def _read(bpmn: bytes) -> tuple[etree._Element | None, Validation | None]:
    """The parsed tree of a BPMN 2.0 file, or the Validation saying why it cannot be read."""
    too_big = check_size(len(bpmn))
    if too_big:
        return None, Validation((Problem(too_big),), (), None, None)
    try:
        root = parse_xml(bpmn)
    except DeployError as exc:
        return None, Validation(
            tuple(Problem(_sentence(_("Fichier illisible : %(error)s", error=e))) for e in exc.errors),
            (),
            None,
            None,
        )
    if root.tag != f"{_B}definitions":
        found = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        message = _(
            "Ce fichier n'est pas un diagramme BPMN 2.0 : son élément racine est « %(found)s » au lieu de "
            "« definitions » (espace de noms http://www.omg.org/spec/BPMN/20100524/MODEL)",
            found=found,
        )
        return None, Validation((Problem(_sentence(message)),), (), None, None)
    return root, None


def check(bpmn: bytes, ctx: LintContext) -> tuple[Validation, SpecBundle | None, etree._Element | None]:
    """Run every check; never raises for a bad file (the problems say what is wrong)."""
    root, unreadable = _read(bpmn)
    if unreadable is not None or root is None:
        return unreadable or Validation((), (), None, None), None, None

    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    out = _Collector(ids, _pool_aliases(root))
    _check_vendor(root, out)
    process = _check_executable(root, out)
    all_processes = _processes(root)
    # A single process not marked executable yet is still checked, so that the list is complete.
    checked = process if process is not None else (all_processes[0] if len(all_processes) == 1 else None)
    bundle: SpecBundle | None = None
    title: str | None = None
    operators_missing = False  # or a structural problem the engine would stop at
    if checked is not None:
        title = (checked.get("name") or "").strip() or None
        _check_lanes(checked, ctx, out)
        _check_calls(root, checked, out)
        # SpiffWorkflow stops at the first of these (without the element's id): our list says them all.
        before = len(out.items)
        for scope in _scopes(checked):
            _check_graph(scope, out)
        _check_service_tasks(checked, out)
        for message, task_id in form_problems(root):  # forms as data (engine/form_definitions.py)
            out.add(message, task_id)
        operators_missing = any(p.blocking for p in out.items[before:])
    if process is not None and not operators_missing:
        try:
            bundle = build_bundle(root)
        except DeployError as exc:
            for error in exc.errors:
                out.add(_("Diagramme refusé par le moteur : %(error)s", error=error))
        else:
            for error in lint(root, bundle, ctx):
                out.add(error)
    problems = tuple(p for p in out.items if p.blocking)
    notes = tuple(p for p in out.items if not p.blocking)
    if checked is not None:
        key = checked.get("id")
    else:  # not executable yet: the studio still files the draft under the first process's id
        key = next((p.get("id") for p in all_processes if p.get("id")), None)
    return (
        Validation(problems, notes, key, title),
        bundle if not problems else None,
        root,
    )


def checked_bundle(bpmn: bytes, ctx: LintContext) -> tuple[etree._Element, SpecBundle]:
    """The parsed tree and spec of a publishable file; raises Refused with the located problems."""
    validation, bundle, root = check(bpmn, ctx)
    if not validation.ok or bundle is None or root is None:
        raise Refused(validation)
    return root, bundle
