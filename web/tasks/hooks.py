"""Web-side checks that run before a task is completed, for form keys that need the database.

Forms validate what they can alone; a hook adds what needs the database or the session (a user
name already taken, a captcha, an uploaded photo). A hook returns a HookResult — `secrets` go to
the engine for this call only, `data` is added to the task data — or None after adding errors to
the form (then nothing is completed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from engine.api import TaskView
from forms.registry import TaskForm


@dataclass
class HookResult:
    secrets: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


Hook = Callable[[Session, TaskForm, Any, TaskView], HookResult | None]
BEFORE_COMPLETE: dict[str, Hook] = {}


def before_complete(form_key: str) -> Callable[[Hook], Hook]:
    """Register a check to run before completing tasks of this form key."""

    def decorator(hook: Hook) -> Hook:
        BEFORE_COMPLETE[form_key] = hook
        return hook

    return decorator


#: Turns a typed password into the hash kept in the secrets; set by web/accounts (above this area).
PASSWORD_HASHER: list[Callable[[str], str]] = []


def run_before_complete(session: Session, form: TaskForm, actor: Any, task: TaskView) -> HookResult | None:
    """The form key's own hook, if any; then password fields become Argon2 hashes in the secrets."""
    hook = BEFORE_COMPLETE.get(task.form_key)
    result = HookResult() if hook is None else hook(session, form, actor, task)
    if result is None:
        return None
    for name in form.password_fields:
        if form[name].data:
            result.secrets[f"{name}_hash"] = PASSWORD_HASHER[0](form[name].data)
    # Files of forms.documents fields: stored now, in the completion's transaction; metadata in the data.
    from web.documents.services import store_form_documents

    result.data.update(store_form_documents(session, form, actor, task))
    return result


RenderHook = Callable[[Session, TaskForm, Any, TaskView], dict[str, Any]]
BEFORE_RENDER: dict[str, RenderHook] = {}


def before_render(form_key: str) -> Callable[[RenderHook], RenderHook]:
    """Register a function that adds to the template context of this form key's page (e.g. a captcha)."""

    def decorator(hook: RenderHook) -> RenderHook:
        BEFORE_RENDER[form_key] = hook
        return hook

    return decorator
