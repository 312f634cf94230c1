"""≥ 30 sandbox escape payloads in every place SpiffWorkflow evaluates Python (SECURITY.md check 41).

Each payload is put in each place of tests/fixtures/expression_places.py. At deploy the linter must
refuse it; then, as if the linter had been bypassed, the diagram is run with the payload in place:
the run must fail and the canary file must never be created. Figures: docs/security.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine import runtime
from engine.lint import LintContext, lint
from engine.runtime import GuichetScriptEngine, ServiceOperation, build_bundle, parse_xml
from tests.fixtures.expression_places import MODES, SAMPLES, sample

CONTEXT = LintContext(form_keys=set(), lanes=set())
#: Expressions; {p} is the canary's path. In a script place they run as `resultat = <payload>`.
PAYLOADS = [
    "open({p!r}, 'w').write('x')",
    "__import__('os').system('touch ' + {p!r})",
    "__import__('pathlib').Path({p!r}).write_text('x')",
    "eval(\"open({p!r}, 'w')\")",
    "exec(\"open({p!r}, 'w')\")",
    "compile(\"open({p!r}, 'w')\", 'x', 'exec')",
    "getattr(__builtins__, 'open')({p!r}, 'w')",
    "__builtins__['open']({p!r}, 'w')",
    "est_vide.__globals__['__builtins__']['open']({p!r}, 'w')",
    "ajouter_jours.__globals__['__builtins__']['__import__']('os').system('touch ' + {p!r})",
    "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'FileIO'][0]({p!r}, 'w')",
    "[c for c in (1).__class__.__mro__[-1].__subclasses__() if 'wrap_close' in str(c)][0]"
    ".__init__.__globals__['system']('touch ' + {p!r})",
    "(lambda: open({p!r}, 'w'))()",
    "(i for i in [1]).gi_frame.f_globals['__builtins__']['open']({p!r}, 'w')",
    "globals()['__builtins__']['open']({p!r}, 'w')",
    "vars(est_vide)['__globals__']",
    "sys.modules['os'].system('touch ' + {p!r})",
    "os.system('touch ' + {p!r})",
    "'{{0.__globals__}}'.format(est_vide)",
    "'{{0.__class__.__init__.__globals__}}'.format_map({{'0': est_vide}})",
    "f'{{est_vide.__globals__}}'",
    "'%s' % est_vide.__globals__",
    "_getattr_(est_vide, '__globals__')",
    "_getiter_.__globals__['__builtins__']['open']({p!r}, 'w')",
    "_write_.__self__",
    "est_vide.__code__",
    "maintenant().__class__.__mro__",
    "type(est_vide)",
    "dir(est_vide)",
    "help()",
    "breakpoint()",
    "memoryview(b'x')",
    "__loader__.load_module('os')",
    "__spec__",
    "input()",
    "setattr(est_vide, 'x', 1)",
    "object.__subclasses__()",
    "super()",
    "locals()",
    "exit()",
    "(lambda f=open: f({p!r}, 'w'))()",
    "[f for f in [open]][0]({p!r}, 'w')",
    "getattr(est_vide, chr(95) * 2 + 'globals' + chr(95) * 2)['__builtins__']['open']({p!r}, 'w')",
    "est_vide.__getattribute__('__globals__')",
    "[].__class__.__base__.__subclasses__()",
    "{{}}.__class__.__subclasses__()",
    "__builtins__.__dict__['open']({p!r}, 'w')",
    "str.__dict__['format']",
    "est_vide.__class__.__call__",
    "(yield)",
]
#: The places a failing run can be seen in: all but a process correlation (evaluated only when a
#: message is caught, which these one-process samples never do).
RUN_PLACES = sorted(set(SAMPLES) - {"process_correlation"})


@pytest.fixture(autouse=True)
def essai_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        runtime.SERVICES, "essai_service", ServiceOperation("essai_service", lambda ctx, **p: p, "")
    )


def _source(template: str, place: str, canary: Path) -> str:
    expression = template.format(p=str(canary))
    return f"resultat = {expression}" if MODES[place] == "exec" else expression


def test_there_are_at_least_30_payloads() -> None:
    assert len(PAYLOADS) >= 30


@pytest.mark.parametrize("place", sorted(SAMPLES))
def test_every_payload_is_refused_at_deploy_in_every_place(place: str, tmp_path: Path) -> None:
    accepted = []
    for template in PAYLOADS:
        xml = sample(place, _source(template, place, tmp_path / "canari"))
        root = parse_xml(xml.encode("utf-8"))
        errors = lint(root, build_bundle(root), CONTEXT)
        if not any(error.startswith("Élément ") and "refusée" in error for error in errors):
            accepted.append(template)
    assert accepted == []


def _run(xml: str) -> None:
    bundle = build_bundle(parse_xml(xml.encode("utf-8")))
    workflow = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=GuichetScriptEngine())
    workflow.get_tasks()[0].data["n"] = 1
    for _ in range(5):
        workflow.refresh_waiting_tasks()
        workflow.do_engine_steps()
        for task in workflow.get_tasks(state=TaskState.READY, manual=True):
            task.run()


@pytest.mark.parametrize("place", RUN_PLACES)
def test_every_payload_fails_at_run_time_in_every_place(place: str, tmp_path: Path) -> None:
    canary = tmp_path / "canari"
    ran = []
    for template in PAYLOADS:
        try:
            _run(sample(place, _source(template, place, canary)))
        except Exception:  # noqa: S112 - any refusal will do, as long as nothing ran
            continue
        ran.append(template)
    assert ran == []
    assert not canary.exists()
    assert list(tmp_path.iterdir()) == []


def test_the_canary_can_fire(tmp_path: Path) -> None:
    canary = tmp_path / "canari"
    exec(PAYLOADS[2].format(p=str(canary)), {})  # noqa: S102 - plain Python, a temporary file
    assert canary.exists()
