"""Web-side checks that run before a task is completed, for form keys that need the database.

Forms validate what they can alone; a hook adds what needs the database or the session (a user
name already taken, a captcha, hashing a password into a secret for the engine). A hook returns
the secrets to hand to the engine, or None after adding errors to the form (nothing is completed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from engine.api import TaskView
from forms.registry import TaskForm

Hook = Callable[[Session, TaskForm, Any, TaskView], dict[str, Any] | None]
BEFORE_COMPLETE: dict[str, Hook] = {}


def before_complete(form_key: str) -> Callable[[Hook], Hook]:
    """Register a check to run before completing tasks of this form key."""

    def decorator(hook: Hook) -> Hook:
        BEFORE_COMPLETE[form_key] = hook
        return hook

    return decorator


def run_before_complete(
    session: Session, form: TaskForm, actor: Any, task: TaskView
) -> dict[str, Any] | None:
    """Password fields become Argon2 hashes in the secrets; then the form key's own hook, if any."""
    from web.accounts.passwords import hash_password

    secrets = {
        f"{name}_hash": hash_password(form[name].data) for name in form.password_fields if form[name].data
    }
    hook = BEFORE_COMPLETE.get(task.form_key)
    if hook is None:
        return secrets
    extra = hook(session, form, actor, task)
    if extra is None:
        return None
    return {**secrets, **extra}
